#include "tests/poll_until.h"

#include "absl/strings/str_cat.h"

namespace ssecast::test_support {
namespace {

// Short enough to keep tests quick, long enough not to busy-spin a loaded
// 2-core machine.
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

}  // namespace

absl::Status PollUntil(absl::string_view what, absl::Duration timeout,
                       const std::function<absl::Status()>& attempt) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::Status last = attempt();
    if (last.ok()) return last;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                       " waiting for ", what, "; last seen: ", last.message()));
    }
    absl::SleepFor(kPollInterval);
  }
}

}  // namespace ssecast::test_support
