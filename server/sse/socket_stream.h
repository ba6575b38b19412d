#ifndef SSECAST_SERVER_SSE_SOCKET_STREAM_H_
#define SSECAST_SERVER_SSE_SOCKET_STREAM_H_

#include <sys/types.h>

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace ssecast {

// An httplib::Stream used by TakeoverHttpServer to run the library's
// request parsing and response writing on a socket that the server, not
// the library, owns. The request head was read (and checked) beforehand by
// the AcceptLoop: reads return exactly those bytes and then end, so the
// library can never wait on the socket or read a body. Writes go to the
// socket, waiting at most `write_timeout` for room each time it is full.
//
// Once Detach() is called, writes are refused: the socket now belongs to
// whoever detached it, and nothing the library still tries to send may
// interleave with that owner's bytes. Not thread-safe: one stream, one
// thread. Does not own or close the socket; does not copy `head`, which
// must outlive it.
class SocketStream : public httplib::Stream {
 public:
  SocketStream(int fd, absl::string_view head, absl::Duration write_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

  void Detach() { detached_ = true; }
  bool detached() const { return detached_; }

 private:
  const int fd_;
  const absl::string_view head_;
  size_t read_ = 0;
  const int write_timeout_ms_;
  bool detached_ = false;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_SOCKET_STREAM_H_
