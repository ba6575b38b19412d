#include "server/base/host_port.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(ParseHostPortTest, SplitsAtTheLastColon) {
  absl::StatusOr<HostPort> parsed = ParseHostPort("redis.internal:6380");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->host, "redis.internal");
  EXPECT_EQ(parsed->port, 6380);
  EXPECT_EQ(parsed->ToString(), "redis.internal:6380");

  parsed = ParseHostPort("[::1]:80");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->host, "[::1]");
  EXPECT_EQ(parsed->port, 80);
}

TEST(ParseHostPortTest, PortZeroOnlyWhereItPicksAFreePort) {
  EXPECT_THAT(ParseHostPort("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "\"127.0.0.1:0\" is not HOST:PORT"));

  absl::StatusOr<HostPort> listen =
      ParseHostPort("127.0.0.1:0", PortZero::kPicksFreePort);
  ASSERT_OK(listen);
  EXPECT_EQ(listen->port, 0);
}

TEST(ParseHostPortTest, RefusesWhatIsNotHostAndPort) {
  for (absl::string_view bad :
       {"", "nope", ":6379", "host:", "host:http", "host:-1", "host:65536",
        "host:6379x", "host:99999999999999999999"}) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(bad);
    EXPECT_EQ(parsed.status(), absl::InvalidArgumentError(absl::StrCat(
                                   "\"", bad, "\" is not HOST:PORT")))
        << bad;
  }
  EXPECT_EQ(ParseHostPort("nope", PortZero::kPicksFreePort).status(),
            absl::InvalidArgumentError(
                "\"nope\" is not HOST:PORT (port 0 picks a free port)"));
}

}  // namespace
}  // namespace ssecast
