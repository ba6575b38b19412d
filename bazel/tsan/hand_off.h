// Tells ThreadSanitizer about a hand-off it cannot see: an object passed
// from one thread to another by code TSan does not observe. Debian's gRPC
// is such code: it runs the successive callbacks of one reactor on
// different threads and orders them through its own uninstrumented
// atomics, so without these calls TSan takes each callback's accesses to
// the reactor for a race with the previous callback's.
//
// HandOff(object) before passing `object` on (e.g. before StartRead());
// TakeOver(object) first thing in the code that receives it (e.g. in
// OnReadDone()). Both are no-ops outside a TSan build (--config=tsan), and
// thread-safe.
#ifndef SSECAST_BAZEL_TSAN_HAND_OFF_H_
#define SSECAST_BAZEL_TSAN_HAND_OFF_H_

#include "bazel/tsan/tsan_build.h"

#ifdef SSECAST_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace ssecast::tsan {

#ifdef SSECAST_TSAN
inline void HandOff(const void* object) {
  __tsan_release(const_cast<void*>(object));
}
inline void TakeOver(const void* object) {
  __tsan_acquire(const_cast<void*>(object));
}
#else
inline void HandOff(const void* /*object*/) {}
inline void TakeOver(const void* /*object*/) {}
#endif

}  // namespace ssecast::tsan

#endif  // SSECAST_BAZEL_TSAN_HAND_OFF_H_
