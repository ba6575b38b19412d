// The control plane's security flags (--grpc_token_file, --grpc_tls_cert,
// --grpc_tls_key, --grpc_tls_client_ca) and their checks. The flags are
// defined in the .cc; main() calls ControlSecurityFromFlags() once after
// parsing them. Not thread-safe (run it before starting threads).
#ifndef SSECAST_SERVER_CONTROL_CONTROL_SECURITY_FLAGS_H_
#define SSECAST_SERVER_CONTROL_CONTROL_SECURITY_FLAGS_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "server/control/bearer_tokens.h"
#include "server/control/control_credentials.h"

namespace ssecast {

struct ControlSecurityConfig {
  // Null without --grpc_token_file; kept by main() to reload on SIGHUP.
  std::shared_ptr<BearerTokens> tokens;
  std::optional<ControlTlsFiles> tls;

  ControlSecurity security() const { return {tokens, tls}; }
};

// Reads the token file. INVALID_ARGUMENT for flags that do not go together
// (a certificate without its key, a client CA without TLS), or the token
// file's problem.
absl::StatusOr<ControlSecurityConfig> ControlSecurityFromFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_CONTROL_SECURITY_FLAGS_H_
