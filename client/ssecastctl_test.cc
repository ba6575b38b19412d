// Runs the ssecastctl binary as a subprocess, against a real ControlServer
// and Hub in this process or against a port where nothing listens, and
// checks its output and exit codes.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/control/control_server.h"
#include "server/broker/testing/running_hub.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/hub.h"
#include "testing/status_assertions.h"

extern char** environ;

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// Runs ssecastctl with `args`, `input` on its stdin, and waits for it. Its
// own --timeout bounds how long it can take.
Outcome RunCtl(const std::vector<std::string>& args,
               const std::string& input = "") {
  static int runs = 0;
  const std::string base =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/run", ++runs);
  const std::string in_path = base + ".in";
  const std::string out_path = base + ".out";
  const std::string err_path = base + ".err";
  std::ofstream(in_path, std::ios::binary) << input;

  const std::string binary =
      absl::StrCat(std::getenv("TEST_SRCDIR"), "/ssecast/client/ssecastctl");
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, binary.c_str(), &actions, nullptr,
                                      argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  Outcome outcome;
  if (spawn_error != 0) {
    ADD_FAILURE() << "cannot run " << binary << ": error " << spawn_error;
    return outcome;
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  outcome.exit_code =
      WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -wait_status;
  outcome.out = ReadFile(out_path);
  outcome.err = ReadFile(err_path);
  return outcome;
}

// A port where nothing listens: bound by a server that is then shut down.
std::string ClosedAddress() {
  RunningHub running;
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("127.0.0.1:0", &running.hub);
  EXPECT_OK(server);
  if (!server.ok()) return "127.0.0.1:1";
  return (*server)->bound_address();  // the destructor shuts it down
}

// A refused connection is reported at once, with its cause, instead of
// after the whole --timeout as "not reachable".
TEST(SsecastctlOfflineTest, ReportsAnUnreachableServerAtOnceWithTheCause) {
  const std::string address = ClosedAddress();
  const absl::Time start = absl::Now();
  Outcome outcome =
      RunCtl({absl::StrCat("--server=", address), "--timeout=60s", "clients"});
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.err,
              StartsWith(absl::StrCat("ssecastctl: ssecast control plane at ",
                                      address, " not reachable: ")));
  EXPECT_THAT(outcome.err, HasSubstr("Connection refused"));
  EXPECT_THAT(outcome.err, EndsWith("\n"));
  EXPECT_EQ(outcome.out, "");
}

TEST(SsecastctlOfflineTest, ReportsAnUnknownHostAtOnce) {
  const absl::Time start = absl::Now();
  Outcome outcome = RunCtl(
      {"--server=no-such-host.invalid:50051", "--timeout=60s", "clients"});
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.err,
              StartsWith("ssecastctl: ssecast control plane at "
                         "no-such-host.invalid:50051 not reachable: DNS "
                         "resolution failed"));
}

