// End-to-end catalogue of hostile input to the real ssecast binary, on the
// identity, group and replay side (the connection and request-head limits
// have their own tests): forged and malformed identities, group abuse,
// Last-Event-ID abuse, and control-plane requests meant to hurt. Every case
// expects a clear answer (status and the reason in the body or message)
// and then that the server still serves, with its open descriptors and
// resident memory back near what they were before the catalogue.
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "testing/grpc_status_assertions.h"
#include "tests/event_builder.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/http_test_request.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "hostile-input e2e secret, not for production";
constexpr int kMaxGroupsPerRequest = 4;
constexpr int kMaxGroupsPerClient = 6;
constexpr int kMaxEventBytes = 4096;
// How far above the baseline the server may stay after a case: descriptors
// of connections the kernel is still closing, and memory the allocator
// keeps for reuse. A leak per case would add up past these over the table.
constexpr int kFdSlack = 6;
constexpr int64_t kRssSlackKib = 48 * 1024;

// --- What the process holds.

int OpenDescriptors(pid_t pid) {
  int count = 0;
  DIR* dir = ::opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

int64_t ResidentKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, "VmRSS:")) continue;
    std::istringstream fields(line.substr(6));
    int64_t kib = -1;
    fields >> kib;
    return kib;
  }
  return -1;
}

// --- HS256 tokens, made here independently of the server's verifier.

std::string Base64Url(absl::string_view bytes) {
  return absl::WebSafeBase64Escape(bytes);
}

std::string SignedToken(absl::string_view header_json,
                        absl::string_view payload_json,
                        absl::string_view secret = kSecret) {
  const std::string input =
      absl::StrCat(Base64Url(header_json), ".", Base64Url(payload_json));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &size);
  return absl::StrCat(
      input, ".",
      Base64Url(absl::string_view(reinterpret_cast<const char*>(mac), size)));
}

constexpr char kHs256[] = R"({"alg":"HS256","typ":"JWT"})";

int64_t InAnHour() { return absl::ToUnixSeconds(absl::Now() + absl::Hours(1)); }

// A valid token for `sub` with `extra` claims (JSON members, may be empty).
std::string Token(absl::string_view sub, absl::string_view extra = "") {
  return SignedToken(
      kHs256, absl::StrFormat(R"({"sub":"%s","exp":%d%s%s})", sub, InAnHour(),
                              extra.empty() ? "" : ",", extra));
}

HttpHeaders Bearer(absl::string_view token) {
  return {{"Authorization", absl::StrCat("Bearer ", token)}};
}

std::string WriteSecretFile() {
  const char* tmpdir = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp",
                                        "/hostile_input_jwt_secret");
  std::ofstream file(path, std::ios::trunc);
  file << kSecret << "\n";
  EXPECT_TRUE(file.good()) << "cannot write " << path;
  return path;
}

// --- One HTTP case: a request and the answer it must get.

struct HttpCase {
  std::string name;
  SseTestRequest request;
  int status;
  // Must be in the body (for 200: in the type of the first event, if set).
  std::string says;
  // Must not be anywhere in the answer (head or body).
  std::string never_says = "";
};

SseTestRequest Get(std::string path, HttpHeaders headers = {}) {
  SseTestRequest request;
  request.path = std::move(path);
  request.headers = std::move(headers);
  return request;
}

