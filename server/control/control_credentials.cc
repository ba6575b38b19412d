#include "server/control/control_credentials.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpc/grpc.h"
#include "grpc/grpc_security.h"
#include "grpc/slice.h"

namespace ssecast {
namespace {

constexpr absl::string_view kHealthPrefix = "/grpc.health.v1.Health/";
constexpr absl::string_view kBearer = "Bearer ";

grpc::Status Unauthenticated(absl::string_view why) {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(why));
}

absl::string_view FromRef(grpc::string_ref ref) {
  return absl::string_view(ref.data(), ref.size());
}

absl::string_view FromSlice(const grpc_slice& slice) {
  return absl::string_view(
      reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
      GRPC_SLICE_LENGTH(slice));
}

// The whole file, which must hold a PEM block of `kind` ("CERTIFICATE",
// "PRIVATE KEY").
absl::StatusOr<std::string> ReadPem(const std::string& path,
                                    absl::string_view flag,
                                    absl::string_view kind) {
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat(flag, ": cannot open ", path));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat(flag, ": cannot read ", path));
  }
  std::string pem = std::move(contents).str();
  if (!absl::StrContains(pem, "-----BEGIN ") ||
      !absl::StrContains(pem, absl::StrCat(kind, "-----"))) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " holds no PEM ", kind,
                     " (-----BEGIN ... ", kind, "-----)"));
  }
  return pem;
}

// Holds the processor for gRPC's C core, which frees it with the
// credentials (possibly after the C++ objects are gone).
struct CoreProcessorState {
  std::shared_ptr<grpc::AuthMetadataProcessor> processor;
};

void ProcessInCore(void* state, grpc_auth_context* /*context*/,
                   const grpc_metadata* md, size_t num_md,
                   grpc_process_auth_metadata_done_cb done, void* user_data) {
  grpc::AuthMetadataProcessor::InputMetadata metadata;
  for (size_t i = 0; i < num_md; ++i) {
    const absl::string_view key = FromSlice(md[i].key);
    const absl::string_view value = FromSlice(md[i].value);
    metadata.emplace(grpc::string_ref(key.data(), key.size()),
                     grpc::string_ref(value.data(), value.size()));
  }
  grpc::AuthMetadataProcessor::OutputMetadata consumed;
  grpc::AuthMetadataProcessor::OutputMetadata response;
  const grpc::Status status =
      static_cast<CoreProcessorState*>(state)->processor->Process(
          metadata, nullptr, &consumed, &response);
  done(user_data, nullptr, 0, nullptr, 0,
       static_cast<grpc_status_code>(status.error_code()),
       status.ok() ? nullptr : status.error_message().c_str());
}

void DestroyInCore(void* state) {
  delete static_cast<CoreProcessorState*>(state);
}

// Plaintext credentials that run an AuthMetadataProcessor. gRPC's own
// InsecureServerCredentials() refuses a processor (it aborts), while its
// C core runs one on plaintext ports as on TLS ones; this class adds the
// port through the C API with such credentials. It overrides the
// (private virtual) hook through which grpc::Server adds a port, as gRPC's
// own credential classes do.
class PlaintextWithProcessor final : public grpc::ServerCredentials {
 public:
  PlaintextWithProcessor()
      : credentials_(grpc_insecure_server_credentials_create()) {}
  ~PlaintextWithProcessor() override {
    grpc_server_credentials_release(credentials_);
  }

  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor>& processor) override {
    grpc_auth_metadata_processor core_processor;
    core_processor.process = &ProcessInCore;
    core_processor.destroy = &DestroyInCore;
    core_processor.state = new CoreProcessorState{processor};
    grpc_server_credentials_set_auth_metadata_processor(credentials_,
                                                        core_processor);
  }

 private:
  int AddPortToServer(const std::string& address,
                      grpc_server* server) override {
    return grpc_server_add_http2_port(server, address.c_str(), credentials_);
  }

  grpc_server_credentials* const credentials_;
};

}  // namespace

grpc::Status TokenAuthProcessor::Process(
    const InputMetadata& auth_metadata, grpc::AuthContext* /*context*/,
    OutputMetadata* /*consumed_auth_metadata*/,
    OutputMetadata* /*response_metadata*/) {
  const auto path = auth_metadata.find(":path");
  if (path != auth_metadata.end() &&
      absl::StartsWith(FromRef(path->second), kHealthPrefix)) {
    return grpc::Status::OK;
  }
  const auto authorization = auth_metadata.find("authorization");
  if (authorization == auth_metadata.end()) {
    return Unauthenticated(
        "this ssecast control plane needs a bearer token: send the "
        "metadata \"authorization: Bearer <token>\" with a token from its "
        "--grpc_token_file");
  }
  absl::string_view value = FromRef(authorization->second);
  if (!absl::StartsWith(value, kBearer)) {
    return Unauthenticated(
        "the authorization metadata is not \"Bearer <token>\"");
  }
  value.remove_prefix(kBearer.size());
  if (!tokens_->Accepts(value)) {
    return Unauthenticated(
        "the bearer token is not one of the control plane's tokens "
        "(--grpc_token_file)");
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeControlCredentials(
    const ControlSecurity& security) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (security.tls.has_value()) {
    const ControlTlsFiles& files = *security.tls;
    absl::StatusOr<std::string> cert =
        ReadPem(files.cert_file, "--grpc_tls_cert", "CERTIFICATE");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key =
        ReadPem(files.key_file, "--grpc_tls_key", "PRIVATE KEY");
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions options(
        GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    if (!files.client_ca_file.empty()) {
      absl::StatusOr<std::string> ca =
          ReadPem(files.client_ca_file, "--grpc_tls_client_ca", "CERTIFICATE");
      if (!ca.ok()) return ca.status();
      options.pem_root_certs = *std::move(ca);
      options.client_certificate_request =
          GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    options.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
    credentials = grpc::SslServerCredentials(options);
  } else if (security.tokens != nullptr) {
    credentials = std::make_shared<PlaintextWithProcessor>();
  } else {
    return grpc::InsecureServerCredentials();
  }
  if (security.tokens != nullptr) {
    credentials->SetAuthMetadataProcessor(
        std::make_shared<TokenAuthProcessor>(security.tokens));
  }
  return credentials;
}

}  // namespace ssecast
