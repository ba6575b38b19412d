#ifndef SSECAST_TESTS_SUPPORT_SSE_TEST_CLIENT_H_
#define SSECAST_TESTS_SUPPORT_SSE_TEST_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"
#include "tests/support/chunked_body_decoder.h"
#include "tests/support/http_headers.h"
#include "tests/support/sse_stream_parser.h"

namespace ssecast::test_support {

// How a response body ended, as far as the client has read.
enum class EndKind {
  kNotEnded,  // Still open, or not read far enough to know.
  // The zero-length last chunk arrived, the Content-Length body is
  // complete, or the status (204, 304) carries no body.
  kCleanEnd,
  // The server closed the connection without finishing the body. A body
  // with neither chunking nor Content-Length can only end this way.
  kEof,
  kReset,      // Reading failed: ECONNRESET or another socket error.
  kMalformed,  // The chunked framing was invalid; see end_detail().
};
absl::string_view EndKindName(EndKind kind);
std::ostream& operator<<(std::ostream& os, EndKind kind);

// Everything about the request an SseTestClient sends.
struct SseTestRequest {
  std::string method = "GET";
  std::string path = "/events";
  // Sent after the defaults. A Host or Accept here replaces the default
  // one. Unless one is given here, Content-Length is sent for a non-empty
  // body and for POST, PUT, PATCH and DELETE.
  HttpHeaders headers;
  std::string body;
  // False sends no `Accept: text/event-stream` (nor any Accept, unless
  // `headers` has one).
  bool accept_event_stream = true;
  // When positive, SO_RCVBUF is set before connecting (the kernel doubles
  // it and has a floor), so a client that stops reading stalls the server
  // after little data.
  int receive_buffer_bytes = 0;
  // Bounds connecting, sending and reading the response head.
  absl::Duration timeout = absl::Seconds(10);
};

// A blocking HTTP/1.1 client over a raw TCP socket to 127.0.0.1, made to
// look at an SSE endpoint the way a test needs: exact status and headers,
// the body decoded from chunked or Content-Length framing, Server-Sent
// Events parsed with the browser's rules, and how the response ended.
//
// It reads only inside its methods, so a test that stops calling them is a
// stalled client whose socket buffers fill. Every wait polls the socket up
// to its timeout and then returns DEADLINE_EXCEEDED naming what it waited
// for. Events and comments that arrive while waiting for something else are
// kept for NextEvent() and NextComment(). The socket is closed on
// destruction. Not thread-safe: use one from one thread.
class SseTestClient {
 public:
  // Connects to 127.0.0.1:`port`, sends `GET path` with `Host`,
  // `Accept: text/event-stream` and `headers`, and reads the response head.
  static absl::StatusOr<std::unique_ptr<SseTestClient>> Connect(
      int port, const std::string& path = "/events", HttpHeaders headers = {},
      absl::Duration timeout = absl::Seconds(10));
  static absl::StatusOr<std::unique_ptr<SseTestClient>> Connect(
      int port, const SseTestRequest& request);

  SseTestClient(const SseTestClient&) = delete;
  SseTestClient& operator=(const SseTestClient&) = delete;

  // The response head.
  int status() const { return status_; }
  const std::string& reason() const { return reason_; }
  const HttpHeaders& headers() const { return headers_; }
  std::optional<std::string> header(absl::string_view name) const {
    return FindHeader(headers_, name);
  }
  std::vector<std::string> set_cookies() const {
    return FindAllHeaders(headers_, "Set-Cookie");
  }
  std::optional<std::string> CookieValue(absl::string_view name) const {
    return FindSetCookieValue(headers_, name);
  }

  // The next event not yet returned. OUT_OF_RANGE when the response ended
  // without one (an event that lacked its closing blank line is dropped).
  absl::StatusOr<SseEvent> NextEvent(absl::Duration timeout);
  // The next comment line not yet returned by NextComment(), in the form
  // comments() keeps it. OUT_OF_RANGE when the response ended without one.
  absl::StatusOr<std::string> NextComment(absl::Duration timeout);
  // Every comment line received so far (": keepalive" as "keepalive").
  const std::vector<std::string>& comments() const {
    return parser_.comments();
  }
  // The id of the last event parsed, which may be ahead of the last one
  // taken with NextEvent(): it is what a browser would send only once
  // every parsed event has been taken.
  const std::string& last_event_id() const { return parser_.last_event_id(); }
  std::optional<int> reconnection_time_ms() const {
    return parser_.reconnection_time_ms();
  }

  // Reads until at least `bytes` bytes of decoded body have arrived.
  // OUT_OF_RANGE if the response ends first.
  absl::Status WaitForBodyBytes(size_t bytes, absl::Duration timeout);
  // Reads until the decoded body contains `text`. OUT_OF_RANGE if the
  // response ends first.
  absl::Status WaitForBodyText(absl::string_view text, absl::Duration timeout);
  // Reads until the response ends, however it ends; end_kind() tells how.
  // Events on the way stay available to NextEvent().
  absl::Status WaitForEnd(absl::Duration timeout);
  EndKind end_kind() const { return end_kind_; }
  // What went wrong for kReset or kMalformed, empty otherwise.
  const std::string& end_detail() const { return end_detail_; }
  // Waits for the end and returns the whole decoded body. DATA_LOSS when
  // the body was cut short, reset or malformed.
  absl::StatusOr<std::string> ReadAllBody(absl::Duration timeout);
  // The decoded body received so far.
  const std::string& body() const { return body_; }

  // Closes the connection now, as a browser tab that goes away does.
  // Further reads fail with FAILED_PRECONDITION.
  void Close() { fd_.Reset(); }

 private:
  enum class Framing { kNone, kChunked, kContentLength, kUntilClose };

  SseTestClient(UniqueFd fd, std::string description, bool head_request);

  absl::Status SendRequest(const SseTestRequest& request, int port,
                           absl::Time deadline);
  absl::Status ReadHead(absl::Duration timeout, absl::Time deadline);
  absl::Status ParseHead(absl::string_view head);
  absl::Status ChooseFraming();

  // Appends what one read gets to `*out`. Returns false on EOF, and
  // UNAVAILABLE for a socket error. Waits no later than `deadline`.
  absl::StatusOr<bool> ReceiveSome(absl::Time deadline, std::string* out);
  // Reads once and feeds the body; ends it on EOF or a socket error.
  absl::Status ReadBody(absl::Time deadline, absl::Duration timeout,
                        absl::string_view awaited);
  void ConsumeBody(absl::string_view bytes);
  void DeliverBody(absl::string_view decoded);
  void EndBody(EndKind kind, std::string detail = "");
  bool ended() const { return end_kind_ != EndKind::kNotEnded; }

  absl::Status TimedOut(absl::Duration timeout,
                        absl::string_view awaited) const;
  absl::Status EndedBefore(absl::string_view awaited) const;
  std::string Progress() const;

  UniqueFd fd_;
  const std::string description_;  // "GET /events on 127.0.0.1:1234".
  const bool head_request_;

  int status_ = 0;
  std::string reason_;
  HttpHeaders headers_;

  Framing framing_ = Framing::kNone;
  uint64_t content_remaining_ = 0;
  ChunkedBodyDecoder chunked_;
  std::string body_;
  SseStreamParser parser_;
  size_t comments_returned_ = 0;
  EndKind end_kind_ = EndKind::kNotEnded;
  std::string end_detail_;
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_SSE_TEST_CLIENT_H_
