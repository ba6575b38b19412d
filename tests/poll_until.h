// PollUntil: waits for a condition that something else (the server, the
// kernel) makes true, by asking again every few milliseconds until a
// deadline. Tests use it instead of fixed sleeps, so they are as fast as the
// machine allows and still pass on a loaded one.
//
// Thread-safe as far as `attempt` is.
#ifndef SSECAST_TESTS_POLL_UNTIL_H_
#define SSECAST_TESTS_POLL_UNTIL_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ssecast::test_support {

// Calls `attempt` until it returns OK, or until `timeout` has passed. An
// error from `attempt` means "not yet" and should say what it saw; the
// DEADLINE_EXCEEDED returned on timeout names `what` and carries the last
// such message.
absl::Status PollUntil(absl::string_view what, absl::Duration timeout,
                       const std::function<absl::Status()>& attempt);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_POLL_UNTIL_H_
