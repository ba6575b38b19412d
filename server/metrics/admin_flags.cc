#include "server/metrics/admin_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, admin_address, "127.0.0.1:9477",
          "Where Prometheus scrapes GET /metrics: HOST:PORT, apart from "
          "--http_address so that browsers cannot reach it. Port 0 picks a "
          "free port; empty turns the endpoint off.");

namespace ssecast {

std::string AdminAddressFromFlags() {
  return absl::GetFlag(FLAGS_admin_address);
}

}  // namespace ssecast
