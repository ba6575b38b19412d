#include "server/hub/testing/recording_connection.h"

#include <memory>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "server/broker/testing/running_hub.h"
#include "server/hub/hub.h"
#include "server/hub/target.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(AttachAdmittedTest, AttachesAndReturnsTheHubsAnswer) {
  RunningHub running;
  auto connection = std::make_shared<RecordingConnection>(1, "alice");
  const Hub::AttachResult result = AttachAdmitted(running.hub, connection);
  EXPECT_TRUE(result.admitted);
  EXPECT_EQ(running.hub.connection_count(), 1u);
  running.hub.Detach(*connection);
}

TEST(AttachAdmittedTest, ReportsARefusalAsAFailure) {
  RunningHub running;
  ASSERT_OK(running.hub.Disconnect(Target::Clients({"alice"}), false));
  auto connection = std::make_shared<RecordingConnection>(1, "alice");
  Hub::AttachResult result;
  result.admitted = true;
  EXPECT_NONFATAL_FAILURE(result = AttachAdmitted(running.hub, connection),
                          "attaching client alice");
  EXPECT_FALSE(result.admitted);
}

TEST(AttachAdmittedTest, ReportsAnErrorAsAFailure) {
  HubOptions options;
  options.max_groups_per_client = 1;
  RunningHub running(options);
  auto connection = std::make_shared<RecordingConnection>(1, "alice");
  Hub::AttachResult result;
  result.admitted = true;
  EXPECT_NONFATAL_FAILURE(result = AttachAdmitted(running.hub, connection,
                                                  {.groups = {"red", "blue"}}),
                          "attaching client alice");
  EXPECT_FALSE(result.admitted);
  EXPECT_EQ(running.hub.connection_count(), 0u);
}

}  // namespace
}  // namespace ssecast
