// End-to-end tests of the control plane's security: the real ssecast
// binary with --grpc_token_file and --grpc_tls_*, called by ssecastctl (a
// subprocess) and by ssecast::Client over real gRPC; health, reflection,
// token rotation on SIGHUP, TLS and mutual TLS; and what an operator sees
// when the connection cannot be made.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/grpc_status_assertions.h"
#include "tests/completed_process.h"
#include "tests/poll_until.h"
#include "tests/running_server.h"
#include "tests/support/runfile_path.h"
#include "tests/support/server_process.h"
#include "tests/support/sse_test_client.h"
#include "tests/test_certificates.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kToken[] = "backend-token-0123456789abcdef";
constexpr char kNewToken[] = "rotated-token-0123456789abcdef";
constexpr char kReflection[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << text;
  return path;
}

// Runs ssecastctl with `args` (after --server and --timeout).
CompletedProcess Ctl(const std::string& server,
                     const std::vector<std::string>& args,
                     const std::vector<std::string>& environment = {}) {
  std::vector<std::string> argv = {RunfilePath("client/ssecastctl"),
                                   absl::StrCat("--server=", server),
                                   "--timeout=20s"};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CompletedProcess> run =
      RunToCompletion(argv, absl::Seconds(60), "", environment);
  EXPECT_OK(run);
  return run.ok() ? *run : CompletedProcess();
}

