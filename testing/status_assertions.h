// ASSERT_OK / EXPECT_OK for absl::Status and absl::StatusOr<T>, printing
// the expression and the status message on failure. GoogleTest 1.12 has no
// such assertions of its own.
#ifndef SSECAST_TESTS_STATUS_ASSERTIONS_H_
#define SSECAST_TESTS_STATUS_ASSERTIONS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace ssecast::test_support {

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace ssecast::test_support

#define ASSERT_OK(expression)                          \
  do {                                                 \
    const absl::Status ssecast_status_ =               \
        ::ssecast::test_support::StatusOf(expression); \
    ASSERT_TRUE(ssecast_status_.ok())                  \
        << #expression << ": " << ssecast_status_;     \
  } while (false)

#define EXPECT_OK(expression)                          \
  do {                                                 \
    const absl::Status ssecast_status_ =               \
        ::ssecast::test_support::StatusOf(expression); \
    EXPECT_TRUE(ssecast_status_.ok())                  \
        << #expression << ": " << ssecast_status_;     \
  } while (false)

#endif  // SSECAST_TESTS_STATUS_ASSERTIONS_H_
