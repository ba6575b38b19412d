#ifndef SSECAST_SERVER_HUB_EVENT_H_
#define SSECAST_SERVER_HUB_EVENT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "server/hub/position.h"
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

// One published event, serialized once and shared, immutable, by every
// connection it is delivered to. Thread-safe because it never changes.
class Event {
 public:
  Event(Position position, Target target, std::string chunk)
      : position_(position),
        target_(std::move(target)),
        chunk_(std::move(chunk)) {}

  const Position& position() const { return position_; }
  const Target& target() const { return target_; }

  // The event on the wire: its SSE text framed as one HTTP/1.1 chunk
  // ("<hex length>\r\n<text>\r\n"), ready to be written to any stream.
  const std::string& chunk() const { return chunk_; }

 private:
  const Position position_;
  const Target target_;
  const std::string chunk_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_EVENT_H_
