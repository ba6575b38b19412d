#ifndef SSECAST_SERVER_LOG_JSON_CHECK_H_
#define SSECAST_SERVER_LOG_JSON_CHECK_H_

#include "absl/strings/string_view.h"

namespace ssecast {

// Whether `text` is exactly one JSON object (RFC 8259: strings with only
// the standard escapes and no raw control bytes, valid UTF-8, numbers,
// literals, nested arrays and objects), with nothing but whitespace
// around it. For tests of the JSON log lines; pure, thread-safe.
bool IsValidJsonObject(absl::string_view text);

}  // namespace ssecast

#endif  // SSECAST_SERVER_LOG_JSON_CHECK_H_
