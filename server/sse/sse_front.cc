#include "server/sse/sse_front.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/hub/sse_encoding.h"
#include "server/sse/accept_header.h"
#include "server/sse/sse_stream.h"

namespace ssecast {
namespace {

constexpr char kEventStream[] = "text/event-stream";

void SetError(httplib::Response& response, int status,
              absl::string_view message) {
  response.status = status;
  response.set_content(absl::StrCat("ssecast: ", message, "\n"),
                       "text/plain; charset=utf-8");
}

void MethodNotAllowed(const httplib::Request& request,
                      httplib::Response& response) {
  response.set_header("Allow", "GET");
  SetError(response, 405,
           absl::StrCat(request.method, " is not allowed on ", request.path,
                        "; use GET"));
}

}  // namespace

SseFront::SseFront(Hub* hub, std::unique_ptr<ClientIdProvider> client_ids,
                   const SseFrontOptions& options)
    : hub_(hub),
      client_ids_(std::move(client_ids)),
      options_(options),
      writers_(hub, options.writer, options.writer_threads) {
  const int threads = options_.http_threads;
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_tcp_nodelay(true);
  // A browser reconnects with a new request; idle keep-alive connections
  // (health checks) should not pile up.
  http_.set_keep_alive_max_count(100);
  http_.set_keep_alive_timeout(5);
  http_.set_read_timeout(10);
  http_.set_write_timeout(10);
  Route();
}

SseFront::~SseFront() { Stop(absl::ZeroDuration()); }

void SseFront::Route() {
  http_.Get("/events", [this](const httplib::Request& request,
                              httplib::Response& response) {
    HandleEvents(request, response);
  });
  http_.Post("/events", MethodNotAllowed);
  http_.Put("/events", MethodNotAllowed);
  http_.Patch("/events", MethodNotAllowed);
  http_.Delete("/events", MethodNotAllowed);
  http_.Options("/events", MethodNotAllowed);
  http_.Get("/healthz",
            [this](const httplib::Request&, httplib::Response& response) {
              if (serving_.load()) {
                response.set_content("ok\n", "text/plain");
              } else {
                SetError(response, 503, "shutting down");
              }
            });
}

void SseFront::HandleEvents(const httplib::Request& request,
                            httplib::Response& response) {
  if (!AcceptsEventStream(request.get_header_value("Accept"))) {
    SetError(response, 406,
             absl::StrCat("/events only serves text/event-stream, which the "
                          "request's Accept header (\"",
                          request.get_header_value("Accept"), "\") excludes"));
    return;
  }
  absl::StatusOr<ClientIdentity> identity = client_ids_->Identify(request);
  if (!identity.ok()) {
    SetError(response, 401, identity.status().message());
    return;
  }
  auto stream = std::make_shared<SseStream>(
      next_connection_id_.fetch_add(1), identity->client_id,
      absl::StrCat(request.remote_addr, ":", request.remote_port), absl::Now());
  uint64_t first_sequence = 0;
  absl::StatusOr<bool> admitted = hub_->Attach(stream, &first_sequence);
  if (!admitted.ok()) {
    response.set_header("Retry-After", "5");
    SetError(response, 503,
             absl::StrCat("cannot check the no-reconnect store: ",
                          admitted.status().message()));
    return;
  }
  if (!identity->set_cookie.empty()) {
    response.set_header("Set-Cookie", identity->set_cookie);
  }
  if (!*admitted) {
    // Per the SSE spec, 204 makes EventSource stop reconnecting for good.
    response.status = 204;
    return;
  }
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  std::string prelude;
  if (options_.retry > absl::ZeroDuration()) {
    prelude = FrameChunk(absl::StrCat(
        "retry: ", absl::ToInt64Milliseconds(options_.retry), "\n\n"));
  }
  stream->Prepare(first_sequence, std::move(prelude));
  TakeoverHttpServer::StreamTo(
      response, kEventStream,
      [this, stream](int fd) { writers_.Adopt(stream, fd); },
      [this, stream] { hub_->Detach(*stream); });
}

absl::StatusOr<int> SseFront::Start(const std::string& address) {
  absl::StatusOr<int> port = http_.Bind(address, options_.listen_backlog);
  if (!port.ok()) return port.status();
  serving_.store(true);
  serve_thread_ = std::thread([this] { http_.Serve(); });
  return port;
}

void SseFront::Stop(absl::Duration grace) {
  if (!serve_thread_.joinable()) return;
  serving_.store(false);
  http_.stop();
  serve_thread_.join();
  writers_.Shutdown(grace);
}

}  // namespace ssecast
