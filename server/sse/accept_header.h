#ifndef SSECAST_SERVER_SSE_ACCEPT_HEADER_H_
#define SSECAST_SERVER_SSE_ACCEPT_HEADER_H_

#include "absl/strings/string_view.h"

namespace ssecast {

// Whether an HTTP Accept header admits text/event-stream: it is absent or
// empty, or the most specific of its media ranges that matches
// (text/event-stream, then text/*, then */*) has a quality above zero.
bool AcceptsEventStream(absl::string_view accept);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_ACCEPT_HEADER_H_
