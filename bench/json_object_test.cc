#include "bench/json_object.h"

#include "gtest/gtest.h"

namespace ssecast::bench {
namespace {

TEST(JsonObjectTest, WritesKeysInOrderWithTypes) {
  JsonObject inner;
  inner.Int("n", -3);
  JsonObject outer;
  outer.String("s", "a\"b\\c\n\x01")
      .Number("x", 1.23456)
      .Number("nan", 0.0 / 0.0)
      .Object("inner", inner)
      .Raw("raw", "[1,2]");
  EXPECT_EQ(outer.str(),
            "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"x\":1.235,\"nan\":null,"
            "\"inner\":{\"n\":-3},\"raw\":[1,2]}");
}

TEST(JsonObjectTest, EmptyObject) { EXPECT_EQ(JsonObject().str(), "{}"); }

}  // namespace
}  // namespace ssecast::bench
