#include "server/hub/client_id_for_log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(ClientIdForLogTest, HidesTheIdAndIsStable) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  const std::string logged = ClientIdForLog(id);
  EXPECT_THAT(logged, ::testing::MatchesRegex("id#[0-9a-f]{8}"));
  EXPECT_EQ(logged.find("0123"), std::string::npos);
  EXPECT_EQ(ClientIdForLog(id), logged);
  EXPECT_NE(ClientIdForLog("alice"), ClientIdForLog("alicf"));
  // Fixed value: the same on every node and in every release.
  EXPECT_EQ(ClientIdForLog("alice"), "id#352b13bc");
}

}  // namespace
}  // namespace ssecast
