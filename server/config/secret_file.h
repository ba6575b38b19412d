#ifndef SSECAST_SERVER_CONFIG_SECRET_FILE_H_
#define SSECAST_SERVER_CONFIG_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// Reads a secret (a Redis password, a JWT signing key) from the file at
// `path`, so that it stays out of the command line. The whole file is the
// secret, less one trailing "\n" or "\r\n" as editors and `echo` leave it.
// Fails with NOT_FOUND, PERMISSION_DENIED etc. naming `what` and the path,
// or INVALID_ARGUMENT when the secret would be empty. Thread-safe.
absl::StatusOr<std::string> ReadSecretFile(absl::string_view path,
                                           absl::string_view what);

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONFIG_SECRET_FILE_H_
