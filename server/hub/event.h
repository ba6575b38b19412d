#ifndef SSECAST_SERVER_HUB_EVENT_H_
#define SSECAST_SERVER_HUB_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/hub/position.h"
#include "server/hub/retry_change.h"
#include "server/hub/target.h"

namespace ssecast {

// What a publisher asks to send: the fields of one Server-Sent Event.
struct EventInput {
  std::string id;         // publisher's id; no CR, LF or NUL
  std::string type;       // SSE `event:` field; no CR, LF or NUL
  std::string data;       // may span lines
  uint32_t retry_ms = 0;  // sent as `retry:` when > 0
};

inline constexpr size_t kMaxEventIdBytes = 256;
inline constexpr size_t kMaxEventTypeBytes = 256;

// Checks `event` against the WHATWG rules and the size limit. The message of
// an error names the field and what is wrong with it.
absl::Status ValidateEvent(const EventInput& event, size_t max_data_bytes);

// One entry of the event log: a published event, serialized once and
// shared, immutable, by every connection it is delivered to; or a change of
// the reconnect interval, which each connection renders for itself.
// Thread-safe because it never changes.
class Event {
 public:
  // `buffer` holds the chunk from `chunk_offset` on.
  Event(Position position, absl::Time published, Target target,
        std::string buffer, size_t chunk_offset)
      : position_(position),
        published_(published),
        target_(std::move(target)),
        buffer_(std::move(buffer)),
        chunk_offset_(chunk_offset) {}
  Event(Position position, absl::Time published, RetryChange retry_change)
      : position_(position),
        published_(published),
        target_(Target::All()),
        retry_change_(retry_change) {}

  const Position& position() const { return position_; }
  absl::Time published() const { return published_; }
  const Target& target() const { return target_; }
  // Set for a reconnect-interval change, whose chunk() is empty.
  const std::optional<RetryChange>& retry_change() const {
    return retry_change_;
  }

  // The event on the wire: its SSE text framed as one HTTP/1.1 chunk
  // ("<hex length>\r\n<text>\r\n"), ready to be written to any stream.
  absl::string_view chunk() const {
    return absl::string_view(buffer_).substr(chunk_offset_);
  }

 private:
  const Position position_;
  const absl::Time published_;
  const Target target_;
  const std::string buffer_;
  const size_t chunk_offset_ = 0;
  const std::optional<RetryChange> retry_change_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_EVENT_H_
