// RunningHub, for tests of the control plane: a Hub with an in-memory
// no-reconnect store and broker, the broker started. The destructor stops
// the broker before the Hub goes. Declare it before any server that uses
// the Hub, so that the server is destroyed first. Thread-safe as the Hub.
#ifndef SSECAST_SERVER_CONTROL_TESTING_RUNNING_HUB_H_
#define SSECAST_SERVER_CONTROL_TESTING_RUNNING_HUB_H_

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/broker/broker_memory.h"
#include "server/hub/hub.h"
#include "server/store/no_reconnect_store_memory.h"
#include "testing/status_assertions.h"

namespace ssecast {

struct RunningHub {
  explicit RunningHub(const HubOptions& options = HubOptions())
      : hub(options, &store, &broker) {
    EXPECT_OK(broker.Start(&hub));
  }
  ~RunningHub() { broker.Stop(); }

  RunningHub(const RunningHub&) = delete;
  RunningHub& operator=(const RunningHub&) = delete;

  NoReconnectStoreMemory store{absl::Hours(1)};
  BrokerMemory broker;
  Hub hub;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_TESTING_RUNNING_HUB_H_
