// RunningHub, the Hub most tests need: a Hub with the in-memory broker,
// started, and the in-memory no-reconnect store (or a store the test
// brings). The tests of the hub itself, of the stream writers and of the
// control plane share it. The destructor stops the broker before the Hub
// goes; declare a RunningHub before anything that uses its Hub (servers,
// writers), so that those are destroyed first. A store passed in must
// outlive the RunningHub. Thread-safe as the Hub.
#ifndef SSECAST_SERVER_BROKER_TESTING_RUNNING_HUB_H_
#define SSECAST_SERVER_BROKER_TESTING_RUNNING_HUB_H_

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/broker/broker_memory.h"
#include "server/hub/hub.h"
#include "server/store/no_reconnect_store.h"
#include "server/store/no_reconnect_store_memory.h"
#include "testing/status_assertions.h"

namespace ssecast {

struct RunningHub {
  explicit RunningHub(const HubOptions& options = HubOptions(),
                      NoReconnectStore* other_store = nullptr)
      : hub(options, other_store != nullptr ? other_store : &store, &broker) {
    EXPECT_OK(broker.Start(&hub));
  }
  ~RunningHub() { broker.Stop(); }

  RunningHub(const RunningHub&) = delete;
  RunningHub& operator=(const RunningHub&) = delete;

  // Unused when the test brought a store of its own.
  NoReconnectStoreMemory store{absl::Hours(1)};
  BrokerMemory broker;
  Hub hub;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_TESTING_RUNNING_HUB_H_
