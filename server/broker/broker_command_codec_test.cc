#include "server/broker/broker_command_codec.h"

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/broker/broker_command.pb.h"
#include "server/broker/testing/generated_publish.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace wire = ::ssecast::broker::wire;

BrokerCommand RoundTrip(const BrokerCommand& command) {
  absl::StatusOr<BrokerCommand> decoded =
      DecodeBrokerCommand(EncodeBrokerCommand(command));
  EXPECT_OK(decoded);
  return decoded.value_or(RetryCommand{});
}

TEST(BrokerCommandCodecTest, PublishKeepsEveryFieldByteForByte) {
  const std::string data("a\r\nb\0c\xff", 8);
  const BrokerCommand decoded = RoundTrip(PublishCommand{
      {"id:1", "type.x", data, 1234}, Target::Groups({"g2", "g1"})});
  const auto* publish = std::get_if<PublishCommand>(&decoded);
  ASSERT_NE(publish, nullptr);
  EXPECT_EQ(publish->event.id, "id:1");
  EXPECT_EQ(publish->event.type, "type.x");
  EXPECT_EQ(publish->event.data, data);
  EXPECT_EQ(publish->event.retry_ms, 1234u);
  EXPECT_EQ(publish->target.kind(), Target::Kind::kGroups);
  EXPECT_THAT(publish->target.names(), ElementsAre("g1", "g2"));
}

TEST(BrokerCommandCodecTest, PublishToAllStaysToAll) {
  const BrokerCommand decoded =
      RoundTrip(PublishCommand{{.data = "x"}, Target::All()});
  ASSERT_TRUE(std::holds_alternative<PublishCommand>(decoded));
  EXPECT_TRUE(std::get<PublishCommand>(decoded).target.all());
}

TEST(BrokerCommandCodecTest, DisconnectKeepsWhetherItBlocksReconnects) {
  for (bool block : {false, true}) {
    BrokerCommand decoded =
        RoundTrip(DisconnectCommand{Target::Groups({"kick"}), block});
    const auto* disconnect = std::get_if<DisconnectCommand>(&decoded);
    ASSERT_NE(disconnect, nullptr);
    EXPECT_EQ(disconnect->block_reconnect, block);
  }
}

TEST(BrokerCommandCodecTest, DisconnectKeepsItsClients) {
  const BrokerCommand decoded =
      RoundTrip(DisconnectCommand{Target::Clients({"bob", "alice"})});
  const auto* disconnect = std::get_if<DisconnectCommand>(&decoded);
  ASSERT_NE(disconnect, nullptr);
  EXPECT_EQ(disconnect->target.kind(), Target::Kind::kClients);
  EXPECT_THAT(disconnect->target.names(), ElementsAre("alice", "bob"));
}

TEST(BrokerCommandCodecTest, GroupChangeKeepsDirection) {
  for (bool join : {true, false}) {
    const BrokerCommand decoded =
        RoundTrip(GroupCommand{{"alice", "bob"}, {"g"}, join});
    const auto* group = std::get_if<GroupCommand>(&decoded);
    ASSERT_NE(group, nullptr);
    EXPECT_THAT(group->client_ids, ElementsAre("alice", "bob"));
    EXPECT_THAT(group->groups, ElementsAre("g"));
    EXPECT_EQ(group->join, join);
  }
}

TEST(BrokerCommandCodecTest, RetryKeepsSubMillisecondPrecision) {
  const BrokerCommand decoded = RoundTrip(
      RetryCommand{{absl::Microseconds(1500001), absl::Nanoseconds(7)}});
  const auto* retry = std::get_if<RetryCommand>(&decoded);
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->change.retry, absl::Microseconds(1500001));
  EXPECT_EQ(retry->change.jitter, absl::Nanoseconds(7));
}

