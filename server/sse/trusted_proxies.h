#ifndef SSECAST_SERVER_SSE_TRUSTED_PROXIES_H_
#define SSECAST_SERVER_SSE_TRUSTED_PROXIES_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// The proxies (--trusted_proxies, CIDR blocks) whose X-Forwarded-For is
// believed. A request from anywhere else is from its peer address, whatever
// X-Forwarded-For says, so that a client cannot pick the address its
// per-IP cap is counted against. Immutable; thread-safe.
class TrustedProxies {
 public:
  TrustedProxies() = default;

  // Parses a list like {"10.0.0.0/8", "::1", "192.168.1.7"}; an address
  // without a prefix length is one host.
  static absl::StatusOr<TrustedProxies> Parse(
      const std::vector<std::string>& cidrs);

  bool empty() const { return blocks_.empty(); }
  bool Contains(absl::string_view ip) const;

  // The client's address: `peer_ip` unless it is a trusted proxy; then the
  // rightmost X-Forwarded-For entry that is not a trusted proxy (each
  // proxy appends the address it saw), or `peer_ip` when the field has no
  // usable entry.
  std::string ClientAddress(absl::string_view peer_ip,
                            absl::string_view forwarded_for) const;

 private:
  struct Block {
    std::array<uint8_t, 16> address;  // IPv4 as ::ffff:a.b.c.d
    int prefix_bits;                  // of the 128
  };
  std::vector<Block> blocks_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_TRUSTED_PROXIES_H_
