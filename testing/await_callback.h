// CallbackAwaiter and AwaitCallback, for tests of asynchronous calls that
// answer an absl::StatusOr<T> through a callback (Broker::SendAsync,
// Hub::PublishAsync): the test hands the call a callback and waits, up to a
// deadline, for what it is handed, however late and on whichever thread.
//
// The hand-off goes through an absl::Mutex, not an absl::Notification, so
// that ThreadSanitizer sees it (bazel/tsan/ annotates absl::Mutex only).
// The callback owns a share of the awaiter's state: a call that comes after
// the test gave up and the awaiter is gone is harmless.
//
// Thread-safe: the callback may run on any thread, while Await runs on the
// test's.
#ifndef SSECAST_TESTING_AWAIT_CALLBACK_H_
#define SSECAST_TESTING_AWAIT_CALLBACK_H_

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ssecast::test_support {

// Generous: the machine running the tests may be busy.
inline constexpr absl::Duration kAwaitCallbackTimeout = absl::Seconds(60);

template <typename T>
class CallbackAwaiter {
 public:
  // The callback to hand the asynchronous call, to be called once.
  std::function<void(absl::StatusOr<T>)> Callback() const {
    return [shared = state_](absl::StatusOr<T> value) {
      State& state = *shared;
      absl::MutexLock lock(&state.mu);
      state.value = std::move(value);
    };
  }

  // Whether the callback has been called, waiting up to `timeout` for it.
  bool AwaitCalled(absl::Duration timeout) {
    State& state = *state_;
    absl::MutexLock lock(&state.mu);
    return state.mu.AwaitWithTimeout(absl::Condition(&state, &State::called),
                                     timeout);
  }

  // What the callback was handed, waiting up to `timeout` for it;
  // DEADLINE_EXCEEDED when it was not called in time. Takes the value:
  // call it once.
  absl::StatusOr<T> Await(absl::Duration timeout = kAwaitCallbackTimeout) {
    State& state = *state_;
    absl::MutexLock lock(&state.mu);
    if (!state.mu.AwaitWithTimeout(absl::Condition(&state, &State::called),
                                   timeout)) {
      return absl::DeadlineExceededError(
          absl::StrCat("the callback was not called within ",
                       absl::FormatDuration(timeout)));
    }
    return *std::move(state.value);
  }

 private:
  struct State {
    bool called() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return value.has_value();
    }

    absl::Mutex mu;
    std::optional<absl::StatusOr<T>> value ABSL_GUARDED_BY(mu);
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Calls `start` with a callback (a CallbackAwaiter<T>'s) and returns what
// the callback is handed, or DEADLINE_EXCEEDED when it is not called within
// `timeout`. For example:
//   absl::StatusOr<Position> sent = AwaitCallback<Position>(
//       [&](auto done) { broker.SendAsync(command, std::move(done)); });
template <typename T, typename Start>
absl::StatusOr<T> AwaitCallback(
    Start&& start, absl::Duration timeout = kAwaitCallbackTimeout) {
  CallbackAwaiter<T> awaiter;
  std::forward<Start>(start)(awaiter.Callback());
  return awaiter.Await(timeout);
}

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTING_AWAIT_CALLBACK_H_
