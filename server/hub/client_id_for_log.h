#ifndef SSECAST_SERVER_HUB_CLIENT_ID_FOR_LOG_H_
#define SSECAST_SERVER_HUB_CLIENT_ID_FOR_LOG_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ssecast {

// How a client id appears in the server's log: "id#" and 8 hex digits of a
// stable 64-bit hash of it. A cookie id is a bearer credential and a token's
// sub may be an e-mail address, so neither is written out; the hash is the
// same on every node and run, so an operator who knows an id can find its
// lines (ssecastctl prints the same form). Thread-safe, pure.
std::string ClientIdForLog(absl::string_view client_id);

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_CLIENT_ID_FOR_LOG_H_
