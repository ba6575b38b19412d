#ifndef SSECAST_SERVER_CONFIG_FLAG_VALUE_H_
#define SSECAST_SERVER_CONFIG_FLAG_VALUE_H_

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// The error for a flag whose value failed to parse or validate:
// INVALID_ARGUMENT with `why`'s message behind the flag's name, e.g.
// "--log_level: ..." for FlagValueError("--log_level", status). Keeps every
// such message in one form, so an operator always sees which flag to fix.
// Thread-safe.
absl::Status FlagValueError(absl::string_view flag, const absl::Status& why);

// `parse` (a function from the flag's value to an absl::StatusOr) applied to
// the value of `flag`; a failure becomes FlagValueError("--<name>", ...).
// E.g. ParseFlagValue(FLAGS_log_level, ParseLogLevel). Thread-safe when
// `parse` is.
template <typename T, typename Parse>
auto ParseFlagValue(const absl::Flag<T>& flag, Parse parse)
    -> decltype(parse(absl::GetFlag(flag))) {
  auto parsed = parse(absl::GetFlag(flag));
  if (!parsed.ok()) {
    return FlagValueError(
        absl::StrCat("--", absl::GetFlagReflectionHandle(flag).Name()),
        parsed.status());
  }
  return parsed;
}

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONFIG_FLAG_VALUE_H_
