#include "server/config/secret_file.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& contents) {
  const char* tmpdir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp", "/", name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(ReadSecretFileTest, DropsOneTrailingNewline) {
  absl::StatusOr<std::string> password =
      ReadSecretFile(WriteFile("lf", "s3cret\n"), "secret file");
  ASSERT_OK(password);
  EXPECT_EQ(*password, "s3cret");

  password = ReadSecretFile(WriteFile("crlf", "s3cret\r\n"), "secret file");
  ASSERT_OK(password);
  EXPECT_EQ(*password, "s3cret");
}

TEST(ReadSecretFileTest, KeepsEverythingElse) {
  absl::StatusOr<std::string> password =
      ReadSecretFile(WriteFile("bare", " s3 cret"), "secret file");
  ASSERT_OK(password);
  EXPECT_EQ(*password, " s3 cret");

  password = ReadSecretFile(WriteFile("two", "s3cret\n\n"), "secret file");
  ASSERT_OK(password);
  EXPECT_EQ(*password, "s3cret\n");
}

TEST(ReadSecretFileTest, MissingFileNamesThePath) {
  const std::string path = WriteFile("present", "x") + "-missing";
  absl::StatusOr<std::string> password = ReadSecretFile(path, "secret file");
  EXPECT_THAT(password, StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST(ReadSecretFileTest, EmptyPasswordIsRejected) {
  const std::string path = WriteFile("empty", "\n");
  absl::StatusOr<std::string> password = ReadSecretFile(path, "secret file");
  EXPECT_THAT(password,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path)));
}

}  // namespace
}  // namespace ssecast
