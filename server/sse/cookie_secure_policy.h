#ifndef SSECAST_SERVER_SSE_COOKIE_SECURE_POLICY_H_
#define SSECAST_SERVER_SSE_COOKIE_SECURE_POLICY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "httplib.h"
#include "server/sse/trusted_proxies.h"

namespace ssecast {

// When the client-id cookie carries the `Secure` attribute (--cookie_secure).
// ssecast itself speaks plain HTTP; TLS ends at a proxy in front of it, so
// only that proxy knows whether the browser came over TLS.
//   kAuto    Secure when the request came from a trusted proxy
//            (--trusted_proxies) whose X-Forwarded-Proto says https; a
//            header from anyone else is ignored. The default.
//   kAlways  always Secure (every browser reaches ssecast over TLS).
//   kNever   never Secure (plain-HTTP deployments and local development).
enum class CookieSecureMode { kAuto, kAlways, kNever };

// Parses "auto", "always" or "never"; INVALID_ARGUMENT naming them otherwise.
absl::StatusOr<CookieSecureMode> ParseCookieSecureMode(absl::string_view text);

// Decides `Secure` per request. Immutable; thread-safe.
class CookieSecurePolicy {
 public:
  // kAuto with no trusted proxy: never Secure.
  CookieSecurePolicy() = default;
  CookieSecurePolicy(CookieSecureMode mode, TrustedProxies proxies)
      : mode_(mode), proxies_(std::move(proxies)) {}

  bool Secure(const httplib::Request& request) const;

 private:
  CookieSecureMode mode_ = CookieSecureMode::kAuto;
  TrustedProxies proxies_;
};

// Whether `request` reached a proxy over TLS by the proxy's word: its peer
// (request.remote_addr) is in `proxies` and the last X-Forwarded-Proto
// value (the one the nearest proxy wrote; a proxy that appends puts its
// own last) is "https", in any case. False for any other peer, whatever it
// sends.
bool ForwardedOverTls(const httplib::Request& request,
                      const TrustedProxies& proxies);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_COOKIE_SECURE_POLICY_H_
