#include "server/sse/cookie_secure_policy.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ssecast {

absl::StatusOr<CookieSecureMode> ParseCookieSecureMode(absl::string_view text) {
  if (text == "auto") return CookieSecureMode::kAuto;
  if (text == "always") return CookieSecureMode::kAlways;
  if (text == "never") return CookieSecureMode::kNever;
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", absl::CEscape(text), "\" is not one of: auto, always, never"));
}

bool ForwardedOverTls(const httplib::Request& request,
                      const TrustedProxies& proxies) {
  if (proxies.empty() || !proxies.Contains(request.remote_addr)) return false;
  const size_t count = request.get_header_value_count("X-Forwarded-Proto");
  if (count == 0) return false;
  // Several fields or a list: the nearest proxy's word is the last one.
  const std::string last =
      request.get_header_value("X-Forwarded-Proto", count - 1);
  std::vector<absl::string_view> values =
      absl::StrSplit(last, ',', absl::SkipWhitespace());
  if (values.empty()) return false;
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(values.back()),
                                "https");
}

bool CookieSecurePolicy::Secure(const httplib::Request& request) const {
  switch (mode_) {
    case CookieSecureMode::kAlways:
      return true;
    case CookieSecureMode::kNever:
      return false;
    case CookieSecureMode::kAuto:
      return ForwardedOverTls(request, proxies_);
  }
  return false;
}

}  // namespace ssecast
