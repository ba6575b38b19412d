#include "server/base/host_port.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

std::string HostPort::ToString() const { return absl::StrCat(host, ":", port); }

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, PortZero zero) {
  const int lowest = zero == PortZero::kPicksFreePort ? 0 : 1;
  const size_t colon = text.rfind(':');
  HostPort parsed;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &parsed.port) ||
      parsed.port < lowest || parsed.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not HOST:PORT",
        zero == PortZero::kPicksFreePort ? " (port 0 picks a free port)" : ""));
  }
  parsed.host = std::string(text.substr(0, colon));
  return parsed;
}

}  // namespace ssecast