class HostileInputE2eTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    flags.push_back(
        absl::StrCat("--max_groups_per_request=", kMaxGroupsPerRequest));
    flags.push_back(
        absl::StrCat("--max_groups_per_client=", kMaxGroupsPerClient));
    flags.push_back(absl::StrCat("--max_event_bytes=", kMaxEventBytes));
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start(std::move(flags));
    ASSERT_OK(server);
    server_ = *std::move(server);
    // Warm up what every request touches, then take the baseline.
    for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(ExpectHealthy());
    absl::StatusOr<std::unique_ptr<SseTestClient>> warm = OpenAnyStream();
    ASSERT_OK(warm);
    (*warm)->Close();
    ASSERT_OK(server_->AwaitTotalConnectionCount(0));
    baseline_fds_ = OpenDescriptors(pid());
    baseline_rss_kib_ = ResidentKib(pid());
    ASSERT_GT(baseline_fds_, 0);
    ASSERT_GT(baseline_rss_kib_, 0);
  }

  pid_t pid() { return server_->process().pid(); }

  // A 200 stream that any server of this test admits.
  virtual absl::StatusOr<std::unique_ptr<SseTestClient>> OpenAnyStream() {
    return SseTestClient::Connect(server_->http_port(), Get("/events"));
  }

  void ExpectHealthy() {
    ASSERT_THAT(server_->process().WaitForExit(absl::ZeroDuration()),
                StatusIs(absl::StatusCode::kDeadlineExceeded))
        << "the server exited";
    absl::StatusOr<HttpTestResponse> health =
        HttpGet(server_->http_port(), "/healthz");
    ASSERT_OK(health);
    EXPECT_EQ(health->status, 200);
  }

  // Healthy, and back near the baseline once the case's connections are
  // gone.
  void ExpectBackToBaseline() {
    ASSERT_NO_FATAL_FAILURE(ExpectHealthy());
    EXPECT_OK(PollUntil("descriptors back near the baseline", kE2eTimeout, [&] {
      const int fds = OpenDescriptors(pid());
      if (fds >= 0 && fds <= baseline_fds_ + kFdSlack) {
        return absl::OkStatus();
      }
      return absl::FailedPreconditionError(
          absl::StrCat(fds, " descriptors open; baseline ", baseline_fds_));
    }));
    const int64_t rss = ResidentKib(pid());
    EXPECT_LE(rss, baseline_rss_kib_ + kRssSlackKib)
        << "resident KiB now " << rss << ", baseline " << baseline_rss_kib_;
  }

  void Run(const HttpCase& test_case) {
    SCOPED_TRACE(test_case.name);
    SseTestRequest request = test_case.request;
    request.timeout = kE2eTimeout;
    absl::StatusOr<std::unique_ptr<SseTestClient>> client =
        SseTestClient::Connect(server_->http_port(), request);
    ASSERT_OK(client);
    SseTestClient& answer = **client;
    EXPECT_EQ(answer.status(), test_case.status);
    std::string seen;
    for (const auto& [name, value] : answer.headers()) {
      absl::StrAppend(&seen, name, ": ", value, "\n");
    }
    if (test_case.status == 200) {
      if (!test_case.says.empty()) {
        absl::StatusOr<SseEvent> first = answer.NextEvent(kE2eTimeout);
        ASSERT_OK(first);
        EXPECT_EQ(first->type, test_case.says);
        absl::StrAppend(&seen, first->data);
      }
      answer.Close();
    } else if (request.method == "HEAD") {
      answer.Close();
    } else {
      absl::StatusOr<std::string> body = answer.ReadAllBody(kE2eTimeout);
      ASSERT_OK(body);
      EXPECT_THAT(*body, HasSubstr(test_case.says));
      absl::StrAppend(&seen, *body);
    }
    if (!test_case.never_says.empty()) {
      EXPECT_THAT(seen, Not(HasSubstr(test_case.never_says)));
    }
    ASSERT_NO_FATAL_FAILURE(ExpectBackToBaseline());
  }

  void RunAll(const std::vector<HttpCase>& cases) {
    for (const HttpCase& test_case : cases) {
      ASSERT_NO_FATAL_FAILURE(Run(test_case));
    }
  }

  std::unique_ptr<RunningServer> server_;
  int baseline_fds_ = -1;
  int64_t baseline_rss_kib_ = -1;
};

// --- Cookie identities (the default), groups anyone may join.

