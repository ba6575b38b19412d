#ifndef SSECAST_BAZEL_TSAN_TSAN_BUILD_H_
#define SSECAST_BAZEL_TSAN_TSAN_BUILD_H_

// Defines SSECAST_TSAN in a ThreadSanitizer build (--config=tsan), with
// clang (__has_feature) or g++ (__SANITIZE_THREAD__), and nothing else: the
// one place that tells whether the TSan support in bazel/tsan/ is active.

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SSECAST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(SSECAST_TSAN)
#define SSECAST_TSAN 1
#endif

#endif  // SSECAST_BAZEL_TSAN_TSAN_BUILD_H_
