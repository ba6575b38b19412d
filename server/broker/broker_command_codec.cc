#include "server/broker/broker_command_codec.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/broker/broker_command.pb.h"

namespace ssecast {
namespace {

namespace wire = ::ssecast::broker::wire;

// Moves the strings out of a repeated field of a message about to go.
template <typename Repeated>
std::vector<std::string> TakeVector(Repeated& repeated) {
  return std::vector<std::string>(std::make_move_iterator(repeated.begin()),
                                  std::make_move_iterator(repeated.end()));
}

wire::Target::Kind WireKind(Target::Kind kind) {
  switch (kind) {
    case Target::Kind::kAll:
      return wire::Target::ALL;
    case Target::Kind::kClients:
      return wire::Target::CLIENTS;
    case Target::Kind::kGroups:
      return wire::Target::GROUPS;
  }
  return wire::Target::KIND_UNSPECIFIED;
}

void EncodeTarget(const Target& target, wire::Target* out) {
  out->set_kind(WireKind(target.kind()));
  for (const std::string& name : target.names()) out->add_names(name);
}

absl::StatusOr<Target> DecodeTarget(wire::Target& in) {
  Target target = Target::All();
  switch (in.kind()) {
    case wire::Target::ALL:
      return Target::All();
    case wire::Target::CLIENTS:
      target = Target::Clients(TakeVector(*in.mutable_names()));
      break;
    case wire::Target::GROUPS:
      target = Target::Groups(TakeVector(*in.mutable_names()));
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown target kind ", in.kind()));
  }
  if (absl::Status valid = target.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad target: ", valid.message()));
  }
  return target;
}

wire::Command ToWire(const DisconnectCommand& disconnect) {
  wire::Command out;
  EncodeTarget(disconnect.target, out.mutable_disconnect()->mutable_target());
  out.mutable_disconnect()->set_block_reconnect(disconnect.block_reconnect);
  return out;
}

wire::Command ToWire(const GroupCommand& group) {
  wire::Command out;
  wire::GroupChange* change = out.mutable_group_change();
  for (const std::string& id : group.client_ids) change->add_client_ids(id);
  for (const std::string& name : group.groups) change->add_groups(name);
  change->set_join(group.join);
  return out;
}

wire::Command ToWire(const RetryCommand& retry) {
  wire::Command out;
  wire::RetryChange* change = out.mutable_retry_change();
  change->set_retry_nanos(absl::ToInt64Nanoseconds(retry.change.retry));
  change->set_jitter_nanos(absl::ToInt64Nanoseconds(retry.change.jitter));
  return out;
}

// The FromWire()s take their strings from `in`, which the caller drops:
// decoding runs for every command every node reads.
absl::StatusOr<BrokerCommand> FromWire(wire::Publish& in) {
  absl::StatusOr<Target> target = DecodeTarget(*in.mutable_target());
  if (!target.ok()) return target.status();
  return PublishCommand{
      {std::move(*in.mutable_id()), std::move(*in.mutable_type()),
       std::move(*in.mutable_data()), in.retry_ms()},
      *std::move(target)};
}

absl::StatusOr<BrokerCommand> FromWire(wire::Disconnect& in) {
  absl::StatusOr<Target> target = DecodeTarget(*in.mutable_target());
  if (!target.ok()) return target.status();
  if (target->all()) {
    return absl::InvalidArgumentError("a disconnect of all clients");
  }
  return DisconnectCommand{*std::move(target), in.block_reconnect()};
}

absl::StatusOr<BrokerCommand> FromWire(wire::GroupChange& in) {
  if (in.client_ids().empty() || in.groups().empty()) {
    return absl::InvalidArgumentError(
        "a group change without client ids or groups");
  }
  return GroupCommand{TakeVector(*in.mutable_client_ids()),
                      TakeVector(*in.mutable_groups()), in.join()};
}

absl::StatusOr<BrokerCommand> FromWire(const wire::RetryChange& in) {
  return RetryCommand{{absl::Nanoseconds(in.retry_nanos()),
                       absl::Nanoseconds(in.jitter_nanos())}};
}

// A publish is written field by field, straight from the command: through
// wire::Command it cost three messages, a copy of every string and their
// destruction, for every event a node sends. The bytes are those the
// generated serializer gives for the same wire::Command (fields in number
// order, empty ones left out, the target always present), which the codec
// test checks.
class PublishWriter {
 public:
  explicit PublishWriter(const PublishCommand& publish) : publish_(publish) {}

