#include "server/sse/query_client_id_provider.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

// The message of a refusal, or a note that there was none.
std::string RefusalOf(const absl::StatusOr<ClientIdentity>& identity) {
  if (identity.ok()) return "accepted as " + identity->client_id;
  EXPECT_THAT(identity, StatusIs(absl::StatusCode::kUnauthenticated));
  return std::string(identity.status().message());
}

TEST(QueryClientIdProviderTest, TakesIdFromParameter) {
  QueryClientIdProvider provider("uid");
  httplib::Request request;
  request.params.emplace("other", "x");
  request.params.emplace("uid", "user-7");
  absl::StatusOr<ClientIdentity> identity = provider.Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-7");
  EXPECT_TRUE(identity->set_cookie.empty());
  EXPECT_EQ(identity->expires, absl::InfiniteFuture());
}

TEST(QueryClientIdProviderTest, RefusesMissingParameter) {
  QueryClientIdProvider provider("uid");
  httplib::Request request;
  // Parameter names are case-sensitive, unlike header names.
  request.params.emplace("UID", "user-7");
  EXPECT_EQ(RefusalOf(provider.Identify(request)),
            "missing query parameter uid");
}

TEST(QueryClientIdProviderTest, RefusesRepeatedParameter) {
  QueryClientIdProvider provider("uid");
  httplib::Request request;
  request.params.emplace("uid", "a");
  request.params.emplace("uid", "b");
  EXPECT_EQ(RefusalOf(provider.Identify(request)),
            "query parameter uid appears 2 times; expected once");
}

TEST(QueryClientIdProviderTest, RefusesInvalidIds) {
  QueryClientIdProvider provider("uid");
  httplib::Request empty;
  empty.params.emplace("uid", "");
  EXPECT_EQ(RefusalOf(provider.Identify(empty)),
            "query parameter uid: client id is empty");

  httplib::Request control;
  control.params.emplace("uid", "a\nb");
  EXPECT_EQ(RefusalOf(provider.Identify(control)),
            "query parameter uid: client id \"a\\nb\" has a character that "
            "is not printable ASCII (or a space)");
}

}  // namespace
}  // namespace ssecast
