#include "server/hub/event.h"

#include "absl/strings/str_cat.h"
#include "server/hub/sse_encoding.h"

namespace ssecast {

absl::Status ValidateEvent(const EventInput& event, size_t max_data_bytes) {
  if (!IsValidFieldValue(event.id)) {
    return absl::InvalidArgumentError(
        "event.id must not contain CR, LF or NUL");
  }
  if (!IsValidFieldValue(event.type)) {
    return absl::InvalidArgumentError(
        "event.type must not contain CR, LF or NUL");
  }
  if (event.id.size() > kMaxEventIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event.id is ", event.id.size(), " bytes; at most ", kMaxEventIdBytes));
  }
  if (event.type.size() > kMaxEventTypeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.type is ", event.type.size(), " bytes; at most ",
                     kMaxEventTypeBytes));
  }
  if (event.data.size() > max_data_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event.data is ", event.data.size(),
        " bytes; the limit (--max_event_bytes) is ", max_data_bytes));
  }
  return absl::OkStatus();
}

}  // namespace ssecast