  std::string Write() const {
    const size_t target = TargetSize();
    const size_t body = BodySize(target);
    std::string out;
    out.resize(LengthDelimitedSize(body));
    uint8_t* at = reinterpret_cast<uint8_t*>(out.data());
    at = Header(wire::Command::kPublishFieldNumber, body, at);
    at = Bytes(wire::Publish::kIdFieldNumber, publish_.event.id, at);
    at = Bytes(wire::Publish::kTypeFieldNumber, publish_.event.type, at);
    at = Bytes(wire::Publish::kDataFieldNumber, publish_.event.data, at);
    if (publish_.event.retry_ms != 0) {
      at = CodedOutputStream::WriteTagToArray(
          Tag(wire::Publish::kRetryMsFieldNumber,
              WireFormatLite::WIRETYPE_VARINT),
          at);
      at = CodedOutputStream::WriteVarint32ToArray(publish_.event.retry_ms, at);
    }
    at = Header(wire::Publish::kTargetFieldNumber, target, at);
    at = CodedOutputStream::WriteTagToArray(
        Tag(wire::Target::kKindFieldNumber, WireFormatLite::WIRETYPE_VARINT),
        at);
    at = CodedOutputStream::WriteVarint32ToArray(Kind(), at);
    for (const std::string& name : publish_.target.names()) {
      at = Bytes(wire::Target::kNamesFieldNumber, name, at, /*always=*/true);
    }
    return out;
  }

 private:
  using CodedOutputStream = google::protobuf::io::CodedOutputStream;
  using WireFormatLite = google::protobuf::internal::WireFormatLite;

  static uint32_t Tag(int field, WireFormatLite::WireType type) {
    return WireFormatLite::MakeTag(field, type);
  }
  // Tag, length and body of a field numbered below 16 (a one-byte tag).
  static size_t LengthDelimitedSize(size_t body) {
    return 1 + CodedOutputStream::VarintSize32(static_cast<uint32_t>(body)) +
           body;
  }
  static size_t BytesSize(const std::string& bytes) {
    return bytes.empty() ? 0 : LengthDelimitedSize(bytes.size());
  }
  static uint8_t* Header(int field, size_t body, uint8_t* at) {
    at = CodedOutputStream::WriteTagToArray(
        Tag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), at);
    return CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(body),
                                                   at);
  }
  static uint8_t* Bytes(int field, const std::string& bytes, uint8_t* at,
                        bool always = false) {
    if (bytes.empty() && !always) return at;
    at = Header(field, bytes.size(), at);
    std::memcpy(at, bytes.data(), bytes.size());
    return at + bytes.size();
  }

  uint32_t Kind() const { return WireKind(publish_.target.kind()); }
  size_t TargetSize() const {
    size_t size = 1 + CodedOutputStream::VarintSize32(Kind());
    for (const std::string& name : publish_.target.names()) {
      size += LengthDelimitedSize(name.size());
    }
    return size;
  }
  size_t BodySize(size_t target) const {
    const EventInput& event = publish_.event;
    size_t size = BytesSize(event.id) + BytesSize(event.type) +
                  BytesSize(event.data) + LengthDelimitedSize(target);
    if (event.retry_ms != 0) {
      size += 1 + CodedOutputStream::VarintSize32(event.retry_ms);
    }
    return size;
  }

  const PublishCommand& publish_;
};

}  // namespace

std::string EncodeBrokerCommand(const BrokerCommand& command) {
  struct Encode {
    std::string operator()(const PublishCommand& publish) const {
      return PublishWriter(publish).Write();
    }
    // The rarer commands go through their wire messages.
    std::string operator()(const DisconnectCommand& c) const {
      return ToWire(c).SerializeAsString();
    }
    std::string operator()(const GroupCommand& c) const {
      return ToWire(c).SerializeAsString();
    }
    std::string operator()(const RetryCommand& c) const {
      return ToWire(c).SerializeAsString();
    }
  };
  return std::visit(Encode{}, command);
}

absl::StatusOr<BrokerCommand> DecodeBrokerCommand(absl::string_view bytes) {
  wire::Command in;
  if (!in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("not a serialized broker command");
  }
  switch (in.kind_case()) {
    case wire::Command::kPublish:
      return FromWire(*in.mutable_publish());
    case wire::Command::kDisconnect:
      return FromWire(*in.mutable_disconnect());
    case wire::Command::kGroupChange:
      return FromWire(*in.mutable_group_change());
    case wire::Command::kRetryChange:
      return FromWire(in.retry_change());
    case wire::Command::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "a broker command of no kind this version knows");
}

