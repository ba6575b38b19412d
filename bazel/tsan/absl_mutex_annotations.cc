// Makes absl::Mutex and absl::CondVar visible to ThreadSanitizer.
//
// Debian's Abseil is built without -fsanitize=thread, so its Mutex
// synchronizes through atomics and futexes that TSan never sees: every
// access guarded by an absl::Mutex looks like a data race. Under
// --config=tsan, Bazel links this library into every binary (as
// --custom_malloc, the one hook that reaches every cc_binary and cc_test).
// It defines the out-of-line members of Mutex and CondVar itself; the
// executable's definitions win over libabsl_synchronization.so's for every
// caller, Debian's other libraries included. Each one calls the library's
// own definition (found with dlsym(RTLD_NEXT)) wrapped in TSan's mutex
// annotations, the same ones Abseil emits when it is built for TSan.
//
// A wait (Await, CondVar::Wait) releases the mutex and takes it back
// inside the library; it is annotated as an unlock before and a lock
// around the wait. Conditions the library evaluates while it locks,
// unlocks or waits run with TSan's accesses ignored, as between any
// pre/post pair: they are not checked, and cannot be misreported.
//
// Also defines TSan's default options and the suppressions for code
// outside ssecast (tsan_suppressions.h).
//
// In any other build (no TSan) this file compiles to nothing.

#include "bazel/tsan/tsan_build.h"

#ifdef SSECAST_TSAN

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "bazel/tsan/real_absl_symbol.h"
#include "bazel/tsan/tsan_suppressions.h"

namespace {

// The mutexes this thread holds in reader mode, so that a wait on one of
// them is annotated as a reader unlock and relock.
thread_local std::vector<const void*> reader_held;

bool HeldAsReader(const void* mu) {
  return std::find(reader_held.begin(), reader_held.end(), mu) !=
         reader_held.end();
}
void ForgetReader(const void* mu) {
  auto it = std::find(reader_held.begin(), reader_held.end(), mu);
  if (it != reader_held.end()) reader_held.erase(it);
}

// Set while this thread is inside one of the definitions below. Some of
// the library's members call others through the PLT (AwaitWithTimeout
// calls AwaitWithDeadline), which lands here again: the inner call must
// not annotate a second time.
thread_local bool in_annotated_call = false;

class AnnotatedCall {
 public:
  AnnotatedCall() : outer_(!in_annotated_call) { in_annotated_call = true; }
  ~AnnotatedCall() {
    if (outer_) in_annotated_call = false;
  }
  AnnotatedCall(const AnnotatedCall&) = delete;
  AnnotatedCall& operator=(const AnnotatedCall&) = delete;
  // False for a call made from within another annotated call.
  bool outer() const { return outer_; }

 private:
  const bool outer_;
};

// TSan's flags for the two ways of holding a mutex.
constexpr unsigned kExclusive = 0;
constexpr unsigned kShared = __tsan_mutex_read_lock;

unsigned ModeOf(const void* mu) {
  return HeldAsReader(mu) ? kShared : kExclusive;
}

// The result of a call that may return void, kept until get().
template <typename R>
struct Result {
  R value;
  R get() { return value; }
};
template <>
struct Result<void> {
  void get() {}
};
template <typename Call>
auto ResultOf(Call call) {
  if constexpr (std::is_void_v<decltype(call())>) {
    call();
    return Result<void>{};
  } else {
    return Result<decltype(call())>{call()};
  }
}

// How a member of Mutex or CondVar is annotated around the library's own
// definition. Each is a callable that is given the real call (a callable
// of no arguments) and returns its result.

// A lock that always ends holding `mu` in `mode` (for the timed LockWhen
// forms too: they return holding the mutex, whatever they return).
auto Locking(absl::Mutex* mu, unsigned mode) {
  return [mu, mode](auto real_call) {
    __tsan_mutex_pre_lock(mu, mode);
    auto result = ResultOf(real_call);
    __tsan_mutex_post_lock(mu, mode, 0);
    if (mode == kShared) reader_held.push_back(mu);
    return result.get();
  };
}

// A try-lock, which returns whether it took `mu`.
auto TryLocking(absl::Mutex* mu, unsigned mode) {
  return [mu, mode](auto real_call) {
    const unsigned flags = mode | __tsan_mutex_try_lock;
    __tsan_mutex_pre_lock(mu, flags);
    const bool locked = real_call();
    __tsan_mutex_post_lock(
        mu, locked ? flags : flags | __tsan_mutex_try_lock_failed, 0);
    if (locked && mode == kShared) reader_held.push_back(mu);
    return locked;
  };
}

auto Unlocking(absl::Mutex* mu, unsigned mode) {
  return [mu, mode](auto real_call) {
    if (mode == kShared) ForgetReader(mu);
    __tsan_mutex_pre_unlock(mu, mode);
    real_call();
    __tsan_mutex_post_unlock(mu, mode);
  };
}

// A wait that releases `mu` and takes it back in the same mode. The
// library evaluates the wait's Condition on this thread while it holds the
// mutex again, before the wait returns; TSan does not know that, so from
// the release on this thread's accesses are ignored until the mutex is
// annotated as held again (pre_lock .. post_lock), as during a Lock().
auto Waiting(absl::Mutex* mu) {
  return [mu](auto real_call) {
    const unsigned mode = ModeOf(mu);
    __tsan_mutex_pre_unlock(mu, mode);
    __tsan_mutex_post_unlock(mu, mode);
    __tsan_mutex_pre_lock(mu, mode);
    auto result = ResultOf(real_call);
    __tsan_mutex_post_lock(mu, mode, 0);
    return result.get();
  };
}

// Calls the library's definition of kMember (mangled tail `rest`, see
// RealMember) with `args`, `this` first, annotated by `annotation` unless
// this call is made from within another annotated one.
template <auto kMember, typename Annotation, typename... Args>
auto Annotate(const char* rest, Annotation annotation, Args&&... args) {
  const auto real = ssecast::tsan::RealMember<kMember>(rest);
  AnnotatedCall call;
  auto real_call = [&] { return real(std::forward<Args>(args)...); };
  if (!call.outer()) return real_call();
  return annotation(real_call);
}

}  // namespace

