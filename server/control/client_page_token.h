#ifndef SSECAST_SERVER_CONTROL_CLIENT_PAGE_TOKEN_H_
#define SSECAST_SERVER_CONTROL_CLIENT_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// The page_token of ListClients: names the last client id of the previous
// page, so the next page starts after it whatever connected or left
// meanwhile. Opaque to callers (web-safe base64 with a version prefix
// inside), and checked when it comes back, since a caller may send
// anything. Pure functions, thread-safe.
std::string EncodeClientPageToken(absl::string_view last_client_id);

// The client id inside `token`; INVALID_ARGUMENT, saying so, for anything
// EncodeClientPageToken did not make.
absl::StatusOr<std::string> DecodeClientPageToken(absl::string_view token);

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_CLIENT_PAGE_TOKEN_H_
