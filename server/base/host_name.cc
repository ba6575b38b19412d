#include "server/base/host_name.h"

#include <unistd.h>

#include <climits>

namespace ssecast {

std::optional<std::string> HostName() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return std::nullopt;
  }
  return std::string(host);
}

}  // namespace ssecast
