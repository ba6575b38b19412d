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
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
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
// The log keeps at most `capacity` entries and `max_bytes` bytes, none
// older than `max_age`.
//
// Flow control: each Reader (a stream writer thread) reports how many
// connections it serves and the cursors of its slowest ones. Of all
// connections of all readers, the log lets the slowest `lagging_share`
// (rounded up, but never all) lag: the next cursor is the "held" sequence
// publishers wait for. They have room while fewer than `max_pending`
// entries and fewer than `max_pending_bytes` bytes lie between the held
// sequence and the log's end. WaitForRoom() blocks a publisher until there
// is room; WhenRoom() parks a callback instead.
//
// All methods are thread-safe. Its two locks are never held together, and
// no callback (Wake(), WhenRoom()) runs under either.
class EventLog {
 public:
  struct Options {
    size_t capacity = 10000;
    size_t max_bytes = 64 << 20;
    absl::Duration max_age = absl::InfiniteDuration();
    // Publishers wait while a reader's held sequence is this many entries
    // (or bytes) behind the end. Clamped to a quarter of the capacity (and
    // of max_bytes), so that held connections never lose entries they
    // still need to eviction.
    size_t max_pending = 1000;
    size_t max_pending_bytes = 16 << 20;
    // The share of connections (0 to 0.5) that may lag without holding
    // publishers back.
    double lagging_share = 0.1;
    absl::Duration max_publish_wait = absl::Seconds(5);
    // Told how long each publisher that found no room was held back
    // (WaitForRoom, AwaitRoom, WhenRoom), with no lock held; for metrics.
    std::function<void(absl::Duration)> on_wait;
  };

  // A consumer of the log that wants to be woken when entries arrive.
  // Owned by the caller of AddReader; must be removed before it dies.
  class Reader {
   public:
    virtual ~Reader() = default;
    // Called after every append, on the appending thread, without the
    // log's own locks but possibly under the appender's (Hub::Apply runs
    // under the broker's lock and the hub's). Must be cheap (at most one
    // write() to an eventfd), must not block and must not call back into
    // the log or the hub.
    virtual void Wake() = 0;
  };

  EventLog(const Options& options, uint64_t epoch);

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Blocks while there is no room (see above); RESOURCE_EXHAUSTED after
  // `max_publish_wait`, saying how far behind the connections are.
  absl::Status WaitForRoom();
  // Blocks until there is room, however long that takes (a broker's reader
  // thread, which must not read commands faster than they are delivered).
  void AwaitRoom();
  // Runs `ready` once there is room: at once, on this thread, if there is;
  // otherwise later, on the thread whose report or removal makes room, with
  // no lock held. `ready` must be quick and must not block.
  void WhenRoom(std::function<void()> ready);
  // How many more entries fit before publishers must wait (0: none); for a
  // publisher of batches, which must not overshoot the bound by a batch.
  size_t Room() const;

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
  // Empties the log and declares every position up to `position` gone:
  // entries were lost before reaching it. Readers whose connections still
  // needed the old entries find them fallen out (and drop them, so that the
  // clients replay and learn they are too old).
  void DiscardThrough(const Position& position);

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

  void AddReader(Reader* reader);
  void RemoveReader(Reader* reader);
  // How many of a reader's slowest cursors the log needs in each report:
  // enough to find the held sequence whichever reader has the slow ones.
  size_t slowest_wanted() const {
    return slowest_wanted_.load(std::memory_order_relaxed);
  }
  // A reader reports that it serves `connections` connections and that the
  // cursors of its slowest ones are `slowest` (ascending; at least
  // min(connections, slowest_wanted()) of them). A reader with no
  // connections holds nobody back. Runs the WhenRoom() callbacks this
  // makes room for.
  void ReportProgress(Reader* reader, size_t connections,
                      absl::Span<const uint64_t> slowest);

  // How far behind the end the held sequence is.
  struct Backlog {
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  Backlog backlog() const;

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Recomputes held_ and slowest_wanted_ from the readers' reports.
  void UpdateHeldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Backlog BacklogLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bytes of the entries from `sequence` to the end (all held bytes and
  // more, if `sequence` fell out).
  uint64_t BytesFromLocked(uint64_t sequence) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes the parked callbacks if there is room now.
  std::vector<std::function<void()>> TakeReadyLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
  void NoteWait(absl::Duration waited) const;

  const Options options_;
  const uint64_t epoch_;

  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<const Event>> events_ ABSL_GUARDED_BY(mu_);
  // For each entry of events_, the bytes appended before it; with
  // bytes_appended_, the bytes of any run of entries in O(1).
  std::deque<uint64_t> bytes_before_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_appended_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t first_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  // The newest position known to be gone (evicted, or before the start).
  Position boundary_ ABSL_GUARDED_BY(mu_);
  struct ReaderState {
    Reader* reader;
    size_t connections = 0;
    std::vector<uint64_t> slowest;  // ascending
  };
  std::vector<ReaderState> readers_ ABSL_GUARDED_BY(mu_);
  // The cursor publishers wait for; none while no reader has connections.
  std::optional<uint64_t> held_ ABSL_GUARDED_BY(mu_);
  std::atomic<size_t> slowest_wanted_{1};
  std::vector<std::function<void()>> room_waiters_ ABSL_GUARDED_BY(mu_);

  // Readers are woken without mu_; this lock only guards the list.
  mutable absl::Mutex wake_mu_;
  std::vector<Reader*> wake_list_ ABSL_GUARDED_BY(wake_mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_EVENT_LOG_H_
