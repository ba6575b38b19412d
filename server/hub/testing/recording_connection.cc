#include "server/hub/testing/recording_connection.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {

Hub::AttachResult AttachAdmitted(Hub& hub,
                                 std::shared_ptr<Connection> connection,
                                 const Hub::AttachRequest& request) {
  const std::string client_id = connection->client_id();
  absl::StatusOr<Hub::AttachResult> result =
      hub.Attach(std::move(connection), request);
  EXPECT_THAT(result, test_support::IsOkAndHolds(
                          ::testing::Field(&Hub::AttachResult::admitted, true)))
      << "attaching client " << client_id;
  return result.value_or(Hub::AttachResult{});
}

}  // namespace ssecast