TEST_F(HostileInputE2eTest, CookieIdentityGroupsAndLastEventId) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--group_join=anyone"}));
  const std::string cookie_id = "0123456789abcdef0123456789abcdef";
  const std::vector<HttpCase> cases = {
      {"more groups than a request may name",
       Get("/events?group=a&group=b&group=c&group=d&group=e"), 400,
       "query parameter group appears 5 times; the limit "
       "(--max_groups_per_request) is 4"},
      {"group name with a space", Get("/events?group=a%20b"), 400,
       "group name \"a b\" may only hold"},
      {"group name of 129 characters",
       Get(absl::StrCat("/events?group=", std::string(129, 'g'))), 400,
       "group name is 129 characters"},
      {"group name with a NUL", Get("/events?group=a%00b"), 400,
       "query parameter group: group name"},
      {"group name in unicode", Get("/events?group=caf%C3%A9"), 400,
       "may only hold letters, digits"},
      {"empty group name", Get("/events?group="), 400, "group name is empty"},
      {"group parameter with two '='", Get("/events?group=a=b"), 400,
       "query parameter \"group\" has more than one '='"},
      {"the same group pair twice", Get("/events?group=a&group=a"), 400,
       "query parameter \"group\" is given twice with one value"},
      {"query pair without a name", Get("/events?=x"), 400,
       "a query parameter has no name"},
      {"markup in an ambiguous name is not reflected",
       Get("/events?%3Cscript%3E=a=b"), 400,
       "ssecast: query parameter has more than one '='", "script"},
      {"malformed cookie gets a new id",
       Get("/events", {{"Cookie", "ssecast_id=../../etc/passwd"}}), 200, ""},
      {"cookie of 4 KiB gets a new id",
       Get("/events",
           {{"Cookie", absl::StrCat("ssecast_id=", std::string(4096, 'a'))}}),
       200, ""},
      {"NUL inside the cookie header",
       Get("/events", {{"Cookie", std::string("ssecast_id=01\0"
                                              "23",
                                              16)}}),
       400, "header \"Cookie\" holds a NUL byte"},
      {"NUL in any header",
       Get("/events", {{"X-Anything", std::string("a\0b", 3)}}), 400,
       "holds a NUL byte"},
      {"Last-Event-ID of 4 KiB of digits",
       Get("/events", {{"Last-Event-ID", std::string(4096, '7')}}), 200,
       "ssecast.resync"},
      {"malformed Last-Event-ID", Get("/events", {{"Last-Event-ID", "abc"}}),
       200, "ssecast.resync"},
      {"negative Last-Event-ID", Get("/events", {{"Last-Event-ID", "-1--5"}}),
       200, "ssecast.resync"},
      {"overflowing Last-Event-ID",
       Get("/events",
           {{"Last-Event-ID", "99999999999999999999999-18446744073709551616"}}),
       200, "ssecast.resync"},
      {"Last-Event-ID in unicode",
       Get("/events", {{"Last-Event-ID", "\xc3\xa9-\xe2\x82\xac"}}), 200,
       "ssecast.resync"},
      {"Last-Event-ID with a NUL",
       Get("/events", {{"Last-Event-ID", std::string("1-2\0"
                                                     "9",
                                                     5)}}),
       400, "header \"Last-Event-ID\" holds a NUL byte"},
      {"lastEventId parameter with two '='", Get("/events?lastEventId=1-2=3"),
       400, "query parameter \"lastEventId\" has more than one '='"},
      {"Accept with markup is not echoed",
       [] {
         SseTestRequest request = Get("/events", {{"Accept", "<b>html</b>"}});
         request.accept_event_stream = false;
         return request;
       }(),
       406, "Accept header excludes", "<b>"},
      {"HEAD does not open a stream",
       [] {
         SseTestRequest request = Get("/events");
         request.method = "HEAD";
         return request;
       }(),
       405, ""},
      // The front refuses a body before routing, without reading it.
      {"POST with a body",
       [] {
         SseTestRequest request = Get("/events");
         request.method = "POST";
         request.body = std::string(1000, 'x');
         return request;
       }(),
       413, "request bodies are not accepted"},
      {"POST without a body",
       [] {
         SseTestRequest request = Get("/events");
         request.method = "POST";
         request.headers.push_back({"Content-Length", "0"});
         return request;
       }(),
       405, "POST is not allowed on /events; use GET"},
  };
  RunAll(cases);

  // Groups a client joins itself end with its last connection.
  absl::StatusOr<std::unique_ptr<SseTestClient>> tab = SseTestClient::Connect(
      server_->http_port(),
      Get("/events?group=a&group=b&group=c&group=d",
          {{"Cookie", absl::StrCat("ssecast_id=", cookie_id)}}));
  ASSERT_OK(tab);
  ASSERT_EQ((*tab)->status(), 200);
  // One more tab may not take the client past its limit of 6 groups.
  ASSERT_NO_FATAL_FAILURE(
      Run({"more groups than a client may be in",
           Get("/events?group=e&group=f&group=g",
               {{"Cookie", absl::StrCat("ssecast_id=", cookie_id)}}),
           400,
           "joining 3 more groups would put the client in 7; the limit "
           "(--max_groups_per_client) is 6"}));
  (*tab)->Close();
  ASSERT_OK(server_->AwaitConnectionCount(cookie_id, 0));
  absl::StatusOr<std::unique_ptr<SseTestClient>> again = SseTestClient::Connect(
      server_->http_port(),
      Get("/events", {{"Cookie", absl::StrCat("ssecast_id=", cookie_id)}}));
  ASSERT_OK(again);
  ASSERT_OK(server_->AwaitConnectionCount(cookie_id, 1));
  absl::StatusOr<v1::ListClientsResponse> listed =
      server_->control().ListClients();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->clients_size(), 1);
  EXPECT_THAT(listed->clients(0).groups(), ::testing::IsEmpty())
      << "the groups it joined itself ended with its last connection";
  (*again)->Close();
  ASSERT_NO_FATAL_FAILURE(ExpectBackToBaseline());
}

