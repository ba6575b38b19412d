// The ControlServer around the service (health, reflection, shutdown,
// binding) and ssecast::Client connecting to it.
// The fixture (testing/broadcaster_service_fixture.h) runs the control
// plane for real, over loopback gRPC.
#include "server/control/control_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/broker/testing/running_hub.h"
#include "server/control/testing/broadcaster_service_fixture.h"
#include "server/control/testing/health.grpc.pb.h"
#include "server/hub/connection.h"
#include "server/hub/hub.h"
#include "testing/grpc_status_assertions.h"

namespace ssecast {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

HealthCheckResponse::ServingStatus CheckHealth(const std::string& address,
                                               const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  context.set_wait_for_ready(true);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  EXPECT_OK(status);
  return response.status();
}

TEST_F(BroadcasterServiceTest, HealthFollowsSetServing) {
  const std::string address = server_->bound_address();
  EXPECT_EQ(CheckHealth(address, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(CheckHealth(address, "ssecast.v1.Broadcaster"),
            HealthCheckResponse::SERVING);

  server_->SetServing(false);
  EXPECT_EQ(CheckHealth(address, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(CheckHealth(address, "ssecast.v1.Broadcaster"),
            HealthCheckResponse::NOT_SERVING);

  server_->SetServing(true);
  EXPECT_EQ(CheckHealth(address, ""), HealthCheckResponse::SERVING);
}

// Asks the reflection service for the list of services. Debian ships the
// reflection messages compiled into libgrpc++_reflection but not their
// headers, so they are reached through the generated descriptor pool and
// sent over a raw bidirectional call.
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::string& address) {
  namespace pb = google::protobuf;
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  const pb::Descriptor* request_type = pool->FindMessageTypeByName(
      "grpc.reflection.v1alpha.ServerReflectionRequest");
  const pb::Descriptor* response_type = pool->FindMessageTypeByName(
      "grpc.reflection.v1alpha.ServerReflectionResponse");
  if (request_type == nullptr || response_type == nullptr) {
    return absl::NotFoundError("reflection messages are not linked in");
  }
  pb::MessageFactory* factory = pb::MessageFactory::generated_factory();
  std::unique_ptr<pb::Message> request(
      factory->GetPrototype(request_type)->New());
  request->GetReflection()->SetString(
      request.get(), request_type->FindFieldByName("list_services"), "");
  const std::string request_bytes = request->SerializeAsString();

  grpc::GenericStub stub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  // One operation is in flight at a time, so every completion is the one
  // just started.
  auto await = [&queue]() {
    void* tag = nullptr;
    bool ok = false;
    return queue.Next(&tag, &ok) && ok;
  };
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  call->StartCall(nullptr);
  bool ok = await();
  if (ok) call->Write(request_buffer, nullptr), ok = await();
  if (ok) call->WritesDone(nullptr), ok = await();
  if (ok) call->Read(&response_buffer, nullptr), ok = await();
  call->Finish(&status, nullptr);
  await();
  queue.Shutdown();
  while (await()) {
  }
  if (!status.ok()) {
    return absl::UnknownError(
        absl::StrCat("reflection call failed: ", status.error_message()));
  }
  if (!ok) return absl::UnknownError("reflection call got no response");

  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) {
    return absl::UnknownError("cannot read the reflection response");
  }
  std::string response_bytes;
  for (const grpc::Slice& part : slices) {
    response_bytes.append(reinterpret_cast<const char*>(part.begin()),
                          part.size());
  }
  std::unique_ptr<pb::Message> response(
      factory->GetPrototype(response_type)->New());
  if (!response->ParseFromString(response_bytes)) {
    return absl::UnknownError("cannot parse the reflection response");
  }
  const pb::Message& list = response->GetReflection()->GetMessage(
      *response, response_type->FindFieldByName("list_services_response"));
  const pb::FieldDescriptor* services =
      list.GetDescriptor()->FindFieldByName("service");
  std::vector<std::string> names;
  for (int i = 0; i < list.GetReflection()->FieldSize(list, services); ++i) {
    const pb::Message& service =
        list.GetReflection()->GetRepeatedMessage(list, services, i);
    names.push_back(service.GetReflection()->GetString(
        service, service.GetDescriptor()->FindFieldByName("name")));
  }
  return names;
}

TEST_F(BroadcasterServiceTest, ReflectionListsTheService) {
  absl::StatusOr<std::vector<std::string>> services =
      ListServicesByReflection(server_->bound_address());
  ASSERT_OK(services);
  EXPECT_THAT(*services, Contains("ssecast.v1.Broadcaster"));
}

TEST_F(BroadcasterServiceTest, ShutdownStopsServing) {
  const std::string address = server_->bound_address();
  server_->Shutdown(absl::Seconds(5));
  server_->Shutdown(absl::Seconds(5));  // idempotent

  absl::Status status = client_->ListClients().status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ControlServerTest, BindFailureNamesTheAddress) {
  RunningHub running;
  absl::StatusOr<std::unique_ptr<ControlServer>> first =
      ControlServer::Start("127.0.0.1:0", &running.hub);
  ASSERT_OK(first);
  const std::string taken = (*first)->bound_address();

  absl::StatusOr<std::unique_ptr<ControlServer>> second =
      ControlServer::Start(taken, &running.hub);
  ASSERT_THAT(second,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(taken)));
}

TEST(ControlServerTest, RejectsAnAddressWithoutPort) {
  RunningHub running;
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("localhost", &running.hub);
  ASSERT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("\"localhost\"")));
}

// Nothing listens: Connect says so at once, with gRPC's reason, instead
// of retrying until its timeout.
TEST(ClientTest, ConnectToAClosedPortFailsAtOnceNamingTargetAndCause) {
  // A port that was just bound and released is free: nothing listens there.
  RunningHub running;
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("127.0.0.1:0", &running.hub);
  ASSERT_OK(server);
  const std::string address = (*server)->bound_address();
  (*server)->Shutdown(absl::ZeroDuration());

  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(address, absl::Seconds(60));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  ASSERT_THAT(client,
              StatusIs(absl::StatusCode::kUnavailable,
                       StartsWith(absl::StrCat("ssecast control plane at ",
                                               address, " not reachable: "))));
  EXPECT_THAT(std::string(client.status().message()),
              HasSubstr("Connection refused"));
}

// Nothing answers (the peer never takes the connection): Connect gives up
// at its timeout and says so.
TEST(ClientTest, ConnectToASilentPeerNamesTheTimeout) {
  // A socket that listens but never accepts: the kernel completes the TCP
  // handshake, no HTTP/2 settings ever come, and gRPC keeps waiting.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(
      ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  ASSERT_EQ(::listen(listener, 16), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length),
      0);
  const std::string target =
      absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(target, absl::Seconds(1));
  ::close(listener);
  ASSERT_THAT(client, StatusIs(absl::StatusCode::kUnavailable,
                               absl::StrCat("ssecast control plane at ", target,
                                            " not reachable within 1s")));
}

}  // namespace
}  // namespace ssecast
