#include "bench/publish_stats.h"

#include <string>

#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

TEST(PublishStatsTest, CountsOutcomesAndKeepsFirstError) {
  PublishStats stats;
  stats.RecordCall("OK", 1'000'000);
  stats.RecordCall("RESOURCE_EXHAUSTED", 2'000'000, "writers behind");
  stats.RecordCall("UNAVAILABLE", 3'000'000, "gone");
  stats.RecordCall("OK", 4'000'000);
  EXPECT_EQ(stats.ok(), 2u);
  EXPECT_EQ(stats.finished(), 4u);
  JsonObject json;
  stats.AppendJson(absl::Seconds(2), json);
  const std::string text = json.str();
  EXPECT_NE(text.find("\"ok\":2,\"failed\":2"), std::string::npos) << text;
  EXPECT_NE(text.find("\"RESOURCE_EXHAUSTED\":1"), std::string::npos) << text;
  EXPECT_NE(text.find("\"first_error\":\"RESOURCE_EXHAUSTED: writers behind\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"achieved_rate\":1.000"), std::string::npos) << text;
  EXPECT_NE(stats.Text(absl::Seconds(2)).find("ok=2 failed=2"),
            std::string::npos);
}

}  // namespace
}  // namespace ssecast::bench
