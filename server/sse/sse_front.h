#ifndef SSECAST_SERVER_SSE_SSE_FRONT_H_
#define SSECAST_SERVER_SSE_SSE_FRONT_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/health/readiness.h"
#include "server/hub/hub.h"
#include "server/metrics/metrics.h"
#include "server/sse/accept_loop.h"
#include "server/sse/client_id_provider.h"
#include "server/sse/connection_limiter.h"
#include "server/sse/group_join_policy.h"
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
  // Who may join groups with ?group= (see group_join_policy.h).
  GroupJoin group_join = GroupJoin::kNobody;
  // Most `group` parameters one /events request may carry.
  size_t max_groups_per_request = 16;
  // The node's readiness beyond the front's own (store, broker, draining),
  // shown on GET /readyz; not owned, may be null. Must outlive the front.
  const Readiness* readiness = nullptr;
  // Where streams, refusals and deliveries are counted (also by the
  // writers and the accept loop); must outlive the front. nullptr:
  // Metrics::Unexposed().
  Metrics* metrics = nullptr;
};

// The browser-facing edge: GET /events opens a Server-Sent Events stream
// for the client the ClientIdProvider names (204 if the hub says it may not
// reconnect), resuming after Last-Event-ID; GET /healthz (liveness) says
// whether the front is serving at all; GET /readyz (readiness) is 503 with
// the reasons while the node would refuse new browsers (at its connection
// cap, out of descriptors, or whatever options.readiness says: store or
// broker down, draining); GET / is the demo page; GET /ssecast.js is the
// browser client (client_script.h). After the handshake a stream belongs to
// the StreamWriterPool.
//
// Requests to /events are refused with a plain-text reason before any
// state is made: 405 for other methods (HEAD included), 400 for ambiguous
// input (unambiguous_request.h), bad or too many groups, 406 when Accept
// excludes event streams, 401 without a valid identity, 403 for groups the
// --group_join policy refuses. Answers never reflect headers back, and
// faults of the store or broker are logged here, not shown to browsers.
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
  void HandleReady(httplib::Response& response);
  void HandlePreflight(const httplib::Request& request,
                       httplib::Response& response);
  // Adds the CORS headers when the request comes from an allowed origin.
  void AllowOrigin(const httplib::Request& request,
                   httplib::Response& response) const;
  void Route();
  // Logs a fault the browser is not told about, at most once per interval
  // (with a count of those left out), so that a flood cannot fill the log.
  void LogFault(absl::string_view what, const absl::Status& status);

  Hub* const hub_;
  const std::unique_ptr<ClientIdProvider> client_ids_;
  const SseFrontOptions options_;
  Metrics* const metrics_;
  StreamWriterPool writers_;
  ConnectionLimiter limiter_;
  TakeoverHttpServer http_;
  std::thread serve_thread_;
  std::atomic<uint64_t> next_connection_id_{1};
  std::atomic<bool> serving_{false};
  absl::Mutex log_mu_;
  absl::Time last_fault_logged_ ABSL_GUARDED_BY(log_mu_) = absl::InfinitePast();
  uint64_t faults_not_logged_ ABSL_GUARDED_BY(log_mu_) = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_SSE_FRONT_H_
