// The ThreadSanitizer suppressions of ssecast's TSan stage
// (--config=tsan), compiled into every binary by absl_mutex_annotations.cc
// as __tsan_default_suppressions.
//
// Only code outside ssecast may be suppressed, each entry with the reason;
// a report in ssecast's own code is a bug to fix, never to suppress.
#ifndef SSECAST_BAZEL_TSAN_TSAN_SUPPRESSIONS_H_
#define SSECAST_BAZEL_TSAN_TSAN_SUPPRESSIONS_H_

namespace ssecast::tsan {

inline constexpr char kSuppressions[] =
    // gRPC (Debian's libgrpc, libgrpc++ and libgpr) is not built with
    // TSan: its threads hand its buffers and objects to one another through
    // atomics TSan cannot see, so the memcpy, free, sendmsg, close ... it
    // calls on them look like races. Ignore the calls these libraries make
    // into TSan's interceptors; ssecast's own accesses stay checked.
    "called_from_lib:libgrpc.so\n"
    "called_from_lib:libgrpc++.so\n"
    "called_from_lib:libgpr.so\n";

}  // namespace ssecast::tsan

#endif  // SSECAST_BAZEL_TSAN_TSAN_SUPPRESSIONS_H_
