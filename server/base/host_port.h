#ifndef SSECAST_SERVER_BASE_HOST_PORT_H_
#define SSECAST_SERVER_BASE_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// An address as flags and options spell it, "HOST:PORT": the text after the
// last colon is the port, so a bracketed IPv6 literal ("[::1]:80") keeps its
// brackets in `host`. A value type.
struct HostPort {
  std::string host;
  int port = 0;

  // "host:port" again.
  std::string ToString() const;
};

// Whether port 0 is accepted: an address to listen on may leave the choice
// of port to the kernel; an address to connect to may not.
enum class PortZero { kRefused, kPicksFreePort };

// Splits `text` into host and port. The host must not be empty and the port
// must be a number up to 65535 (from 1 unless `zero` allows 0). Otherwise
// INVALID_ARGUMENT `"text" is not HOST:PORT`, followed by " (port 0 picks a
// free port)" where that is allowed; callers prefix what the address is for.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text,
                                       PortZero zero = PortZero::kRefused);

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_HOST_PORT_H_