// --- Ids from a trusted header; nobody joins groups (the default).

class HeaderIdentityTest : public HostileInputE2eTest {
 protected:
  absl::StatusOr<std::unique_ptr<SseTestClient>> OpenAnyStream() override {
    return SseTestClient::Connect(server_->http_port(),
                                  Get("/events", {{"X-User-Id", "warm-up"}}));
  }
};

TEST_F(HeaderIdentityTest, HeaderIdentityAbuse) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--client_id=header:X-User-Id"}));
  RunAll({
      {"no id header", Get("/events"), 401, "missing header X-User-Id"},
      {"id header twice",
       Get("/events", {{"X-User-Id", "alice"}, {"X-User-Id", "bob"}}), 401,
       "header X-User-Id appears 2 times; expected once"},
      {"NUL in the id",
       Get("/events", {{"X-User-Id", std::string("alice\0bob", 9)}}), 400,
       "header \"X-User-Id\" holds a NUL byte"},
      {"space in the id", Get("/events", {{"X-User-Id", "alice smith"}}), 401,
       "is not printable ASCII"},
      {"id of 200 characters",
       Get("/events", {{"X-User-Id", std::string(200, 'a')}}), 401,
       "client id is 200 characters"},
      {"unicode id", Get("/events", {{"X-User-Id", "alic\xc3\xa9"}}), 401,
       "is not printable ASCII"},
      {"joining a group when nobody may",
       Get("/events?group=admins", {{"X-User-Id", "alice"}}), 403,
       "this server does not let clients join groups themselves"},
  });
}

// --- Ids from a query parameter.

class QueryIdentityTest : public HostileInputE2eTest {
 protected:
  absl::StatusOr<std::unique_ptr<SseTestClient>> OpenAnyStream() override {
    return SseTestClient::Connect(server_->http_port(),
                                  Get("/events?uid=warm-up"));
  }
};

