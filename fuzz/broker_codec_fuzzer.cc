// Fuzzes the broker command codec with what another node (or whoever can
// write to the Redis stream) might put there, as the value of a "c" entry
// (one command) and of a "p" entry (a pack): decoding must refuse or
// succeed, and whatever it accepts must encode and decode again to the
// same command (a publish to the bytes the generated code writes); the
// hand-written unpacker must agree with the generated parser.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/broker/broker_command.pb.h"
#include "server/broker/broker_command_codec.h"
#include "server/broker/testing/generated_publish.h"

namespace {

void CheckCommand(absl::string_view bytes) {
  absl::StatusOr<ssecast::BrokerCommand> command =
      ssecast::DecodeBrokerCommand(bytes);
  if (!command.ok()) return;
  const std::string encoded = ssecast::EncodeBrokerCommand(*command);
  absl::StatusOr<ssecast::BrokerCommand> again =
      ssecast::DecodeBrokerCommand(encoded);
  if (!again.ok()) std::abort();
  // Decoding what was encoded gives the same command back: it encodes to
  // the same bytes.
  if (ssecast::EncodeBrokerCommand(*again) != encoded) std::abort();
  // Publishes are encoded by hand: byte for byte what the generated code
  // writes.
  if (const auto* publish = std::get_if<ssecast::PublishCommand>(&*command);
      publish != nullptr &&
      encoded != ssecast::test_support::GeneratedPublishBytes(*publish)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckCommand(bytes);
  absl::StatusOr<std::vector<absl::string_view>> pack =
      ssecast::UnpackBrokerCommands(bytes);
  // The hand-written unpacker takes exactly what the generated parser
  // takes (a pack of at least one command), with the same commands.
  ssecast::broker::wire::Commands parsed;
  const bool generated_ok =
      parsed.ParseFromArray(data, static_cast<int>(size)) &&
      !parsed.commands().empty();
  if (pack.ok() != generated_ok) std::abort();
  if (!pack.ok()) return 0;
  if (!std::equal(pack->begin(), pack->end(), parsed.commands().begin(),
                  parsed.commands().end())) {
    std::abort();
  }
  for (absl::string_view command : *pack) CheckCommand(command);
  // What unpacks packs again to the same commands.
  const std::vector<std::string> commands(pack->begin(), pack->end());
  const std::string packed = ssecast::PackBrokerCommands(commands);
  absl::StatusOr<std::vector<absl::string_view>> again =
      ssecast::UnpackBrokerCommands(packed);
  if (!again.ok() || *again != *pack) std::abort();
  return 0;
}
