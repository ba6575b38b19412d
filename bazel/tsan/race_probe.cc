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

void Await() {
  std::thread writer([] {
    absl::MutexLock lock(&mu);
    data = 1;
    ready = true;
  });
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
  std::thread writer([] {
    absl::MutexLock lock(&mu);
    data = 1;
    ready = true;
  });
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&ready), absl::Hours(1));
  }
  data = 2;
  writer.join();
}

void CondVarWait() {
  std::thread writer([] {
    absl::MutexLock lock(&mu);
    data = 1;
    ready = true;
    cond_var.Signal();
  });
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

}  // namespace

int main(int argc, char** argv) {
  const char* way = argc > 1 ? argv[1] : "";
  if (std::strcmp(way, "lock") == 0) {
    Lock();
  } else if (std::strcmp(way, "reader_lock") == 0) {
    ReaderLock();
  } else if (std::strcmp(way, "await") == 0) {
    Await();
  } else if (std::strcmp(way, "await_with_timeout") == 0) {
    AwaitWithTimeout();
  } else if (std::strcmp(way, "condvar") == 0) {
    CondVarWait();
  } else if (std::strcmp(way, "hand_off") == 0) {
    RelaxedFlag(/*annotated=*/true);
  } else if (std::strcmp(way, "relaxed_flag") == 0) {
    RelaxedFlag(/*annotated=*/false);
  } else if (std::strcmp(way, "shared_status") == 0) {
    SharedStatus();
  } else if (std::strcmp(way, "unsynchronized") == 0) {
    Unsynchronized();
  } else {
    std::fprintf(
        stderr,
        "usage: race_probe lock|reader_lock|await|await_with_timeout|condvar|"
        "hand_off|shared_status|relaxed_flag|"
        "unsynchronized\n");
    return 2;
  }
  return 0;
}
