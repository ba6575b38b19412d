#ifndef SSECAST_SERVER_BASE_WAKEABLE_EPOLL_H_
#define SSECAST_SERVER_BASE_WAKEABLE_EPOLL_H_

#include <sys/epoll.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"

namespace ssecast {

// An epoll instance with an eventfd registered in it, so that other
// threads can interrupt a Wait(). Owns both descriptors; the descriptors
// it watches stay owned by the caller, who removes them before closing.
//
// Every system call is checked. Creating one fails only when the process
// is out of descriptors or memory at startup; the constructor then ends
// the process with the reason (there is nothing to serve with).
//
// Wake() is thread-safe and async-signal-safe; everything else belongs to
// the one thread that runs the loop.
class WakeableEpoll {
 public:
  WakeableEpoll();

  WakeableEpoll(const WakeableEpoll&) = delete;
  WakeableEpoll& operator=(const WakeableEpoll&) = delete;

  // Watches `fd` for `events`; `tag` (never null) comes back in
  // epoll_event.data.ptr. An error says which call failed and why (e.g.
  // ENOSPC past fs.epoll.max_user_watches): the caller drops that one
  // descriptor and carries on.
  absl::Status Add(int fd, uint32_t events, void* tag);
  // Stops watching `fd`. Only a programming error (a descriptor not added)
  // can make it fail; closing the descriptor removes it anyway.
  void Remove(int fd);

  // Waits up to `timeout` (InfiniteDuration: no limit) for events; returns
  // how many were stored in `events`. The wake-up is consumed here and
  // reported as an event whose IsWake() is true. Interrupted waits return
  // 0; any other failure ends the process (a broken epoll cannot serve).
  int Wait(epoll_event* events, int max_events, absl::Duration timeout);
  static bool IsWake(const epoll_event& event);

  // Makes the current or next Wait() return. Wakes before the loop reads
  // them are merged into one.
  void Wake();

 private:
  UniqueFd epoll_fd_;
  UniqueFd event_fd_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_WAKEABLE_EPOLL_H_
