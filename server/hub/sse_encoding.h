#ifndef SSECAST_SERVER_HUB_SSE_ENCODING_H_
#define SSECAST_SERVER_HUB_SSE_ENCODING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/hub/event.h"

namespace ssecast {

// The Server-Sent Events wire format (WHATWG HTML, "Server-sent events"),
// and the HTTP/1.1 chunk framing every stream of ssecast uses.

// Whether `value` may stand in an `id:` or `event:` field: it must not hold
// CR, LF (they would end the field and let content inject fields) or NUL
// (browsers ignore an id with NUL).
bool IsValidFieldValue(absl::string_view value);

// Appends the event's SSE text to `out`: `id:` (the position, then ':' and
// the publisher's id when there is one), `event:` when a type is set,
// `retry:` when set, one `data:` line per line of data (split on CRLF, LF
// and CR; an empty payload still gets one `data:` line so that the browser
// dispatches it), and the blank line that dispatches the event. Assumes
// ValidateEvent() passed.
void AppendSseEvent(const EventInput& event, absl::string_view wire_id,
                    std::string* out);

// Appends `text` as a comment line block (": text\n\n").
void AppendSseComment(absl::string_view text, std::string* out);

// Frames `payload` as one HTTP/1.1 chunk: "<hex size>\r\n<payload>\r\n".
std::string FrameChunk(absl::string_view payload);

// Builds an event's chunk in one buffer: `*buffer` gets room for the chunk
// size line, then the SSE text, and the returned offset is where the chunk
// starts in it. Saves FrameChunk()'s second allocation and copy on the
// publish path.
size_t BuildSseEventChunk(const EventInput& event, absl::string_view wire_id,
                          std::string* buffer);

// The chunk that tells the browser its reconnect interval: "retry: <ms>"
// in a block of its own (whole milliseconds, rounded down).
std::string RetryChunk(absl::Duration retry);

// The chunk that ends a chunked response.
inline constexpr absl::string_view kLastChunk = "0\r\n\r\n";

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_SSE_ENCODING_H_
