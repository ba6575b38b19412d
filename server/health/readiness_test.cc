#include "server/health/readiness.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/health/periodic_probe.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ReadinessTest, ReadyWithoutFailingChecks) {
  Readiness readiness;
  EXPECT_THAT(readiness.NotReadyReasons(), IsEmpty());
  readiness.AddCheck([] { return absl::OkStatus(); });
  EXPECT_THAT(readiness.NotReadyReasons(), IsEmpty());
}

TEST(ReadinessTest, EveryFailingCheckGivesItsReason) {
  Readiness readiness;
  bool store_up = false;
  readiness.AddCheck([&] {
    return store_up ? absl::OkStatus()
                    : absl::UnavailableError("store: redis is down");
  });
  readiness.AddCheck([] { return absl::OkStatus(); });
  readiness.AddCheck([] { return absl::UnavailableError("at the cap"); });
  EXPECT_THAT(readiness.NotReadyReasons(),
              ElementsAre("store: redis is down", "at the cap"));
  store_up = true;
  EXPECT_THAT(readiness.NotReadyReasons(), ElementsAre("at the cap"));
}

TEST(ReadinessTest, DrainingIsForGood) {
  Readiness readiness;
  EXPECT_FALSE(readiness.draining());
  readiness.StartDraining();
  EXPECT_TRUE(readiness.draining());
  EXPECT_THAT(readiness.NotReadyReasons(),
              ElementsAre("draining: the node is shutting down"));
}

TEST(PeriodicProbeTest, KeepsTheLatestResult) {
  std::atomic<bool> up{false};
  std::atomic<int> runs{0};
  PeriodicProbe probe(
      [&] {
        ++runs;
        return up.load() ? absl::OkStatus() : absl::UnavailableError("down");
      },
      absl::Milliseconds(5));
  EXPECT_GE(runs.load(), 1) << "the constructor probes once";
  EXPECT_EQ(probe.last().message(), "down");
  up.store(true);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!probe.last().ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_OK(probe.last());
}

TEST(PeriodicProbeTest, ASlowProbeDoesNotBlockLast) {
  absl::Notification release;
  std::atomic<int> runs{0};
  PeriodicProbe probe(
      [&] {
        if (++runs > 1) release.WaitForNotification();
        return absl::OkStatus();
      },
      absl::Milliseconds(1));
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (runs.load() < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_GE(runs.load(), 2);
  // The second probe hangs; last() answers anyway.
  EXPECT_OK(probe.last());
  release.Notify();
}

}  // namespace
}  // namespace ssecast
