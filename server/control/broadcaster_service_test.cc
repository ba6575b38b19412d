// Runs the control plane for real: a ControlServer on a loopback port, a
// real Hub with an in-memory no-reconnect store, and ssecast::Client over a
// real gRPC channel.
#include <atomic>
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
#include "server/control/control_server.h"
#include "server/control/testing/health.grpc.pb.h"
#include "server/hub/connection.h"
#include "server/hub/hub.h"
#include "server/hub/position.h"
#include "server/store/no_reconnect_store_memory.h"

namespace ssecast {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Generous: the machine running the tests may be busy.
constexpr absl::Duration kConnectTimeout = absl::Seconds(20);
constexpr size_t kMaxEventBytes = 1024;

// A connection without a socket: the test plays the SSE front.
class FakeStream final : public Connection {
 public:
  using Connection::Connection;
  void Close() override { closed_ = true; }
  bool closed() const { return closed_; }

 private:
  std::atomic<bool> closed_{false};
};

v1::Event EventWithData(std::string data) {
  v1::Event event;
  event.set_data(std::move(data));
  return event;
}

class BroadcasterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", &hub_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(server_->bound_address(), kConnectTimeout);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  static HubOptions SmallEvents() {
    HubOptions options;
    options.max_event_bytes = kMaxEventBytes;
    return options;
  }

  std::shared_ptr<FakeStream> AttachStream(uint64_t id,
                                           const std::string& client_id) {
    auto stream = std::make_shared<FakeStream>(id, client_id, "10.0.0.7:4242",
                                               absl::FromUnixMillis(1234567));
    uint64_t first_sequence = 0;
    absl::StatusOr<bool> attached = hub_.Attach(stream, &first_sequence);
    EXPECT_TRUE(attached.ok()) << attached.status();
    EXPECT_TRUE(attached.value_or(false));
    return stream;
  }

  void ExpectInvalidArgument(const absl::Status& status,
                             const std::string& message) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(status.message(), message);
  }

  NoReconnectStoreMemory store_{absl::Hours(1)};
  Hub hub_{SmallEvents(), &store_};
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(BroadcasterServiceTest, PublishToAllWithoutConnectionsGivesPosition) {
  absl::StatusOr<v1::PublishResponse> first =
      client_->PublishToAll(EventWithData("hello"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->connections(), 0u);
  absl::StatusOr<v1::PublishResponse> second =
      client_->PublishToAll(EventWithData("again"));
  ASSERT_TRUE(second.ok()) << second.status();

  std::optional<Position> first_position = Position::Parse(first->position());
  std::optional<Position> second_position = Position::Parse(second->position());
  ASSERT_TRUE(first_position.has_value()) << first->position();
  ASSERT_TRUE(second_position.has_value()) << second->position();
  EXPECT_TRUE(*first_position < *second_position);
}

TEST_F(BroadcasterServiceTest, PublishCountsTheTargetedConnections) {
  AttachStream(1, "alice");
  AttachStream(2, "alice");
  AttachStream(3, "bob");

  absl::StatusOr<v1::PublishResponse> to_all =
      client_->PublishToAll(EventWithData("x"));
  ASSERT_TRUE(to_all.ok()) << to_all.status();
  EXPECT_EQ(to_all->connections(), 3u);

  absl::StatusOr<v1::PublishResponse> to_alice =
      client_->PublishToClients(EventWithData("x"), {"alice", "carol"});
  ASSERT_TRUE(to_alice.ok()) << to_alice.status();
  EXPECT_EQ(to_alice->connections(), 2u);
}

TEST_F(BroadcasterServiceTest, RejectsControlCharactersInIdAndType) {
  for (const std::string& bad :
       {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3)}) {
    v1::Event event = EventWithData("x");
    event.set_id(bad);
    ExpectInvalidArgument(client_->PublishToAll(event).status(),
                          "event.id must not contain CR, LF or NUL");
    event.clear_id();
    event.set_type(bad);
    ExpectInvalidArgument(client_->PublishToAll(event).status(),
                          "event.type must not contain CR, LF or NUL");
  }
}

