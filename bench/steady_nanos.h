// SteadyNanos(): nanoseconds on the steady (monotonic) clock, for the
// benchmark tools' intervals and latencies within one process. Unrelated to
// wall-clock time; thread-safe.
#ifndef SSECAST_BENCH_STEADY_NANOS_H_
#define SSECAST_BENCH_STEADY_NANOS_H_

#include <chrono>
#include <cstdint>

namespace ssecast::bench {

inline int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_STEADY_NANOS_H_
