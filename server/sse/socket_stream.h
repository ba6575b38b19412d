#ifndef SSECAST_SERVER_SSE_SOCKET_STREAM_H_
#define SSECAST_SERVER_SSE_SOCKET_STREAM_H_

#include <sys/types.h>

#include <array>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "httplib.h"

namespace ssecast {

// An httplib::Stream over a connected socket, used by TakeoverHttpServer to
// run the library's request parsing and response writing on a socket that
// the server, not the library, owns. Reads are buffered (the library reads
// request lines a byte at a time) and bounded by `read_timeout`; writes
// wait at most `write_timeout` for room.
//
// Once Detach() is called, writes are refused: the socket now belongs to
// whoever detached it, and nothing the library still tries to send may
// interleave with that owner's bytes. Not thread-safe: one stream, one
// thread. Does not own or close the socket.
class SocketStream : public httplib::Stream {
 public:
  SocketStream(int fd, absl::Duration read_timeout,
               absl::Duration write_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

  // Waits until a request byte arrives, up to `timeout`, checking
  // `keep_waiting` every 100 ms so that a stopping server need not wait.
  bool WaitForRequest(absl::Duration timeout,
                      const std::function<bool()>& keep_waiting);

  void Detach() { detached_ = true; }
  bool detached() const { return detached_; }

 private:
  const int fd_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  bool detached_ = false;
  std::array<char, 2048> buffer_;
  size_t buffer_begin_ = 0;
  size_t buffer_end_ = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_SOCKET_STREAM_H_