TEST(SsecastctlOfflineTest, UsageErrorsExitTwoWithUsage) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "no command given"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"publish", "x"}, "publish needs exactly one target"},
      {{"publish", "--all", "--client=a", "x"},
       "publish needs exactly one target"},
      {{"publish", "--all"}, "publish needs the data"},
      {{"publish", "--all", "--data=x", "y"}, "publish needs the data"},
      {{"publish", "--all", "x", "y"}, "publish takes one DATA argument"},
      {{"publish", "--client=a", "--client=b", "x"}, "give --client once"},
      {{"publish", "--all", "--group=g", "x"},
       "publish needs exactly one target"},
      {{"publish", "--group=a", "--group=b", "x"}, "give --group once"},
      {{"publish", "--all", "--jitter_ms=5", "x"},
       "--jitter_ms does not apply to publish"},
      {{"publish-stream"}, "publish-stream needs exactly one target"},
      {{"publish-stream", "--all", "x"}, "publish-stream takes no arguments"},
      {{"publish-stream", "--all", "--id=x"},
       "--id does not apply to publish-stream"},
      {{"disconnect"}, "disconnect needs at least one ID, or --group"},
      {{"disconnect", "--group=g", "a"},
       "disconnect takes IDs or --group, not both"},
      {{"disconnect", "--all", "a"}, "--all does not apply to disconnect"},
      {{"publish", "--all", "--allow_reconnect", "x"},
       "--allow_reconnect does not apply to publish"},
      {{"allow-reconnect"}, "allow-reconnect needs at least one ID"},
      {{"allow-reconnect", "--group=g", "a"},
       "--group does not apply to allow-reconnect"},
      {{"groups"}, "groups needs a subcommand: add or remove"},
      {{"groups", "list"}, "groups needs a subcommand: add or remove"},
      {{"groups", "add", "a"}, "groups add needs --group=G[,G...]"},
      {{"groups", "remove", "--group=g"},
       "groups remove needs at least one ID"},
      {{"retry"}, "retry needs --retry_ms=N above 0"},
      {{"retry", "--jitter_ms=5"}, "retry needs --retry_ms=N above 0"},
      {{"retry", "--retry_ms=5", "x"}, "retry takes no arguments"},
      {{"retry", "--retry_ms=5", "--type=t"}, "--type does not apply to retry"},
      {{"clients", "extra"}, "clients takes no arguments"},
      {{"clients", "--group=a,b"}, "clients takes one --group"},
      {{"where"}, "where needs client ids or one --group=G, not both"},
      {{"where", "a", "--group=g"},
       "where needs client ids or one --group=G, not both"},
      {{"where", "--group=a,b"},
       "where needs client ids or one --group=G, not both"},
      {{"where", "a", "--cluster"}, "--cluster does not apply to where"},
      {{"--timeout=0s", "clients"}, "--timeout must be positive"},
      {{"--frobnicate", "clients"}, "unknown flag --frobnicate"},
      {{"clients", "--grpc_address=x"}, "unknown flag --grpc_address"},
      {{"--timeout=soon", "clients"}, "--timeout: Illegal value 'soon'"},
      {{"clients", "--timeout"}, "--timeout needs a value"},
      {{"--noall=1", "clients"}, "--noall takes no value"},
  };
  for (const auto& [args, problem] : cases) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    // Usage errors are found before any connection attempt, so the
    // unreachable default server does not matter.
    Outcome outcome = RunCtl(args);
    EXPECT_EQ(outcome.exit_code, 2);
    EXPECT_THAT(outcome.err, StartsWith(absl::StrCat("ssecastctl: ", problem)));
    EXPECT_THAT(outcome.err, HasSubstr("Usage: ssecastctl"));
    // The problem and one line pointing at --help, not the whole help.
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 2)
        << outcome.err;
    EXPECT_THAT(outcome.err, EndsWith("see ssecastctl --help\n"));
    EXPECT_EQ(outcome.out, "");
  }
}

TEST(SsecastctlOfflineTest, HelpDescribesEveryCommand) {
  Outcome outcome = RunCtl({"--help"});
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.err, "");
  for (const char* flag :
       {"--server", "--timeout", "--token_file", "--tls_ca", "--tls_cert",
        "--tls_key", "--tls_server_name", "--allow_reconnect"}) {
    EXPECT_THAT(outcome.out,
                HasSubstr(absl::StrCat("\n  ", flag, " (default")));
  }
  for (const char* command :
       {"publish (--all | --client=ID[,ID...] | --group=G[,G...])",
        "publish-stream (--all", "one event per line of stdin",
        "disconnect [--allow_reconnect] (ID... | --group=G[,G...])",
        "allow-reconnect ID...", "groups (add | remove) --group=G[,G...] ID...",
        "retry --retry_ms=N [--jitter_ms=M]", "clients [--group=G]"}) {
    EXPECT_THAT(outcome.out, HasSubstr(command));
  }
}

// A connection without a socket: the test plays the SSE front.
class FakeStream final : public Connection {
 public:
  using Connection::Connection;
  void OnClose() override {}
};

class SsecastctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", &hub_);
    ASSERT_OK(server);
    server_ = std::move(*server);
  }

  // Generous timeouts: the machine running the tests may be busy.
  Outcome Ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(
        args.begin(),
        {absl::StrCat("--server=", server_->bound_address()), "--timeout=20s"});
    return RunCtl(args, input);
  }

  void Attach(uint64_t id, const std::string& client_id,
              std::vector<std::string> groups = {}) {
    auto stream = std::make_shared<FakeStream>(id, client_id, "10.1.2.3:5555",
                                               absl::Now());
    Hub::AttachRequest request;
    request.groups = std::move(groups);
    absl::StatusOr<Hub::AttachResult> attached = hub_.Attach(stream, request);
    ASSERT_OK(attached);
    ASSERT_TRUE(attached->admitted);
    streams_.push_back(stream);
  }

  std::deque<std::shared_ptr<const Event>> LoggedEvents() {
    std::deque<std::shared_ptr<const Event>> events;
    hub_.log().CopyFrom(1, &events);
    return events;
  }

  // The wire text of the newest event in the hub's log.
  std::string LastEventChunk() {
    std::deque<std::shared_ptr<const Event>> events = LoggedEvents();
    return events.empty() ? "" : std::string(events.back()->chunk());
  }

  std::vector<std::string> ClientIdsInGroup(const std::string& group) {
    std::vector<std::string> ids;
    for (const Hub::ClientSnapshot& client : hub_.ListClients(group)) {
      ids.push_back(client.client_id);
    }
    return ids;
  }

  // Declared first: the server goes before it.
  RunningHub running_hub_;
  Hub& hub_ = running_hub_.hub;
  std::unique_ptr<ControlServer> server_;
  std::vector<std::shared_ptr<FakeStream>> streams_;
};

