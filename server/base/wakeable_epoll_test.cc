#include "server/base/wakeable_epoll.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "testing/status_assertions.h"

namespace ssecast {
namespace {

TEST(WakeableEpollTest, WaitTimesOutWithNothingToReport) {
  WakeableEpoll epoll;
  epoll_event events[4];
  EXPECT_EQ(epoll.Wait(events, 4, absl::Milliseconds(1)), 0);
}

TEST(WakeableEpollTest, WakeFromAnotherThreadEndsAnUnboundedWait) {
  WakeableEpoll epoll;
  std::thread waker([&epoll] { epoll.Wake(); });
  epoll_event events[4];
  ASSERT_EQ(epoll.Wait(events, 4, absl::InfiniteDuration()), 1);
  EXPECT_TRUE(WakeableEpoll::IsWake(events[0]));
  waker.join();
}

TEST(WakeableEpollTest, WakesAreMergedAndConsumed) {
  WakeableEpoll epoll;
  for (int i = 0; i < 5; ++i) epoll.Wake();
  epoll_event events[4];
  ASSERT_EQ(epoll.Wait(events, 4, absl::ZeroDuration()), 1);
  EXPECT_TRUE(WakeableEpoll::IsWake(events[0]));
  // Consumed by the first Wait: level-triggered epoll reports it no more.
  EXPECT_EQ(epoll.Wait(events, 4, absl::ZeroDuration()), 0);
}

TEST(WakeableEpollTest, ReportsAddedDescriptorsWithTheirTag) {
  WakeableEpoll epoll;
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  int tag;
  ASSERT_OK(epoll.Add(a.get(), EPOLLIN, &tag));
  ASSERT_EQ(::write(b.get(), "x", 1), 1);
  epoll_event events[4];
  ASSERT_EQ(epoll.Wait(events, 4, absl::Seconds(60)), 1);
  EXPECT_FALSE(WakeableEpoll::IsWake(events[0]));
  // epoll_event is packed: copy the field rather than bind a reference.
  void* const reported = events[0].data.ptr;
  EXPECT_EQ(reported, &tag);
  epoll.Remove(a.get());
  EXPECT_EQ(epoll.Wait(events, 4, absl::ZeroDuration()), 0);
}

TEST(WakeableEpollTest, AddSaysWhichCallFailedAndWhy) {
  WakeableEpoll epoll;
  int tag;
  const absl::Status added = epoll.Add(/*fd=*/-1, EPOLLIN, &tag);
  EXPECT_THAT(added, StatusIs(absl::StatusCode::kFailedPrecondition));  // EBADF
  EXPECT_NE(added.message().find("EPOLL_CTL_ADD"), absl::string_view::npos)
      << added;
}

}  // namespace
}  // namespace ssecast
