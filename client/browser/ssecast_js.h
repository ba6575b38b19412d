#ifndef SSECAST_CLIENT_BROWSER_SSECAST_JS_H_
#define SSECAST_CLIENT_BROWSER_SSECAST_JS_H_

#include "absl/strings/string_view.h"

namespace ssecast {

// The bytes of client/browser/ssecast.js, the browser client that ssecast
// serves at /ssecast.js, copied into the binary at build time. Static
// storage; thread-safe.
absl::string_view SsecastJs();

}  // namespace ssecast

#endif  // SSECAST_CLIENT_BROWSER_SSECAST_JS_H_
