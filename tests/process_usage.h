// What a process (the server under test) uses right now, read from
// /proc/<pid>: resident memory and open file descriptors. For tests that
// check an attack left nothing behind. Thread-safe.
#ifndef SSECAST_TESTS_PROCESS_USAGE_H_
#define SSECAST_TESTS_PROCESS_USAGE_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace ssecast::test_support {

// VmRSS, in bytes.
absl::StatusOr<uint64_t> ResidentBytes(pid_t pid);
// Entries in /proc/<pid>/fd.
absl::StatusOr<int> OpenDescriptors(pid_t pid);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_PROCESS_USAGE_H_
