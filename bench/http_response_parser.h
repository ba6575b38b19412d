// HttpResponseParser: an incremental parser of one HTTP/1.1 response: status
// line, headers, then the body framed by `Transfer-Encoding: chunked`, by
// `Content-Length`, or by the end of the connection. Body bytes are handed to
// a sink as they arrive, without copying them; only the head and a chunk-size
// line that is split across reads are buffered. Reset() readies it for the
// next response on a keep-alive connection.
//
// Not thread-safe; one parser per connection.
#ifndef SSECAST_BENCH_HTTP_RESPONSE_PARSER_H_
#define SSECAST_BENCH_HTTP_RESPONSE_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast::bench {

class HttpResponseParser {
 public:
  class BodySink {
   public:
    virtual ~BodySink() = default;
    virtual void OnBody(absl::string_view bytes) = 0;
  };

  HttpResponseParser() = default;
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Parses `bytes`, passing body bytes to `sink` (may be null to drop them).
  // Stops at the end of the response and returns how many bytes it used; the
  // rest belong to whatever follows. A malformed response is an
  // INVALID_ARGUMENT error naming what was wrong, after which the parser
  // stays failed until Reset().
  absl::StatusOr<size_t> Feed(absl::string_view bytes, BodySink* sink);

  // The peer closed the connection. Completes a body delimited by the close;
  // anything else unfinished is an error saying where the response stopped.
  absl::Status FinishOnEof();

  void Reset();

  bool headers_complete() const { return state_ > State::kHead; }
  bool complete() const { return state_ == State::kComplete; }
  int status_code() const { return status_code_; }
  bool chunked() const { return chunked_; }
  // Header names are lower-cased; values are trimmed. In arrival order.
  const std::vector<std::pair<std::string, std::string>>& headers() const {
    return headers_;
  }
  // The first header called `lower_case_name`, if any.
  std::optional<absl::string_view> Header(
      absl::string_view lower_case_name) const;

 private:
  enum class State {
    kHead,
    kIdentityBody,  // Content-Length bytes remain
    kBodyUntilClose,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,  // the CRLF after a chunk's data
    kTrailers,
    kComplete,
    kFailed,
  };

  absl::Status Fail(absl::string_view why);
  // Consumes head bytes; on the blank line parses the head.
  absl::StatusOr<size_t> FeedHead(absl::string_view bytes);
  absl::Status ParseHead();
  absl::Status StartBody();
  // Consumes up to one line into line_; true when the line is complete.
  size_t ConsumeLine(absl::string_view bytes, bool& line_done);
  absl::Status OnChunkSizeLine();

  State state_ = State::kHead;
  std::string head_;
  std::string line_;  // a chunk-size, chunk-end or trailer line in progress
  int status_code_ = 0;
  bool chunked_ = false;
  uint64_t remaining_ = 0;  // body or chunk bytes left
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_HTTP_RESPONSE_PARSER_H_
