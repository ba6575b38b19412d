#include "server/sse/named_value_client_id_provider.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

// What a header and a query parameter have in common, for a provider of
// the header X-User-Id or of the query parameter uid.
class NamedValueTest : public ::testing::TestWithParam<Where> {
 protected:
  bool header() const { return GetParam() == Where::kHeader; }
  std::string name() const { return header() ? "X-User-Id" : "uid"; }
  // How refusals name the place.
  std::string source() const {
    return header() ? "header X-User-Id" : "query parameter uid";
  }

  // Adds `value` as a header or query parameter `name`. Headers go in as
  // they are: httplib::Request::set_header drops a value with a line break.
  void Add(httplib::Request& request, const std::string& name,
           const std::string& value) const {
    if (header()) {
      request.headers.emplace(name, value);
    } else {
      request.params.emplace(name, value);
    }
  }

  absl::StatusOr<ClientIdentity> IdentifyWith(const std::string& value) {
    httplib::Request request;
    Add(request, name(), value);
    return provider_.Identify(request);
  }

  NamedValueClientIdProvider provider_{GetParam(), name()};
};

TEST_P(NamedValueTest, TakesTheId) {
  httplib::Request request;
  Add(request, "other", "x");
  Add(request, name(), "user-7");
  absl::StatusOr<ClientIdentity> identity = provider_.Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-7");
  EXPECT_TRUE(identity->set_cookie.empty());
  EXPECT_EQ(identity->expires, absl::InfiniteFuture());
}

TEST_P(NamedValueTest, RefusesAMissingValue) {
  httplib::Request request;
  Add(request, "X-Other", "user-7");
  EXPECT_EQ(RefusalOf(provider_.Identify(request)),
            absl::StrCat("missing ", source()));
}

TEST_P(NamedValueTest, RefusesARepeatedValue) {
  httplib::Request request;
  Add(request, name(), "chosen-by-client");
  Add(request, name(), "set-by-proxy");
  EXPECT_EQ(RefusalOf(provider_.Identify(request)),
            absl::StrCat(source(), " appears 2 times; expected once"));
}

TEST_P(NamedValueTest, RefusesInvalidIds) {
  EXPECT_EQ(RefusalOf(IdentifyWith("")),
            absl::StrCat(source(), ": client id is empty"));
  EXPECT_EQ(RefusalOf(IdentifyWith("two words")),
            absl::StrCat(source(),
                         ": client id \"two words\" has a character that is "
                         "not printable ASCII (or a space)"));
  EXPECT_EQ(RefusalOf(IdentifyWith("a\nb")),
            absl::StrCat(source(),
                         ": client id \"a\\nb\" has a character that is not "
                         "printable ASCII (or a space)"));
  EXPECT_EQ(
      RefusalOf(IdentifyWith(std::string(129, 'a'))),
      absl::StrCat(source(), ": client id is 129 characters; at most 128"));
}

INSTANTIATE_TEST_SUITE_P(HeaderAndQueryParameter, NamedValueTest,
                         ::testing::Values(Where::kHeader,
                                           Where::kQueryParameter),
                         [](const ::testing::TestParamInfo<Where>& info) {
                           return info.param == Where::kHeader
                                      ? "Header"
                                      : "QueryParameter";
                         });

TEST(NamedValueClientIdProviderTest, MatchesHeaderNamesCaseInsensitively) {
  NamedValueClientIdProvider provider(Where::kHeader, "X-User-Id");
  httplib::Request request;
  request.set_header("x-user-id", "user-7");
  absl::StatusOr<ClientIdentity> identity = provider.Identify(request);
  ASSERT_OK(identity);
  EXPECT_EQ(identity->client_id, "user-7");
}

TEST(NamedValueClientIdProviderTest, MatchesQueryParameterNamesExactly) {
  NamedValueClientIdProvider provider(Where::kQueryParameter, "uid");
  httplib::Request request;
  request.params.emplace("UID", "user-7");
  EXPECT_EQ(RefusalOf(provider.Identify(request)),
            "missing query parameter uid");
}

}  // namespace
}  // namespace ssecast
