// Runs the ssecastctl binary as a subprocess, against a real ControlServer
// and Hub in this process or against a port where nothing listens, and
// checks its output and exit codes.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/control/control_server.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/hub.h"
#include "server/store/no_reconnect_store_memory.h"

extern char** environ;

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
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
  NoReconnectStoreMemory store(absl::Hours(1));
  Hub hub(HubOptions(), &store);
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("127.0.0.1:0", &hub);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return "127.0.0.1:1";
  return (*server)->bound_address();  // the destructor shuts it down
}

TEST(SsecastctlOfflineTest, ReportsAnUnreachableServer) {
  const std::string address = ClosedAddress();
  Outcome outcome =
      RunCtl({absl::StrCat("--server=", address), "--timeout=1s", "clients"});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err, absl::StrCat("ssecastctl: ssecast control plane at ",
                                      address, " not reachable within 1s\n"));
  EXPECT_EQ(outcome.out, "");
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
      {{"disconnect"}, "disconnect needs at least one ID"},
      {{"disconnect", "--all", "a"}, "--all does not apply to disconnect"},
      {{"publish", "--all", "--allow_reconnect", "x"},
       "--allow_reconnect does not apply to publish"},
      {{"allow-reconnect"}, "allow-reconnect needs at least one ID"},
      {{"clients", "extra"}, "clients takes no arguments"},
      {{"--timeout=0s", "clients"}, "--timeout must be positive"},
  };
  for (const auto& [args, problem] : cases) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    // Usage errors are found before any connection attempt, so the
    // unreachable default server does not matter.
    Outcome outcome = RunCtl(args);
    EXPECT_EQ(outcome.exit_code, 2);
    EXPECT_THAT(outcome.err, StartsWith(absl::StrCat("ssecastctl: ", problem)));
    EXPECT_THAT(outcome.err, HasSubstr("Usage: ssecastctl"));
    EXPECT_EQ(outcome.out, "");
  }
}

// A connection without a socket: the test plays the SSE front.
class FakeStream final : public Connection {
 public:
  using Connection::Connection;
  void Close() override {}
};

class SsecastctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", &hub_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // Generous timeouts: the machine running the tests may be busy.
  Outcome Ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(
        args.begin(),
        {absl::StrCat("--server=", server_->bound_address()), "--timeout=20s"});
    return RunCtl(args, input);
  }

  void Attach(uint64_t id, const std::string& client_id) {
    auto stream = std::make_shared<FakeStream>(id, client_id, "10.1.2.3:5555",
                                               absl::Now());
    uint64_t first_sequence = 0;
    absl::StatusOr<bool> attached = hub_.Attach(stream, &first_sequence);
    ASSERT_TRUE(attached.ok()) << attached.status();
    ASSERT_TRUE(*attached);
    streams_.push_back(stream);
  }

  // The wire text of the newest event in the hub's log.
  std::string LastEventChunk() {
    std::deque<std::shared_ptr<const Event>> events;
    hub_.log().CopyFrom(1, &events);
    return events.empty() ? "" : events.back()->chunk();
  }

  NoReconnectStoreMemory store_{absl::Hours(1)};
  Hub hub_{HubOptions(), &store_};
  std::unique_ptr<ControlServer> server_;
  std::vector<std::shared_ptr<FakeStream>> streams_;
};

TEST_F(SsecastctlTest, PublishesToAll) {
  Outcome outcome = Ctl({"publish", "--all", "hello"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(outcome.out,
              MatchesRegex("published [0-9]+-[0-9]+ to 0 connections\n"));
  EXPECT_THAT(LastEventChunk(), HasSubstr("data: hello\n"));
}

TEST_F(SsecastctlTest, PublishesDataFromStdinWithAllFields) {
  Attach(1, "alice");
  Outcome outcome = Ctl({"publish", "--client=alice,bob", "--id=m1",
                         "--type=greeting", "--retry_ms=1500", "--data=-"},
                        "line one\nline two");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_THAT(outcome.out,
              MatchesRegex("published [0-9]+-[0-9]+ to 1 connection\n"));
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
            "disconnected client alice: 2 connections closed; it will get 204 "
            "on reconnect\n");

  outcome = Ctl({"allow-reconnect", "alice", "bob"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "clients alice, bob may reconnect (1 of 2 had been refused)\n");

  outcome = Ctl({"disconnect", "--allow_reconnect", "carol"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "disconnected client carol: 0 connections closed; it may "
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

}  // namespace
}  // namespace ssecast
