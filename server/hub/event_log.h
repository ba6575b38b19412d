#ifndef SSECAST_SERVER_HUB_EVENT_LOG_H_
#define SSECAST_SERVER_HUB_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/hub/event.h"
#include "server/hub/position.h"

namespace ssecast {

// The ordered, bounded history of published events. The hub appends; the
// stream writers of the SSE front read it, each connection keeping its own
// cursor (a local sequence number), so an event is stored once however many
// connections receive it, and a reconnecting client resumes from it.
//
// Entries carry two numbers: a local sequence (from 1, no gaps) that
// cursors use, and a Position, the id clients see. Positions are assigned
// here ({epoch, sequence}) unless the appender brings its own (a broker
// that orders events for several nodes); either way they increase.
//
// The log keeps at most `capacity` entries, none older than `max_age`.
// Readers that are slow as a whole (the server is overloaded) hold the
// appenders back: WaitForRoom() blocks while any reader is more than
// `max_unswept` entries behind.
//
// All methods are thread-safe.
class EventLog {
 public:
  struct Options {
    size_t capacity = 10000;
    absl::Duration max_age = absl::InfiniteDuration();
    size_t max_unswept = 4096;
    absl::Duration max_publish_wait = absl::Seconds(5);
  };

  // A consumer of the log that wants to be woken when entries arrive.
  // Owned by the caller of AddReader; must be removed before it dies.
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

  // Blocks while some reader is more than `max_unswept` entries behind;
  // RESOURCE_EXHAUSTED after `max_publish_wait`.
  absl::Status WaitForRoom();

  // Serializes `input` for `target` and appends it, at `position` if given
  // (it must be above every position in the log; a lower one is dropped and
  // nullptr returned) or else at {epoch, sequence}. The caller validated
  // `input`. Wakes the readers.
  std::shared_ptr<const Event> Append(
      const EventInput& input, Target target,
      std::optional<Position> position = std::nullopt);
  std::shared_ptr<const Event> AppendRetryChange(
      RetryChange change, std::optional<Position> position = std::nullopt);

  // Declares that every position up to `position` is gone, for a log that
  // starts in the middle of a longer history. Call before the first append.
  void SetBoundary(const Position& position);

  // The sequence the next appended entry will get.
  uint64_t next_sequence() const;
  // next_sequence() and last_position() read together.
  struct End {
    uint64_t next_sequence;
    Position last_position;
  };
  End end() const;
  // The oldest sequence still held (next_sequence() when empty).
  uint64_t first_sequence() const;
  // The position of the newest entry, or the boundary when empty: what a
  // client that has seen everything would send as Last-Event-ID.
  Position last_position() const;

  // Appends to `out` the entries from sequence `from` (or the oldest still
  // held, if `from` fell out) to the newest. Returns the sequence of the
  // first appended entry; `*first_held` receives first_sequence().
  uint64_t CopyFrom(uint64_t from,
                    std::deque<std::shared_ptr<const Event>>* out,
                    uint64_t* first_held = nullptr) const;

  // The sequence that follows `position`, if the log still holds every
  // entry after it. OUT_OF_RANGE if `position` is older than the log;
  // NOT_FOUND if it is the position of no entry (another epoch's, or one
  // never published).
  absl::StatusOr<uint64_t> SequenceAfter(const Position& position);

  uint64_t epoch() const { return epoch_; }

  void AddReader(Reader* reader);
  void RemoveReader(Reader* reader);
  // A reader reports that it has handled everything before `sequence`. An
  // `idle` reader (one with nothing to deliver to) holds nobody back.
  void ReportSwept(Reader* reader, uint64_t sequence, bool idle = false);

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t NextSequenceLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return first_sequence_ + events_.size();
  }
  // The position for the next entry, or nullopt if `given` is out of order.
  std::optional<Position> NextPosition(std::optional<Position> given) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Push(std::shared_ptr<const Event> event, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictExpired(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PopOldest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WakeReaders();

  const Options options_;
  const uint64_t epoch_;

  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<const Event>> events_ ABSL_GUARDED_BY(mu_);
  uint64_t first_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  // The newest position known to be gone (evicted, or before the start).
  Position boundary_ ABSL_GUARDED_BY(mu_);
  struct ReaderState {
    Reader* reader;
    uint64_t swept;
    bool idle;
  };
  std::vector<ReaderState> readers_ ABSL_GUARDED_BY(mu_);

  // Readers are woken without mu_; this lock only guards the list.
  mutable absl::Mutex wake_mu_;
  std::vector<Reader*> wake_list_ ABSL_GUARDED_BY(wake_mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_EVENT_LOG_H_
