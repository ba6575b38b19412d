#include "server/control/control_security_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, grpc_token_file, "",
          "File of bearer tokens for the control plane, one per line (blank "
          "lines and # comments skipped; 16+ visible characters each); every "
          "call but the health service must send `authorization: Bearer "
          "<token>` with one of them. Reread on SIGHUP. Empty: no "
          "authentication, so --grpc_address must stay private.");
ABSL_FLAG(std::string, grpc_tls_cert, "",
          "PEM certificate chain for TLS on the control plane (with "
          "--grpc_tls_key). Empty: plaintext.");
ABSL_FLAG(std::string, grpc_tls_key, "", "PEM private key of --grpc_tls_cert.");
ABSL_FLAG(std::string, grpc_tls_client_ca, "",
          "PEM CA certificates; when set, control-plane clients must present "
          "a certificate they signed (mutual TLS). Needs --grpc_tls_cert.");

namespace ssecast {

absl::StatusOr<ControlSecurityConfig> ControlSecurityFromFlags() {
  ControlSecurityConfig config;
  const std::string cert = absl::GetFlag(FLAGS_grpc_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_grpc_tls_key);
  const std::string client_ca = absl::GetFlag(FLAGS_grpc_tls_client_ca);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--grpc_tls_cert and --grpc_tls_key go together: give both or "
        "neither");
  }
  if (!client_ca.empty() && cert.empty()) {
    return absl::InvalidArgumentError(
        "--grpc_tls_client_ca needs TLS: give --grpc_tls_cert and "
        "--grpc_tls_key too");
  }
  if (!cert.empty()) config.tls = ControlTlsFiles{cert, key, client_ca};
  if (std::string path = absl::GetFlag(FLAGS_grpc_token_file); !path.empty()) {
    absl::StatusOr<std::unique_ptr<BearerTokens>> tokens =
        BearerTokens::Load(path);
    if (!tokens.ok()) {
      return absl::Status(
          tokens.status().code(),
          absl::StrCat("--grpc_token_file: ", tokens.status().message()));
    }
    config.tokens = *std::move(tokens);
  }
  return config;
}

}  // namespace ssecast
