// SseParser: an incremental parser of a text/event-stream body, following
// the WHATWG HTML "event stream interpretation": lines end in CRLF, LF or CR
// (a CRLF split across two Feed() calls counts once), a leading UTF-8 BOM is
// skipped, lines starting with ':' are comments, "field: value" loses one
// space after the colon, `data` lines accumulate joined by LF, `id` without
// NUL sets the last event id (which persists across events), `retry` with
// digits only sets the reconnection time, and a blank line dispatches the
// event if any data was collected.
//
// Bytes are fed in arbitrary pieces. A line that lies whole within one piece
// is parsed in place; only a line split across pieces is copied. Buffers are
// reused, so steady-state parsing does not allocate. The listener's views are
// valid only during the call. Not thread-safe; one parser per stream.
#ifndef SSECAST_BENCH_SSE_PARSER_H_
#define SSECAST_BENCH_SSE_PARSER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ssecast::bench {

struct SseEvent {
  absl::string_view type;  // "message" unless an `event:` field said else
  absl::string_view data;  // data lines joined by LF, no trailing LF
  absl::string_view last_event_id;
};

class SseParser {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnEvent(const SseEvent& event) = 0;
    virtual void OnComment(absl::string_view /*comment*/) {}
  };

  // `listener` must outlive the parser.
  explicit SseParser(Listener* listener) : listener_(listener) {}

  SseParser(const SseParser&) = delete;
  SseParser& operator=(const SseParser&) = delete;

  void Feed(absl::string_view bytes);

  // The last `retry:` value, or -1 when none was seen.
  int64_t retry_ms() const { return retry_ms_; }
  const std::string& last_event_id() const { return last_event_id_; }

 private:
  void ProcessLine(absl::string_view line);
  void ProcessField(absl::string_view name, absl::string_view value);
  void Dispatch();

  Listener* const listener_;
  std::string partial_line_;  // a line not yet ended by CR or LF
  bool skip_lf_ = false;      // the previous piece ended in CR
  bool at_stream_start_ = true;
  std::string data_;
  bool has_data_ = false;
  std::string type_;
  std::string last_event_id_;
  int64_t retry_ms_ = -1;
};

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_SSE_PARSER_H_
