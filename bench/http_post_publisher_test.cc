#include "bench/http_post_publisher.h"

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast::bench {
namespace {

TEST(ParseHttpUrlTest, HostPortPathAndQuery) {
  absl::StatusOr<HttpUrl> url = ParseHttpUrl("http://127.0.0.1:8080/pub?id=ch");
  ASSERT_OK(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path_and_query, "/pub?id=ch");
}

TEST(ParseHttpUrlTest, DefaultsToPort80AndRootPath) {
  absl::StatusOr<HttpUrl> url = ParseHttpUrl("http://localhost");
  ASSERT_OK(url);
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->path_and_query, "/");
}

TEST(ParseHttpUrlTest, RejectsWhatItCannotUse) {
  EXPECT_THAT(ParseHttpUrl("https://127.0.0.1/pub"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpUrl("127.0.0.1:80/pub"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpUrl("http://127.0.0.1:0/pub"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpUrl("http://127.0.0.1:x/pub"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpUrl("http:///pub"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ssecast::bench
