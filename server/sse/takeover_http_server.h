#ifndef SSECAST_SERVER_SSE_TAKEOVER_HTTP_SERVER_H_
#define SSECAST_SERVER_SSE_TAKEOVER_HTTP_SERVER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace ssecast {

// An httplib::Server whose handlers can keep a connection's socket once
// the response headers are out. cpp-httplib otherwise holds one thread for
// the whole life of a streamed response; here the socket leaves the library
// and its thread goes back to the pool, so thousands of streams cost no
// threads. Everything else (parsing, routing, keep-alive, plain responses)
// is the library's.
//
// It overrides cpp-httplib 0.11.4's private virtual
// process_and_close_socket() and drives the protected process_request()
// with its own SocketStream. Configure it with the library's setters before
// Listen(); the setters are not thread-safe, Stop() is.
class TakeoverHttpServer : public httplib::Server {
 public:
  TakeoverHttpServer();

  // Inside a handler: answers with a chunked response of `content_type`
  // whose status line and headers the library writes; then, instead of
  // closing, hands the socket (now non-blocking) to `adopt`. If the headers
  // cannot be written, `abandon` runs instead. Exactly one of the two runs,
  // on the handler's thread. The adopter owns the socket and continues the
  // chunked body.
  static void StreamTo(httplib::Response& res, const std::string& content_type,
                       std::function<void(int fd)> adopt,
                       std::function<void()> abandon);

  // Binds "host:port" (port 0 picks a free one) and listens with a backlog
  // that survives connect bursts. Returns the bound port.
  absl::StatusOr<int> Bind(const std::string& address, int backlog);

  // Serves until Stop(); call on a thread of its own after Bind().
  bool Serve() { return listen_after_bind(); }

 private:
  bool process_and_close_socket(int sock) override;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_TAKEOVER_HTTP_SERVER_H_