TEST_F(BroadcasterServiceTest, RejectsDataOverTheLimit) {
  ExpectInvalidArgument(
      client_->PublishToAll(EventWithData(std::string(kMaxEventBytes + 1, 'x')))
          .status(),
      "event.data is 1025 bytes; the limit (--max_event_bytes) is 1024");
  EXPECT_TRUE(
      client_->PublishToAll(EventWithData(std::string(kMaxEventBytes, 'x')))
          .ok());
}

TEST_F(BroadcasterServiceTest, RejectsAMissingTarget) {
  ExpectInvalidArgument(
      client_->Publish(EventWithData("x"), v1::Target()).status(),
      "target is required: set all or clients");
}

TEST_F(BroadcasterServiceTest, RejectsAllSetToFalse) {
  v1::Target target;
  target.set_all(false);
  ExpectInvalidArgument(client_->Publish(EventWithData("x"), target).status(),
                        "target.all is false: set it to true, or set "
                        "target.clients");
}

TEST_F(BroadcasterServiceTest, RejectsAnEmptyClientList) {
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {}).status(),
      "target.clients.ids is empty");
}

TEST_F(BroadcasterServiceTest, RejectsAnInvalidClientIdNamingItsIndex) {
  absl::Status status =
      client_->PublishToClients(EventWithData("x"), {"fine", "has space"})
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("target.clients.ids[1]: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("has space"));

  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {""}).status(),
      "target.clients.ids[0]: client id is empty");
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {std::string(129, 'a')})
          .status(),
      "target.clients.ids[0]: client id is 129 characters; at most 128");
}

TEST_F(BroadcasterServiceTest, RejectsEmptyOrInvalidIdListsOfDisconnect) {
  ExpectInvalidArgument(client_->Disconnect({}, false).status(),
                        "client_ids is empty");
  ExpectInvalidArgument(client_->AllowReconnect({}).status(),
                        "client_ids is empty");
  ExpectInvalidArgument(client_->Disconnect({"ok", ""}, false).status(),
                        "client_ids[1]: client id is empty");
  ExpectInvalidArgument(client_->AllowReconnect({"a\tb"}).status(),
                        "client_ids[0]: client id \"a\\tb\" has a character "
                        "that is not printable ASCII (or a space)");
}

TEST_F(BroadcasterServiceTest, DisconnectOfAnAbsentClientEntersTheStore) {
  absl::StatusOr<uint32_t> closed = client_->Disconnect({"ghost"}, false);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(*closed, 0u);

  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"ghost"});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1u);
  removed = client_->AllowReconnect({"ghost"});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectWithAllowReconnectSkipsTheStore) {
  ASSERT_TRUE(client_->Disconnect({"ghost"}, true).ok());
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect({"ghost"});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BroadcasterServiceTest, DisconnectClosesTheClientsConnections) {
  std::shared_ptr<FakeStream> alice1 = AttachStream(1, "alice");
  std::shared_ptr<FakeStream> alice2 = AttachStream(2, "alice");
  std::shared_ptr<FakeStream> bob = AttachStream(3, "bob");

  absl::StatusOr<uint32_t> closed = client_->Disconnect({"alice"}, false);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(*closed, 2u);
  EXPECT_TRUE(alice1->closed());
  EXPECT_TRUE(alice2->closed());
  EXPECT_FALSE(bob->closed());
}

TEST_F(BroadcasterServiceTest, ListClientsReportsConnections) {
  absl::StatusOr<v1::ListClientsResponse> empty = client_->ListClients();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->clients_size(), 0);

  std::shared_ptr<FakeStream> stream = AttachStream(7, "alice");
  absl::StatusOr<v1::ListClientsResponse> listed = client_->ListClients();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->clients_size(), 1);
  const v1::ClientInfo& client = listed->clients(0);
  EXPECT_EQ(client.client_id(), "alice");
  ASSERT_EQ(client.connections_size(), 1);
  EXPECT_EQ(client.connections(0).connection_id(), 7u);
  EXPECT_EQ(client.connections(0).remote_address(), "10.0.0.7:4242");
  EXPECT_EQ(client.connections(0).connected_since_unix_ms(), 1234567);
  EXPECT_EQ(client.connections(0).events_sent(), 0u);
}