// One call of `method` with an empty message, for services without stubs.
grpc::Status GenericCall(const std::string& target, const std::string& method,
                         const std::string& token) {
  grpc::GenericStub stub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kE2eTimeout));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status result) {
                   status = std::move(result);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(
    std::vector<std::string> flags) {
  return ServerProcess::Start(ServerBinaryPath(), std::move(flags));
}

TEST(ControlSecurityE2eTest, TokensGuardEveryCallButHealthAndRotateOnSighup) {
  const std::string tokens =
      WriteFile("tokens", absl::StrCat("# backends\n", kToken, "\n"));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      StartServer({absl::StrCat("--grpc_token_file=", tokens)});
  ASSERT_OK(server);
  const std::string target = (*server)->grpc_target();

  const CompletedProcess anonymous = Ctl(target, {"clients"});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_EQ(anonymous.stderr_text,
            "ssecastctl: clients failed (UNAUTHENTICATED): this ssecast "
            "control plane needs a bearer token: send the metadata "
            "\"authorization: Bearer <token>\" with a token from its "
            "--grpc_token_file\n");
  const CompletedProcess wrong =
      Ctl(target, {"clients"}, {"SSECASTCTL_TOKEN=not-the-token-0123456789"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.stderr_text,
              HasSubstr("(UNAUTHENTICATED): the bearer token is not one of"));
  // The client reads the server's own file format (comments skipped).
  const CompletedProcess from_file =
      Ctl(target, {absl::StrCat("--token_file=", tokens), "clients"});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.stderr_text;
  EXPECT_EQ(from_file.stdout_text, "no clients connected\n");
  const CompletedProcess from_env =
      Ctl(target, {"publish", "--all", "x"},
          {absl::StrCat("SSECASTCTL_TOKEN=", kToken)});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.stderr_text;

  // Health answers without a token (Connect checks it); the rest does not.
  ClientOptions options;
  options.call_timeout = kE2eTimeout;
  absl::StatusOr<std::unique_ptr<Client>> anonymous_client =
      Client::Connect(target, kE2eTimeout, options);
  ASSERT_OK(anonymous_client);
  EXPECT_THAT((*anonymous_client)->ListClients(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT((*anonymous_client)->GetPresence({"alice"}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(GenericCall(target, kReflection, ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(GenericCall(target, kReflection, kToken));

  // Rotation: the new token added, then the old one removed, each taking
  // effect on SIGHUP without a restart.
  WriteFile("tokens", absl::StrCat(kNewToken, "\n", kToken, "\n"));
  ASSERT_EQ(::kill((*server)->pid(), SIGHUP), 0);
  ASSERT_OK(PollUntil("the new token accepted", kE2eTimeout, [&] {
    return GenericCall(target, kReflection, kNewToken).ok()
               ? absl::OkStatus()
               : absl::UnavailableError("refused");
  }));
  EXPECT_OK(GenericCall(target, kReflection, kToken));
  WriteFile("tokens", absl::StrCat(kNewToken, "\n"));
  ASSERT_EQ(::kill((*server)->pid(), SIGHUP), 0);
  ASSERT_OK(PollUntil("the old token refused", kE2eTimeout, [&] {
    return GenericCall(target, kReflection, kToken).error_code() ==
                   grpc::StatusCode::UNAUTHENTICATED
               ? absl::OkStatus()
               : absl::UnavailableError("still accepted");
  }));
  EXPECT_OK(GenericCall(target, kReflection, kNewToken));

  // A broken file on SIGHUP leaves the server up and serving the tokens in
  // force (that the old set stays is shown by bearer_tokens_test; here the
  // reload may not have happened yet when the call is made).
  WriteFile("tokens", "short\n");
  ASSERT_EQ(::kill((*server)->pid(), SIGHUP), 0);
  const CompletedProcess after_bad_reload =
      Ctl(target, {"clients"}, {absl::StrCat("SSECASTCTL_TOKEN=", kNewToken)});
  EXPECT_EQ(after_bad_reload.exit_code, 0) << after_bad_reload.stderr_text;
  // The server ends with SIGTERM and exit code 0 (ServerProcess checks).
}

class ControlTlsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TestCertificates> certificates = TestCertificates::Create();
    ASSERT_OK(certificates);
    certs_ = *std::move(certificates);
  }

  TestCertificates certs_;
};

TEST_F(ControlTlsE2eTest, MutualTlsLetsOnlyClientsWithACertificateOfTheCa) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      StartServer({absl::StrCat("--grpc_tls_cert=", certs_.server_cert),
                   absl::StrCat("--grpc_tls_key=", certs_.server_key),
                   absl::StrCat("--grpc_tls_client_ca=", certs_.ca_cert),
                   "--keepalive_interval=1h"});
  ASSERT_OK(server);
  const std::string target = (*server)->grpc_target();
  absl::StatusOr<std::unique_ptr<SseTestClient>> stream =
      SseTestClient::Connect((*server)->http_port(), "/events", {},
                             kE2eTimeout);
  ASSERT_OK(stream);

  const std::vector<std::string> client_tls = {
      absl::StrCat("--tls_ca=", certs_.ca_cert),
      absl::StrCat("--tls_cert=", certs_.client_cert),
      absl::StrCat("--tls_key=", certs_.client_key)};
  std::vector<std::string> publish = client_tls;
  publish.insert(publish.end(), {"publish", "--all", "over mutual TLS"});
  const CompletedProcess published = Ctl(target, publish);
  EXPECT_EQ(published.exit_code, 0) << published.stderr_text;
  absl::StatusOr<SseEvent> event = (*stream)->NextEvent(kE2eTimeout);
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "over mutual TLS");

  // Refused, at once and with a reason, when the client has no
  // certificate, one of another CA, or talks plaintext.
  for (const std::vector<std::string>& refused :
       std::vector<std::vector<std::string>>{
           {absl::StrCat("--tls_ca=", certs_.ca_cert), "clients"},
           {absl::StrCat("--tls_ca=", certs_.ca_cert),
            absl::StrCat("--tls_cert=", certs_.stranger_cert),
            absl::StrCat("--tls_key=", certs_.stranger_key), "clients"},
           {"clients"}}) {
    const absl::Time start = absl::Now();
    const CompletedProcess run = Ctl(target, refused);
    EXPECT_EQ(run.exit_code, 1) << run.stderr_text;
    EXPECT_THAT(run.stderr_text,
                StartsWith(absl::StrCat("ssecastctl: ssecast control plane at ",
                                        target, " not reachable: ")));
    EXPECT_LT(absl::Now() - start, absl::Seconds(15))
        << "not the whole --timeout";
  }
}

TEST_F(ControlTlsE2eTest, TlsWithTokensThroughTheClientLibrary) {
  const std::string tokens = WriteFile("tls-tokens", absl::StrCat(kToken));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      StartServer({absl::StrCat("--grpc_tls_cert=", certs_.server_cert),
                   absl::StrCat("--grpc_tls_key=", certs_.server_key),
                   absl::StrCat("--grpc_token_file=", tokens)});
  ASSERT_OK(server);
  absl::StatusOr<ClientTls> tls = ClientTlsFromFiles(certs_.ca_cert, "", "");
  ASSERT_OK(tls);
  ClientOptions options;
  options.call_timeout = kE2eTimeout;
  options.tls = *tls;
  // The certificate names DNS:localhost and IP:127.0.0.1: it is checked
  // against the target's address, or against the name the client expects.
  // (The name is not resolved here: Debian's c-ares leaks a few bytes per
  // lookup of "localhost", which LeakSanitizer would report.)
  for (const std::string& server_name :
       {std::string(), std::string("localhost")}) {
    SCOPED_TRACE(server_name);
    options.tls->server_name = server_name;
    options.bearer_token = "";
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect((*server)->grpc_target(), kE2eTimeout, options);
    ASSERT_OK(client);
    EXPECT_THAT((*client)->ListClients(),
                StatusIs(absl::StatusCode::kUnauthenticated));
    options.bearer_token = kToken;
    client = Client::Connect((*server)->grpc_target(), kE2eTimeout, options);
    ASSERT_OK(client);
    EXPECT_OK((*client)->ListClients());
  }
  // A name the certificate does not carry is refused.
  options.tls->server_name = "ssecast.example.com";
  EXPECT_THAT(
      Client::Connect((*server)->grpc_target(), kE2eTimeout, options).status(),
      StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ControlSecurityE2eTest, BadSecurityFlagsStopTheServerAtStart) {
  const std::string short_token =
      WriteFile("short", "secret-but-short\n# x\nab\n");
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  for (const Case& bad : std::vector<Case>{
           {{"--grpc_tls_cert=/x.pem"},
            "ssecast: bad flags: --grpc_tls_cert and --grpc_tls_key go "
            "together: give both or neither\n"},
           {{"--grpc_tls_client_ca=/ca.pem"},
            "ssecast: bad flags: --grpc_tls_client_ca needs TLS: give "
            "--grpc_tls_cert and --grpc_tls_key too\n"},
           {{absl::StrCat("--grpc_token_file=", short_token)},
            absl::StrCat("ssecast: bad flags: --grpc_token_file: token file ",
                         short_token,
                         " line 3: a token must be 16 to 4096 characters "
                         "(this one has 2)\n")},
           {{"--grpc_tls_cert=/nonexistent.pem", "--grpc_tls_key=/k.pem"},
            "ssecast: control plane: --grpc_tls_cert: cannot open "
            "/nonexistent.pem"},
       }) {
    std::vector<std::string> argv = {
        ServerBinaryPath(), "--http_address=127.0.0.1:0",
        "--grpc_address=127.0.0.1:0", "--admin_address=127.0.0.1:0"};
    argv.insert(argv.end(), bad.flags.begin(), bad.flags.end());
    absl::StatusOr<CompletedProcess> run =
        RunToCompletion(argv, absl::Seconds(60));
    ASSERT_OK(run);
    EXPECT_EQ(run->exit_code, 1);
    EXPECT_THAT(run->stderr_text, HasSubstr(bad.message));
    EXPECT_THAT(run->stderr_text, Not(HasSubstr("secret-but-short")));
  }
}

TEST(ControlSecurityE2eTest, CtlNamesTheCauseWhenThePortIsNotTheControlPlane) {
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      RunningServer::Start();
  ASSERT_OK(server);
  const std::string http_target =
      absl::StrCat("127.0.0.1:", (*server)->http_port());
  const absl::Time start = absl::Now();
  const CompletedProcess run = Ctl(http_target, {"clients"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text,
              StartsWith(absl::StrCat("ssecastctl: ssecast control plane at ",
                                      http_target, " not reachable")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
}

}  // namespace
}  // namespace ssecast::test_support
