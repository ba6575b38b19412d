#include "server/deploy_options.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "server/config/flag_value.h"

ABSL_FLAG(std::string, cookie_secure, "auto",
          "When the client-id cookie gets the Secure attribute: 'auto' when "
          "the request came from a --trusted_proxies address whose "
          "X-Forwarded-Proto is https, 'always', or 'never'.");
ABSL_FLAG(absl::Duration, drain_delay, absl::Seconds(5),
          "On SIGTERM, how long GET /readyz (and gRPC health) report the node "
          "not ready before it refuses commands (UNAVAILABLE) and ends its "
          "streams, so that load balancers stop sending it browsers first. A "
          "second SIGTERM or SIGINT cuts it short.");
ABSL_FLAG(absl::Duration, drain_spread, absl::Seconds(10),
          "On SIGTERM, each stream ends with `retry:` set to a random value "
          "from 0 to this, so that browsers come back to other nodes over "
          "this window instead of all at once; 0 sends none.");

namespace ssecast {

absl::StatusOr<DeployOptions> DeployOptionsFromFlags() {
  DeployOptions options;
  absl::StatusOr<CookieSecureMode> mode =
      ParseFlagValue(FLAGS_cookie_secure, ParseCookieSecureMode);
  if (!mode.ok()) return mode.status();
  options.cookie_secure = *mode;
  options.drain_delay = absl::GetFlag(FLAGS_drain_delay);
  options.drain_spread = absl::GetFlag(FLAGS_drain_spread);
  const struct {
    const char* flag;
    absl::Duration value;
    absl::Duration most;
  } kBounds[] = {{"drain_delay", options.drain_delay, absl::Minutes(10)},
                 {"drain_spread", options.drain_spread, absl::Hours(1)}};
  for (const auto& bound : kBounds) {
    if (bound.value < absl::ZeroDuration() || bound.value > bound.most) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", bound.flag, " must be from 0 to ",
                       absl::FormatDuration(bound.most), " (got ",
                       absl::FormatDuration(bound.value), ")"));
    }
  }
  return options;
}

}  // namespace ssecast
