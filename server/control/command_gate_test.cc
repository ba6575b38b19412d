#include "server/control/command_gate.h"

#include <atomic>
#include <optional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(CommandGateTest, OpenUntilClosedThenUnavailable) {
  CommandGate gate;
  {
    absl::StatusOr<CommandGate::Pass> pass = gate.Enter();
    EXPECT_OK(pass);
  }
  EXPECT_FALSE(gate.closed());
  EXPECT_TRUE(gate.Close(absl::Seconds(1)));
  EXPECT_TRUE(gate.closed());
  absl::StatusOr<CommandGate::Pass> refused = gate.Enter();
  ASSERT_THAT(
      refused,
      StatusIs(absl::StatusCode::kUnavailable,
               "this ssecast node is shutting down and takes no more commands; "
               "send it to another node"));
}

TEST(CommandGateTest, CloseWaitsForCommandsLetIn) {
  CommandGate gate;
  std::optional<absl::StatusOr<CommandGate::Pass>> pass(gate.Enter());
  ASSERT_OK(*pass);
  std::atomic<bool> closed{false};
  absl::Notification entered_close;
  std::thread closer([&] {
    entered_close.Notify();
    EXPECT_TRUE(gate.Close(absl::Seconds(60)));
    closed.store(true);
  });
  entered_close.WaitForNotification();
  // The closer is blocked on the pass; new commands are refused meanwhile.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!gate.closed() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_THAT(gate.Enter(), StatusIs(absl::StatusCode::kUnavailable));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(closed.load()) << "Close() returned with a command inside";
  pass.reset();
  closer.join();
  EXPECT_TRUE(closed.load());
}

TEST(CommandGateTest, CloseGivesUpAfterItsTimeout) {
  CommandGate gate;
  absl::StatusOr<CommandGate::Pass> pass = gate.Enter();
  ASSERT_OK(pass);
  EXPECT_FALSE(gate.Close(absl::Milliseconds(10)));
}

}  // namespace
}  // namespace ssecast
