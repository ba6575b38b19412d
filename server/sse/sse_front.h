#ifndef SSECAST_SERVER_SSE_SSE_FRONT_H_
#define SSECAST_SERVER_SSE_SSE_FRONT_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/hub/hub.h"
#include "server/sse/accept_loop.h"
#include "server/sse/client_id_provider.h"
#include "server/sse/connection_limiter.h"
#include "server/sse/stream_writer_pool.h"
#include "server/sse/takeover_http_server.h"
#include "server/sse/trusted_proxies.h"

namespace ssecast {

struct SseFrontOptions {
  StreamWriterOptions writer;
  // Origins (scheme://host[:port]) whose pages may open /events across
  // origins, with credentials (cookies).
  std::vector<std::string> allowed_origins;
  // Serve the demo page at /.
  bool demo_page = true;
  int writer_threads = 2;
  // Threads that read requests and answer the handshake; streams do not
  // hold them.
  int http_threads = 32;
  int listen_backlog = 4096;
  // Request heads: limits, deadline, keep-alive wait, refusals.
  AcceptLoopOptions accept;
  ConnectionLimits limits;
  // Whose X-Forwarded-For names the client (for the per-IP cap).
  TrustedProxies trusted_proxies;
};

// The browser-facing edge: GET /events opens a Server-Sent Events stream
// for the client the ClientIdProvider names (204 if the hub says it may not
// reconnect), resuming after Last-Event-ID; GET /healthz says whether the
// front is serving and below its connection cap; GET / is the demo page. After
// the handshake a stream belongs to the StreamWriterPool.
//
// Start() and Stop() are called once each, from one thread.
class SseFront {
 public:
  SseFront(Hub* hub, std::unique_ptr<ClientIdProvider> client_ids,
           const SseFrontOptions& options);
  ~SseFront();

  // Binds `address` ("host:port", port 0 picks one) and serves on a thread
  // of its own. Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address);

  // Stops accepting, ends every stream cleanly (waiting up to `grace` for
  // them to drain) and joins the threads.
  void Stop(absl::Duration grace);

 private:
  void HandleEvents(const httplib::Request& request,
                    httplib::Response& response);
  void HandleHealth(httplib::Response& response);
  void HandlePreflight(const httplib::Request& request,
                       httplib::Response& response);
  // Adds the CORS headers when the request comes from an allowed origin.
  void AllowOrigin(const httplib::Request& request,
                   httplib::Response& response) const;
  void Route();

  Hub* const hub_;
  const std::unique_ptr<ClientIdProvider> client_ids_;
  const SseFrontOptions options_;
  StreamWriterPool writers_;
  ConnectionLimiter limiter_;
  TakeoverHttpServer http_;
  std::thread serve_thread_;
  std::atomic<uint64_t> next_connection_id_{1};
  std::atomic<bool> serving_{false};
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_SSE_FRONT_H_
