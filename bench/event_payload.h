// The data of every benchmark event, shared by the publishers and sse_load:
//
//   <send_unix_ns> <seq>[ <padding>]
//
// ASCII decimal send time (CLOCK_REALTIME, nanoseconds since the Unix epoch,
// taken by the publisher just before it hands the event over), one space,
// the publisher's sequence number (1, 2, 3, ... in the order the publisher
// sends, one run = one sequence), then, when the requested size leaves room,
// one space and 'x' characters up to exactly that size. No CR, LF or NUL, so
// the event is one `data:` line on the wire.
#ifndef SSECAST_BENCH_EVENT_PAYLOAD_H_
#define SSECAST_BENCH_EVENT_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ssecast::bench {

struct EventStamp {
  int64_t send_unix_ns = 0;
  uint64_t seq = 0;
};

// Builds the payload; it is longer than `size` only when the two numbers do
// not fit in it.
std::string MakeEventPayload(const EventStamp& stamp, size_t size);

// Reads the stamp back; nullopt when `data` does not start with two decimal
// numbers separated by one space and followed by the end or a space.
std::optional<EventStamp> ParseEventPayload(absl::string_view data);

// CLOCK_REALTIME now, in nanoseconds since the Unix epoch.
int64_t UnixNanosNow();

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_EVENT_PAYLOAD_H_
