#include "server/broker/broker_memory.h"

#include "absl/time/clock.h"

namespace ssecast {

BrokerMemory::BrokerMemory()
    : epoch_(static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()))) {}

absl::Status BrokerMemory::Start(BrokerSink* sink) {
  absl::MutexLock lock(&mu_);
  sink_ = sink;
  sink_->StartHistory(Position{epoch_, 0});
  sink_->SetBrokerHealthy(true);
  return absl::OkStatus();
}

absl::StatusOr<Position> BrokerMemory::Send(const BrokerCommand& command) {
  absl::MutexLock lock(&mu_);
  if (sink_ == nullptr) {
    return absl::FailedPreconditionError("the broker is not running");
  }
  const Position position{epoch_, ++last_sequence_};
  sink_->Apply(command, position);
  return position;
}

absl::StatusOr<std::vector<Position>> BrokerMemory::SendBatch(
    absl::Span<const BrokerCommand> commands) {
  absl::MutexLock lock(&mu_);
  if (sink_ == nullptr) {
    return absl::FailedPreconditionError("the broker is not running");
  }
  std::vector<Position> positions;
  positions.reserve(commands.size());
  for (const BrokerCommand& command : commands) {
    positions.push_back(Position{epoch_, ++last_sequence_});
    sink_->Apply(command, positions.back());
  }
  return positions;
}

absl::StatusOr<std::vector<std::string>> BrokerMemory::LoadGroups(
    const std::string&) {
  return std::vector<std::string>();
}

void BrokerMemory::Stop() {
  absl::MutexLock lock(&mu_);
  sink_ = nullptr;
}

}  // namespace ssecast
