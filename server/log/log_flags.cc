#include "server/log/log_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "server/config/flag_value.h"
#include "server/log/log.h"

ABSL_FLAG(std::string, log_level, "info",
          "Least severe log lines written: debug (also every stream opened, "
          "ended or refused), info, warning or error.");
ABSL_FLAG(std::string, log_format, "text",
          "Log lines on stderr as 'text' (time, LEVEL, message, key=value) "
          "or 'json' (one object per line).");

namespace ssecast {

absl::Status ApplyLogFlags() {
  absl::StatusOr<LogLevel> level =
      ParseFlagValue(FLAGS_log_level, ParseLogLevel);
  if (!level.ok()) return level.status();
  absl::StatusOr<LogFormat> format =
      ParseFlagValue(FLAGS_log_format, ParseLogFormat);
  if (!format.ok()) return format.status();
  ConfigureLog(*level, *format);
  return absl::OkStatus();
}

}  // namespace ssecast
