// ASSERT_OK / EXPECT_OK for absl::Status and absl::StatusOr<T>, printing
// the expression and the status message on failure, and the StatusIs
// matcher for the failures a test expects. GoogleTest 1.12 has no such
// assertions of its own. For every test of the project, unit and e2e.
// IsOkAndHolds(matcher) checks the value of an absl::StatusOr<T>.
//
// Both assertions take a streamed message like ASSERT_TRUE does:
//   ASSERT_OK(Parse(line)) << "line " << line;
//
// Other status types join by specialising StatusAdapter<T> with a static
// `Get(const T&)` that returns the absl::Status (by value or by reference)
// before the test uses them; testing/grpc_status_assertions.h does so for
// grpc::Status without this header knowing gRPC.
#ifndef SSECAST_TESTING_STATUS_ASSERTIONS_H_
#define SSECAST_TESTING_STATUS_ASSERTIONS_H_

#include <ostream>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast::test_support {

// The customisation point: how a value of type T yields its absl::Status.
template <typename T>
struct StatusAdapter;

template <>
struct StatusAdapter<absl::Status> {
  static const absl::Status& Get(const absl::Status& status) { return status; }
};

template <typename T>
struct StatusAdapter<absl::StatusOr<T>> {
  static const absl::Status& Get(const absl::StatusOr<T>& status_or) {
    return status_or.status();
  }
};

template <typename T>
decltype(auto) StatusOf(const T& value) {
  return StatusAdapter<T>::Get(value);
}

// Matches a status (see StatusAdapter) whose code is `code` and whose
// message matches `message` (a string for equality, or a matcher such as
// HasSubstr("...")).
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

// Matches a status (see StatusAdapter) whose code is `code`, whatever its
// message.
MATCHER_P(StatusIs, code,
          absl::StrCat(negation ? "is not " : "is ",
                       absl::StatusCodeToString(code))) {
  const absl::Status& status = ::ssecast::test_support::StatusOf(arg);
  *result_listener << "which is " << status;
  return status.code() == code;
}

// Matches an absl::StatusOr<T> that holds a value matching `matcher`,
// e.g. IsOkAndHolds(Field(&AttachResult::admitted, true)); a failed one
// does not match and is printed.
MATCHER_P(
    IsOkAndHolds, matcher,
    absl::StrCat(
        negation ? "is not OK or holds a value that "
                 : "is OK and holds a value that ",
        ::testing::DescribeMatcher<typename std::decay_t<arg_type>::value_type>(
            matcher, negation))) {
  if (!arg.ok()) {
    *result_listener << "which is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(matcher, *arg, result_listener);
}

}  // namespace ssecast::test_support

// The project's tests live in namespace ssecast: the matchers are theirs
// without a using-declaration in every file.
namespace ssecast {
using ::ssecast::test_support::IsOkAndHolds;
using ::ssecast::test_support::StatusIs;
}  // namespace ssecast

// The status is evaluated once and copied, so a temporary StatusOr may be
// passed. The if-with-initialiser keeps `ssecast_status_` scoped to the
// statement, and its else leaves the assertion open for `<<`; the switch
// and the if's own else keep an enclosing unbraced if/else intact, as
// GoogleTest's own assertions do.
#define SSECAST_STATUS_ASSERTION_(expression, assertion) \
  GTEST_AMBIGUOUS_ELSE_BLOCKER_                          \
  if (const ::absl::Status ssecast_status_ =             \
          ::ssecast::test_support::StatusOf(expression); \
      ssecast_status_.ok())                              \
    ;                                                    \
  else                                                   \
    assertion(ssecast_status_.ok())                      \
        << #expression << ": " << ssecast_status_ << " "

#define ASSERT_OK(expression) SSECAST_STATUS_ASSERTION_(expression, ASSERT_TRUE)
#define EXPECT_OK(expression) SSECAST_STATUS_ASSERTION_(expression, EXPECT_TRUE)

#endif  // SSECAST_TESTING_STATUS_ASSERTIONS_H_
