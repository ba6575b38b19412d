#include "bench/http_response_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ssecast::bench {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxLineBytes = 4 * 1024;

bool BodyForbidden(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

absl::Status HttpResponseParser::Fail(absl::string_view why) {
  state_ = State::kFailed;
  return absl::InvalidArgumentError(why);
}

void HttpResponseParser::Reset() {
  state_ = State::kHead;
  head_.clear();
  line_.clear();
  status_code_ = 0;
  chunked_ = false;
  remaining_ = 0;
  headers_.clear();
}

std::optional<absl::string_view> HttpResponseParser::Header(
    absl::string_view lower_case_name) const {
  for (const auto& [name, value] : headers_) {
    if (name == lower_case_name) return absl::string_view(value);
  }
  return std::nullopt;
}

absl::StatusOr<size_t> HttpResponseParser::FeedHead(absl::string_view bytes) {
  // The blank line may straddle the previous piece: search from a little
  // before the new bytes.
  const size_t old_size = head_.size();
  head_.append(bytes.data(), bytes.size());
  const size_t search_from = old_size >= 3 ? old_size - 3 : 0;
  size_t end = head_.find("\r\n\r\n", search_from);
  size_t terminator = 4;
  const size_t lf_end = head_.find("\n\n", search_from);
  if (lf_end != std::string::npos &&
      (end == std::string::npos || lf_end < end)) {
    end = lf_end;
    terminator = 2;
  }
  if (end == std::string::npos) {
    if (head_.size() > kMaxHeadBytes) {
      return Fail(
          absl::StrCat("response head longer than ", kMaxHeadBytes, " bytes"));
    }
    return bytes.size();
  }
  const size_t head_end = end + terminator;
  const size_t used = head_end - old_size;
  head_.resize(end);
  if (absl::Status status = ParseHead(); !status.ok()) return status;
  head_.clear();
  head_.shrink_to_fit();  // connections live long; the head is not needed
  if (absl::Status status = StartBody(); !status.ok()) return status;
  return used;
}

absl::Status HttpResponseParser::ParseHead() {
  std::vector<absl::string_view> lines =
      absl::StrSplit(head_, absl::ByAnyChar("\n"));
  absl::string_view status_line = absl::StripSuffix(lines[0], "\r");
  // "HTTP/1.1 200 OK"
  std::vector<absl::string_view> parts =
      absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/1.") ||
      parts[1].size() != 3 || !absl::SimpleAtoi(parts[1], &status_code_)) {
    return Fail(absl::StrCat("bad status line \"", status_line, "\""));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = absl::StripSuffix(lines[i], "\r");
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return Fail(absl::StrCat("bad header line \"", line, "\""));
    }
    headers_.emplace_back(
        absl::AsciiStrToLower(line.substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return absl::OkStatus();
}

absl::Status HttpResponseParser::StartBody() {
  if (BodyForbidden(status_code_)) {
    state_ = State::kComplete;
    return absl::OkStatus();
  }
  if (auto te = Header("transfer-encoding");
      te.has_value() &&
      absl::StrContains(absl::AsciiStrToLower(*te), "chunked")) {
    chunked_ = true;
    state_ = State::kChunkSize;
    return absl::OkStatus();
  }
  if (auto length = Header("content-length"); length.has_value()) {
    if (!absl::SimpleAtoi(*length, &remaining_)) {
      return Fail(absl::StrCat("bad Content-Length \"", *length, "\""));
    }
    state_ = remaining_ == 0 ? State::kComplete : State::kIdentityBody;
    return absl::OkStatus();
  }
  state_ = State::kBodyUntilClose;
  return absl::OkStatus();
}

size_t HttpResponseParser::ConsumeLine(absl::string_view bytes,
                                       bool& line_done) {
  const size_t lf = bytes.find('\n');
  line_done = lf != absl::string_view::npos;
  const size_t take = line_done ? lf : bytes.size();
  line_.append(bytes.data(), take);
  return line_done ? take + 1 : take;
}

absl::Status HttpResponseParser::OnChunkSizeLine() {
  absl::string_view size_text = absl::StripSuffix(line_, "\r");
  size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
  size_text = absl::StripAsciiWhitespace(size_text);
  uint64_t size = 0;
  if (size_text.empty() || size_text.size() > 15 ||
      !absl::SimpleHexAtoi(size_text, &size)) {
    return Fail(absl::StrCat("bad chunk size line \"", line_, "\""));
  }
  line_.clear();
  remaining_ = size;
  state_ = size == 0 ? State::kTrailers : State::kChunkData;
  return absl::OkStatus();
}

absl::StatusOr<size_t> HttpResponseParser::Feed(absl::string_view bytes,
                                                BodySink* sink) {
  size_t used = 0;
  while (used < bytes.size()) {
    absl::string_view rest = bytes.substr(used);
    switch (state_) {
      case State::kHead: {
        absl::StatusOr<size_t> n = FeedHead(rest);
        if (!n.ok()) return n.status();
        used += *n;
        break;
      }
      case State::kIdentityBody:
      case State::kChunkData: {
        const size_t n =
            static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        if (sink != nullptr) sink->OnBody(rest.substr(0, n));
        remaining_ -= n;
        used += n;
        if (remaining_ == 0) {
          state_ = state_ == State::kChunkData ? State::kChunkDataEnd
                                               : State::kComplete;
        }
        break;
      }
      case State::kBodyUntilClose:
        if (sink != nullptr) sink->OnBody(rest);
        used = bytes.size();
        break;
      case State::kChunkSize:
      case State::kChunkDataEnd:
      case State::kTrailers: {
        bool line_done = false;
        used += ConsumeLine(rest, line_done);
        if (line_.size() > kMaxLineBytes) {
          return Fail("chunk framing line longer than 4 KiB");
        }
        if (state_ == State::kChunkDataEnd && line_ != "\r" && !line_.empty()) {
          return Fail("chunk data not followed by CRLF");
        }
        if (!line_done) break;
        if (state_ == State::kChunkSize) {
          if (absl::Status s = OnChunkSizeLine(); !s.ok()) return s;
        } else if (state_ == State::kChunkDataEnd) {
          line_.clear();
          state_ = State::kChunkSize;
        } else {  // a trailer line; the empty one ends the response
          const bool last = line_.empty() || line_ == "\r";
          line_.clear();
          if (last) state_ = State::kComplete;
        }
        break;
      }
      case State::kComplete:
        return used;
      case State::kFailed:
        return absl::FailedPreconditionError(
            "parser failed earlier; Reset() it first");
    }
  }
  return used;
}

absl::Status HttpResponseParser::FinishOnEof() {
  switch (state_) {
    case State::kBodyUntilClose:
      state_ = State::kComplete;
      return absl::OkStatus();
    case State::kComplete:
      return absl::OkStatus();
    case State::kHead:
      return Fail(head_.empty() ? "connection closed before any response"
                                : "connection closed inside the response head");
    case State::kIdentityBody:
      return Fail(absl::StrCat("connection closed with ", remaining_,
                               " bytes of Content-Length body missing"));
    case State::kFailed:
      return absl::FailedPreconditionError("parser failed earlier");
    default:
      return Fail("connection closed inside a chunked body");
  }
}

}  // namespace ssecast::bench