TEST_F(SsecastctlTest, PublishesToAll) {
  Outcome outcome = Ctl({"publish", "--all", "hello"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(
      outcome.out,
      MatchesRegex("published [0-9]+-[0-9]+ to 0 connections on this node\n"));
  EXPECT_THAT(LastEventChunk(), HasSubstr("data: hello\n"));
}

TEST_F(SsecastctlTest, PublishesDataFromStdinWithAllFields) {
  Attach(1, "alice");
  Outcome outcome = Ctl({"publish", "--client=alice,bob", "--id=m1",
                         "--type=greeting", "--retry_ms=1500", "--data=-"},
                        "line one\nline two");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(
      outcome.out,
      MatchesRegex("published [0-9]+-[0-9]+ to 1 connection on this node\n"));
  const std::string chunk = LastEventChunk();
  EXPECT_THAT(chunk, HasSubstr(":m1\n"));
  EXPECT_THAT(chunk, HasSubstr("event: greeting\n"));
  EXPECT_THAT(chunk, HasSubstr("retry: 1500\n"));
  EXPECT_THAT(chunk, HasSubstr("data: line one\ndata: line two\n"));
}

TEST_F(SsecastctlTest, ReportsServerErrorsWithCode) {
  Outcome outcome = Ctl({"publish", "--all", "--id=a\nb", "x"});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err,
            "ssecastctl: publish failed (INVALID_ARGUMENT): event.id must not "
            "contain CR, LF or NUL\n");
  EXPECT_EQ(outcome.out, "");
}

TEST_F(SsecastctlTest, DisconnectsAndAllowsReconnect) {
  Attach(1, "alice");
  Attach(2, "alice");
  Outcome outcome = Ctl({"disconnect", "alice"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "disconnected client alice: 2 connections closed on this node; it "
            "will get 204 "
            "on reconnect\n");

  outcome = Ctl({"allow-reconnect", "alice", "bob"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "clients alice, bob may reconnect (1 of 2 had been refused)\n");

  outcome = Ctl({"disconnect", "--allow_reconnect", "carol"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(
      outcome.out,
      "disconnected client carol: 0 connections closed on this node; it may "
      "reconnect\n");
}

TEST_F(SsecastctlTest, ListsClientsAsATable) {
  Outcome outcome = Ctl({"clients"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "no clients connected\n");

  Attach(7, "alice");
  Attach(12345, "a-much-longer-client-id");
  outcome = Ctl({"clients"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  std::vector<std::string> lines =
      absl::StrSplit(outcome.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << outcome.out;
  // Sorted by client id; columns start at the same offset on every line.
  EXPECT_THAT(lines[0], StartsWith("CLIENT                   CONNECTION  "));
  EXPECT_THAT(lines[1], StartsWith("a-much-longer-client-id  12345       "));
  EXPECT_THAT(lines[2], StartsWith("alice                    7           "));
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find("10.1.2.3:5555") == std::string::npos,
              line == lines[0]);
  }
  const size_t since_column = lines[0].find("SINCE");
  EXPECT_EQ(lines[1].find("10.1.2.3:5555"), lines[2].find("10.1.2.3:5555"));
  EXPECT_EQ(
      lines[1].find("10.1.2.3:5555") + std::string("10.1.2.3:5555  ").size(),
      since_column);
}

TEST_F(SsecastctlTest, ListsGroupsAndFiltersByGroup) {
  Attach(1, "alice", {"red", "blue"});
  Attach(2, "bob");
  Outcome outcome = Ctl({"clients"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  std::vector<std::string> lines =
      absl::StrSplit(outcome.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << outcome.out;
  EXPECT_THAT(lines[0], EndsWith("  EVENTS SENT  GROUPS"));
  EXPECT_THAT(lines[1], StartsWith("alice "));
  EXPECT_THAT(lines[1], EndsWith("  blue,red"));
  EXPECT_THAT(lines[2], StartsWith("bob "));
  EXPECT_THAT(lines[2], EndsWith("  -"));

  outcome = Ctl({"clients", "--group=red"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  lines = absl::StrSplit(outcome.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << outcome.out;
  EXPECT_THAT(lines[1], StartsWith("alice "));

  outcome = Ctl({"clients", "--group=green"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "no clients of group green connected\n");
}

TEST_F(SsecastctlTest, SaysWhereClientsAreConnected) {
  Attach(1, "alice", {"red"});
  Attach(2, "alice");
  Attach(3, "bob");
  Outcome outcome = Ctl({"where", "bob", "carol", "alice"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  std::vector<std::string> lines =
      absl::StrSplit(outcome.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << outcome.out;
  EXPECT_THAT(lines[0], StartsWith("CLIENT  NODE   CONNECTIONS  GROUPS"));
  EXPECT_THAT(lines[1], StartsWith("alice   local  2            red"));
  EXPECT_THAT(lines[2], StartsWith("bob     local  1            -"));
  EXPECT_EQ(lines[3], "not connected: carol");

  outcome = Ctl({"where", "--group=red"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  lines = absl::StrSplit(outcome.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << outcome.out;
  EXPECT_THAT(lines[1], StartsWith("alice "));
  outcome = Ctl({"where", "--group=green"});
  EXPECT_EQ(outcome.out, "no clients of group green connected\n");

  outcome = Ctl({"clients", "--cluster"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  lines = absl::StrSplit(outcome.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << outcome.out;
  EXPECT_THAT(lines[0], StartsWith("CLIENT  NODE   CONNECTIONS  GROUPS"));
  EXPECT_THAT(lines[1], StartsWith("alice   local  2            red"));
}

TEST_F(SsecastctlTest, ListsClientsOfEveryPage) {
  // More clients than one page holds by default (100).
  constexpr int kClients = 250;
  for (int i = 0; i < kClients; ++i) {
    Attach(i + 1, absl::StrFormat("client-%03d", i));
  }
  Outcome outcome = Ctl({"clients"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const std::vector<std::string> lines =
      absl::StrSplit(outcome.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), kClients + 1u) << "a header and one row each";
  EXPECT_TRUE(absl::StartsWith(lines[1], "client-000 "));
  EXPECT_TRUE(absl::StartsWith(lines[kClients], "client-249 "));
}

TEST_F(SsecastctlTest, PublishesToGroups) {
  Attach(1, "alice", {"red"});
  Attach(2, "bob", {"blue"});
  Attach(3, "carol");
  Outcome outcome = Ctl({"publish", "--group=red,blue", "hello"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(
      outcome.out,
      MatchesRegex("published [0-9]+-[0-9]+ to 2 connections on this node\n"));
  EXPECT_THAT(LastEventChunk(), HasSubstr("data: hello\n"));
}

TEST_F(SsecastctlTest, DisconnectsTheMembersOfGroups) {
  Attach(1, "alice", {"red"});
  Attach(2, "alice");
  Attach(3, "bob");
  Outcome outcome = Ctl({"disconnect", "--group=red"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "disconnected the members of group red: 2 connections closed on "
            "this node; "
            "they will get 204 on reconnect\n");

  outcome = Ctl({"disconnect", "--allow_reconnect", "--group=a,b"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "disconnected the members of groups a, b: 0 connections closed on "
            "this node; "
            "they may reconnect\n");
}

TEST_F(SsecastctlTest, AddsToAndRemovesFromGroups) {
  Attach(1, "alice");
  Outcome outcome = Ctl({"groups", "add", "--group=red,blue", "alice", "bob"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "added clients alice, bob to groups red, blue\n");
  EXPECT_THAT(ClientIdsInGroup("red"), ElementsAre("alice"));
  EXPECT_THAT(ClientIdsInGroup("blue"), ElementsAre("alice"));

  outcome = Ctl({"groups", "remove", "alice", "--group=red"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "removed client alice from group red\n");
  EXPECT_THAT(ClientIdsInGroup("red"), IsEmpty());
  EXPECT_THAT(ClientIdsInGroup("blue"), ElementsAre("alice"));

  outcome = Ctl({"groups", "add", "--group=a b", "alice"});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err,
            "ssecastctl: groups add failed (INVALID_ARGUMENT): groups[0]: "
            "group name \"a b\" may only hold letters, digits and ._:@/-\n");
  EXPECT_EQ(outcome.out, "");
}

TEST_F(SsecastctlTest, ChangesTheReconnectInterval) {
  Outcome outcome = Ctl({"retry", "--retry_ms=3000", "--jitter_ms=500"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "reconnect interval set to 3000 ms, jitter 500 ms\n");
  std::deque<std::shared_ptr<const Event>> events = LoggedEvents();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0]->retry_change().has_value());
  EXPECT_EQ(events[0]->retry_change()->retry, absl::Milliseconds(3000));
  EXPECT_EQ(events[0]->retry_change()->jitter, absl::Milliseconds(500));

  outcome = Ctl({"retry", "--retry_ms=100", "--jitter_ms=100"});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err,
            "ssecastctl: retry failed (INVALID_ARGUMENT): jitter must be at "
            "least 0 and below retry\n");
  EXPECT_EQ(LoggedEvents().size(), 1u);
}

TEST_F(SsecastctlTest, PublishStreamSendsOneEventPerLine) {
  Attach(1, "alice");
  Outcome outcome = Ctl({"publish-stream", "--client=alice", "--type=tick"},
                        "one\ntwo\r\n\nlast");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(
      outcome.out,
      MatchesRegex("published 4 events to 4 connections on this node in all "
                   "\\(last position [0-9]+-[0-9]+\\); rejected 0 "
                   "events\n"));
  EXPECT_EQ(outcome.err, "");
  std::vector<std::string> chunks;
  for (const auto& event : LoggedEvents()) {
    chunks.emplace_back(event->chunk());
  }
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_THAT(chunks[0], HasSubstr("event: tick\ndata: one\n\n"));
  EXPECT_THAT(chunks[1], HasSubstr("event: tick\ndata: two\n\n"));
  EXPECT_THAT(chunks[2], HasSubstr("event: tick\ndata: \n\n"));
  EXPECT_THAT(chunks[3], HasSubstr("event: tick\ndata: last\n\n"));
  EXPECT_THAT(outcome.out, HasSubstr(absl::StrCat(
                               "(last position ",
                               hub_.log().last_position().ToString(), ")")));
}

TEST_F(SsecastctlTest, PublishStreamReportsRejectedLines) {
  const std::string too_big(HubOptions().max_event_bytes + 1, 'x');
  Outcome outcome = Ctl({"publish-stream", "--all"},
                        absl::StrCat("fine\n", too_big, "\n\xff\nalso fine\n"));
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(
      outcome.out,
      MatchesRegex("published 2 events to 0 connections on this node in all "
                   "\\(last position [0-9]+-[0-9]+\\); rejected 2 "
                   "events\n"));
  EXPECT_EQ(
      outcome.err,
      absl::StrCat("ssecastctl: line 2 rejected: event.data is ",
                   too_big.size(), " bytes; the limit (--max_event_bytes) is ",
                   HubOptions().max_event_bytes,
                   "\nssecastctl: line 3 rejected: event.data is not "
                   "valid UTF-8\n"));
  EXPECT_EQ(LoggedEvents().size(), 2u);
}

TEST_F(SsecastctlTest, PublishStreamReportsTheEndOfTheStream) {
  running_hub_.broker.Stop();
  Outcome outcome = Ctl({"publish-stream", "--all"}, "lost\n");
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err,
            "ssecastctl: publish-stream failed (FAILED_PRECONDITION): the "
            "broker is not running (after 0 accepted events)\n");
  EXPECT_EQ(outcome.out, "");
}

}  // namespace
}  // namespace ssecast
