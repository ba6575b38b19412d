#include "server/log/log_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/log/log.h"

ABSL_FLAG(std::string, log_level, "info",
          "Least severe log lines written: debug (also every stream opened, "
          "ended or refused), info, warning or error.");
ABSL_FLAG(std::string, log_format, "text",
          "Log lines on stderr as 'text' (time, LEVEL, message, key=value) "
          "or 'json' (one object per line: time, level, msg and the "
          "fields).");

namespace ssecast {

absl::Status ApplyLogFlags() {
  absl::StatusOr<LogLevel> level =
      ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_level: ", level.status().message()));
  }
  absl::StatusOr<LogFormat> format =
      ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_format: ", format.status().message()));
  }
  ConfigureLog(*level, *format);
  return absl::OkStatus();
}

}  // namespace ssecast
