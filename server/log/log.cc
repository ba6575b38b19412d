#include "server/log/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace ssecast {
namespace {

// Indexed by LogLevel.
constexpr absl::string_view kLogLevelNames[] = {"debug", "info", "warning",
                                                "error"};
static_assert(std::size(kLogLevelNames) ==
              static_cast<size_t>(LogLevel::kError) + 1);

std::atomic<int> threshold{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> format_in_use{static_cast<int>(LogFormat::kText)};
std::atomic<int> output_fd{2};

// Held across the write() of a line.
absl::Mutex& WriteMutex() {
  static absl::Mutex* const mutex = new absl::Mutex();
  return *mutex;
}

// The length of the valid UTF-8 sequence at the start of `text`, or 0.
size_t Utf8SequenceLength(absl::string_view text) {
  const auto byte = [&text](size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char lead = byte(0);
  size_t length;
  uint32_t min;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  uint32_t code = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return 0;
  }
  return length;
}

// The bytes JSON escapes as a backslash and a letter, and the letter of
// each (at the same index); other control bytes become \u00XX.
constexpr absl::string_view kShortEscaped = "\"\\\n\r\t";
constexpr absl::string_view kShortEscapeLetters = "\"\\nrt";
static_assert(kShortEscaped.size() == kShortEscapeLetters.size());

// Appends `text` as the inside of a JSON string: quotes, backslashes and
// control bytes escaped, and bytes that are not UTF-8 replaced by U+FFFD,
// so that the line is valid JSON whatever a message quotes.
void AppendJsonEscaped(absl::string_view text, std::string* out) {
  while (!text.empty()) {
    const unsigned char c = static_cast<unsigned char>(text[0]);
    if (const size_t i = kShortEscaped.find(text[0]);
        i != absl::string_view::npos) {
      out->push_back('\\');
      out->push_back(kShortEscapeLetters[i]);
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (const size_t length = Utf8SequenceLength(text); length > 0) {
      out->append(text.data(), length);
      text.remove_prefix(length);
      continue;
    } else {
      out->append("\\ufffd");
    }
    text.remove_prefix(1);
  }
}

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  AppendJsonEscaped(text, out);
  out->push_back('"');
}

// Text format: a value is written bare unless it is empty or holds
// something that would make the line ambiguous (space, quote, '=', a
// control byte); then it is quoted with the JSON escapes, which also keep
// a line on one line.
void AppendTextValue(absl::string_view value, std::string* out) {
  bool bare = !value.empty();
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '"' || c == '=' || c == '\\' ||
        u >= 0x80) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out->append(value.data(), value.size());
  } else {
    AppendJsonString(value, out);
  }
}

// A message in text format: control bytes escaped so that one record is
// one line.
void AppendTextMessage(absl::string_view message, std::string* out) {
  for (char c : message) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      std::string escaped;
      AppendJsonEscaped(absl::string_view(&c, 1), &escaped);
      out->append(escaped);
    } else {
      out->push_back(c);
    }
  }
}

void WriteAll(int fd, absl::string_view line) {
  // One write() for the whole line; the lock keeps the rare line the
  // kernel takes in parts from interleaving with another thread's.
  absl::MutexLock lock(&WriteMutex());
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t written = ::write(fd, line.data() + done, line.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere to log to; nothing else to do
    done += static_cast<size_t>(written);
  }
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  for (size_t i = 0; i < std::size(kLogLevelNames); ++i) {
    if (text == kLogLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not a log level: debug, info, warning or error"));
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a log format: text or json"));
}

absl::string_view LogLevelName(LogLevel level) {
  const size_t i = static_cast<size_t>(level);
  return i < std::size(kLogLevelNames) ? kLogLevelNames[i] : "unknown";
}

std::string LogField::SignedText(long long value) {
  return absl::StrCat(value);
}

std::string LogField::UnsignedText(unsigned long long value) {
  return absl::StrCat(value);
}

std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          absl::string_view message,
                          std::initializer_list<LogField> fields) {
  const std::string timestamp =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  std::string line;
  line.reserve(64 + message.size() + 24 * fields.size());
  if (format == LogFormat::kJson) {
    absl::StrAppend(&line, "{\"time\":\"", timestamp, "\",\"level\":\"",
                    LogLevelName(level), "\",\"msg\":");
    AppendJsonString(message, &line);
    for (const LogField& field : fields) {
      line.push_back(',');
      AppendJsonString(field.key(), &line);
      line.push_back(':');
      if (field.quoted()) {
        AppendJsonString(field.value(), &line);
      } else {
        line.append(field.value().data(), field.value().size());
      }
    }
    line.append("}\n");
    return line;
  }
  absl::StrAppend(&line, timestamp, " ",
                  absl::AsciiStrToUpper(LogLevelName(level)), " ");
  AppendTextMessage(message, &line);
  for (const LogField& field : fields) {
    line.push_back(' ');
    AppendTextMessage(field.key(), &line);
    line.push_back('=');
    AppendTextValue(field.value(), &line);
  }
  line.push_back('\n');
  return line;
}

void ConfigureLog(LogLevel level, LogFormat format, int fd) {
  threshold.store(static_cast<int>(level), std::memory_order_relaxed);
  format_in_use.store(static_cast<int>(format), std::memory_order_relaxed);
  output_fd.store(fd, std::memory_order_relaxed);
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= threshold.load(std::memory_order_relaxed);
}

void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  const std::string line = FormatLogLine(
      static_cast<LogFormat>(format_in_use.load(std::memory_order_relaxed)),
      absl::Now(), level, message, fields);
  WriteAll(output_fd.load(std::memory_order_relaxed), line);
}

}  // namespace ssecast
