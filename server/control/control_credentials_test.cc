// The control plane's authentication over real gRPC in this process: a
// ControlServer with tokens and/or TLS, called by ssecast::Client, by raw
// stubs, and by generic calls of the health and reflection services.
#include "server/control/control_credentials.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/broker/testing/running_hub.h"
#include "server/control/control_server.h"
#include "server/control/testing/health.grpc.pb.h"
#include "testing/grpc_status_assertions.h"
#include "tests/test_certificates.h"

namespace ssecast {
namespace {

using test_support::TestCertificates;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kTimeout = absl::Seconds(20);
constexpr char kToken[] = "token-one-0123456789abcdef";
constexpr char kRotatedToken[] = "token-two-0123456789abcdef";
constexpr char kReflection[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

v1::Event Data(std::string data) {
  v1::Event event;
  event.set_data(std::move(data));
  return event;
}

// One call of `method` with an empty message, as a generic client would
// make it (for services this client has no stubs of).
grpc::Status GenericCall(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& method, const std::string& token) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
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

class ControlCredentialsTest : public ::testing::Test {
 protected:
  void StartServer(ControlSecurity security) {
    ControlServerOptions options;
    options.security = std::move(security);
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", &running_.hub, options);
    ASSERT_OK(server);
    server_ = *std::move(server);
  }

  absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options) {
    options.call_timeout = kTimeout;
    return Client::Connect(server_->bound_address(), kTimeout, options);
  }

  absl::Status PublishWith(ClientOptions options) {
    absl::StatusOr<std::unique_ptr<Client>> client = Connect(options);
    if (!client.ok()) return client.status();
    return (*client)->PublishToAll(Data("x")).status();
  }

  std::shared_ptr<grpc::Channel> PlaintextChannel() {
    return grpc::CreateChannel(server_->bound_address(),
                               grpc::InsecureChannelCredentials());
  }

  static ClientOptions WithToken(std::string token) {
    ClientOptions options;
    options.bearer_token = std::move(token);
    return options;
  }

  // Declared first: the server goes before it.
  RunningHub running_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlCredentialsTest, WithoutSecurityEveryoneMayCall) {
  StartServer({});
  EXPECT_OK(PublishWith({}));
  EXPECT_OK(GenericCall(PlaintextChannel(), kReflection, ""));
}

TEST_F(ControlCredentialsTest, TokensAreNeededForEveryCallButHealth) {
  StartServer({std::make_shared<BearerTokens>(
                   std::vector<std::string>{kToken, kRotatedToken}),
               std::nullopt});

  const absl::Status no_token = PublishWith({});
  EXPECT_THAT(
      no_token,
      StatusIs(
          absl::StatusCode::kUnauthenticated,
          "this ssecast control plane needs a bearer token: send the "
          "metadata \"authorization: Bearer <token>\" with a token from its "
          "--grpc_token_file"));
  const absl::Status wrong = PublishWith(WithToken("not-the-token-0123456789"));
  EXPECT_THAT(
      wrong,
      StatusIs(absl::StatusCode::kUnauthenticated,
               "the bearer token is not one of the control plane's tokens "
               "(--grpc_token_file)"));
  EXPECT_OK(PublishWith(WithToken(kToken)));
  EXPECT_OK(PublishWith(WithToken(kRotatedToken)));

  // Not "Bearer <token>".
  grpc::ClientContext basic;
  basic.AddMetadata("authorization", absl::StrCat("Basic ", kToken));
  v1::PublishRequest request;
  *request.mutable_event() = Data("x");
  request.mutable_target()->set_all(true);
  v1::PublishResponse response;
  const grpc::Status basic_status = v1::Broadcaster::NewStub(PlaintextChannel())
                                        ->Publish(&basic, request, &response);
  EXPECT_THAT(basic_status, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(basic_status.error_message(),
            "the authorization metadata is not \"Bearer <token>\"");

  // Health answers probes without a token.
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_OK(grpc::health::v1::Health::NewStub(PlaintextChannel())
                ->Check(&health_context, grpc::health::v1::HealthCheckRequest(),
                        &health));
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // Reflection would list the API to anyone: it needs the token too.
  EXPECT_THAT(GenericCall(PlaintextChannel(), kReflection, ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(GenericCall(PlaintextChannel(), kReflection, kToken));
}

TEST_F(ControlCredentialsTest, PublishStreamNeedsTheTokenToo) {
  StartServer({std::make_shared<BearerTokens>(std::vector<std::string>{kToken}),
               std::nullopt});
  for (const std::string& token : {std::string(), std::string(kToken)}) {
    absl::StatusOr<std::unique_ptr<Client>> client = Connect(WithToken(token));
    ASSERT_OK(client);
    std::unique_ptr<PublishStreamWriter> stream =
        (*client)->OpenPublishStream();
    v1::PublishRequest request;
    *request.mutable_event() = Data("x");
    request.mutable_target()->set_all(true);
    stream->Write(request);
    absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
    if (token.empty()) {
      EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnauthenticated));
    } else {
      ASSERT_OK(response);
      EXPECT_EQ(response->accepted(), 1u);
    }
  }
}

TEST_F(ControlCredentialsTest, ReloadedTokensApplyToTheNextCall) {
  const std::string path =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/reload-tokens");
  std::ofstream(path) << kToken << "\n";
  absl::StatusOr<std::unique_ptr<BearerTokens>> loaded =
      BearerTokens::Load(path);
  ASSERT_OK(loaded);
  std::shared_ptr<BearerTokens> tokens = *std::move(loaded);
  StartServer({tokens, std::nullopt});
  absl::StatusOr<std::unique_ptr<Client>> old_client =
      Connect(WithToken(kToken));
  ASSERT_OK(old_client);
  EXPECT_OK((*old_client)->PublishToAll(Data("x")));

  std::ofstream(path) << "# rotated\n" << kRotatedToken << "\n";
  ASSERT_OK(tokens->Reload());
  EXPECT_THAT((*old_client)->PublishToAll(Data("x")),
              StatusIs(absl::StatusCode::kUnauthenticated))
      << "a removed token stops working on an open channel";
  EXPECT_OK(PublishWith(WithToken(kRotatedToken)));
}

class ControlTlsTest : public ControlCredentialsTest {
 protected:
  void SetUp() override {
    absl::StatusOr<TestCertificates> certificates = TestCertificates::Create();
    ASSERT_OK(certificates);
    certs_ = *std::move(certificates);
  }

  ClientOptions TlsClient(const std::string& cert = "",
                          const std::string& key = "") {
    absl::StatusOr<ClientTls> tls =
        ClientTlsFromFiles(certs_.ca_cert, cert, key);
    EXPECT_OK(tls);
    ClientOptions options;
    options.tls = *tls;
    return options;
  }

  TestCertificates certs_;
};

TEST_F(ControlTlsTest, ServesTlsOnlyToClientsThatTrustItsCa) {
  StartServer(
      {nullptr, ControlTlsFiles{certs_.server_cert, certs_.server_key, ""}});
  EXPECT_OK(PublishWith(TlsClient()));

  const absl::Status plaintext = PublishWith({});
  EXPECT_THAT(plaintext, StatusIs(absl::StatusCode::kUnavailable,
                                  StartsWith("ssecast control plane at ")));

  ClientOptions system_roots;
  system_roots.tls = ClientTls();
  EXPECT_THAT(PublishWith(system_roots),
              StatusIs(absl::StatusCode::kUnavailable))
      << "a certificate of an unknown CA is refused";
}

TEST_F(ControlTlsTest, MutualTlsRequiresAClientCertificateOfTheCa) {
  StartServer({nullptr, ControlTlsFiles{certs_.server_cert, certs_.server_key,
                                        certs_.ca_cert}});
  EXPECT_OK(PublishWith(TlsClient(certs_.client_cert, certs_.client_key)));
  EXPECT_THAT(PublishWith(TlsClient()),
              StatusIs(absl::StatusCode::kUnavailable))
      << "no client certificate";
  EXPECT_THAT(PublishWith(TlsClient(certs_.stranger_cert, certs_.stranger_key)),
              StatusIs(absl::StatusCode::kUnavailable))
      << "a client certificate of another CA";
}

TEST_F(ControlTlsTest, TokensApplyOverTls) {
  StartServer({std::make_shared<BearerTokens>(std::vector<std::string>{kToken}),
               ControlTlsFiles{certs_.server_cert, certs_.server_key, ""}});
  EXPECT_THAT(PublishWith(TlsClient()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ClientOptions with_token = TlsClient();
  with_token.bearer_token = kToken;
  EXPECT_OK(PublishWith(with_token));
}

TEST_F(ControlTlsTest, UnusableFilesAreNamed) {
  ControlServerOptions options;
  options.security.tls =
      ControlTlsFiles{certs_.server_key, certs_.server_key, ""};
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("127.0.0.1:0", &running_.hub, options);
  EXPECT_THAT(server,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--grpc_tls_cert: " + certs_.server_key +
                                 " holds no PEM CERTIFICATE")));

  options.security.tls =
      ControlTlsFiles{certs_.server_cert, "/nonexistent/key.pem", ""};
  server = ControlServer::Start("127.0.0.1:0", &running_.hub, options);
  EXPECT_THAT(
      server,
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("--grpc_tls_key: cannot open /nonexistent/key.pem")));
}

}  // namespace
}  // namespace ssecast
