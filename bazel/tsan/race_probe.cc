// A child process for absl_mutex_annotations_test: two threads hand data
// to each other in the way named by argv[1], and the process exits 0.
// Under TSan every way but "unsynchronized" is race-free only if TSan sees
// absl::Mutex; "unsynchronized" is a real race TSan must report.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "bazel/tsan/hand_off.h"

namespace {

absl::Mutex mu;
absl::CondVar cond_var;
// Plain (not atomic, not guarded by annotation) so that only the mutex
// orders the accesses.
int data = 0;
bool ready = false;

void Lock() {
  std::thread writer([] {
    absl::MutexLock lock(&mu);
    data = 1;
  });
  {
    absl::MutexLock lock(&mu);
    data = 2;
  }
  writer.join();
}

void ReaderLock() {
  std::thread writer([] {
    absl::MutexLock lock(&mu);
    data = 1;
  });
  int seen;
  {
    absl::ReaderMutexLock lock(&mu);
    seen = data;
  }
  writer.join();
  std::printf("%d\n", seen);
}

// Starts a thread that writes `data` and sets `ready` under `mu`, then
// signals `cond_var`.
std::thread StartReadyWriter() {
  return std::thread([] {
    absl::MutexLock lock(&mu);
    data = 1;
    ready = true;
    cond_var.Signal();
  });
}

void Await() {
  std::thread writer = StartReadyWriter();
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&ready));
  }
  data = 2;  // After the writer's write, ordered by the Await.
  writer.join();
}

// AwaitWithTimeout reaches the library's AwaitWithDeadline through the
// PLT, that is through the annotations again.
void AwaitWithTimeout() {
  std::thread writer = StartReadyWriter();
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&ready), absl::Hours(1));
  }
  data = 2;
  writer.join();
}

void CondVarWait() {
  std::thread writer = StartReadyWriter();
  {
    absl::MutexLock lock(&mu);
    while (!ready) cond_var.Wait(&mu);
  }
  data = 2;
  writer.join();
}

// A relaxed atomic orders nothing, like synchronization TSan cannot see;
// with `annotated`, hand_off.h tells TSan about the hand-off.
void RelaxedFlag(bool annotated) {
  std::atomic<bool> flag{false};
  std::thread writer([&] {
    data = 1;
    if (annotated) ssecast::tsan::HandOff(&data);
    flag.store(true, std::memory_order_relaxed);
  });
  while (!flag.load(std::memory_order_relaxed)) {
  }
  if (annotated) ssecast::tsan::TakeOver(&data);
  data = 2;
  writer.join();
}

// Copies of one non-OK Status on two threads: the last one to go frees
// the shared rep inside the shared Abseil, after the other thread read it.
// Nothing else orders the two threads (a relaxed flag).
void SharedStatus() {
  absl::Status status = absl::InternalError("shared between two threads");
  std::atomic<bool> dropped{false};
  std::thread reader([copy = status, &dropped]() mutable {
    std::printf("%zu\n", copy.message().size());
    copy = absl::OkStatus();
    dropped.store(true, std::memory_order_relaxed);
  });
  while (!dropped.load(std::memory_order_relaxed)) {
  }
  status = absl::OkStatus();  // the last reference: frees the rep
  reader.join();
}

void Unsynchronized() {
  std::thread writer([] { data = 1; });
  data = 2;
  writer.join();
}

struct Way {
  const char* name;
  void (*run)();
};

constexpr Way kWays[] = {
    {"lock", Lock},
    {"reader_lock", ReaderLock},
    {"await", Await},
    {"await_with_timeout", AwaitWithTimeout},
    {"condvar", CondVarWait},
    {"hand_off", [] { RelaxedFlag(/*annotated=*/true); }},
    {"relaxed_flag", [] { RelaxedFlag(/*annotated=*/false); }},
    {"shared_status", SharedStatus},
    {"unsynchronized", Unsynchronized},
};

}  // namespace

int main(int argc, char** argv) {
  const char* way = argc > 1 ? argv[1] : "";
  for (const Way& known : kWays) {
    if (std::strcmp(way, known.name) == 0) {
      known.run();
      return 0;
    }
  }
  std::fprintf(stderr, "usage: race_probe WAY, one of:");
  for (const Way& known : kWays) std::fprintf(stderr, " %s", known.name);
  std::fprintf(stderr, "\n");
  return 2;
}
