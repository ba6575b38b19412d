// Fuzzes the broker command codec with what another node (or whoever can
// write to the Redis stream) might put there: decoding must refuse or
// succeed, and whatever it accepts must encode and decode again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "server/broker/broker_command_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<ssecast::BrokerCommand> command = ssecast::DecodeBrokerCommand(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!command.ok()) return 0;
  if (!ssecast::DecodeBrokerCommand(ssecast::EncodeBrokerCommand(*command))
           .ok()) {
    std::abort();
  }
  return 0;
}
