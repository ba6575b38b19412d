#include "server/hub/target.h"

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(TargetTest, AllMatchesEveryone) {
  ClientRecord anyone("anyone");
  EXPECT_TRUE(Target::All().Matches(anyone));
  EXPECT_OK(Target::All().Validate());
}

TEST(TargetTest, ClientsAreSortedAndDeduplicated) {
  Target target = Target::Clients({"b", "a", "b"});
  EXPECT_EQ(target.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(target.Matches(ClientRecord("a")));
  EXPECT_FALSE(target.Matches(ClientRecord("c")));
}

TEST(TargetTest, GroupsMatchMembersAtTheTimeOfTheCall) {
  Target target = Target::Groups({"blue", "red"});
  ClientRecord client("c");
  EXPECT_FALSE(target.Matches(client));
  EXPECT_EQ(client.Join({"red", "green"}, Membership::kKept, 10), 2);
  EXPECT_TRUE(target.Matches(client));
  EXPECT_EQ(client.Leave({"red"}), 1);
  EXPECT_FALSE(target.Matches(client));
  EXPECT_EQ(client.groups(), std::vector<std::string>{"green"});
}

TEST(TargetTest, ValidationNamesTheProblem) {
  EXPECT_EQ(Target::Clients({}).Validate().message(), "target names no client");
  EXPECT_EQ(Target::Groups({}).Validate().message(), "target names no group");
  EXPECT_EQ(Target::Groups({"a b"}).Validate().message(),
            "group name \"a b\" may only hold letters, digits and ._:@/-");
  EXPECT_THAT(Target::Clients({"x\n"}).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(Target::Groups({"team-1", "org:acme/eu"}).Validate());
}

}  // namespace
}  // namespace ssecast