std::string PackBrokerCommands(absl::Span<const std::string> encoded) {
  // Written field by field rather than through wire::Commands, which would
  // copy every command once more: this runs for every event of a batch.
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  const uint32_t tag =
      WireFormatLite::MakeTag(wire::Commands::kCommandsFieldNumber,
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  size_t size = 0;
  for (const std::string& command : encoded) {
    size += CodedOutputStream::VarintSize32(tag) +
            CodedOutputStream::VarintSize32(command.size()) + command.size();
  }
  std::string pack;
  pack.reserve(size);
  {
    google::protobuf::io::StringOutputStream stream(&pack);
    CodedOutputStream out(&stream);
    for (const std::string& command : encoded) {
      out.WriteTag(tag);
      out.WriteVarint32(static_cast<uint32_t>(command.size()));
      out.WriteRaw(command.data(), static_cast<int>(command.size()));
    }
  }
  return pack;
}

namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// The generated parser's reading of a pack, for UnpackBrokerCommands(): it
// must accept exactly what wire::Commands::ParseFromArray() accepts, and
// CodedInputStream alone is more lenient (lengths of ten bytes, for one).
class PackReader {
 public:
  explicit PackReader(absl::string_view bytes)
      : bytes_(bytes),
        in_(reinterpret_cast<const uint8_t*>(bytes.data()),
            static_cast<int>(bytes.size())) {}

  bool AtEnd() { return in_.ExpectAtEnd(); }

  // A tag: a varint of at most 5 bytes, of which the low 32 bits count,
  // with a field number other than 0 (CodedInputStream::ReadTag() would
  // take longer ones, and SkipField() field 0).
  bool ReadTag(uint32_t* tag) {
    uint64_t wide = 0;
    if (!ReadShortVarint(&wide)) return false;
    *tag = static_cast<uint32_t>(wide);
    return WireFormatLite::GetTagFieldNumber(*tag) != 0;
  }

  // The value of a length-delimited field, as a view into the pack. Its
  // length is read as ReadSize() in protobuf's parse_context.h does: at
  // most 5 bytes, and below 2 GiB less the parser's 16 bytes of slop.
  bool ReadLengthDelimited(absl::string_view* value) {
    uint64_t length = 0;
    if (!ReadShortVarint(&length) ||
        length > static_cast<uint64_t>(INT_MAX - 16)) {
      return false;
    }
    const size_t at = static_cast<size_t>(in_.CurrentPosition());
    if (length > bytes_.size() - at || !in_.Skip(static_cast<int>(length))) {
      return false;
    }
    *value = bytes_.substr(at, length);
    return true;
  }

  // Skips the value of a field the pack does not know.
  bool SkipField(uint32_t tag) { return SkipField(tag, kMaxDepth); }

 private:
  // As deep as the generated parser lets groups nest.
  static constexpr int kMaxDepth = 100;

  // A varint of at most 5 bytes: the generated parser's tags and lengths.
  bool ReadShortVarint(uint64_t* value) {
    const int start = in_.CurrentPosition();
    return in_.ReadVarint64(value) && in_.CurrentPosition() - start <= 5;
  }

  bool SkipField(uint32_t tag, int depth) {
    switch (WireFormatLite::GetTagWireType(tag)) {
      case WireFormatLite::WIRETYPE_VARINT: {
        uint64_t ignored;
        return in_.ReadVarint64(&ignored);
      }
      case WireFormatLite::WIRETYPE_FIXED64:
        return in_.Skip(8);
      case WireFormatLite::WIRETYPE_FIXED32:
        return in_.Skip(4);
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
        absl::string_view ignored;
        return ReadLengthDelimited(&ignored);
      }
      case WireFormatLite::WIRETYPE_START_GROUP:
        return SkipGroup(WireFormatLite::GetTagFieldNumber(tag), depth - 1);
      default:  // an end of group outside a group, or no wire type
        return false;
    }
  }

  bool SkipGroup(int field, int depth) {
    if (depth < 0) return false;
    while (true) {
      uint32_t tag = 0;
      if (!ReadTag(&tag)) return false;
      if (WireFormatLite::GetTagWireType(tag) ==
          WireFormatLite::WIRETYPE_END_GROUP) {
        return WireFormatLite::GetTagFieldNumber(tag) == field;
      }
      if (!SkipField(tag, depth)) return false;
    }
  }

  absl::string_view bytes_;
  CodedInputStream in_;
};

}  // namespace

absl::StatusOr<std::vector<absl::string_view>> UnpackBrokerCommands(
    absl::string_view bytes) {
  // Read field by field, as PackBrokerCommands() writes, so that each
  // command is a view into `bytes` instead of a copy: this runs for every
  // event every node reads. Accepts what wire::Commands would parse.
  const uint32_t commands_tag =
      WireFormatLite::MakeTag(wire::Commands::kCommandsFieldNumber,
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  const absl::Status no_pack =
      absl::InvalidArgumentError("not a serialized pack of commands");
  PackReader in(bytes);
  std::vector<absl::string_view> commands;
  while (!in.AtEnd()) {
    uint32_t tag = 0;
    if (!in.ReadTag(&tag)) return no_pack;
    if (tag != commands_tag) {
      if (!in.SkipField(tag)) return no_pack;
      continue;
    }
    absl::string_view command;
    if (!in.ReadLengthDelimited(&command)) return no_pack;
    commands.push_back(command);
  }
  if (commands.empty()) {
    return absl::InvalidArgumentError("a pack of no commands");
  }
  return commands;
}

}  // namespace ssecast
