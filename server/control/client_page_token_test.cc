#include "server/control/client_page_token.h"

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(ClientPageTokenTest, RoundTrips) {
  for (const char* id : {"a", "user@example.com", "0123456789abcdef"}) {
    absl::StatusOr<std::string> decoded =
        DecodeClientPageToken(EncodeClientPageToken(id));
    ASSERT_OK(decoded);
    EXPECT_EQ(*decoded, id);
  }
}

TEST(ClientPageTokenTest, RefusesWhatItDidNotMake) {
  for (const std::string& token :
       {std::string("alice"), std::string("!!!"), std::string(10000, 'A'),
        EncodeClientPageToken("a b"), EncodeClientPageToken(""),
        std::string("YWxpY2U")}) {
    absl::StatusOr<std::string> decoded = DecodeClientPageToken(token);
    EXPECT_THAT(decoded, StatusIs(absl::StatusCode::kInvalidArgument)) << token;
    EXPECT_EQ(decoded.status().message(),
              "page_token is not a next_page_token this server issued");
  }
}

}  // namespace
}  // namespace ssecast
