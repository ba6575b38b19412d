#ifndef SSECAST_SERVER_SSE_COOKIE_CLIENT_ID_PROVIDER_H_
#define SSECAST_SERVER_SSE_COOKIE_CLIENT_ID_PROVIDER_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "server/sse/client_id_provider.h"
#include "server/sse/cookie_secure_policy.h"

namespace ssecast {

// The default identity: a random 128-bit id that the server issues in a
// cookie (HttpOnly, SameSite=Lax, Path=/) and the browser sends back on
// every reconnect. A request without a well-formed id in the cookie gets a
// fresh one; the cookie is also `Secure` when `secure` says the request came
// over TLS (see cookie_secure_policy.h). Thread-safe.
class CookieClientIdProvider : public ClientIdProvider {
 public:
  explicit CookieClientIdProvider(std::string cookie_name,
                                  CookieSecurePolicy secure = {});

  absl::StatusOr<ClientIdentity> Identify(
      const httplib::Request& request) override;

  // A fresh id: 32 lowercase hex digits from the kernel's CSPRNG.
  static std::string NewClientId();
  // Whether `id` has the form NewClientId() produces.
  static bool IsWellFormed(absl::string_view id);

 private:
  const std::string cookie_name_;
  const CookieSecurePolicy secure_;
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"), if present.
std::optional<std::string> FindCookie(absl::string_view cookie_header,
                                      absl::string_view name);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_COOKIE_CLIENT_ID_PROVIDER_H_
