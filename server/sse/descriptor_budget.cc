#include "server/sse/descriptor_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace ssecast {

std::string DescriptorBudget::ToString() const {
  return absl::StrCat("RLIMIT_NOFILE ", limit, ": up to ", max_connections,
                      " browser connections, ", reserve,
                      " descriptors reserved for gRPC, Redis and files");
}

absl::StatusOr<uint64_t> RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) {
    // The kernel refuses more than nr_open descriptors per process.
    uint64_t nr_open = 1 << 20;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    target = static_cast<rlim_t>(nr_open);
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY
             ? static_cast<uint64_t>(target)
             : static_cast<uint64_t>(limit.rlim_cur);
}

absl::StatusOr<DescriptorBudget> PlanDescriptors(uint64_t limit,
                                                 uint64_t max_connections,
                                                 uint64_t fd_reserve) {
  DescriptorBudget budget;
  budget.limit = limit;
  budget.reserve =
      fd_reserve != 0 ? fd_reserve : std::max<uint64_t>(256, limit / 10);
  if (budget.reserve < kMinDescriptorReserve) {
    return absl::InvalidArgumentError(
        absl::StrCat("--fd_reserve=", budget.reserve, " is below the minimum ",
                     kMinDescriptorReserve));
  }
  if (budget.reserve >= limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RLIMIT_NOFILE is ", limit,
        ", which leaves no descriptors for "
        "browsers after reserving ",
        budget.reserve,
        " (--fd_reserve); raise the limit (ulimit -n) or lower the reserve"));
  }
  const uint64_t room = limit - budget.reserve;
  if (max_connections > room) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_connections=", max_connections, " exceeds the ", room,
        " descriptors RLIMIT_NOFILE (", limit, ") leaves after reserving ",
        budget.reserve, " (--fd_reserve)"));
  }
  budget.max_connections = max_connections != 0 ? max_connections : room;
  return budget;
}

}  // namespace ssecast
