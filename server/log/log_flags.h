#ifndef SSECAST_SERVER_LOG_LOG_FLAGS_H_
#define SSECAST_SERVER_LOG_LOG_FLAGS_H_

#include "absl/status/status.h"

namespace ssecast {

// Reads --log_level and --log_format and configures the log (log.h) with
// them. INVALID_ARGUMENT naming the flag for a bad value, leaving the log
// as it was. Call once at start, before other threads log.
absl::Status ApplyLogFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_LOG_LOG_FLAGS_H_