TEST(BrokerCommandCodecTest, RejectsWhatIsNoCommand) {
  EXPECT_THAT(DecodeBrokerCommand("\xff\xff\xff"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::Status empty = DecodeBrokerCommand("").status();
  EXPECT_THAT(empty, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("no kind")));
}

// Why `command` does not decode; "decoded" when it does.
std::string WhyRejected(const wire::Command& command) {
  absl::StatusOr<BrokerCommand> decoded =
      DecodeBrokerCommand(command.SerializeAsString());
  if (decoded.ok()) return "decoded";
  EXPECT_THAT(decoded, StatusIs(absl::StatusCode::kInvalidArgument));
  return std::string(decoded.status().message());
}

TEST(BrokerCommandCodecTest, RejectsCommandsTheHubWouldNotSend) {
  wire::Command unknown_kind;
  unknown_kind.mutable_publish()->mutable_target()->set_kind(
      static_cast<wire::Target::Kind>(42));
  EXPECT_THAT(WhyRejected(unknown_kind), HasSubstr("unknown target kind 42"));

  wire::Command no_names;
  no_names.mutable_disconnect()->mutable_target()->set_kind(
      wire::Target::CLIENTS);
  EXPECT_THAT(WhyRejected(no_names), HasSubstr("bad target"));

  wire::Command disconnect_all;
  disconnect_all.mutable_disconnect()->mutable_target()->set_kind(
      wire::Target::ALL);
  EXPECT_THAT(WhyRejected(disconnect_all),
              HasSubstr("a disconnect of all clients"));

  wire::Command empty_group_change;
  empty_group_change.mutable_group_change()->add_groups("g");
  EXPECT_THAT(WhyRejected(empty_group_change),
              HasSubstr("without client ids or groups"));
}

TEST(BrokerCommandCodecTest, PackKeepsEachCommandWholeAndInOrder) {
  const std::vector<std::string> encoded = {
      EncodeBrokerCommand(PublishCommand{{"", "", "first", 0}, Target::All()}),
      std::string(300, 'x'),  // longer than one varint byte, and no command
      EncodeBrokerCommand(RetryCommand{{absl::Seconds(2), absl::Seconds(1)}})};
  const std::string pack = PackBrokerCommands(encoded);

  // The generated class reads what the hand-written encoder wrote.
  wire::Commands parsed;
  ASSERT_TRUE(parsed.ParseFromString(pack));
  EXPECT_THAT(parsed.commands(),
              ElementsAre(encoded[0], encoded[1], encoded[2]));

  absl::StatusOr<std::vector<absl::string_view>> unpacked =
      UnpackBrokerCommands(pack);
  ASSERT_OK(unpacked);
  EXPECT_THAT(*unpacked, ElementsAre(encoded[0], encoded[1], encoded[2]));
  // The envelope holds; the command in the middle is still refused alone.
  EXPECT_OK(DecodeBrokerCommand((*unpacked)[0]));
  EXPECT_THAT(DecodeBrokerCommand((*unpacked)[1]),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(DecodeBrokerCommand((*unpacked)[2]));
}

TEST(BrokerCommandCodecTest, UnpackRejectsWhatIsNoPack) {
  EXPECT_THAT(UnpackBrokerCommands("\xff\xff\xff"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a serialized pack")));
  EXPECT_THAT(UnpackBrokerCommands(""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a pack of no commands")));
}

// Publishes are written by hand; they must be the generated serializer's
// bytes exactly, with empty fields, lengths of one to three varint bytes,
// every kind of target and retries of every varint width.
TEST(BrokerCommandCodecTest, PublishBytesAreTheGeneratedSerializersBytes) {
  const std::vector<std::string> strings = {"",
                                            "x",
                                            std::string(127, 'a'),
                                            std::string(128, 'b'),
                                            std::string(16383, 'c'),
                                            std::string(16384, 'd'),
                                            std::string("\0\r\n", 3)};
  const std::vector<uint32_t> retries = {0, 1, 127, 128, 300000, 0xffffffffu};
  const std::vector<Target> targets = {
      Target::All(), Target::Clients({"alice"}),
      Target::Groups({"g1", std::string(200, 'g'), "g3"})};
  for (const std::string& data : strings) {
    for (size_t i = 0; i < strings.size(); ++i) {
      const PublishCommand publish{
          {strings[i], strings[(i + 3) % strings.size()], data,
           retries[i % retries.size()]},
          targets[i % targets.size()]};
      const std::string written = EncodeBrokerCommand(publish);
      ASSERT_EQ(written, test_support::GeneratedPublishBytes(publish))
          << "data " << data.size() << " bytes, id " << strings[i].size()
          << " bytes";
    }
  }
}

// Inputs on which the hand-written unpacker once disagreed with the
// generated parser (found by fuzz/broker_codec_fuzzer.cc): unknown fields,
// tags of five bytes, a long varint inside a command.
TEST(BrokerCommandCodecTest, UnpackTakesWhatTheGeneratedParserTakes) {
  std::vector<std::string> inputs = {
      std::string(
          "\x8a\x2b\x0a\x29\x0a\x02\x65\x31\x12\xee\x98\x8d\x9a\x9a\x8b\x96\x91"
          "\x67\x1a\x31\x12\x65\x6c\x6c\x6f\x0a\x77\x6f\x72\x6c\x64\x2a\x0c\x08"
          "\x03\x04\x12\x6e\x65\x77\x73\x12\x02\x65\x75\x0a\x0d\x12\x0b\x08\x09"
          "\x12\x0a\x02\x05\x61\x6c\x69\x63\x65\x0a\x13\x22\x11\x08\x80\xbc\xc1"
          "\x96\x0b\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
          81),
      std::string(
          "\x0a\x2b\x0a\x29\x0a\x02\x65\x31\x12\x08\x00\x00\x00\x00\x00\x00\x00"
          "\x08\x02\x12\x05\x61\x6c\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5"
          "\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5\xf5"
          "\xf5\xf5\xf5\x69\x63\x65\x0a\x13\x22\x11\x08\x80\xbc\xc1\x96\x0b\x10"
          "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
          78),
      // An unknown field whose length takes ten bytes (found by the fuzzer
      // once it checked encoded publishes too), then a command.
      std::string("\x1a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"
                  "\x0a\x00",
                  13),
      // The same length in five bytes, and a command's length in six.
      std::string("\x1a\x80\x80\x80\x80\x00\x0a\x00", 8),
      std::string("\x0a\x80\x80\x80\x80\x80\x00", 7),
      // Field number 0, of each wire type but end-group, then a command.
      std::string("\x00\x0a\x00", 3), std::string("\x02\x00\x0a\x00", 4),
      std::string("\x05\x00\x00\x00\x00\x0a\x00", 7),
      std::string("\x03\x04\x0a\x00", 4)};
  // Unknown groups nested around the parser's depth limit, each around a
  // length-delimited field, then a command.
  for (int depth : {1, 2, 98, 99, 100, 101, 102}) {
    std::string nested;
    for (int i = 0; i < depth; ++i) nested += "\x1b";  // field 3, start
    nested += std::string("\x22\x01x", 3);             // field 4, 1 byte
    for (int i = 0; i < depth; ++i) nested += "\x1c";  // field 3, end
    inputs.push_back(nested + std::string("\x0a\x01y", 3));
  }
  for (const std::string& input : inputs) {
    wire::Commands parsed;
    const bool generated_ok =
        parsed.ParseFromString(input) && !parsed.commands().empty();
    absl::StatusOr<std::vector<absl::string_view>> unpacked =
        UnpackBrokerCommands(input);
    ASSERT_EQ(unpacked.ok(), generated_ok) << unpacked.status();
    if (!generated_ok) continue;
    EXPECT_TRUE(std::equal(unpacked->begin(), unpacked->end(),
                           parsed.commands().begin(), parsed.commands().end()));
  }
}

}  // namespace
}  // namespace ssecast
