#include "tests/raw_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ssecast::test_support {

absl::StatusOr<UniqueFd> ConnectRaw(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address),
                sizeof(address)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect to port ", port, ": ", std::strerror(errno)));
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return absl::InternalError(
        absl::StrCat("fcntl(O_NONBLOCK): ", std::strerror(errno)));
  }
  return fd;
}

bool SendNow(int fd, const std::string& bytes) {
  const ssize_t n =
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

std::string ReceiveNow(int fd, bool* closed) {
  std::string received;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) {
      received.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return received;
    }
    *closed = true;
    return received;
  }
}

RawExchangeResult ExchangeRaw(int port, const std::string& bytes,
                              absl::Duration timeout,
                              absl::Duration trickle_gap) {
  RawExchangeResult result;
  absl::StatusOr<UniqueFd> fd = ConnectRaw(port);
  if (!fd.ok()) {
    result.closed = true;
    result.received = std::string(fd.status().message());
    return result;
  }
  const absl::Time deadline = absl::Now() + timeout;
  absl::Time next_send = absl::Now();
  bool can_send = true;
  while (absl::Now() < deadline) {
    const bool more = can_send && result.sent < bytes.size();
    pollfd entry{fd->get(), static_cast<short>(POLLIN), 0};
    int wait_ms = 50;
    if (more && trickle_gap == absl::ZeroDuration()) {
      entry.events |= POLLOUT;
    } else if (more) {
      wait_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(next_send - absl::Now()), 0, 50));
    }
    ::poll(&entry, 1, wait_ms);
    if (more &&
        (trickle_gap == absl::ZeroDuration() ? (entry.revents & POLLOUT) != 0
                                             : absl::Now() >= next_send)) {
      const size_t chunk =
          trickle_gap == absl::ZeroDuration()
              ? std::min<size_t>(bytes.size() - result.sent, 1 << 20)
              : 1;
      const ssize_t n = ::send(fd->get(), bytes.data() + result.sent, chunk,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        result.sent += static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                 errno != EINTR) {
        can_send = false;  // the server reset or closed; read what it said
      }
      next_send = absl::Now() + trickle_gap;
    }
    if (entry.revents & (POLLIN | POLLHUP | POLLERR)) {
      bool closed = false;
      result.received += ReceiveNow(fd->get(), &closed);
      if (closed) {
        result.closed = true;
        return result;
      }
    }
  }
  return result;
}

}  // namespace ssecast::test_support
