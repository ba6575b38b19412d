#include "bench/event_payload.h"

#include <time.h>

#include "absl/strings/str_cat.h"

namespace ssecast::bench {

std::string MakeEventPayload(const EventStamp& stamp, size_t size) {
  std::string payload = absl::StrCat(stamp.send_unix_ns, " ", stamp.seq);
  if (payload.size() + 1 < size) {
    payload.push_back(' ');
    payload.append(size - payload.size(), 'x');
  }
  return payload;
}

namespace {

// Parses the decimal digits at the front of `text` into `value` and removes
// them; false when there are none or they overflow 19 digits.
bool ConsumeDecimal(absl::string_view& text, uint64_t& value) {
  size_t digits = 0;
  value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (digits == 19) return false;
    value = value * 10 + static_cast<uint64_t>(text[digits] - '0');
    ++digits;
  }
  text.remove_prefix(digits);
  return digits > 0;
}

}  // namespace

std::optional<EventStamp> ParseEventPayload(absl::string_view data) {
  uint64_t send = 0;
  uint64_t seq = 0;
  if (!ConsumeDecimal(data, send)) return std::nullopt;
  if (data.empty() || data.front() != ' ') return std::nullopt;
  data.remove_prefix(1);
  if (!ConsumeDecimal(data, seq)) return std::nullopt;
  if (!data.empty() && data.front() != ' ') return std::nullopt;
  return EventStamp{static_cast<int64_t>(send), seq};
}

int64_t UnixNanosNow() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace ssecast::bench
