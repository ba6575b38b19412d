#ifndef SSECAST_SERVER_CONTROL_COMMAND_GATE_H_
#define SSECAST_SERVER_CONTROL_COMMAND_GATE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ssecast {

// Lets control-plane commands that change state (publishes, disconnects,
// group and reconnect-interval changes) into the node until Close(); after
// that each is refused with UNAVAILABLE, so that a backend retries it on
// another node. Close() waits for the commands already let in, so that once
// it returns, everything the node acknowledged has gone to the broker, and
// nothing more will be acknowledged.
//
// Thread-safe. A Pass must not outlive the gate.
class CommandGate {
 public:
  // Held for the whole of one command; the gate counts it until destroyed.
  class Pass {
   public:
    Pass(Pass&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Pass& operator=(Pass&&) = delete;
    Pass(const Pass&) = delete;
    ~Pass();

   private:
    friend class CommandGate;
    explicit Pass(CommandGate* gate) : gate_(gate) {}
    CommandGate* gate_;
  };

  // A pass while the gate is open; UNAVAILABLE saying the node is shutting
  // down once it is closed.
  absl::StatusOr<Pass> Enter();

  // Refuses every later Enter() and waits, up to `timeout`, until every pass
  // handed out is destroyed. Returns whether they all were.
  bool Close(absl::Duration timeout);

  bool closed() const;

 private:
  void Leave();

  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t inside_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_COMMAND_GATE_H_
