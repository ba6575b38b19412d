// DeferredBroker: a Broker for tests that takes commands at once (Send
// answers with a position) but applies them to the sink only when the test
// calls Deliver(), as the Redis broker applies them on a stream read later.
// Positions are Position{kEpoch, 1, 2, ...}: kEpoch lies after any event
// log's own epoch (its start time), as a Redis id would. Thread-safe; the
// sink passed to Start() must outlive it.
#ifndef SSECAST_SERVER_BROKER_TESTING_DEFERRED_BROKER_H_
#define SSECAST_SERVER_BROKER_TESTING_DEFERRED_BROKER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/broker/broker.h"
#include "server/hub/position.h"

namespace ssecast {

class DeferredBroker final : public Broker {
 public:
  static constexpr uint64_t kEpoch = uint64_t{1} << 60;

  absl::Status Start(BrokerSink* sink) override {
    sink_ = sink;
    sink_->SetBrokerHealthy(true);
    return absl::OkStatus();
  }
  absl::StatusOr<Position> Send(const BrokerCommand& command) override {
    absl::MutexLock lock(&mu_);
    queued_.emplace_back(command, Position{kEpoch, ++sequence_});
    return queued_.back().second;
  }
  absl::StatusOr<std::vector<Position>> SendBatch(
      absl::Span<const BrokerCommand> commands) override {
    std::vector<Position> positions;
    for (const BrokerCommand& command : commands) {
      positions.push_back(*Send(command));
    }
    return positions;
  }
  absl::StatusOr<std::vector<std::string>> LoadGroups(
      const std::string&) override {
    return std::vector<std::string>();
  }
  void Stop() override {}

  // Waits up to `timeout` until `count` commands were sent and not yet
  // delivered; false if they were not.
  bool AwaitQueued(size_t count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto queued = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queued_.size() >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&queued), timeout);
  }

  // Applies every command sent so far, in order, on the calling thread.
  void Deliver() {
    std::vector<std::pair<BrokerCommand, Position>> queued;
    {
      absl::MutexLock lock(&mu_);
      queued.swap(queued_);
    }
    for (const auto& [command, position] : queued) {
      sink_->Apply(command, position);
    }
  }

 private:
  BrokerSink* sink_ = nullptr;
  absl::Mutex mu_;
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<BrokerCommand, Position>> queued_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_TESTING_DEFERRED_BROKER_H_
