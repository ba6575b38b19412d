#ifndef SSECAST_TESTS_SUPPORT_SSE_STREAM_PARSER_H_
#define SSECAST_TESTS_SUPPORT_SSE_STREAM_PARSER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ssecast::test_support {

// One dispatched Server-Sent Event, as a browser's EventSource sees it.
struct SseEvent {
  // The last event ID at dispatch time; like in a browser it carries over
  // from earlier events until an `id` field changes it.
  std::string id;
  std::string type = "message";
  std::string data;
  // A valid `retry` field seen in this event's block of lines, if any.
  std::optional<int> retry;

  bool operator==(const SseEvent& other) const {
    return id == other.id && type == other.type && data == other.data &&
           retry == other.retry;
  }
};
// For test failure messages: {id="7" type="message" data="a\nb" retry=-}.
std::ostream& operator<<(std::ostream& os, const SseEvent& event);

// Parses the bytes of a text/event-stream body incrementally, following the
// WHATWG HTML "event stream interpretation" rules: lines end in CRLF, LF or
// CR (also when a CR and its LF arrive in different Feed() calls), one
// leading UTF-8 BOM is dropped, `:` lines are comments, `data` lines append
// with LF, an `id` containing NUL is ignored, `retry` must be all digits,
// and an event is dispatched on a blank line only when it has data. Bytes
// after the last complete line are discarded by Finish(), so an event that
// lacks its closing blank line is never dispatched.
//
// Feed() may be called with any split of the stream. Not thread-safe.
class SseStreamParser {
 public:
  void Feed(absl::string_view bytes);
  // The stream ended: whatever incomplete line or event is pending is
  // dropped, and further Feed() calls are ignored.
  void Finish();

  // Removes and returns the oldest dispatched event not yet popped.
  std::optional<SseEvent> PopEvent();
  size_t pending_events() const { return events_.size(); }
  // Events dispatched so far, popped or not.
  int64_t dispatched_events() const { return dispatched_events_; }

  // Every comment line so far, without the leading ':' and with one space
  // after it removed (": keepalive" is stored as "keepalive").
  const std::vector<std::string>& comments() const { return comments_; }
  // The last event ID as of the latest blank line (what a reconnecting
  // browser would send as Last-Event-ID).
  const std::string& last_event_id() const { return last_event_id_; }
  // The reconnection time from the latest valid `retry` field, if any.
  std::optional<int> reconnection_time_ms() const { return reconnection_ms_; }

 private:
  // Removes a leading BOM once enough bytes are there to know; returns false
  // while the start of the stream could still be a partial BOM.
  bool ConsumeBom();
  void ProcessLine(absl::string_view line);
  void ProcessField(absl::string_view field, absl::string_view value);
  void DispatchEvent();

  std::string pending_;  // Bytes after the last line ending seen.
  bool bom_checked_ = false;
  bool skip_leading_lf_ = false;  // Previous chunk ended in CR.
  bool finished_ = false;

  std::string data_buffer_;
  std::string event_type_buffer_;
  std::string last_event_id_buffer_;  // Updated by `id` fields at once.
  std::string last_event_id_;         // Committed at each blank line.
  std::optional<int> block_retry_;
  std::optional<int> reconnection_ms_;

  std::deque<SseEvent> events_;
  int64_t dispatched_events_ = 0;
  std::vector<std::string> comments_;
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_SSE_STREAM_PARSER_H_
