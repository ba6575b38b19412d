#include "server/store/redis_password_file.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

TEST(ReadRedisPasswordFileTest, DropsOneTrailingNewline) {
  absl::StatusOr<std::string> password =
      ReadRedisPasswordFile(WriteFile("lf", "s3cret\n"));
  ASSERT_TRUE(password.ok()) << password.status();
  EXPECT_EQ(*password, "s3cret");

  password = ReadRedisPasswordFile(WriteFile("crlf", "s3cret\r\n"));
  ASSERT_TRUE(password.ok()) << password.status();
  EXPECT_EQ(*password, "s3cret");
}

TEST(ReadRedisPasswordFileTest, KeepsEverythingElse) {
  absl::StatusOr<std::string> password =
      ReadRedisPasswordFile(WriteFile("bare", " s3 cret"));
  ASSERT_TRUE(password.ok()) << password.status();
  EXPECT_EQ(*password, " s3 cret");

  password = ReadRedisPasswordFile(WriteFile("two", "s3cret\n\n"));
  ASSERT_TRUE(password.ok()) << password.status();
  EXPECT_EQ(*password, "s3cret\n");
}

TEST(ReadRedisPasswordFileTest, MissingFileNamesThePath) {
  const std::string path = WriteFile("present", "x") + "-missing";
  absl::StatusOr<std::string> password = ReadRedisPasswordFile(path);
  EXPECT_EQ(password.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(password.status().message(), HasSubstr(path));
}

TEST(ReadRedisPasswordFileTest, EmptyPasswordIsRejected) {
  const std::string path = WriteFile("empty", "\n");
  absl::StatusOr<std::string> password = ReadRedisPasswordFile(path);
  EXPECT_EQ(password.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(password.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace ssecast
