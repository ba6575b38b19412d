#ifndef SSECAST_SERVER_BROKER_BROKER_MEMORY_H_
#define SSECAST_SERVER_BROKER_BROKER_MEMORY_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/broker/broker.h"

namespace ssecast {

// The broker of a single node: Send() applies the command to this node's
// sink at once, in the order of the calls. Positions are {epoch, n} with
// the epoch taken from the clock at construction, so positions of an
// earlier run of the process compare lower. Thread-safe.
class BrokerMemory : public Broker {
 public:
  BrokerMemory();

  absl::Status Start(BrokerSink* sink) override;
  absl::StatusOr<Position> Send(const BrokerCommand& command) override;
  absl::StatusOr<std::vector<Position>> SendBatch(
      absl::Span<const BrokerCommand> commands) override;
  absl::StatusOr<std::vector<std::string>> LoadGroups(
      const std::string& client_id) override;
  void Stop() override;

 private:
  const uint64_t epoch_;
  // Held across Apply(), which serializes the calls as Broker promises.
  absl::Mutex mu_;
  BrokerSink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_BROKER_MEMORY_H_
