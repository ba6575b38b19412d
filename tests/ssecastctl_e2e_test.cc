// End-to-end tests of ssecastctl (//client:ssecastctl) run as a subprocess
// against the real ssecast binary: what an operator types, what it prints,
// and what browsers connected to the server see as a result.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client_cookie.h"
#include "tests/completed_process.h"
#include "tests/event_builder.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/runfile_path.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;
using ::testing::UnorderedElementsAre;

class SsecastctlE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start();
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  // Runs `ssecastctl --server=<this server> args...`.
  CompletedProcess Ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        RunfilePath("client/ssecastctl"),
        absl::StrCat("--server=", server_->process().grpc_target()),
        "--timeout=20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CompletedProcess> run =
        RunToCompletion(argv, absl::Seconds(60));
    EXPECT_OK(run);
    return run.ok() ? *run : CompletedProcess();
  }

  std::unique_ptr<RunningServer> server_;
};

// The position in "published <position> to N connection(s)".
std::string PublishedPosition(const std::string& stdout_text) {
  std::vector<std::string> words = absl::StrSplit(stdout_text, ' ');
  return words.size() > 1 ? words[1] : "";
}

TEST_F(SsecastctlE2eTest, PublishPrintsThePositionAndConnectionCount) {
  absl::StatusOr<RunningServer::NewClient> first = server_->OpenNewClient();
  ASSERT_OK(first);
  absl::StatusOr<RunningServer::NewClient> second = server_->OpenNewClient();
  ASSERT_OK(second);

  const CompletedProcess to_all =
      Ctl({"publish", "--all", "--id=op-1", "--type=notice", "hello all"});
  EXPECT_EQ(to_all.exit_code, 0) << to_all.stderr_text;
  EXPECT_THAT(
      to_all.stdout_text,
      MatchesRegex("published [0-9]+-[0-9]+ to 2 connections on this node\n"));
  EXPECT_EQ(to_all.stderr_text, "");
  SseEvent expected;
  expected.id = WireId(PublishedPosition(to_all.stdout_text), "op-1");
  expected.type = "notice";
  expected.data = "hello all";
  for (SseTestClient* stream : {first->stream.get(), second->stream.get()}) {
    absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
    ASSERT_OK(event);
    EXPECT_EQ(*event, expected);
  }

  const CompletedProcess to_one = Ctl(
      {"publish", absl::StrCat("--client=", second->client_id), "only you"});
  EXPECT_EQ(to_one.exit_code, 0) << to_one.stderr_text;
  EXPECT_THAT(
      to_one.stdout_text,
      MatchesRegex("published [0-9]+-[0-9]+ to 1 connection on this node\n"));
  absl::StatusOr<SseEvent> event = second->stream->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "only you");
  EXPECT_EQ(event->id, WireId(PublishedPosition(to_one.stdout_text)));
}

