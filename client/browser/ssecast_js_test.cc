#include "client/browser/ssecast_js.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(SsecastJsTest, EmbedsTheFileByteForByte) {
  std::ifstream file("client/browser/ssecast.js", std::ios::binary);
  ASSERT_TRUE(file) << "client/browser/ssecast.js is not in the runfiles";
  std::stringstream bytes;
  bytes << file.rdbuf();
  EXPECT_GT(bytes.str().size(), 1000u);
  EXPECT_EQ(SsecastJs(), bytes.str());
}

}  // namespace
}  // namespace ssecast
