#include "server/sse/request_head_parser.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ssecast {
namespace {

// RFC 9110 tchar: what a method or a field name is made of.
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// The methods the HTTP library parses; it answers others with a bare 400.
bool IsKnownMethod(absl::string_view method) {
  for (absl::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE",
                                  "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
    if (method == known) return true;
  }
  return false;
}

// Room for the method, spaces, version and CRLF around a request target.
constexpr size_t kRequestLineOverhead = 64;

// A control character other than horizontal tab (NUL, a bare CR, ...).
bool IsForbiddenControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

}  // namespace

RequestHeadParser::Progress RequestHeadParser::Reject(int status,
                                                      std::string message) {
  rejection_status_ = status;
  rejection_ = std::move(message);
  progress_ = Progress::kRejected;
  return progress_;
}

RequestHeadParser::Progress RequestHeadParser::Scan(absl::string_view bytes) {
  while (progress_ == Progress::kNeedMore && scanned_ < bytes.size()) {
    const char c = bytes[scanned_];
    ++scanned_;
    if (c != '\r' && c != '\n') started_ = true;
    // Leading blank lines count too, or CRLFs alone would never end.
    if (scanned_ > limits_.max_head_bytes) {
      if (!have_request_line_) {
        return Reject(414, absl::StrCat("the request line is longer than ",
                                        limits_.max_head_bytes,
                                        " bytes (--max_request_head_bytes)"));
      }
      return Reject(431, absl::StrCat("the request head is longer than ",
                                      limits_.max_head_bytes,
                                      " bytes (--max_request_head_bytes)"));
    }
    if (!have_request_line_ &&
        scanned_ - line_begin_ > limits_.max_url_bytes + kRequestLineOverhead) {
      return Reject(
          414, absl::StrCat("the request target is longer than ",
                            limits_.max_url_bytes, " bytes (--max_url_bytes)"));
    }
    if (scanned_ - line_begin_ > kMaxHeadLineBytes + 2) {
      if (!have_request_line_) {
        return Reject(414, absl::StrCat("the request line is longer than ",
                                        kMaxHeadLineBytes, " bytes"));
      }
      return Reject(431, absl::StrCat("a header line is longer than ",
                                      kMaxHeadLineBytes, " bytes"));
    }
    if (c != '\n') continue;
    const size_t line_end = scanned_ - 1;
    if (line_end == line_begin_ || bytes[line_end - 1] != '\r') {
      return Reject(400, "a line of the request head ends in LF without CR");
    }
    const absl::string_view line =
        bytes.substr(line_begin_, line_end - 1 - line_begin_);
    line_begin_ = scanned_;
    TakeLine(line);
  }
  return progress_;
}

RequestHeadParser::Progress RequestHeadParser::TakeLine(
    absl::string_view line) {
  for (char c : line) {
    if (c != '\0' && !IsForbiddenControl(c)) continue;
    const char* what = c == '\0' ? "a NUL byte" : "a control character";
    if (!have_request_line_) {
      return Reject(400, absl::StrCat("the request line holds ", what));
    }
    // Name the field when its name is plain, so the client learns which.
    const absl::string_view name = line.substr(0, line.find(':'));
    if (name.size() < line.size() && name.size() <= 64 && IsToken(name)) {
      return Reject(400, absl::StrCat("header \"", name, "\" holds ", what));
    }
    return Reject(400, absl::StrCat("a header line holds ", what));
  }
  if (!have_request_line_) {
    if (line.empty()) {
      // RFC 9112: a server should ignore blank lines before the request
      // line (some clients send CRLF after a body).
      head_begin_ = line_begin_;
      return progress_;
    }
    return TakeRequestLine(line);
  }
  if (!line.empty()) return TakeField(line);
  if (has_body_) {
    return Reject(413,
                  "request bodies are not accepted (no route takes one); "
                  "send the request without Content-Length or "
                  "Transfer-Encoding");
  }
  head_end_ = line_begin_;
  progress_ = Progress::kComplete;
  return progress_;
}

RequestHeadParser::Progress RequestHeadParser::TakeRequestLine(
    absl::string_view line) {
  have_request_line_ = true;
  const size_t first_space = line.find(' ');
  const size_t last_space = line.rfind(' ');
  if (first_space == absl::string_view::npos) {
    return Reject(400,
                  "malformed request line: expected METHOD TARGET "
                  "HTTP/1.1");
  }
  if (first_space == last_space) {
    return Reject(400,
                  "the request line has no HTTP version (HTTP/0.9 is "
                  "not supported); expected METHOD TARGET HTTP/1.1");
  }
  const absl::string_view method = line.substr(0, first_space);
  const absl::string_view target =
      line.substr(first_space + 1, last_space - first_space - 1);
  const absl::string_view version = line.substr(last_space + 1);
  if (!IsToken(method)) {
    return Reject(400, "malformed request line: the method is not a token");
  }
  if (target.empty() || absl::StrContains(target, ' ')) {
    return Reject(400,
                  "malformed request line: expected METHOD TARGET "
                  "HTTP/1.1 with single spaces");
  }
  if (target.size() > limits_.max_url_bytes) {
    return Reject(
        414, absl::StrCat("the request target is longer than ",
                          limits_.max_url_bytes, " bytes (--max_url_bytes)"));
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Reject(400, "unsupported HTTP version; use HTTP/1.1");
  }
  if (!IsKnownMethod(method)) {
    return Reject(501, "unknown request method");
  }
  return progress_;
}

RequestHeadParser::Progress RequestHeadParser::TakeField(
    absl::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    return Reject(400, "obsolete header line folding is not accepted");
  }
  if (++fields_ > limits_.max_header_fields) {
    return Reject(431, absl::StrCat("the request has more than ",
                                    limits_.max_header_fields,
                                    " header fields (--max_request_headers)"));
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
    return Reject(400, "a header line is not NAME: VALUE");
  }
  const absl::string_view name = line.substr(0, colon);
  const absl::string_view value =
      absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (absl::EqualsIgnoreCase(name, "Content-Length")) {
    uint64_t length = 0;
    bool digits = !value.empty();
    for (char c : value) digits = digits && absl::ascii_isdigit(c);
    if (!digits || !absl::SimpleAtoi(value, &length)) {
      return Reject(400, "invalid Content-Length");
    }
    if (has_content_length_ && content_length_ != value) {
      return Reject(400, "conflicting Content-Length fields");
    }
    has_content_length_ = true;
    content_length_ = std::string(value);
    if (length > 0) has_body_ = true;
  } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
    has_body_ = true;
  } else if (absl::EqualsIgnoreCase(name, "X-Forwarded-For")) {
    if (!forwarded_for_.empty()) forwarded_for_.push_back(',');
    absl::StrAppend(&forwarded_for_, value);
  }
  return progress_;
}

}  // namespace ssecast
