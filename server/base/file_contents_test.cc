#include "server/base/file_contents.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::ssecast::test_support::StatusIs;
using ::testing::HasSubstr;

std::string WriteTempFile(const std::string& name,
                          const std::string& contents) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(ReadFileContentsTest, ReadsEveryByte) {
  const std::string contents("line one\r\n\0binary\xff\n", 19);
  const std::string path = WriteTempFile("bytes", contents);
  absl::StatusOr<std::string> read = ReadFileContents(path, "test file");
  ASSERT_OK(read.status());
  EXPECT_EQ(*read, contents);
}

TEST(ReadFileContentsTest, ReadsAnEmptyFile) {
  const std::string path = WriteTempFile("empty", "");
  absl::StatusOr<std::string> read = ReadFileContents(path, "test file");
  ASSERT_OK(read.status());
  EXPECT_EQ(*read, "");
}

TEST(ReadFileContentsTest, MissingFileIsNotFoundNamingWhatAndPath) {
  absl::StatusOr<std::string> read =
      ReadFileContents("/nonexistent/secret", "token file");
  EXPECT_THAT(read.status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot open token file /nonexistent/secret: "
                                 "No such file or directory")));
}

}  // namespace
}  // namespace ssecast
