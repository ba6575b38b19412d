#ifndef SSECAST_SERVER_BROKER_BROKER_REDIS_H_
#define SSECAST_SERVER_BROKER_BROKER_REDIS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/broker/broker.h"

namespace ssecast {

// The broker of a service of several nodes sharing one Redis. Every command
// is appended to one Redis Stream (XADD, trimmed to about `history_size`
// entries); every node reads that stream on a thread of its own and
// applies each entry in stream order, so all nodes see the same commands in
// the same order, and a command's position is its stream entry id
// ("<ms>-<seq>"). The stream doubles as the shared history: on Start() a
// node replays the newest `history_size` publishes into its log, so a
// client can resume with Last-Event-ID on any node.
//
// Group memberships are also kept in one Redis set per client (expiring
// `group_retention` after the last change), so a node learns the groups of
// a client it has never seen from LoadGroups().
//
// When Redis goes away, Send() and LoadGroups() fail with UNAVAILABLE (the
// caller decides; nothing is queued or dropped silently), the reader
// reports the fault to the sink (SetBrokerHealthy(false)), reconnects with
// backoff and resumes after the last entry it applied, then reports
// healthy again. Thread-safe.
class BrokerRedis : public Broker {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;  // AUTH on every connect; empty for none
    std::string key_prefix = "ssecast:";
    size_t history_size = 10000;
    absl::Duration group_retention = absl::Hours(1);
    // Bounds connecting and each command.
    absl::Duration timeout = absl::Seconds(2);
    // Reconnect backoff of the reader: doubles from min to max.
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
  };

  // Checks options and connects, so that an unreachable Redis fails at
  // start-up with UNAVAILABLE naming the address.
  static absl::StatusOr<std::unique_ptr<BrokerRedis>> Create(Options options);

  ~BrokerRedis() override;

  absl::Status Start(BrokerSink* sink) override;
  absl::StatusOr<Position> Send(const BrokerCommand& command) override;
  absl::StatusOr<std::vector<std::string>> LoadGroups(
      const std::string& client_id) override;
  void Stop() override;

 private:
  class Impl;
  explicit BrokerRedis(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_BROKER_REDIS_H_
