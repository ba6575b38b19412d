// Fuzzes the broker command codec with what another node (or whoever can
// write to the Redis stream) might put there, as the value of a "c" entry
// (one command) and of a "p" entry (a pack): decoding must refuse or
// succeed, and whatever it accepts must encode and decode again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/broker/broker_command_codec.h"

namespace {

void CheckCommand(absl::string_view bytes) {
  absl::StatusOr<ssecast::BrokerCommand> command =
      ssecast::DecodeBrokerCommand(bytes);
  if (!command.ok()) return;
  if (!ssecast::DecodeBrokerCommand(ssecast::EncodeBrokerCommand(*command))
           .ok()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckCommand(bytes);
  absl::StatusOr<std::vector<std::string>> pack =
      ssecast::UnpackBrokerCommands(bytes);
  if (!pack.ok()) return 0;
  for (const std::string& command : *pack) CheckCommand(command);
  // What unpacks packs again to the same commands.
  absl::StatusOr<std::vector<std::string>> again =
      ssecast::UnpackBrokerCommands(ssecast::PackBrokerCommands(*pack));
  if (!again.ok() || *again != *pack) std::abort();
  return 0;
}
