#include "server/hub/sse_encoding.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ssecast {

bool IsValidFieldValue(absl::string_view value) {
  return value.find_first_of(absl::string_view("\r\n\0", 3)) ==
         absl::string_view::npos;
}

void AppendSseEvent(const EventInput& event, absl::string_view wire_id,
                    std::string* out) {
  absl::StrAppend(out, "id: ", wire_id, "\n");
  if (!event.type.empty()) absl::StrAppend(out, "event: ", event.type, "\n");
  if (event.retry_ms > 0) absl::StrAppend(out, "retry: ", event.retry_ms, "\n");
  absl::string_view data = event.data;
  while (true) {
    size_t end = data.find_first_of("\r\n");
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
  const std::string size_line =
      absl::StrCat(absl::Hex(buffer->size() - kHeadroom), "\r\n");
  const size_t offset = kHeadroom - size_line.size();
  buffer->replace(offset, size_line.size(), size_line);
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
