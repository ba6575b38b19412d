#ifndef SSECAST_SERVER_SSE_DESCRIPTOR_BUDGET_H_
#define SSECAST_SERVER_SSE_DESCRIPTOR_BUDGET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ssecast {

// How the process's file descriptors are shared: browser connections get
// at most `max_connections`; the rest of the limit stays for gRPC (whose
// listener in Debian's 1.51 stops accepting for good after one EMFILE; see
// README, "Limits of the HTTP front"), Redis, files and the short-lived sockets
// that carry over-cap refusals. A plain value; PlanDescriptors() makes one.
struct DescriptorBudget {
  uint64_t limit = 0;    // RLIMIT_NOFILE after raising it
  uint64_t reserve = 0;  // descriptors browsers may not use
  uint64_t max_connections = 0;

  std::string ToString() const;
};

// The fewest descriptors that must stay out of browsers' reach.
inline constexpr uint64_t kMinDescriptorReserve = 128;

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at the kernel's
// nr_open) and returns the resulting soft limit.
absl::StatusOr<uint64_t> RaiseDescriptorLimit();

// Splits `limit` between browsers and the rest. `fd_reserve` 0 derives the
// reserve: the larger of 256 and a tenth of the limit. `max_connections` 0
// takes everything that is left; a larger explicit value than what is left
// is an error, as is a reserve below kMinDescriptorReserve or one that
// leaves browsers nothing.
absl::StatusOr<DescriptorBudget> PlanDescriptors(uint64_t limit,
                                                 uint64_t max_connections,
                                                 uint64_t fd_reserve);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_DESCRIPTOR_BUDGET_H_
