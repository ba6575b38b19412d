#include "server/sse/trusted_proxies.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ssecast {
namespace {

// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped into ::ffff:0:0/96),
// and whether it was IPv4.
std::optional<std::pair<std::array<uint8_t, 16>, bool>> ParseAddress(
    absl::string_view text) {
  const std::string s(absl::StripAsciiWhitespace(text));
  std::array<uint8_t, 16> bytes{};
  in_addr v4;
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    std::memcpy(bytes.data() + 12, &v4, 4);
    return std::make_pair(bytes, true);
  }
  in6_addr v6;
  if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(bytes.data(), &v6, 16);
    return std::make_pair(bytes, false);
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(
    const std::vector<std::string>& cidrs) {
  TrustedProxies proxies;
  for (const std::string& cidr : cidrs) {
    if (cidr.empty()) continue;
    const size_t slash = cidr.find('/');
    auto address = ParseAddress(absl::string_view(cidr).substr(0, slash));
    if (!address) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", cidr, "\" is not an IP address or CIDR block"));
    }
    const int max_bits = address->second ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string::npos &&
        (!absl::SimpleAtoi(cidr.substr(slash + 1), &bits) || bits < 0 ||
         bits > max_bits)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", cidr, "\" has a bad prefix length"));
    }
    proxies.blocks_.push_back(
        {address->first, address->second ? bits + 96 : bits});
  }
  return proxies;
}

bool TrustedProxies::Contains(absl::string_view ip) const {
  auto address = ParseAddress(ip);
  if (!address) return false;
  for (const Block& block : blocks_) {
    int bits = block.prefix_bits;
    bool match = true;
    for (int i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
      const uint8_t mask =
          bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
      match = (address->first[i] & mask) == (block.address[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string TrustedProxies::ClientAddress(
    absl::string_view peer_ip, absl::string_view forwarded_for) const {
  if (blocks_.empty() || !Contains(peer_ip)) return std::string(peer_ip);
  std::vector<absl::string_view> hops =
      absl::StrSplit(forwarded_for, ',', absl::SkipWhitespace());
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const absl::string_view hop = absl::StripAsciiWhitespace(*it);
    // What a proxy wrote that is not an address says nothing reliable.
    if (!ParseAddress(hop)) break;
    if (!Contains(hop)) return std::string(hop);
  }
  return std::string(peer_ip);
}

}  // namespace ssecast
