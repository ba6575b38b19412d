#ifndef SSECAST_SERVER_DEPLOY_OPTIONS_H_
#define SSECAST_SERVER_DEPLOY_OPTIONS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/sse/cookie_secure_policy.h"

namespace ssecast {

// The flags for running ssecast behind a TLS proxy and for draining it on
// SIGTERM (see README, "Deploying"), defined in deploy_options.cc.
struct DeployOptions {
  // --cookie_secure: when the client-id cookie is `Secure`.
  CookieSecureMode cookie_secure = CookieSecureMode::kAuto;
  // --drain_delay: how long the node reports not ready before it refuses
  // commands and ends its streams.
  absl::Duration drain_delay = absl::Seconds(5);
  // --drain_spread: the range of the `retry:` each stream ends with.
  absl::Duration drain_spread = absl::Seconds(10);
};

// Reads and checks the flags: INVALID_ARGUMENT naming the flag and the
// problem for a bad value.
absl::StatusOr<DeployOptions> DeployOptionsFromFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_DEPLOY_OPTIONS_H_
