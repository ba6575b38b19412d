#include "server/sse/cookie_secure_policy.h"

#include <string>

#include "gtest/gtest.h"
#include "server/sse/cookie_client_id_provider.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TrustedProxies Proxies(std::vector<std::string> cidrs) {
  absl::StatusOr<TrustedProxies> proxies = TrustedProxies::Parse(cidrs);
  EXPECT_OK(proxies);
  return proxies.ok() ? *proxies : TrustedProxies();
}

httplib::Request From(const std::string& peer,
                      std::vector<std::string> forwarded_proto = {}) {
  httplib::Request request;
  request.remote_addr = peer;
  for (const std::string& value : forwarded_proto) {
    request.headers.emplace("X-Forwarded-Proto", value);
  }
  return request;
}

TEST(CookieSecurePolicyTest, ParsesTheThreeModes) {
  EXPECT_EQ(*ParseCookieSecureMode("auto"), CookieSecureMode::kAuto);
  EXPECT_EQ(*ParseCookieSecureMode("always"), CookieSecureMode::kAlways);
  EXPECT_EQ(*ParseCookieSecureMode("never"), CookieSecureMode::kNever);
  absl::StatusOr<CookieSecureMode> bad = ParseCookieSecureMode("yes");
  ASSERT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument,
                            "\"yes\" is not one of: auto, always, never"));
}

TEST(CookieSecurePolicyTest, TrustsXForwardedProtoOnlyFromTrustedProxies) {
  const TrustedProxies proxies = Proxies({"10.0.0.0/8", "::1"});
  EXPECT_TRUE(ForwardedOverTls(From("10.1.2.3", {"https"}), proxies));
  EXPECT_TRUE(ForwardedOverTls(From("::1", {"HTTPS"}), proxies));
  EXPECT_FALSE(ForwardedOverTls(From("10.1.2.3", {"http"}), proxies));
  EXPECT_FALSE(ForwardedOverTls(From("10.1.2.3"), proxies));
  // Anyone else may send the header; it means nothing from them.
  EXPECT_FALSE(ForwardedOverTls(From("203.0.113.9", {"https"}), proxies));
  EXPECT_FALSE(ForwardedOverTls(From("10.1.2.3", {"https"}), TrustedProxies()));
}

TEST(CookieSecurePolicyTest, TheNearestProxysWordCounts) {
  const TrustedProxies proxies = Proxies({"127.0.0.1"});
  // A client's own "https" followed by what the proxy appended.
  EXPECT_FALSE(ForwardedOverTls(From("127.0.0.1", {"https, http"}), proxies));
  EXPECT_TRUE(ForwardedOverTls(From("127.0.0.1", {"http, https"}), proxies));
  EXPECT_FALSE(ForwardedOverTls(From("127.0.0.1", {"https", "http"}), proxies));
  EXPECT_TRUE(
      ForwardedOverTls(From("127.0.0.1", {"http", " https "}), proxies));
  EXPECT_FALSE(ForwardedOverTls(From("127.0.0.1", {""}), proxies));
  EXPECT_FALSE(ForwardedOverTls(From("127.0.0.1", {"httpsx"}), proxies));
}

TEST(CookieSecurePolicyTest, ModesDecide) {
  const TrustedProxies proxies = Proxies({"127.0.0.1"});
  const httplib::Request tls = From("127.0.0.1", {"https"});
  const httplib::Request plain = From("127.0.0.1");
  const CookieSecurePolicy automatic(CookieSecureMode::kAuto, proxies);
  EXPECT_TRUE(automatic.Secure(tls));
  EXPECT_FALSE(automatic.Secure(plain));
  const CookieSecurePolicy always(CookieSecureMode::kAlways, proxies);
  EXPECT_TRUE(always.Secure(plain));
  const CookieSecurePolicy never(CookieSecureMode::kNever, proxies);
  EXPECT_FALSE(never.Secure(tls));
  EXPECT_FALSE(CookieSecurePolicy().Secure(tls));
}

TEST(CookieSecurePolicyTest, TheIssuedCookieCarriesSecure) {
  CookieClientIdProvider provider(
      "ssecast_id",
      CookieSecurePolicy(CookieSecureMode::kAuto, Proxies({"127.0.0.1"})));
  absl::StatusOr<ClientIdentity> over_tls =
      provider.Identify(From("127.0.0.1", {"https"}));
  ASSERT_OK(over_tls);
  EXPECT_EQ(over_tls->set_cookie,
            "ssecast_id=" + over_tls->client_id +
                "; Path=/; HttpOnly; SameSite=Lax; Secure");
  absl::StatusOr<ClientIdentity> plain =
      provider.Identify(From("192.0.2.1", {"https"}));
  ASSERT_OK(plain);
  EXPECT_EQ(plain->set_cookie, "ssecast_id=" + plain->client_id +
                                   "; Path=/; HttpOnly; SameSite=Lax");
}

}  // namespace
}  // namespace ssecast
