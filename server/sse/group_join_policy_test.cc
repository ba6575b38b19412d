#include "server/sse/group_join_policy.h"

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(GroupJoinPolicyTest, ParsesTheFlag) {
  EXPECT_EQ(*ParseGroupJoin("anyone"), GroupJoin::kAnyone);
  EXPECT_EQ(*ParseGroupJoin("nobody"), GroupJoin::kNobody);
  EXPECT_EQ(*ParseGroupJoin("jwt"), GroupJoin::kJwt);
  EXPECT_EQ(ParseGroupJoin("all").status().message(),
            "\"all\" is not one of: anyone, nobody, jwt");
}

TEST(GroupJoinPolicyTest, PatternsMatchNamesOrPrefixes) {
  EXPECT_TRUE(GroupPatternMatches("news", "news"));
  EXPECT_FALSE(GroupPatternMatches("news", "news.eu"));
  EXPECT_TRUE(GroupPatternMatches("news.*", "news.eu"));
  EXPECT_FALSE(GroupPatternMatches("news.*", "newsroom"));
  EXPECT_FALSE(GroupPatternMatches("news.*", "news"));
  EXPECT_TRUE(GroupPatternMatches("*", "admins"));
  EXPECT_OK(ValidateGroupPattern("*"));
  EXPECT_OK(ValidateGroupPattern("org:acme/*"));
  EXPECT_THAT(ValidateGroupPattern("**"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateGroupPattern("a*b"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateGroupPattern(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GroupJoinPolicyTest, DecidesByPolicy) {
  ClientIdentity reader;
  reader.joinable_groups = {"news.*", "team-1"};
  const std::vector<std::string> allowed = {"news.eu", "team-1"};
  const std::vector<std::string> admins = {"news.eu", "admins"};
  EXPECT_OK(CheckGroupJoin(GroupJoin::kAnyone, ClientIdentity(), admins));
  EXPECT_OK(CheckGroupJoin(GroupJoin::kNobody, reader, {}));
  absl::Status nobody = CheckGroupJoin(GroupJoin::kNobody, reader, allowed);
  EXPECT_THAT(nobody, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(nobody.message(),
            "this server does not let clients join groups themselves (query "
            "parameter group); a backend puts clients in groups");
  EXPECT_OK(CheckGroupJoin(GroupJoin::kJwt, reader, allowed));
  absl::Status forbidden = CheckGroupJoin(GroupJoin::kJwt, reader, admins);
  EXPECT_THAT(
      forbidden,
      StatusIs(
          absl::StatusCode::kPermissionDenied,
          "the token's groups claim does not allow joining group \"admins\""));
  EXPECT_THAT(CheckGroupJoin(GroupJoin::kJwt, ClientIdentity(), allowed),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace ssecast
