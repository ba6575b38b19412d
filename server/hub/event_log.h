#ifndef SSECAST_SERVER_HUB_EVENT_LOG_H_
#define SSECAST_SERVER_HUB_EVENT_LOG_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/hub/event.h"
#include "server/hub/position.h"

namespace ssecast {

// The ordered, bounded history of published events. The hub appends; the
// stream writers of the SSE front read it, each connection keeping its own
// cursor (a sequence number), so an event is stored once however many
// connections receive it, and a reconnecting client can resume from it.
//
// Sequences start at 1 and have no gaps. When the log holds `capacity`
// events, appending drops the oldest. Readers that cannot keep up are the
// front's business (it drops connections whose cursor fell out of the log);
// readers that are slow as a whole (the server is overloaded) hold the
// appenders back: WaitForRoom() blocks while any reader is more than
// `max_unswept` events behind.
//
// All methods are thread-safe.
class EventLog {
 public:
  struct Options {
    size_t capacity = 10000;
    size_t max_unswept = 4096;
    absl::Duration max_publish_wait = absl::Seconds(5);
  };

  // A consumer of the log that wants to be woken when events arrive. Owned
  // by the caller of AddReader; must be removed before it is destroyed.
  class Reader {
   public:
    virtual ~Reader() = default;
    // Called after every append, on the appending thread, without locks
    // held. Must be cheap and must not call back into the log.
    virtual void Wake() = 0;
  };

  EventLog(const Options& options, uint64_t epoch);

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Blocks while some reader is more than `max_unswept` events behind;
  // RESOURCE_EXHAUSTED after `max_publish_wait`.
  absl::Status WaitForRoom();

  // Serializes `input` for `target` at the next position and appends it.
  // The caller validated `input`. Wakes the readers.
  std::shared_ptr<const Event> Append(const EventInput& input, Target target);

  // The sequence the next appended event will get.
  uint64_t next_sequence() const;

  // Appends to `out` the events from sequence `from` (or the oldest still
  // held, if `from` fell out) to the newest. Returns the sequence of the
  // first appended event; `*first_held` receives first_sequence().
  uint64_t CopyFrom(uint64_t from,
                    std::deque<std::shared_ptr<const Event>>* out,
                    uint64_t* first_held = nullptr) const;

  // The oldest sequence still held (next_sequence() when empty).
  uint64_t first_sequence() const;

  // The sequence that follows `position`, if the log still holds every
  // event after it; nullopt if `position` is older than the log, from
  // another epoch, or not yet published.
  std::optional<uint64_t> SequenceAfter(const Position& position) const;

  uint64_t epoch() const { return epoch_; }

  void AddReader(Reader* reader);
  void RemoveReader(Reader* reader);
  // A reader reports that it has handled everything before `sequence`.
  void ReportSwept(Reader* reader, uint64_t sequence);

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const uint64_t epoch_;

  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<const Event>> events_ ABSL_GUARDED_BY(mu_);
  uint64_t first_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  struct ReaderState {
    Reader* reader;
    uint64_t swept;
  };
  std::vector<ReaderState> readers_ ABSL_GUARDED_BY(mu_);

  // Readers are woken without mu_; this lock only guards the list.
  mutable absl::Mutex wake_mu_;
  std::vector<Reader*> wake_list_ ABSL_GUARDED_BY(wake_mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_EVENT_LOG_H_
