#include "server/sse/descriptor_budget.h"

#include <sys/resource.h>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(DescriptorBudgetTest, DerivedReserveIsAtLeast256OrATenth) {
  absl::StatusOr<DescriptorBudget> small = PlanDescriptors(1200, 0, 0);
  ASSERT_OK(small);
  EXPECT_EQ(small->reserve, 256u);
  EXPECT_EQ(small->max_connections, 944u);
  absl::StatusOr<DescriptorBudget> large = PlanDescriptors(20000, 0, 0);
  ASSERT_OK(large);
  EXPECT_EQ(large->reserve, 2000u);
  EXPECT_EQ(large->max_connections, 18000u);
}

TEST(DescriptorBudgetTest, ExplicitValues) {
  absl::StatusOr<DescriptorBudget> budget = PlanDescriptors(20000, 5000, 300);
  ASSERT_OK(budget);
  EXPECT_EQ(budget->reserve, 300u);
  EXPECT_EQ(budget->max_connections, 5000u);
}

TEST(DescriptorBudgetTest, RefusesWhatDoesNotFit) {
  EXPECT_THAT(PlanDescriptors(1024, 900, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 1024-256 = 768
  EXPECT_THAT(PlanDescriptors(200, 0, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));  // nothing left
  EXPECT_THAT(
      PlanDescriptors(20000, 0, 10),
      StatusIs(absl::StatusCode::kInvalidArgument));  // reserve too small
}

TEST(DescriptorBudgetTest, RaisesTheSoftLimitToTheHardOne) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max > 256) {
    rlimit lowered = limit;
    lowered.rlim_cur = 256;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  }
  absl::StatusOr<uint64_t> raised = RaiseDescriptorLimit();
  ASSERT_OK(raised);
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, *raised);
  if (limit.rlim_max != RLIM_INFINITY) {
    EXPECT_EQ(*raised, limit.rlim_max);
  }
}

}  // namespace
}  // namespace ssecast
