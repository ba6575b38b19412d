#ifndef SSECAST_SERVER_BROKER_BROKER_COMMAND_CODEC_H_
#define SSECAST_SERVER_BROKER_BROKER_COMMAND_CODEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/broker/broker.h"

namespace ssecast {

// Turns broker commands into the bytes that travel between nodes, and back,
// in the format that server/broker/broker_command.proto documents. Free
// functions; thread-safe.

std::string EncodeBrokerCommand(const BrokerCommand& command);

// INVALID_ARGUMENT, saying what is wrong, for bytes that are not a command
// this version understands, or whose target fails Target::Validate().
absl::StatusOr<BrokerCommand> DecodeBrokerCommand(absl::string_view bytes);

// Several encoded commands as one value (the "p" form of an entry), and
// back. Unpacking checks only the envelope: each command it returns still
// goes through DecodeBrokerCommand(). It copies nothing: the views point
// into `bytes`. INVALID_ARGUMENT for bytes that are no pack, or a pack of
// no commands.
std::string PackBrokerCommands(absl::Span<const std::string> encoded);
absl::StatusOr<std::vector<absl::string_view>> UnpackBrokerCommands(
    absl::string_view bytes);

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_BROKER_COMMAND_CODEC_H_
