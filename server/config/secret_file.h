#ifndef SSECAST_SERVER_STORE_REDIS_PASSWORD_FILE_H_
#define SSECAST_SERVER_STORE_REDIS_PASSWORD_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// Reads the Redis password from the file at `path` (the server's
// --redis_password_file), so that the secret stays out of the command line.
// The whole file is the password, less one trailing "\n" or "\r\n" as editors
// and `echo` leave it. Fails with NOT_FOUND, PERMISSION_DENIED etc. naming the
// path, or INVALID_ARGUMENT when the password would be empty. Thread-safe.
absl::StatusOr<std::string> ReadRedisPasswordFile(absl::string_view path);

}  // namespace ssecast

#endif  // SSECAST_SERVER_STORE_REDIS_PASSWORD_FILE_H_
