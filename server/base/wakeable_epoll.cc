#include "server/base/wakeable_epoll.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ssecast {
namespace {

// What epoll_event.data.ptr holds for the eventfd.
char wake_tag;

[[noreturn]] void Die(const char* call) {
  std::fprintf(stderr, "ssecast: fatal: %s failed: %s\n", call,
               std::strerror(errno));
  std::abort();
}

}  // namespace

WakeableEpoll::WakeableEpoll()
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!epoll_fd_.valid()) Die("epoll_create1");
  if (!event_fd_.valid()) Die("eventfd");
  if (!Add(event_fd_.get(), EPOLLIN, &wake_tag).ok()) {
    Die("epoll_ctl(EPOLL_CTL_ADD, eventfd)");
  }
}

absl::Status WakeableEpoll::Add(int fd, uint32_t events, void* tag) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = tag;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("epoll_ctl(EPOLL_CTL_ADD) of descriptor ", fd));
  }
  return absl::OkStatus();
}

void WakeableEpoll::Remove(int fd) {
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0) {
    std::fprintf(stderr,
                 "ssecast: epoll_ctl(EPOLL_CTL_DEL) of descriptor %d: %s\n", fd,
                 std::strerror(errno));
  }
}

int WakeableEpoll::Wait(epoll_event* events, int max_events,
                        absl::Duration timeout) {
  timespec limit;
  const timespec* limit_or_null = nullptr;
  if (timeout != absl::InfiniteDuration()) {
    limit = absl::ToTimespec(std::max(timeout, absl::ZeroDuration()));
    limit_or_null = &limit;
  }
  const int n = ::epoll_pwait2(epoll_fd_.get(), events, max_events,
                               limit_or_null, nullptr);
  if (n < 0) {
    if (errno == EINTR) return 0;
    Die("epoll_pwait2");
  }
  for (int i = 0; i < n; ++i) {
    if (IsWake(events[i])) {
      uint64_t count;
      // Non-blocking: reads until the counter is zero (EAGAIN).
      while (::read(event_fd_.get(), &count, sizeof(count)) > 0) {
      }
    }
  }
  return n;
}

bool WakeableEpoll::IsWake(const epoll_event& event) {
  return event.data.ptr == &wake_tag;
}

void WakeableEpoll::Wake() {
  const uint64_t one = 1;
  // The only failure, EAGAIN, means the counter is saturated: a wake-up is
  // pending already.
  ssize_t written = ::write(event_fd_.get(), &one, sizeof(one));
  (void)written;
}

}  // namespace ssecast