extern "C" {
const char* __tsan_default_options() {
  // Reports go to stderr and make the process exit with 66 at the end;
  // tests see either. second_deadlock_stack shows both sides of a lock
  // order inversion.
  return "second_deadlock_stack=1:history_size=3";
}
const char* __tsan_default_suppressions() {
  return ssecast::tsan::kSuppressions;
}
}  // extern "C"

using ssecast::tsan::Real;

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  static auto real = Real<void (*)(Mutex*)>("5MutexD2Ev");
  __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  return Annotate<&Mutex::Lock>("5Mutex4LockEv", Locking(this, kExclusive),
                                this);
}

void Mutex::ReaderLock() {
  return Annotate<&Mutex::ReaderLock>("5Mutex10ReaderLockEv",
                                      Locking(this, kShared), this);
}

bool Mutex::TryLock() {
  return Annotate<&Mutex::TryLock>("5Mutex7TryLockEv",
                                   TryLocking(this, kExclusive), this);
}

bool Mutex::ReaderTryLock() {
  return Annotate<&Mutex::ReaderTryLock>("5Mutex13ReaderTryLockEv",
                                         TryLocking(this, kShared), this);
}

void Mutex::Unlock() {
  return Annotate<&Mutex::Unlock>("5Mutex6UnlockEv",
                                  Unlocking(this, kExclusive), this);
}

void Mutex::ReaderUnlock() {
  return Annotate<&Mutex::ReaderUnlock>("5Mutex12ReaderUnlockEv",
                                        Unlocking(this, kShared), this);
}

void Mutex::LockWhen(const Condition& cond) {
  return Annotate<&Mutex::LockWhen>("5Mutex8LockWhenERKNS0_9ConditionE",
                                    Locking(this, kExclusive), this, cond);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  return Annotate<&Mutex::ReaderLockWhen>(
      "5Mutex14ReaderLockWhenERKNS0_9ConditionE", Locking(this, kShared), this,
      cond);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  return Annotate<&Mutex::LockWhenWithTimeout>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
      Locking(this, kExclusive), this, cond, timeout);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  return Annotate<&Mutex::LockWhenWithDeadline>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
      Locking(this, kExclusive), this, cond, deadline);
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  return Annotate<&Mutex::ReaderLockWhenWithTimeout>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
      Locking(this, kShared), this, cond, timeout);
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  return Annotate<&Mutex::ReaderLockWhenWithDeadline>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
      Locking(this, kShared), this, cond, deadline);
}

void Mutex::Await(const Condition& cond) {
  return Annotate<&Mutex::Await>("5Mutex5AwaitERKNS0_9ConditionE",
                                 Waiting(this), this, cond);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  return Annotate<&Mutex::AwaitWithTimeout>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE", Waiting(this),
      this, cond, timeout);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  return Annotate<&Mutex::AwaitWithDeadline>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE", Waiting(this),
      this, cond, deadline);
}

void CondVar::Wait(Mutex* mu) {
  return Annotate<&CondVar::Wait>("7CondVar4WaitEPNS0_5MutexE", Waiting(mu),
                                  this, mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  return Annotate<&CondVar::WaitWithTimeout>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE", Waiting(mu), this,
      mu, timeout);
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  return Annotate<&CondVar::WaitWithDeadline>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE", Waiting(mu), this,
      mu, deadline);
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // SSECAST_TSAN
