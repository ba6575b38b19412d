#include "bench/sse_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace ssecast::bench {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

// Index of the first CR or LF in `bytes` at or after `from`, or npos.
size_t FindLineEnd(absl::string_view bytes, size_t from) {
  for (size_t i = from; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' || bytes[i] == '\r') return i;
  }
  return absl::string_view::npos;
}

}  // namespace

void SseParser::Feed(absl::string_view bytes) {
  if (at_stream_start_) {
    // The BOM may itself arrive in pieces: hold bytes until 3 are known.
    if (!partial_line_.empty() || bytes.size() < kBom.size()) {
      partial_line_.append(bytes.data(), bytes.size());
      if (partial_line_.size() < kBom.size() &&
          kBom.substr(0, partial_line_.size()) == partial_line_) {
        return;
      }
      std::string held;
      held.swap(partial_line_);
      at_stream_start_ = false;
      if (absl::StartsWith(held, kBom)) held.erase(0, kBom.size());
      Feed(held);
      return;
    }
    at_stream_start_ = false;
    if (absl::StartsWith(bytes, kBom)) bytes.remove_prefix(kBom.size());
  }
  size_t pos = 0;
  if (skip_lf_ && !bytes.empty()) {
    skip_lf_ = false;
    if (bytes[0] == '\n') pos = 1;
  }
  while (pos < bytes.size()) {
    const size_t end = FindLineEnd(bytes, pos);
    if (end == absl::string_view::npos) {
      partial_line_.append(bytes.data() + pos, bytes.size() - pos);
      return;
    }
    if (partial_line_.empty()) {
      ProcessLine(bytes.substr(pos, end - pos));
    } else {
      partial_line_.append(bytes.data() + pos, end - pos);
      ProcessLine(partial_line_);
      partial_line_.clear();
    }
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos == bytes.size()) {
        skip_lf_ = true;
      } else if (bytes[pos] == '\n') {
        ++pos;
      }
    }
  }
}

void SseParser::ProcessLine(absl::string_view line) {
  if (line.empty()) {
    Dispatch();
    return;
  }
  if (line.front() == ':') {
    listener_->OnComment(line.substr(1));
    return;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) {
    ProcessField(line, absl::string_view());
    return;
  }
  absl::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  ProcessField(line.substr(0, colon), value);
}

void SseParser::ProcessField(absl::string_view name, absl::string_view value) {
  if (name == "data") {
    data_.append(value.data(), value.size());
    data_.push_back('\n');
    has_data_ = true;
  } else if (name == "event") {
    type_.assign(value.data(), value.size());
  } else if (name == "id") {
    if (value.find('\0') == absl::string_view::npos) {
      last_event_id_.assign(value.data(), value.size());
    }
  } else if (name == "retry") {
    int64_t retry = 0;
    const bool digits_only =
        !value.empty() &&
        std::all_of(value.begin(), value.end(), absl::ascii_isdigit);
    if (digits_only && absl::SimpleAtoi(value, &retry)) retry_ms_ = retry;
  }
}

void SseParser::Dispatch() {
  if (!has_data_) {
    type_.clear();
    return;
  }
  absl::string_view data = data_;
  data.remove_suffix(1);  // the LF after the last data line
  SseEvent event;
  event.type = type_.empty() ? absl::string_view("message") : type_;
  event.data = data;
  event.last_event_id = last_event_id_;
  listener_->OnEvent(event);
  data_.clear();
  has_data_ = false;
  type_.clear();
}

}  // namespace ssecast::bench
