#ifndef SSECAST_SERVER_SSE_REQUEST_HEAD_PARSER_H_
#define SSECAST_SERVER_SSE_REQUEST_HEAD_PARSER_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace ssecast {

// Bounds on one HTTP request head (request line, header fields, blank
// line). Each has a server flag; see README, "Limits of the HTTP front".
struct RequestHeadLimits {
  // The whole head, leading blank lines included.
  size_t max_head_bytes = 16 * 1024;
  size_t max_header_fields = 100;
  // The request target (path and query).
  size_t max_url_bytes = 8000;
};

// The longest single line the HTTP library accepts; a longer one is
// refused here with 431 rather than by the library with a bare 400.
inline constexpr size_t kMaxHeadLineBytes = 8192;

// Decides, from the bytes of a connection received so far, whether they
// start with a complete request head that may be handed to the HTTP
// library, or must be refused, or need more bytes. It checks only framing
// and limits (CRLF lines, three-part request line, field syntax, counts,
// sizes, no body); routing and meaning are the library's and the handlers'.
//
// Scanning is incremental: Scan() is called again with the same bytes plus
// whatever arrived since, and looks at each byte once. Not thread-safe.
class RequestHeadParser {
 public:
  enum class Progress { kNeedMore, kComplete, kRejected };

  explicit RequestHeadParser(const RequestHeadLimits& limits)
      : limits_(limits) {}

  // `bytes` must start with the bytes given to earlier calls since the
  // last Reset(). After kComplete or kRejected the result stays fixed.
  Progress Scan(absl::string_view bytes);

  // Forgets the head, for the next request on the connection.
  void Reset() { *this = RequestHeadParser(limits_); }

  // True once any byte other than a leading CRLF has arrived.
  bool started() const { return started_; }

  // After kComplete: the head is bytes [head_begin(), head_end()), leading
  // blank lines skipped; what follows is the next request's.
  size_t head_begin() const { return head_begin_; }
  size_t head_end() const { return head_end_; }
  // After kComplete: every X-Forwarded-For value, joined with ",".
  const std::string& forwarded_for() const { return forwarded_for_; }

  // After kRejected: the status for the answer (400, 413, 414, 431, 501) and a
  // plain sentence saying what was wrong. It quotes nothing of the request
  // but, at most, a header field's name (a token of up to 64 characters).
  int rejection_status() const { return rejection_status_; }
  const std::string& rejection() const { return rejection_; }

 private:
  Progress Reject(int status, std::string message);
  // Looks at one complete line (without its CRLF).
  Progress TakeLine(absl::string_view line);
  Progress TakeRequestLine(absl::string_view line);
  Progress TakeField(absl::string_view line);

  RequestHeadLimits limits_;
  Progress progress_ = Progress::kNeedMore;
  bool started_ = false;
  bool have_request_line_ = false;
  size_t scanned_ = 0;     // bytes looked at
  size_t line_begin_ = 0;  // where the current line starts
  size_t head_begin_ = 0;
  size_t head_end_ = 0;
  size_t fields_ = 0;
  bool has_content_length_ = false;
  std::string content_length_;
  bool has_body_ = false;
  std::string forwarded_for_;
  int rejection_status_ = 0;
  std::string rejection_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_REQUEST_HEAD_PARSER_H_
