// Builds the control plane's Event messages that tests publish.
//
// Free functions; thread-safe.
#ifndef SSECAST_TESTS_EVENT_BUILDER_H_
#define SSECAST_TESTS_EVENT_BUILDER_H_

#include <cstdint>
#include <string>
#include <utility>

#include "proto/ssecast/v1/broadcaster.pb.h"

namespace ssecast::test_support {

// An event with `data`, and the publisher's `id` and SSE `type` when not
// empty.
inline v1::Event MakeEvent(std::string data, std::string id = "",
                           std::string type = "", uint32_t retry_ms = 0) {
  v1::Event event;
  event.set_data(std::move(data));
  event.set_id(std::move(id));
  event.set_type(std::move(type));
  event.set_retry_ms(retry_ms);
  return event;
}

// The SSE `id:` value a browser sees for an event published at `position`
// with the publisher's `publisher_id`.
inline std::string WireId(const std::string& position,
                          const std::string& publisher_id = "") {
  return publisher_id.empty() ? position : position + ":" + publisher_id;
}

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_EVENT_BUILDER_H_
