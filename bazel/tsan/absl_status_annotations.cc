// Makes the reference count of absl::Status visible to ThreadSanitizer.
//
// A non-OK Status shares one heap rep among its copies. Copying adds a
// reference inline (in our instrumented code), but the last reference is
// dropped in Debian's uninstrumented libabsl_status.so, whose atomic
// decrement TSan never sees: a copy read on one thread and the rep freed
// on another then look like a data race. This file defines
// Status::UnrefNonInlined in the executable (it wins over the library's,
// as absl_mutex_annotations.cc explains for Mutex) and does the decrement
// here, where TSan sees it; only the last reference goes on to the
// library's definition, which frees the rep.
//
// In any other build (no TSan) this file compiles to nothing.

#include "bazel/tsan/tsan_build.h"

#ifdef SSECAST_TSAN

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "bazel/tsan/real_absl_symbol.h"

namespace absl {
ABSL_NAMESPACE_BEGIN

void Status::UnrefNonInlined(uintptr_t rep) {
  static auto real =
      ssecast::tsan::Real<void (*)(uintptr_t)>("6Status15UnrefNonInlinedEm");
  status_internal::StatusRep* shared = RepToPointer(rep);
  // acq_rel: what each holder did with the rep happens before its free.
  if (shared->ref.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // The last reference: nobody else can see the rep any more. Give the
  // library back the reference it drops before it frees the rep.
  shared->ref.store(1, std::memory_order_relaxed);
  real(rep);
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // SSECAST_TSAN
