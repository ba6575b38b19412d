#ifndef SSECAST_SERVER_REDIS_REDIS_TARGET_FLAGS_H_
#define SSECAST_SERVER_REDIS_REDIS_TARGET_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "server/base/host_port.h"
#include "server/redis/redis_connection.h"

// main.cc names the address in its readiness report.
ABSL_DECLARE_FLAG(std::string, redis_address);

namespace ssecast {

// The one Redis every Redis user of a node (the broker, its reader, the
// no-reconnect store) talks to, as --redis_address, --redis_password_file,
// --redis_sentinels and --redis_master_name give it. Parsed once, so each
// user gets the same target and the same error for a bad flag. A value
// type.
struct RedisTarget {
  HostPort address;
  // When not empty: the master these sentinels name `master_name`, instead
  // of `address`.
  std::vector<RedisConnection::Endpoint> sentinels;
  std::string master_name;
  std::string password;  // empty: no AUTH

  // Sets the connection fields every Redis user's options share (host,
  // port, sentinels, master_name, password).
  template <typename Options>
  void ApplyTo(Options* options) const {
    options->host = address.host;
    options->port = address.port;
    options->sentinels = sentinels;
    options->master_name = master_name;
    options->password = password;
  }
};

// The target from the flags; INVALID_ARGUMENT naming the flag that is wrong
// ("--redis_address: \"nope\" is not HOST:PORT"), or the error of reading
// the password file.
absl::StatusOr<RedisTarget> RedisTargetFromFlags();

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_TARGET_FLAGS_H_
