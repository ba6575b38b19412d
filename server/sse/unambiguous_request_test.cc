#include "server/sse/unambiguous_request.h"

#include <string>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(UnambiguousRequestTest, AcceptsOrdinaryQueries) {
  for (const char* target :
       {"/events", "/events?", "/events?group=a&group=b", "/events?uid=a%3Db",
        "/events?flag&x=", "/events?a=1&&b=2", "/events?a=1#frag=x=y"}) {
    EXPECT_OK(CheckQueryUnambiguous(target)) << target;
  }
}

TEST(UnambiguousRequestTest, RefusesAmbiguousQueriesWithTheReason) {
  EXPECT_EQ(CheckQueryUnambiguous("/events?uid=alice=bob").message(),
            "query parameter \"uid\" has more than one '=' in its value; "
            "escape it as %3D");
  EXPECT_EQ(CheckQueryUnambiguous("/events?uid=a&uid=a").message(),
            "query parameter \"uid\" is given twice with one value");
  EXPECT_EQ(CheckQueryUnambiguous("/events?=x").message(),
            "a query parameter has no name");
  EXPECT_EQ(CheckQueryUnambiguous("/events?<script>=a=b").message(),
            "query parameter has more than one '=' in its value; escape it "
            "as %3D")
      << "odd names are not reflected";
}

TEST(UnambiguousRequestTest, RefusesNulInHeaders) {
  httplib::Request request;
  request.target = "/events";
  request.headers.emplace("X-User-Id", std::string("alice\0bob", 9));
  absl::Status status = CheckUnambiguous(request);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               "header \"X-User-Id\" holds a NUL byte"));
  httplib::Request fine;
  fine.target = "/events?uid=alice";
  fine.headers.emplace("X-User-Id", "alice");
  EXPECT_OK(CheckUnambiguous(fine));
}

}  // namespace
}  // namespace ssecast
