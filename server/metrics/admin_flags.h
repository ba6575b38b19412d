#ifndef SSECAST_SERVER_METRICS_ADMIN_FLAGS_H_
#define SSECAST_SERVER_METRICS_ADMIN_FLAGS_H_

#include <string>

namespace ssecast {

// --admin_address: where the admin endpoint (GET /metrics) listens;
// empty when it is turned off.
std::string AdminAddressFromFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_METRICS_ADMIN_FLAGS_H_
