// Blocks signals so that one thread of the program takes them with
// sigwait() instead of their default action (for a server: SIGTERM ends it
// through its own shutdown path, not by killing it).
#ifndef SSECAST_SERVER_BASE_SIGNALS_FOR_SIGWAIT_H_
#define SSECAST_SERVER_BASE_SIGNALS_FOR_SIGWAIT_H_

#include <signal.h>

#include <initializer_list>

#include "absl/status/statusor.h"

namespace ssecast {

// Blocks `signals` in the calling thread, and so in every thread it starts
// afterwards, and returns them as the set to pass to sigwait(). Call it
// before starting any thread, or a thread started earlier may still get
// them. INTERNAL naming pthread_sigmask when the mask cannot be set.
absl::StatusOr<sigset_t> BlockForSigwait(std::initializer_list<int> signals);

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_SIGNALS_FOR_SIGWAIT_H_