TEST_F(SsecastctlE2eTest, PublishOfAnInvalidEventFailsWithTheServersReason) {
  const CompletedProcess run = Ctl({"publish", "--all", "--id=x\ny", "data"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.stdout_text, "");
  EXPECT_EQ(run.stderr_text,
            "ssecastctl: publish failed (INVALID_ARGUMENT): event.id must "
            "not contain CR, LF or NUL\n");
}

TEST_F(SsecastctlE2eTest, DisconnectEndsTheStreamAndRefusesTheReconnect) {
  absl::StatusOr<RunningServer::NewClient> client = server_->OpenNewClient();
  ASSERT_OK(client);
  SseTestClient& stream = *client->stream;
  const std::string& client_id = client->client_id;

  const CompletedProcess disconnect = Ctl({"disconnect", client_id});
  EXPECT_EQ(disconnect.exit_code, 0) << disconnect.stderr_text;
  EXPECT_EQ(
      disconnect.stdout_text,
      absl::StrCat("disconnected client ", client_id,
                   ": 1 connection closed on this node; it will get 204 on "
                   "reconnect\n"));
  ASSERT_OK(stream.WaitForEnd(kE2eTimeout));
  EXPECT_EQ(stream.end_kind(), EndKind::kCleanEnd) << stream.end_detail();

  absl::StatusOr<std::unique_ptr<SseTestClient>> refused =
      SseTestClient::Connect(server_->http_port(), "/events",
                             ClientIdCookieHeader(client_id), kE2eTimeout);
  ASSERT_OK(refused);
  EXPECT_EQ((*refused)->status(), 204);

  const CompletedProcess allow = Ctl({"allow-reconnect", client_id});
  EXPECT_EQ(allow.exit_code, 0) << allow.stderr_text;
  EXPECT_EQ(allow.stdout_text,
            absl::StrCat("client ", client_id,
                         " may reconnect (1 of 1 had been refused)\n"));
  ASSERT_OK(server_->OpenStream(ClientIdCookieHeader(client_id)));
}

TEST_F(SsecastctlE2eTest, ClientsPrintsATableOfConnectedClients) {
  const CompletedProcess empty = Ctl({"clients"});
  EXPECT_EQ(empty.exit_code, 0) << empty.stderr_text;
  EXPECT_EQ(empty.stdout_text, "no clients connected\n");

  absl::StatusOr<RunningServer::NewClient> client = server_->OpenNewClient();
  ASSERT_OK(client);
  SseTestClient& stream = *client->stream;
  const std::string& client_id = client->client_id;
  for (const std::string data : {"a", "b"}) {
    ASSERT_OK(server_->control().PublishToAll(MakeEvent(data)));
    ASSERT_OK(stream.NextEvent(kE2eTimeout));
  }
  const CompletedProcess joined =
      Ctl({"groups", "add", "--group=beta,admins", client_id});
  EXPECT_EQ(joined.exit_code, 0) << joined.stderr_text;
  EXPECT_EQ(joined.stdout_text, absl::StrCat("added client ", client_id,
                                             " to groups beta, admins\n"));

  absl::StatusOr<v1::ListClientsResponse> listed =
      server_->control().ListClients();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->clients_size(), 1);
  const v1::ClientInfo& info = listed->clients(0);
  ASSERT_EQ(info.connections_size(), 1);
  EXPECT_THAT(info.groups(), UnorderedElementsAre("admins", "beta"));
  const v1::ConnectionInfo& connection = info.connections(0);

  const CompletedProcess table = Ctl({"clients"});
  EXPECT_EQ(table.exit_code, 0) << table.stderr_text;
  const std::vector<std::string> lines =
      absl::StrSplit(table.stdout_text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << table.stdout_text;
  const std::string& header = lines[0];
  const std::string& row_line = lines[1];
  EXPECT_THAT(
      std::vector<std::string>(absl::StrSplit(header, ' ', absl::SkipEmpty())),
      ElementsAre("CLIENT", "CONNECTION", "REMOTE", "SINCE", "EVENTS", "SENT",
                  "GROUPS"));
  // SINCE is "YYYY-MM-DD HH:MM:SS", one space inside.
  const std::vector<std::string> row =
      absl::StrSplit(row_line, ' ', absl::SkipEmpty());
  ASSERT_EQ(row.size(), 7u) << row_line;
  // Each value starts in its heading's column (the time is part of SINCE).
  std::vector<size_t> starts;
  size_t end_of_previous = 0;
  for (const std::string& value : row) {
    starts.push_back(row_line.find(value, end_of_previous));
    ASSERT_NE(starts.back(), std::string::npos);
    end_of_previous = starts.back() + value.size();
  }
  EXPECT_EQ(starts[0], header.find("CLIENT")) << table.stdout_text;
  EXPECT_EQ(starts[1], header.find("CONNECTION")) << table.stdout_text;
  EXPECT_EQ(starts[2], header.find("REMOTE")) << table.stdout_text;
  EXPECT_EQ(starts[3], header.find("SINCE")) << table.stdout_text;
  EXPECT_EQ(starts[5], header.find("EVENTS SENT")) << table.stdout_text;
  EXPECT_EQ(starts[6], header.find("GROUPS")) << table.stdout_text;
  EXPECT_EQ(row[0], client_id);
  EXPECT_EQ(row[1], absl::StrCat(connection.connection_id()));
  EXPECT_EQ(row[2], connection.remote_address());
  EXPECT_THAT(row[2], MatchesRegex("127\\.0\\.0\\.1:[0-9]+"));
  EXPECT_THAT(row[3], MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}"));
  EXPECT_THAT(row[4], MatchesRegex("[0-9]{2}:[0-9]{2}:[0-9]{2}"));
  EXPECT_EQ(row[5], "2");
  EXPECT_EQ(row[6], absl::StrJoin(info.groups(), ","));
}

TEST_F(SsecastctlE2eTest, PublishToAGroupReachesOnlyItsMembers) {
  absl::StatusOr<RunningServer::NewClient> member = server_->OpenNewClient();
  ASSERT_OK(member);
  absl::StatusOr<RunningServer::NewClient> outsider = server_->OpenNewClient();
  ASSERT_OK(outsider);
  const std::string& member_id = member->client_id;
  const CompletedProcess joined =
      Ctl({"groups", "add", "--group=team", member_id});
  EXPECT_EQ(joined.exit_code, 0) << joined.stderr_text;
  EXPECT_EQ(joined.stdout_text,
            absl::StrCat("added client ", member_id, " to group team\n"));

  const CompletedProcess to_group =
      Ctl({"publish", "--group=team", "for the team"});
  EXPECT_EQ(to_group.exit_code, 0) << to_group.stderr_text;
  EXPECT_THAT(
      to_group.stdout_text,
      MatchesRegex("published [0-9]+-[0-9]+ to 1 connection on this node\n"));
  const CompletedProcess to_all = Ctl({"publish", "--all", "marker"});
  EXPECT_EQ(to_all.exit_code, 0) << to_all.stderr_text;

  for (const auto& [stream, expected] :
       std::vector<std::pair<SseTestClient*, std::vector<std::string>>>{
           {member->stream.get(), {"for the team", "marker"}},
           {outsider->stream.get(), {"marker"}}}) {
    for (const std::string& data : expected) {
      absl::StatusOr<SseEvent> event = stream->NextEvent(kE2eTimeout);
      ASSERT_OK(event);
      EXPECT_EQ(event->data, data);
    }
  }
}

}  // namespace
}  // namespace ssecast::test_support
