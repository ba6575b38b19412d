// Raw HTTP/1.1 over TCP for tests that play a hostile client: bytes sent
// exactly as given (however malformed, however large, or trickled), the
// answer read as bytes while sending, and plain connections that send
// nothing or a little at a time.
//
// Not thread-safe; each call uses its own socket.
#ifndef SSECAST_TESTS_RAW_HTTP_H_
#define SSECAST_TESTS_RAW_HTTP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"

namespace ssecast::test_support {

struct RawExchangeResult {
  // Everything the server sent.
  std::string received;
  // The server closed the connection (EOF or reset) before the timeout.
  bool closed = false;
  // Bytes of the request the server took before the end.
  size_t sent = 0;
};

// Connects to 127.0.0.1:`port`, sends `bytes` (`trickle_gap` > 0 sends one
// byte per gap instead) while reading, and returns once the server closes
// or `timeout` has passed. Sending stops early, without failing, when the
// server stops reading or resets.
RawExchangeResult ExchangeRaw(
    int port, const std::string& bytes, absl::Duration timeout,
    absl::Duration trickle_gap = absl::ZeroDuration());

// A connected, non-blocking socket to 127.0.0.1:`port` that has sent
// nothing.
absl::StatusOr<UniqueFd> ConnectRaw(int port);

// Sends what fits of `bytes` now, without waiting; false when the
// connection is gone.
bool SendNow(int fd, const std::string& bytes);

// Reads what is there now, without waiting. Sets *closed on EOF or error.
std::string ReceiveNow(int fd, bool* closed);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_RAW_HTTP_H_
