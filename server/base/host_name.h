#ifndef SSECAST_SERVER_BASE_HOST_NAME_H_
#define SSECAST_SERVER_BASE_HOST_NAME_H_

#include <optional>
#include <string>

namespace ssecast {

// This machine's host name (gethostname), for the default names a node
// gives itself; nullopt when it cannot be read or is empty. Thread-safe.
std::optional<std::string> HostName();

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_HOST_NAME_H_