TEST_F(QueryIdentityTest, QueryIdentityAbuse) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--client_id=query:uid"}));
  RunAll({
      {"id with a second '='", Get("/events?uid=alice=bob"), 400,
       "query parameter \"uid\" has more than one '='"},
      {"two ids", Get("/events?uid=alice&uid=bob"), 401,
       "query parameter uid appears 2 times; expected once"},
      {"the same id twice", Get("/events?uid=alice&uid=alice"), 400,
       "query parameter \"uid\" is given twice with one value"},
      {"NUL id", Get("/events?uid=%00"), 401, "query parameter uid: client id"},
      {"empty id", Get("/events?uid="), 401, "client id is empty"},
  });
}

// --- HS256 tokens; groups as the token allows.

class JwtIdentityTest : public HostileInputE2eTest {
 protected:
  absl::StatusOr<std::unique_ptr<SseTestClient>> OpenAnyStream() override {
    return SseTestClient::Connect(server_->http_port(),
                                  Get("/events", Bearer(Token("warm-up"))));
  }
};

TEST_F(JwtIdentityTest, TokenAndGroupClaimAbuse) {
  ASSERT_NO_FATAL_FAILURE(StartServer(
      {"--client_id=jwt", absl::StrCat("--jwt_secret_file=", WriteSecretFile()),
       "--group_join=jwt"}));
  const std::string news_reader = Token("reader", R"("groups":["news.*"])");
  RunAll({
      {"alg none",
       Get("/events",
           Bearer(absl::StrCat(Base64Url(R"({"alg":"none"})"), ".",
                               Base64Url(absl::StrFormat(
                                   R"({"sub":"root","exp":%d})", InAnHour())),
                               "."))),
       401, "alg"},
      {"expired token",
       Get("/events",
           Bearer(SignedToken(kHs256, R"({"sub":"late","exp":1000000000})"))),
       401, "token expired at"},
      {"forged signature",
       Get("/events",
           Bearer(SignedToken(
               kHs256,
               absl::StrFormat(R"({"sub":"admin","exp":%d})", InAnHour()),
               "guessed secret"))),
       401, "token signature does not match"},
      {"token of 6 KiB", Get("/events", Bearer(Token(std::string(6000, 'a')))),
       401, "client id is 6000 characters"},
      {"garbage token", Get("/events", Bearer("....")), 401, "malformed token"},
      {"sub with a NUL", Get("/events", Bearer(Token("a\\u0000b"))), 401,
       "token sub claim: client id"},
      {"groups claim that is not a list",
       Get("/events", Bearer(Token("x", R"("groups":"admins")"))), 401,
       "token groups claim is not a list of strings"},
      {"groups claim with a bad pattern",
       Get("/events", Bearer(Token("x", R"("groups":["a*b"])"))), 401,
       "token groups claim: pattern"},
      {"joining a group the token does not allow",
       Get("/events?group=admins", Bearer(news_reader)), 403,
       "the token's groups claim does not allow joining group \"admins\""},
      {"joining one allowed and one forbidden group",
       Get("/events?group=news.eu&group=newsroom", Bearer(news_reader)), 403,
       "does not allow joining group \"newsroom\""},
      {"joining with a token without groups",
       Get("/events?group=news.eu", Bearer(Token("plain"))), 403,
       "does not allow joining group \"news.eu\""},
      {"joining an allowed group",
       Get("/events?group=news.eu", Bearer(news_reader)), 200, ""},
  });
}

// --- The control plane.

struct GrpcCase {
  std::string name;
  std::function<grpc::Status(v1::Broadcaster::Stub&, grpc::ClientContext&)>
      call;
  grpc::StatusCode code;
  std::string says;
  // Any failure will do: gRPC itself refuses the request before ssecast
  // sees it, with a status of its own choosing.
  bool any_failure = false;
};

v1::Target ClientsTarget(const std::vector<std::string>& ids) {
  v1::Target target;
  for (const std::string& id : ids) target.mutable_clients()->add_ids(id);
  return target;
}

std::vector<std::string> ManyIds(int count, int length) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    std::string id = absl::StrCat("client-", i, "-");
    id.resize(length, 'x');
    ids.push_back(std::move(id));
  }
  return ids;
}

