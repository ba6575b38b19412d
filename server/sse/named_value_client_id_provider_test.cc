#include "server/sse/named_value_client_id_provider.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using Where = NamedValueClientIdProvider::Where;

// The message of a refusal, or a note that there was none.
std::string RefusalOf(const absl::StatusOr<ClientIdentity>& identity) {
  if (identity.ok()) return "accepted as " + identity->client_id;
  EXPECT_THAT(identity, StatusIs(absl::StatusCode::kUnauthenticated));
  return std::string(identity.status().message());
}

TEST(NamedValueClientIdProviderTest, TakesIdFromHeaderCaseInsensitively) {
  NamedValueClientIdProvider provider(Where::kHeader, "X-User-Id");
  httplib::Request request;
  request.set_header("x-user-id", "user-7");
  absl::StatusOr<ClientIdentity> identity = provider.Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-7");
  EXPECT_TRUE(identity->set_cookie.empty());
  EXPECT_EQ(identity->expires, absl::InfiniteFuture());
}

TEST(NamedValueClientIdProviderTest, RefusesMissingHeader) {
  NamedValueClientIdProvider provider(Where::kHeader, "X-User-Id");
  httplib::Request request;
  request.set_header("X-Other", "user-7");
  EXPECT_EQ(RefusalOf(provider.Identify(request)), "missing header X-User-Id");
}

TEST(NamedValueClientIdProviderTest, RefusesRepeatedHeader) {
  NamedValueClientIdProvider provider(Where::kHeader, "X-User-Id");
  httplib::Request request;
  request.set_header("X-User-Id", "chosen-by-client");
  request.set_header("X-User-Id", "set-by-proxy");
  EXPECT_EQ(RefusalOf(provider.Identify(request)),
            "header X-User-Id appears 2 times; expected once");
}

TEST(NamedValueClientIdProviderTest, RefusesInvalidIdsInHeader) {
  NamedValueClientIdProvider provider(Where::kHeader, "X-User-Id");
  httplib::Request empty;
  empty.set_header("X-User-Id", "");
  EXPECT_EQ(RefusalOf(provider.Identify(empty)),
            "header X-User-Id: client id is empty");

  httplib::Request spaced;
  spaced.set_header("X-User-Id", "two words");
  EXPECT_EQ(RefusalOf(provider.Identify(spaced)),
            "header X-User-Id: client id \"two words\" has a character that "
            "is not printable ASCII (or a space)");

  httplib::Request too_long;
  too_long.set_header("X-User-Id", std::string(129, 'a'));
  EXPECT_EQ(RefusalOf(provider.Identify(too_long)),
            "header X-User-Id: client id is 129 characters; at most 128");
}

TEST(NamedValueClientIdProviderTest, TakesIdFromQueryParameter) {
  NamedValueClientIdProvider provider(Where::kQueryParameter, "uid");
  httplib::Request request;
  request.params.emplace("other", "x");
  request.params.emplace("uid", "user-7");
  absl::StatusOr<ClientIdentity> identity = provider.Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-7");
  EXPECT_TRUE(identity->set_cookie.empty());
  EXPECT_EQ(identity->expires, absl::InfiniteFuture());
}

TEST(NamedValueClientIdProviderTest, RefusesMissingQueryParameter) {
  NamedValueClientIdProvider provider(Where::kQueryParameter, "uid");
  httplib::Request request;
  // Parameter names are case-sensitive, unlike header names.
  request.params.emplace("UID", "user-7");
  EXPECT_EQ(RefusalOf(provider.Identify(request)),
            "missing query parameter uid");
}

TEST(NamedValueClientIdProviderTest, RefusesRepeatedQueryParameter) {
  NamedValueClientIdProvider provider(Where::kQueryParameter, "uid");
  httplib::Request request;
  request.params.emplace("uid", "a");
  request.params.emplace("uid", "b");
  EXPECT_EQ(RefusalOf(provider.Identify(request)),
            "query parameter uid appears 2 times; expected once");
}

TEST(NamedValueClientIdProviderTest, RefusesInvalidIdsInQueryParameter) {
  NamedValueClientIdProvider provider(Where::kQueryParameter, "uid");
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
