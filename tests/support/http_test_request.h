#ifndef SSECAST_TESTS_SUPPORT_HTTP_TEST_REQUEST_H_
#define SSECAST_TESTS_SUPPORT_HTTP_TEST_REQUEST_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/http_headers.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {

// A complete response to a one-shot request.
struct HttpTestResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  EndKind end_kind = EndKind::kNotEnded;

  std::optional<std::string> header(absl::string_view name) const {
    return FindHeader(headers, name);
  }
};

// Sends one request to 127.0.0.1:`port` with `Connection: close` (unless
// `headers` has a Connection field) and no Accept unless given, then reads
// the whole response within `timeout`. Fails when the body is cut short
// (see SseTestClient::ReadAllBody); an error status code is not a failure.
// For plain endpoints and error responses, e.g. /healthz, 405 and 406.
absl::StatusOr<HttpTestResponse> HttpRequest(
    int port, const std::string& method, const std::string& path,
    HttpHeaders headers = {}, std::string body = "",
    absl::Duration timeout = absl::Seconds(10));

inline absl::StatusOr<HttpTestResponse> HttpGet(
    int port, const std::string& path, HttpHeaders headers = {},
    absl::Duration timeout = absl::Seconds(10)) {
  return HttpRequest(port, "GET", path, std::move(headers), "", timeout);
}

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_HTTP_TEST_REQUEST_H_
