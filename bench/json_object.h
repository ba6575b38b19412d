// JsonObject: builds one flat-or-nested JSON object as text, for the result
// lines the benchmark tools print (one JSON object per line, read by
// bench/run.py). Keys are written in insertion order. Not thread-safe.
#ifndef SSECAST_BENCH_JSON_OBJECT_H_
#define SSECAST_BENCH_JSON_OBJECT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ssecast::bench {

class JsonObject {
 public:
  JsonObject& Int(absl::string_view key, int64_t value);
  JsonObject& Number(absl::string_view key, double value);  // 3 decimals
  JsonObject& String(absl::string_view key, absl::string_view value);
  // `json` must already be valid JSON (an object, array or literal).
  JsonObject& Raw(absl::string_view key, absl::string_view json);
  JsonObject& Object(absl::string_view key, const JsonObject& value);

  std::string str() const { return "{" + body_ + "}"; }

 private:
  void Key(absl::string_view key);
  std::string body_;
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_JSON_OBJECT_H_