grpc::Status Publish(v1::Broadcaster::Stub& stub, grpc::ClientContext& context,
                     v1::Event event, v1::Target target) {
  v1::PublishRequest request;
  *request.mutable_event() = std::move(event);
  *request.mutable_target() = std::move(target);
  v1::PublishResponse response;
  return stub.Publish(&context, request, &response);
}

grpc::Status ListClients(v1::Broadcaster::Stub& stub,
                         grpc::ClientContext& context, int32_t page_size,
                         std::string token, std::string group = "") {
  v1::ListClientsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(std::move(token));
  request.set_group(std::move(group));
  v1::ListClientsResponse response;
  return stub.ListClients(&context, request, &response);
}

grpc::Status Groups(v1::Broadcaster::Stub& stub, grpc::ClientContext& context,
                    std::vector<std::string> ids,
                    std::vector<std::string> groups) {
  v1::GroupMembershipRequest request;
  for (std::string& id : ids) request.add_client_ids(std::move(id));
  for (std::string& group : groups) request.add_groups(std::move(group));
  v1::GroupMembershipResponse response;
  return stub.AddToGroup(&context, request, &response);
}

TEST_F(HostileInputE2eTest, ControlPlaneAbuse) {
  ASSERT_NO_FATAL_FAILURE(StartServer({}));
  std::unique_ptr<v1::Broadcaster::Stub> stub = v1::Broadcaster::NewStub(
      grpc::CreateChannel(server_->process().grpc_target(),
                          grpc::InsecureChannelCredentials()));
  using Stub = v1::Broadcaster::Stub;
  using Context = grpc::ClientContext;
  const auto invalid = grpc::StatusCode::INVALID_ARGUMENT;
  std::vector<std::string> seven_groups;
  for (int i = 0; i < 7; ++i) seven_groups.push_back(absl::StrCat("g", i));
  const std::vector<GrpcCase> cases = {
      {"negative page size",
       [](Stub& s, Context& c) { return ListClients(s, c, -5, ""); }, invalid,
       "page_size is -5; it must be 0 (the default, 100) or more"},
      {"enormous page size is capped",
       [](Stub& s, Context& c) {
         return ListClients(s, c, std::numeric_limits<int32_t>::max(), "");
       },
       grpc::StatusCode::OK, ""},
      {"forged page token",
       [](Stub& s, Context& c) { return ListClients(s, c, 0, "YWRtaW4"); },
       invalid, "page_token is not a next_page_token this server issued"},
      {"page token of 1 MiB",
       [](Stub& s, Context& c) {
         return ListClients(s, c, 0, std::string(1 << 20, 'A'));
       },
       invalid, "page_token is not a next_page_token"},
      {"group filter with a bad name",
       [](Stub& s, Context& c) { return ListClients(s, c, 0, "", "a b"); },
       invalid, "group: group name \"a b\""},
      {"group filter that is not UTF-8",
       [](Stub& s, Context& c) { return ListClients(s, c, 0, "", "\xff\xfe"); },
       grpc::StatusCode::UNKNOWN, "", /*any_failure=*/true},
      {"more groups than a client may be in",
       [&](Stub& s, Context& c) {
         return Groups(s, c, {"greedy"}, seven_groups);
       },
       invalid,
       "client greedy would be in 7 groups; the limit "
       "(--max_groups_per_client) is 6"},
      {"group change without clients",
       [](Stub& s, Context& c) { return Groups(s, c, {}, {"news"}); }, invalid,
       ""},
      {"group change without groups",
       [](Stub& s, Context& c) { return Groups(s, c, {"alice"}, {}); }, invalid,
       ""},
      {"group change with a bad group",
       [](Stub& s, Context& c) { return Groups(s, c, {"alice"}, {"a\nb"}); },
       invalid, ""},
      {"publish without a target",
       [](Stub& s, Context& c) {
         return Publish(s, c, MakeEvent("x"), v1::Target());
       },
       invalid, "target"},
      {"publish to an empty client list",
       [](Stub& s, Context& c) {
         return Publish(s, c, MakeEvent("x"), ClientsTarget({}));
       },
       invalid, ""},
      {"publish to 2 MiB of client ids",
       [](Stub& s, Context& c) {
         return Publish(s, c, MakeEvent("x"),
                        ClientsTarget(ManyIds(20000, 100)));
       },
       grpc::StatusCode::RESOURCE_EXHAUSTED, ""},
      {"publish to 10,000 unknown clients",
       [](Stub& s, Context& c) {
         return Publish(s, c, MakeEvent("x"),
                        ClientsTarget(ManyIds(10000, 32)));
       },
       grpc::StatusCode::OK, ""},
      {"publish to a list with one bad id",
       [](Stub& s, Context& c) {
         std::vector<std::string> ids = ManyIds(1000, 32);
         ids.push_back("bad id");
         return Publish(s, c, MakeEvent("x"), ClientsTarget(ids));
       },
       invalid, "client id \"bad id\""},
      {"client id that is not UTF-8",
       [](Stub& s, Context& c) {
         return Publish(s, c, MakeEvent("x"), ClientsTarget({"\xc3\x28"}));
       },
       grpc::StatusCode::UNKNOWN, "", /*any_failure=*/true},
      {"event over --max_event_bytes",
       [](Stub& s, Context& c) {
         v1::Target all;
         all.set_all(true);
         return Publish(s, c, MakeEvent(std::string(kMaxEventBytes + 1, 'x')),
                        all);
       },
       invalid, "the limit (--max_event_bytes) is 4096"},
      {"event over the message limit",
       [](Stub& s, Context& c) {
         v1::Target all;
         all.set_all(true);
         return Publish(s, c, MakeEvent(std::string(3 << 20, 'x')), all);
       },
       grpc::StatusCode::RESOURCE_EXHAUSTED, ""},
      {"event id with a NUL",
       [](Stub& s, Context& c) {
         v1::Target all;
         all.set_all(true);
         return Publish(s, c, MakeEvent("x", std::string("a\0b", 3)), all);
       },
       invalid, "event.id"},
      {"disconnect without a target",
       [](Stub& s, Context& c) {
         v1::DisconnectRequest request;
         v1::DisconnectResponse response;
         return s.Disconnect(&c, request, &response);
       },
       invalid, ""},
      {"allow-reconnect without ids",
       [](Stub& s, Context& c) {
         v1::AllowReconnectRequest request;
         v1::AllowReconnectResponse response;
         return s.AllowReconnect(&c, request, &response);
       },
       invalid, ""},
      {"negative reconnect interval",
       [](Stub& s, Context& c) {
         v1::ChangeReconnectIntervalRequest request;
         request.set_retry_ms(0);
         v1::ChangeReconnectIntervalResponse response;
         return s.ChangeReconnectInterval(&c, request, &response);
       },
       invalid, ""},
      {"unknown fields are ignored",
       [](Stub& s, Context& c) {
         v1::ListClientsRequest request;
         request.GetReflection()->MutableUnknownFields(&request)->AddVarint(
             999, 12345);
         v1::ListClientsResponse response;
         return s.ListClients(&c, request, &response);
       },
       grpc::StatusCode::OK, ""},
  };
  for (const GrpcCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kE2eTimeout));
    const grpc::Status status = test_case.call(*stub, context);
    if (test_case.any_failure) {
      EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kOk)));
    } else {
      EXPECT_THAT(status,
                  StatusIs(static_cast<absl::StatusCode>(test_case.code),
                           HasSubstr(test_case.says)));
    }
    ASSERT_NO_FATAL_FAILURE(ExpectBackToBaseline());
  }
  // Still steerable: a publish reaches a stream.
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream = OpenAnyStream();
  ASSERT_OK(stream);
  ASSERT_OK(server_->control().PublishToAll(MakeEvent("still serving")));
  absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "still serving");
}

}  // namespace
}  // namespace ssecast::test_support
