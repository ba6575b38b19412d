#ifndef SSECAST_SERVER_METRICS_ADMIN_SERVER_H_
#define SSECAST_SERVER_METRICS_ADMIN_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/metrics/metrics.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace ssecast {

// The admin HTTP endpoint, apart from the public one: GET /metrics answers
// the Prometheus text format for `metrics`, through prometheus-cpp's
// Exposer (civetweb, on threads of its own). Everything else is 404.
//
// `metrics` must outlive the server. Destroying it stops serving (and
// waits for a scrape in progress). Thread-compatible: one owner.
class AdminServer {
 public:
  // Binds `address` (HOST:PORT; port 0 picks a free one) and serves.
  // INVALID_ARGUMENT for a malformed address, UNAVAILABLE when it cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(
      const std::string& address, Metrics* metrics);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The address as given, with the bound port.
  const std::string& bound_address() const { return bound_address_; }

 private:
  AdminServer(std::unique_ptr<prometheus::Exposer> exposer,
              std::string bound_address);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string bound_address_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_METRICS_ADMIN_SERVER_H_
