#include "server/hub/sse_encoding.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ssecast {

namespace {

// memchr() is vectorized; absl::string_view::find_first_of() builds a
// lookup table on every call, and these run for every event.
const char* Find(absl::string_view text, char c) {
  if (text.empty()) return nullptr;  // memchr() wants a pointer
  return static_cast<const char*>(std::memchr(text.data(), c, text.size()));
}

// The offset of the first CR or LF in `text`, or npos.
size_t FindLineBreak(absl::string_view text) {
  const char* lf = Find(text, '\n');
  const size_t lf_at = lf != nullptr ? lf - text.data() : text.size();
  if (const char* cr = Find(text.substr(0, lf_at), '\r')) {
    return cr - text.data();
  }
  return lf != nullptr ? lf_at : absl::string_view::npos;
}

}  // namespace

bool IsValidFieldValue(absl::string_view value) {
  return Find(value, '\n') == nullptr && Find(value, '\r') == nullptr &&
         Find(value, '\0') == nullptr;
}

void AppendSseEvent(const EventInput& event, absl::string_view wire_id,
                    std::string* out) {
  absl::StrAppend(out, "id: ", wire_id, "\n");
  if (!event.type.empty()) absl::StrAppend(out, "event: ", event.type, "\n");
  if (event.retry_ms > 0) absl::StrAppend(out, "retry: ", event.retry_ms, "\n");
  absl::string_view data = event.data;
  while (true) {
    size_t end = FindLineBreak(data);
    absl::StrAppend(out, "data: ", data.substr(0, end), "\n");
    if (end == absl::string_view::npos) break;
    // CRLF is one line break, not two.
    size_t next = end + 1;
    if (data[end] == '\r' && next < data.size() && data[next] == '\n') ++next;
    data.remove_prefix(next);
  }
  out->push_back('\n');
}

void AppendSseComment(absl::string_view text, std::string* out) {
  absl::StrAppend(out, ": ", text, "\n\n");
}

size_t BuildSseEventChunk(const EventInput& event, absl::string_view wire_id,
                          std::string* buffer) {
  // Up to 16 hex digits and CRLF.
  constexpr size_t kHeadroom = 18;
  buffer->clear();
  buffer->reserve(kHeadroom + event.data.size() + wire_id.size() +
                  event.type.size() + 40);
  buffer->append(kHeadroom, '\0');
  AppendSseEvent(event, wire_id, buffer);
  // The chunk size line right before the payload, written in place
  // (AlphaNum formats into a buffer of its own, not the heap).
  const absl::AlphaNum size(absl::Hex(buffer->size() - kHeadroom));
  const size_t offset = kHeadroom - 2 - size.size();
  buffer->replace(offset, size.size(), size.data(), size.size());
  buffer->replace(kHeadroom - 2, 2, "\r\n");
  buffer->append("\r\n");
  return offset;
}

std::string FrameChunk(absl::string_view payload) {
  return absl::StrCat(absl::Hex(payload.size()), "\r\n", payload, "\r\n");
}

std::string RetryChunk(absl::Duration retry) {
  return FrameChunk(
      absl::StrCat("retry: ", absl::ToInt64Milliseconds(retry), "\n\n"));
}

}  // namespace ssecast
