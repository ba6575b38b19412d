#include "tests/support/sse_stream_parser.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ssecast::test_support {
namespace {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The value after "field:" loses exactly one leading space, per the spec.
absl::string_view StripOneLeadingSpace(absl::string_view value) {
  if (absl::StartsWith(value, " ")) value.remove_prefix(1);
  return value;
}

// `retry` counts only when the value is a non-empty run of ASCII digits;
// values too large for an int are ignored rather than clamped.
std::optional<int> ParseRetry(absl::string_view value) {
  if (value.empty()) return std::nullopt;
  for (char c : value) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed)) return std::nullopt;
  return parsed;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const SseEvent& event) {
  return os << "{id=\"" << absl::CEscape(event.id) << "\" type=\""
            << absl::CEscape(event.type) << "\" data=\""
            << absl::CEscape(event.data) << "\" retry="
            << (event.retry.has_value() ? absl::StrCat(*event.retry) : "-")
            << "}";
}

void SseStreamParser::Feed(absl::string_view bytes) {
  if (finished_ || bytes.empty()) return;
  if (skip_leading_lf_) {
    skip_leading_lf_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }
  pending_.append(bytes.data(), bytes.size());
  if (!bom_checked_ && !ConsumeBom()) return;

  size_t line_start = 0;
  for (;;) {
    const size_t line_end = pending_.find_first_of("\r\n", line_start);
    if (line_end == std::string::npos) break;
    ProcessLine(
        absl::string_view(pending_).substr(line_start, line_end - line_start));
    line_start = line_end + 1;
    if (pending_[line_end] != '\r') continue;
    if (line_start == pending_.size()) {
      // The LF of a CRLF may still be on its way in the next Feed().
      skip_leading_lf_ = true;
    } else if (pending_[line_start] == '\n') {
      ++line_start;
    }
  }
  pending_.erase(0, line_start);
}

void SseStreamParser::Finish() {
  finished_ = true;
  pending_.clear();
  data_buffer_.clear();
  event_type_buffer_.clear();
  block_retry_.reset();
}

std::optional<SseEvent> SseStreamParser::PopEvent() {
  if (events_.empty()) return std::nullopt;
  SseEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

bool SseStreamParser::ConsumeBom() {
  if (pending_.size() < kUtf8Bom.size() &&
      absl::StartsWith(kUtf8Bom, pending_)) {
    return false;
  }
  if (absl::StartsWith(pending_, kUtf8Bom)) pending_.erase(0, kUtf8Bom.size());
  bom_checked_ = true;
  return true;
}

void SseStreamParser::ProcessLine(absl::string_view line) {
  if (line.empty()) {
    DispatchEvent();
    return;
  }
  if (line.front() == ':') {
    comments_.emplace_back(StripOneLeadingSpace(line.substr(1)));
    return;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) {
    ProcessField(line, "");
  } else {
    ProcessField(line.substr(0, colon),
                 StripOneLeadingSpace(line.substr(colon + 1)));
  }
}

void SseStreamParser::ProcessField(absl::string_view field,
                                   absl::string_view value) {
  if (field == "event") {
    event_type_buffer_ = std::string(value);
  } else if (field == "data") {
    data_buffer_.append(value.data(), value.size());
    data_buffer_.push_back('\n');
  } else if (field == "id") {
    if (!absl::StrContains(value, '\0')) {
      last_event_id_buffer_ = std::string(value);
    }
  } else if (field == "retry") {
    if (std::optional<int> retry = ParseRetry(value)) {
      block_retry_ = retry;
      reconnection_ms_ = retry;
    }
  }
  // Any other field name is ignored, as a browser does.
}

void SseStreamParser::DispatchEvent() {
  last_event_id_ = last_event_id_buffer_;
  std::optional<int> retry = std::exchange(block_retry_, std::nullopt);
  std::string type = std::exchange(event_type_buffer_, "");
  if (data_buffer_.empty()) return;
  data_buffer_.pop_back();  // The LF that the last `data` line appended.
  SseEvent event;
  event.id = last_event_id_buffer_;
  event.type = type.empty() ? "message" : std::move(type);
  event.data = std::exchange(data_buffer_, "");
  event.retry = retry;
  events_.push_back(std::move(event));
  ++dispatched_events_;
}

}  // namespace ssecast::test_support
