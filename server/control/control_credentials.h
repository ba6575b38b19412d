// How the control plane authenticates its callers: bearer tokens checked
// on every call (except the gRPC health service, which load balancers and
// probes call without one), and TLS, optionally mutual.
//
// MakeControlCredentials() builds the grpc::ServerCredentials for one
// listening port from a ControlSecurity. Without tokens and TLS it is
// plaintext without authentication: the address must then stay private.
// Server reflection is an ordinary service here, so it needs a token like
// the Broadcaster does.
//
// The token check is TokenAuthProcessor, a grpc::AuthMetadataProcessor; it
// sees every call's metadata (":path" included) before any handler runs,
// and a call it refuses ends with UNAUTHENTICATED and its reason. gRPC's
// C++ plaintext credentials do not take a processor, so over plaintext the
// same processor is attached through gRPC's C API (see the .cc).
//
// Thread-safe: TokenAuthProcessor::Process may run on many gRPC threads;
// the tokens may be reloaded meanwhile (BearerTokens).
#ifndef SSECAST_SERVER_CONTROL_CONTROL_CREDENTIALS_H_
#define SSECAST_SERVER_CONTROL_CONTROL_CREDENTIALS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/control/bearer_tokens.h"

namespace ssecast {

// PEM files of the control plane's TLS.
struct ControlTlsFiles {
  std::string cert_file;  // the server's certificate chain
  std::string key_file;   // its private key
  // When set, clients must present a certificate signed by a CA in this
  // file (mutual TLS); when empty, client certificates are not asked for.
  std::string client_ca_file;
};

struct ControlSecurity {
  // Null: no token needed.
  std::shared_ptr<const BearerTokens> tokens;
  // Unset: plaintext.
  std::optional<ControlTlsFiles> tls;
};

// Refuses every call without `authorization: Bearer <token>` naming one of
// `tokens`, except calls of grpc.health.v1.Health.
class TokenAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenAuthProcessor(std::shared_ptr<const BearerTokens> tokens)
      : tokens_(std::move(tokens)) {}

  // Cheap and never blocks: run on the thread that read the metadata.
  bool IsBlocking() const override { return false; }

  // Uses only `auth_metadata`; `context` may be null.
  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const std::shared_ptr<const BearerTokens> tokens_;
};

// The credentials for the control plane's port. Reads the TLS files now;
// fails with their problem (NOT_FOUND, INVALID_ARGUMENT...) naming the file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeControlCredentials(
    const ControlSecurity& security);

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_CONTROL_CREDENTIALS_H_
