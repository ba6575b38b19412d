#include "server/control/bearer_tokens.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFirst[] = "first-token-0123456789";
constexpr char kSecond[] = "second-token-0123456789";

TEST(ConstantTimeEqualsTest, ComparesContentsAndLengths) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcabc"));
  EXPECT_FALSE(ConstantTimeEquals("abcabc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", ""));
}

TEST(BearerTokensTest, ParsesOneTokenALineSkippingBlanksAndComments) {
  absl::StatusOr<std::vector<std::string>> tokens =
      BearerTokens::Parse(absl::StrCat("# rotation: new token first\n\n  ",
                                       kFirst, "  \r\n\t# old one\n", kSecond),
                          "tokens.txt");
  ASSERT_OK(tokens);
  EXPECT_THAT(*tokens, ElementsAre(kFirst, kSecond));
}

TEST(BearerTokensTest, RefusesBadLinesNamingTheLineButNotTheToken) {
  absl::StatusOr<std::vector<std::string>> short_token =
      BearerTokens::Parse(absl::StrCat(kFirst, "\nshort-secret\n"), "t.txt");
  EXPECT_THAT(
      short_token,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "token file t.txt line 2: a token must be 16 to 4096 characters "
               "(this one has 12)"));

  absl::StatusOr<std::vector<std::string>> spaced =
      BearerTokens::Parse("a token with spaces inside\n", "t.txt");
  EXPECT_THAT(spaced, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("line 1: a token may hold")));
  EXPECT_THAT(spaced.status().message(), Not(HasSubstr("spaces inside")));

  absl::StatusOr<std::vector<std::string>> empty =
      BearerTokens::Parse("# nothing\n\n", "t.txt");
  EXPECT_THAT(empty, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("holds no token")));
}

TEST(BearerTokensTest, AcceptsEveryTokenOfTheSetAndNothingElse) {
  BearerTokens tokens({kFirst, kSecond});
  EXPECT_TRUE(tokens.Accepts(kFirst));
  EXPECT_TRUE(tokens.Accepts(kSecond));
  EXPECT_FALSE(tokens.Accepts(""));
  EXPECT_FALSE(tokens.Accepts("first-token-012345678"));
  EXPECT_FALSE(tokens.Accepts("first-token-01234567890"));
  EXPECT_FALSE(tokens.Accepts(absl::StrCat(kFirst, kSecond)));
}

TEST(BearerTokensTest, ReloadSwapsTheSetAndKeepsItWhenTheFileIsBad) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/tokens");
  std::ofstream(path) << kFirst << "\n";
  absl::StatusOr<std::unique_ptr<BearerTokens>> tokens =
      BearerTokens::Load(path);
  ASSERT_OK(tokens);
  EXPECT_TRUE((*tokens)->Accepts(kFirst));
  EXPECT_FALSE((*tokens)->Accepts(kSecond));

  std::ofstream(path) << kSecond << "\n";
  absl::StatusOr<size_t> reloaded = (*tokens)->Reload();
  ASSERT_OK(reloaded);
  EXPECT_EQ(*reloaded, 1u);
  EXPECT_FALSE((*tokens)->Accepts(kFirst));
  EXPECT_TRUE((*tokens)->Accepts(kSecond));

  std::ofstream(path) << "too-short\n";
  EXPECT_THAT((*tokens)->Reload(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE((*tokens)->Accepts(kSecond)) << "a bad file keeps the old set";
}

TEST(BearerTokensTest, LoadNamesAMissingFile) {
  absl::StatusOr<std::unique_ptr<BearerTokens>> tokens =
      BearerTokens::Load("/nonexistent/tokens");
  EXPECT_THAT(
      tokens,
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("cannot open token file /nonexistent/tokens")));
}

}  // namespace
}  // namespace ssecast
