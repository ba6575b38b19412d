#include "server/control/request_conversion.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

v1::PublishRequest RequestWithEvent() {
  v1::PublishRequest request;
  v1::Event* event = request.mutable_event();
  event->set_id("id-7");
  event->set_type("price");
  // Longer than std::string's inline buffer, so a move takes the heap
  // buffer instead of copying it.
  event->set_data(std::string(200, 'x'));
  event->set_retry_ms(1500);
  request.mutable_target()->set_all(true);
  return request;
}

TEST(RequestConversionTest, MovingARequestGivesWhatCopyingGives) {
  v1::PublishRequest request = RequestWithEvent();
  absl::StatusOr<EventInput> copied = EventFromRequest(request);
  ASSERT_OK(copied);
  EXPECT_EQ(request.event().data(), std::string(200, 'x'));  // untouched

  const char* buffer = request.event().data().data();
  absl::StatusOr<EventInput> moved = EventFromRequest(std::move(request));
  ASSERT_OK(moved);
  EXPECT_EQ(moved->id, copied->id);
  EXPECT_EQ(moved->type, copied->type);
  EXPECT_EQ(moved->data, copied->data);
  EXPECT_EQ(moved->retry_ms, 1500u);
  EXPECT_EQ(copied->retry_ms, 1500u);
  EXPECT_EQ(moved->data.data(), buffer);  // taken, not copied
}

TEST(RequestConversionTest, ARequestWithoutAnEventIsRefusedEitherWay) {
  v1::PublishRequest request;
  request.mutable_target()->set_all(true);
  absl::StatusOr<EventInput> copied = EventFromRequest(request);
  absl::StatusOr<EventInput> moved = EventFromRequest(std::move(request));
  for (const absl::StatusOr<EventInput>* event : {&copied, &moved}) {
    ASSERT_FALSE(event->ok());
    EXPECT_EQ(event->status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(event->status().message().find("event is not set"),
              absl::string_view::npos)
        << event->status();
  }
}

TEST(RequestConversionTest, AnEmptyEventIsAnEvent) {
  v1::PublishRequest request;
  request.mutable_event();
  absl::StatusOr<EventInput> event = EventFromRequest(std::move(request));
  ASSERT_OK(event);
  EXPECT_EQ(event->data, "");
}

}  // namespace
}  // namespace ssecast
