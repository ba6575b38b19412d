#include "testing/await_callback.h"

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast::test_support {
namespace {

using Callback = std::function<void(absl::StatusOr<std::string>)>;

TEST(AwaitCallbackTest, ReturnsWhatACallbackCalledAtOnceWasHanded) {
  EXPECT_THAT(AwaitCallback<std::string>(
                  [](Callback done) { done(std::string("answer")); }),
              IsOkAndHolds("answer"));
  EXPECT_THAT(AwaitCallback<std::string>(
                  [](Callback done) { done(absl::UnavailableError("down")); }),
              StatusIs(absl::StatusCode::kUnavailable, "down"));
}

TEST(AwaitCallbackTest, WaitsForACallbackOnAnotherThread) {
  std::optional<std::thread> thread;
  absl::StatusOr<std::string> answer =
      AwaitCallback<std::string>([&thread](Callback done) {
        thread.emplace([done] { done(std::string("late")); });
      });
  thread->join();
  EXPECT_THAT(answer, IsOkAndHolds("late"));
}

TEST(AwaitCallbackTest, GivesUpAfterTheTimeout) {
  Callback kept;
  EXPECT_THAT(
      AwaitCallback<std::string>([&kept](Callback done) { kept = done; },
                                 absl::Milliseconds(10)),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               "the callback was not called within 10ms"));
  // The awaiter is gone; a late answer is dropped.
  kept(std::string("too late"));
}

TEST(CallbackAwaiterTest, AwaitCalledTellsWhetherTheCallbackCame) {
  CallbackAwaiter<std::string> awaiter;
  Callback done = awaiter.Callback();
  EXPECT_FALSE(awaiter.AwaitCalled(absl::Milliseconds(10)));
  std::thread thread([done] { done(std::string("now")); });
  EXPECT_TRUE(awaiter.AwaitCalled(kAwaitCallbackTimeout));
  thread.join();
  EXPECT_THAT(awaiter.Await(absl::ZeroDuration()), IsOkAndHolds("now"));
}

}  // namespace
}  // namespace ssecast::test_support
