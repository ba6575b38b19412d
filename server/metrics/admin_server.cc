#include "server/metrics/admin_server.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "server/base/host_port.h"

namespace ssecast {
namespace {

// Scrapes are rare and short; two threads let one slow scraper not block
// another.
constexpr size_t kExposerThreads = 2;

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    const std::string& address, Metrics* metrics) {
  absl::StatusOr<HostPort> parsed =
      ParseHostPort(address, PortZero::kPicksFreePort);
  if (!parsed.ok()) return parsed.status();
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(address, kExposerThreads);
  } catch (const std::exception& error) {
    // civetweb says only that it has no context; binding is what fails.
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     " (in use, or not an address here): ", error.what()));
  }
  exposer->RegisterCollectable(metrics->collectable());
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("no port bound for ", address));
  }
  return std::unique_ptr<AdminServer>(new AdminServer(
      std::move(exposer), HostPort{parsed->host, ports.front()}.ToString()));
}

AdminServer::AdminServer(std::unique_ptr<prometheus::Exposer> exposer,
                         std::string bound_address)
    : exposer_(std::move(exposer)), bound_address_(std::move(bound_address)) {}

AdminServer::~AdminServer() = default;

}  // namespace ssecast
