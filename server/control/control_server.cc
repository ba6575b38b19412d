#include "server/control/control_server.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/base/host_port.h"

namespace ssecast {

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(
    const std::string& address, Hub* hub, const ControlServerOptions& options) {
  absl::StatusOr<HostPort> parsed =
      ParseHostPort(address, PortZero::kPicksFreePort);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("control plane address ", parsed.status().message()));
  }

  // Both are process-wide switches that gRPC reads when a server is built.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeControlCredentials(options.security);
  if (!credentials.ok()) return credentials.status();

  auto control =
      std::unique_ptr<ControlServer>(new ControlServer(hub, options));
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second ssecast
  // bind the same port without an error and receive part of the calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  int selected_port = 0;
  builder.AddListeningPort(address, *credentials, &selected_port);
  builder.RegisterService(&control->service_);
  control->server_ = builder.BuildAndStart();
  if (control->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for the control plane on ", address,
                     options.security.tls.has_value()
                         ? " (address in use, not local, or not permitted; or "
                           "the TLS certificate and key do not match)"
                         : " (address in use, not local, or not permitted)"));
  }
  control->bound_address_ = HostPort{parsed->host, selected_port}.ToString();
  control->SetServing(true);
  return control;
}

ControlServer::~ControlServer() { Shutdown(absl::ZeroDuration()); }

void ControlServer::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  health->SetServingStatus("", serving);
  health->SetServingStatus(v1::Broadcaster::service_full_name(), serving);
}

void ControlServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  // server_ is null only in a Start() that failed to bind.
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  // Health watchers hear NOT_SERVING before the server stops taking calls.
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

}  // namespace ssecast
