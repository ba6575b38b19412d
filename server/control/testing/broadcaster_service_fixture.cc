#include "server/control/testing/broadcaster_service_fixture.h"

#include <deque>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "server/hub/event.h"
#include "server/hub/event_log.h"

namespace ssecast {

v1::Event EventWithData(std::string data) {
  v1::Event event;
  event.set_data(std::move(data));
  return event;
}

v1::PublishRequest RequestToAll(std::string data) {
  v1::PublishRequest request;
  *request.mutable_event() = EventWithData(std::move(data));
  request.mutable_target()->set_all(true);
  return request;
}

std::vector<std::string> PublishedData(Hub& hub) {
  std::deque<std::shared_ptr<const Event>> events;
  hub.log().CopyFrom(1, &events);
  std::vector<std::string> data;
  for (const auto& event : events) {
    if (event->retry_change().has_value()) continue;
    const std::string kField = "data: ";
    const std::string chunk(event->chunk());
    const size_t begin = chunk.find(kField) + kField.size();
    data.push_back(chunk.substr(begin, chunk.find('\n', begin) - begin));
  }
  return data;
}

bool AwaitPublishedCount(Hub& hub, size_t count) {
  const absl::Time deadline = absl::Now() + kConnectTimeout;
  while (PublishedData(hub).size() < count) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return PublishedData(hub).size() == count;
}

void BroadcasterServiceTest::SetUp() {
  absl::StatusOr<ControlPlane> plane = StartControlPlane(hub_);
  ASSERT_OK(plane);
  server_ = std::move(plane->server);
  client_ = std::move(plane->client);
}

HubOptions BroadcasterServiceTest::SmallEvents() {
  HubOptions options;
  options.max_event_bytes = kMaxEventBytes;
  return options;
}

std::shared_ptr<RecordingConnection> BroadcasterServiceTest::AttachStream(
    uint64_t id, const std::string& client_id,
    std::vector<std::string> groups) {
  auto stream = std::make_shared<RecordingConnection>(
      id, client_id, "10.0.0.7:4242", absl::FromUnixMillis(1234567));
  Hub::AttachRequest request;
  request.groups = std::move(groups);
  AttachAdmitted(hub_, stream, request);
  return stream;
}

std::unique_ptr<v1::Broadcaster::Stub> BroadcasterServiceTest::RawStub() {
  return v1::Broadcaster::NewStub(grpc::CreateChannel(
      server_->bound_address(), grpc::InsecureChannelCredentials()));
}

void BroadcasterServiceTest::ExpectInvalidArgument(const absl::Status& status,
                                                   const std::string& message) {
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, message));
}

}  // namespace ssecast
