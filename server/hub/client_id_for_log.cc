#include "server/hub/client_id_for_log.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace ssecast {

std::string ClientIdForLog(absl::string_view client_id) {
  // FNV-1a: stable across builds and machines, unlike absl::Hash. It is not
  // meant to resist search: ids worth hiding are long random or personal.
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : client_id) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return absl::StrFormat("id#%08x", static_cast<uint32_t>(hash ^ (hash >> 32)));
}

}  // namespace ssecast
