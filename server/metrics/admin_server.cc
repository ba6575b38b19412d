#include "server/metrics/admin_server.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace ssecast {
namespace {

// Scrapes are rare and short; two threads let one slow scraper not block
// another.
constexpr size_t kExposerThreads = 2;

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    const std::string& address, Metrics* metrics) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", address, "\" is not HOST:PORT (port 0 picks a free port)"));
  }
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
      std::move(exposer),
      absl::StrCat(address.substr(0, colon), ":", ports.front())));
}

AdminServer::AdminServer(std::unique_ptr<prometheus::Exposer> exposer,
                         std::string bound_address)
    : exposer_(std::move(exposer)), bound_address_(std::move(bound_address)) {}

AdminServer::~AdminServer() = default;

}  // namespace ssecast
