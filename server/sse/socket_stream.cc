#include "server/sse/socket_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "server/sse/address_text.h"

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

int ToMillis(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

}  // namespace

SocketStream::SocketStream(int fd, absl::string_view head,
                           absl::Duration write_timeout)
    : fd_(fd), head_(head), write_timeout_ms_(ToMillis(write_timeout)) {}

bool SocketStream::is_readable() const { return read_ < head_.size(); }

bool SocketStream::is_writable() const {
  return !detached_ && PollFor(fd_, POLLOUT, write_timeout_ms_);
}

ssize_t SocketStream::read(char* ptr, size_t size) {
  const size_t n = std::min(size, head_.size() - read_);
  std::memcpy(ptr, head_.data() + read_, n);
  read_ += n;
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
    std::tie(ip, port) = AddressText(address);
  }
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    std::tie(ip, port) = AddressText(address);
  }
}

}  // namespace ssecast
