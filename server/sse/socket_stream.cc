#include "server/sse/socket_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/time/clock.h"

namespace ssecast {
namespace {

bool PollFor(int fd, short events, int timeout_ms) {
  pollfd pfd{fd, events, 0};
  int n;
  do {
    n = ::poll(&pfd, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0 && (pfd.revents & (events | POLLHUP | POLLERR));
}

void AddressOf(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    port = ntohs(in.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    port = ntohs(in6.sin6_port);
  }
  ip = text;
}

int ToMillis(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

}  // namespace

SocketStream::SocketStream(int fd, absl::Duration read_timeout,
                           absl::Duration write_timeout)
    : fd_(fd),
      read_timeout_ms_(ToMillis(read_timeout)),
      write_timeout_ms_(ToMillis(write_timeout)) {}

bool SocketStream::is_readable() const {
  return buffer_begin_ < buffer_end_ || PollFor(fd_, POLLIN, read_timeout_ms_);
}

bool SocketStream::is_writable() const {
  return !detached_ && PollFor(fd_, POLLOUT, write_timeout_ms_);
}

ssize_t SocketStream::read(char* ptr, size_t size) {
  if (buffer_begin_ == buffer_end_) {
    if (!is_readable()) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    buffer_begin_ = 0;
    buffer_end_ = static_cast<size_t>(n);
  }
  size_t n = std::min(size, buffer_end_ - buffer_begin_);
  std::memcpy(ptr, buffer_.data() + buffer_begin_, n);
  buffer_begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  if (detached_) return -1;
  size_t written = 0;
  while (written < size) {
    ssize_t n = ::send(fd_, ptr + written, size - written, MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!PollFor(fd_, POLLOUT, write_timeout_ms_)) return -1;
    } else {
      return -1;
    }
  }
  return static_cast<ssize_t>(written);
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    AddressOf(address, ip, port);
  }
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    AddressOf(address, ip, port);
  }
}

bool SocketStream::WaitForRequest(absl::Duration timeout,
                                  const std::function<bool()>& keep_waiting) {
  if (buffer_begin_ < buffer_end_) return true;
  const absl::Time deadline = absl::Now() + timeout;
  while (keep_waiting()) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    if (PollFor(fd_, POLLIN, std::min(100, ToMillis(left) + 1))) return true;
  }
  return false;
}

}  // namespace ssecast