TEST_F(BroadcasterServiceTest, SurvivesHugeClientLists) {
  std::vector<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.push_back(absl::StrCat("client-", i));
  absl::StatusOr<v1::PublishResponse> published =
      client_->PublishToClients(EventWithData("x"), ids);
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->connections(), 0u);

  absl::StatusOr<uint32_t> closed = client_->Disconnect(ids, false);
  ASSERT_TRUE(closed.ok()) << closed.status();
  absl::StatusOr<uint32_t> removed = client_->AllowReconnect(ids);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, ids.size());
}

TEST_F(BroadcasterServiceTest, RefusesRequestsOverTheMessageSizeLimit) {
  // 5 MiB of ids: over the 4 MiB limit, which gRPC enforces before the
  // service runs.
  std::vector<std::string> ids(5 * 1024, std::string(1024, 'a'));
  absl::Status status = client_->Disconnect(ids, false).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
}

TEST_F(BroadcasterServiceTest, DataThatIsNotUtf8NeverReachesTheHub) {
  // Bypasses ssecast::Client, which refuses such data itself. proto3
  // strings must be UTF-8, so the server's parser refuses the request
  // before the service runs; gRPC picks the status.
  auto stub = v1::Broadcaster::NewStub(grpc::CreateChannel(
      server_->bound_address(), grpc::InsecureChannelCredentials()));
  v1::PublishRequest request;
  request.mutable_event()->set_data("\xff\xfe not utf-8");
  request.mutable_target()->set_all(true);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kConnectTimeout));
  v1::PublishResponse response;
  EXPECT_FALSE(stub->Publish(&context, request, &response).ok());
  // The server is still up.
  EXPECT_TRUE(client_->PublishToAll(EventWithData("fine")).ok());
}

TEST_F(BroadcasterServiceTest, ClientRefusesStringsThatAreNotUtf8) {
  v1::Event event = EventWithData("\xff not utf-8");
  ExpectInvalidArgument(client_->PublishToAll(event).status(),
                        "event.data is not valid UTF-8");
  event = EventWithData("x");
  event.set_type("\xc3");
  ExpectInvalidArgument(client_->PublishToAll(event).status(),
                        "event.type is not valid UTF-8");
  ExpectInvalidArgument(
      client_->PublishToClients(EventWithData("x"), {"ok", "\xff"}).status(),
      "target.clients.ids[1] is not valid UTF-8");
  ExpectInvalidArgument(client_->Disconnect({"\xff"}, false).status(),
                        "client_ids[0] is not valid UTF-8");
  ExpectInvalidArgument(client_->AllowReconnect({"\xff"}).status(),
                        "client_ids[0] is not valid UTF-8");
}

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
  EXPECT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
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
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("ssecast.v1.Broadcaster"));
}

TEST_F(BroadcasterServiceTest, ShutdownStopsServing) {
  const std::string address = server_->bound_address();
  server_->Shutdown(absl::Seconds(5));
  server_->Shutdown(absl::Seconds(5));  // idempotent

  absl::Status status = client_->ListClients().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST(ControlServerTest, BindFailureNamesTheAddress) {
  NoReconnectStoreMemory store(absl::Hours(1));
  Hub hub(HubOptions(), &store);
  absl::StatusOr<std::unique_ptr<ControlServer>> first =
      ControlServer::Start("127.0.0.1:0", &hub);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = (*first)->bound_address();

  absl::StatusOr<std::unique_ptr<ControlServer>> second =
      ControlServer::Start(taken, &hub);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(taken));
}

TEST(ControlServerTest, RejectsAnAddressWithoutPort) {
  NoReconnectStoreMemory store(absl::Hours(1));
  Hub hub(HubOptions(), &store);
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("localhost", &hub);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("\"localhost\""));
}

TEST(ClientTest, ConnectToAClosedPortNamesTargetAndTimeout) {
  // A port that was just bound and released is free: nothing listens there.
  NoReconnectStoreMemory store(absl::Hours(1));
  Hub hub(HubOptions(), &store);
  absl::StatusOr<std::unique_ptr<ControlServer>> server =
      ControlServer::Start("127.0.0.1:0", &hub);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->bound_address();
  (*server)->Shutdown(absl::ZeroDuration());

  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(address, absl::Seconds(1));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client.status().message(),
            absl::StrCat("ssecast control plane at ", address,
                         " not reachable within 1s"));
}

}  // namespace
}  // namespace ssecast
