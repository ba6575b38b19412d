#ifndef SSECAST_SERVER_LOG_LOG_H_
#define SSECAST_SERVER_LOG_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ssecast {

// The server's log: one line per record on stderr, with an RFC 3339 UTC
// timestamp (milliseconds), a level, a message and named fields, as text
// or as one JSON object per line (--log_format).
//
// Records below the configured level cost one relaxed atomic load
// (LogEnabled()). Every line goes out in one write() under a lock (more
// only if the kernel takes part of it), so lines never interleave;
// everything here is thread-safe. What goes into a record is the caller's
// responsibility: never a full client id (ClientIdForLog()) nor a secret.
enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// "debug", "info", "warning" or "error"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
// "text" or "json"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);
absl::string_view LogLevelName(LogLevel level);

// One named value of a record. Strings are quoted in JSON (and in text
// when they hold spaces or quotes); numbers and booleans are not.
class LogField {
 public:
  LogField(absl::string_view key, absl::string_view value)
      : key_(key), value_(value), quoted_(true) {}
  LogField(absl::string_view key, const std::string& value)
      : LogField(key, absl::string_view(value)) {}
  LogField(absl::string_view key, const char* value)
      : LogField(key, absl::string_view(value)) {}
  LogField(absl::string_view key, int value)
      : key_(key), value_(SignedText(value)), quoted_(false) {}
  LogField(absl::string_view key, long value)
      : key_(key), value_(SignedText(value)), quoted_(false) {}
  LogField(absl::string_view key, long long value)
      : key_(key), value_(SignedText(value)), quoted_(false) {}
  LogField(absl::string_view key, unsigned value)
      : key_(key), value_(UnsignedText(value)), quoted_(false) {}
  LogField(absl::string_view key, unsigned long value)
      : key_(key), value_(UnsignedText(value)), quoted_(false) {}
  LogField(absl::string_view key, unsigned long long value)
      : key_(key), value_(UnsignedText(value)), quoted_(false) {}
  LogField(absl::string_view key, bool value)
      : key_(key), value_(value ? "true" : "false"), quoted_(false) {}

  absl::string_view key() const { return key_; }
  absl::string_view value() const { return value_; }
  bool quoted() const { return quoted_; }

 private:
  static std::string SignedText(long long value);
  static std::string UnsignedText(unsigned long long value);

  absl::string_view key_;
  std::string value_;
  bool quoted_;
};

// The complete line (with its '\n') for a record; pure, for tests.
std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          absl::string_view message,
                          std::initializer_list<LogField> fields);

// Sets the threshold and format of every later record, and where lines go
// (a file descriptor, stderr by default; the caller keeps it open). Meant
// for start-up and tests; records logged concurrently see either setting.
void ConfigureLog(LogLevel level, LogFormat format, int fd = 2);

// Whether a record at `level` would be written: for callers that must
// compute fields.
bool LogEnabled(LogLevel level);

// Writes a record if its level is enabled.
void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields = {});

inline void LogDebug(absl::string_view message,
                     std::initializer_list<LogField> fields = {}) {
  if (LogEnabled(LogLevel::kDebug)) Log(LogLevel::kDebug, message, fields);
}
inline void LogInfo(absl::string_view message,
                    std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, message, fields);
}
inline void LogWarning(absl::string_view message,
                       std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, message, fields);
}
inline void LogError(absl::string_view message,
                     std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
}

}  // namespace ssecast

#endif  // SSECAST_SERVER_LOG_LOG_H_
