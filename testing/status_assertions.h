// ASSERT_OK / EXPECT_OK for absl::Status and absl::StatusOr<T>, printing
// the expression and the status message on failure, and the StatusIs
// matcher for the failures a test expects. GoogleTest 1.12 has no such
// assertions of its own. For every test of the project, unit and e2e.
#ifndef SSECAST_TESTING_STATUS_ASSERTIONS_H_
#define SSECAST_TESTING_STATUS_ASSERTIONS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast::test_support {

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// What ASSERT_OK and EXPECT_OK check: success when `value` (an absl::Status
// or absl::StatusOr<T>) is OK, otherwise a failure naming `expression` and
// the status.
template <typename T>
::testing::AssertionResult IsOk(const char* expression, const T& value) {
  const absl::Status& status = StatusOf(value);
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expression << ": " << status;
}

// Matches an absl::Status or absl::StatusOr<T> whose code is `code` and
// whose message matches `message` (a string for equality, or a matcher
// such as HasSubstr("...")).
MATCHER_P2(StatusIs, code, message,
           absl::StrCat(negation ? "is not " : "is ",
                        absl::StatusCodeToString(code), " with a message that ",
                        ::testing::DescribeMatcher<std::string>(message,
                                                                negation))) {
  const absl::Status& status = ::ssecast::test_support::StatusOf(arg);
  *result_listener << "which is " << status;
  return status.code() == code &&
         ::testing::Matches(::testing::Matcher<std::string>(message))(
             std::string(status.message()));
}

// Matches an absl::Status or absl::StatusOr<T> whose code is `code`,
// whatever its message.
MATCHER_P(StatusIs, code,
          absl::StrCat(negation ? "is not " : "is ",
                       absl::StatusCodeToString(code))) {
  const absl::Status& status = ::ssecast::test_support::StatusOf(arg);
  *result_listener << "which is " << status;
  return status.code() == code;
}

}  // namespace ssecast::test_support

#define ASSERT_OK(expression) \
  ASSERT_PRED_FORMAT1(::ssecast::test_support::IsOk, expression)
#define EXPECT_OK(expression) \
  EXPECT_PRED_FORMAT1(::ssecast::test_support::IsOk, expression)

#endif  // SSECAST_TESTING_STATUS_ASSERTIONS_H_
