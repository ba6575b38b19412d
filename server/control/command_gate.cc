#include "server/control/command_gate.h"

namespace ssecast {

CommandGate::Pass::~Pass() {
  if (gate_ != nullptr) gate_->Leave();
}

absl::StatusOr<CommandGate::Pass> CommandGate::Enter() {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    return absl::UnavailableError(
        "this ssecast node is shutting down and takes no more commands; send "
        "it to another node");
  }
  ++inside_;
  return Pass(this);
}

void CommandGate::Leave() {
  absl::MutexLock lock(&mu_);
  --inside_;
}

bool CommandGate::Close(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  auto empty = [this]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inside_ == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&empty), timeout);
}

bool CommandGate::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

}  // namespace ssecast
