#include "tests/support/http_test_request.h"

#include <memory>
#include <utility>

namespace ssecast::test_support {

absl::StatusOr<HttpTestResponse> HttpRequest(
    int port, const std::string& method, const std::string& path,
    HttpHeaders headers, std::string body, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  SseTestRequest request;
  request.method = method;
  request.path = path;
  request.headers = std::move(headers);
  if (!FindHeader(request.headers, "Connection")) {
    request.headers.emplace_back("Connection", "close");
  }
  request.body = std::move(body);
  request.accept_event_stream = false;
  request.timeout = timeout;
  absl::StatusOr<std::unique_ptr<SseTestClient>> client =
      SseTestClient::Connect(port, request);
  if (!client.ok()) return client.status();
  absl::StatusOr<std::string> response_body =
      (*client)->ReadAllBody(deadline - absl::Now());
  if (!response_body.ok()) return response_body.status();

  HttpTestResponse response;
  response.status = (*client)->status();
  response.headers = (*client)->headers();
  response.body = *std::move(response_body);
  response.end_kind = (*client)->end_kind();
  return response;
}

}  // namespace ssecast::test_support
