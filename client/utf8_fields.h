// Checks that the strings of a control-plane request are UTF-8, as proto3
// `string` fields must be. The server's parser refuses a request that
// breaks this before the service sees it, and gRPC 1.51's callback server
// answers with a bare UNIMPLEMENTED (for a stream: ends the whole call);
// checking on the client side, with protobuf's own test, gives the caller
// INVALID_ARGUMENT naming the field instead. Pure functions; thread-safe.
#ifndef SSECAST_CLIENT_UTF8_FIELDS_H_
#define SSECAST_CLIENT_UTF8_FIELDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "proto/ssecast/v1/broadcaster.pb.h"

namespace ssecast {

// `field` names the value in the error: "event.data is not valid UTF-8".
absl::Status CheckUtf8(absl::string_view field, absl::string_view value);

// Names the first bad entry with its index: "client_ids[1] is not ...".
absl::Status CheckUtf8(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& values);

// Every string of the event and the target.
absl::Status CheckUtf8(const v1::PublishRequest& request);

}  // namespace ssecast

#endif  // SSECAST_CLIENT_UTF8_FIELDS_H_
