#ifndef SSECAST_SERVER_HUB_NAMES_H_
#define SSECAST_SERVER_HUB_NAMES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// Checks a client id given over the control plane or by a client: 1 to 128
// printable ASCII characters, no space. The error says what is wrong.
absl::Status ValidateClientId(absl::string_view client_id);

// Checks a group name: 1 to 128 characters from [A-Za-z0-9._:@/-]. The
// error says what is wrong.
absl::Status ValidateGroupName(absl::string_view group);

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_NAMES_H_
