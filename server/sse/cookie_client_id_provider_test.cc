#include "server/sse/cookie_client_id_provider.h"

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(CookieClientIdProviderTest, FindCookie) {
  EXPECT_EQ(FindCookie("a=1; ssecast_id=abc; b=2", "ssecast_id"), "abc");
  EXPECT_EQ(FindCookie("ssecast_id=\"q\"", "ssecast_id"), "q");
  EXPECT_EQ(FindCookie("xssecast_id=1", "ssecast_id"), std::nullopt);
  EXPECT_EQ(FindCookie("", "ssecast_id"), std::nullopt);
  EXPECT_EQ(FindCookie("garbage;;=;", "ssecast_id"), std::nullopt);
}

TEST(CookieClientIdProviderTest, IssuesFreshIdsWhenAbsentOrMalformed) {
  CookieClientIdProvider provider("ssecast_id");
  httplib::Request bare;
  auto first = provider.Identify(bare);
  ASSERT_OK(first);
  EXPECT_TRUE(CookieClientIdProvider::IsWellFormed(first->client_id));
  EXPECT_EQ(first->set_cookie, "ssecast_id=" + first->client_id +
                                   "; Path=/; HttpOnly; SameSite=Lax");
  auto second = provider.Identify(bare);
  EXPECT_NE(first->client_id, second->client_id);

  httplib::Request forged;
  forged.set_header("Cookie", "ssecast_id=not-an-id");
  auto replaced = provider.Identify(forged);
  EXPECT_NE(replaced->client_id, "not-an-id");
  EXPECT_FALSE(replaced->set_cookie.empty());
}

TEST(CookieClientIdProviderTest, KeepsAWellFormedId) {
  CookieClientIdProvider provider("ssecast_id");
  httplib::Request request;
  request.set_header("Cookie",
                     "other=1; ssecast_id=0123456789abcdef0123456789abcdef");
  auto identity = provider.Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(identity->set_cookie.empty());
}

TEST(CookieClientIdProviderTest, WellFormed) {
  EXPECT_TRUE(
      CookieClientIdProvider::IsWellFormed("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(
      CookieClientIdProvider::IsWellFormed("0123456789ABCDEF0123456789ABCDEF"));
  EXPECT_FALSE(CookieClientIdProvider::IsWellFormed("abc"));
}

}  // namespace
}  // namespace ssecast
