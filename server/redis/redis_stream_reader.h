#ifndef SSECAST_SERVER_REDIS_REDIS_STREAM_READER_H_
#define SSECAST_SERVER_REDIS_REDIS_STREAM_READER_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_stream_entry.h"

namespace ssecast {

// Follows one or more Redis Streams as they grow, on a thread of its own
// with a connection of its own: reads with XREAD BLOCK from after a given id
// and hands every entry to `on_entry` in id order, the streams merged. For
// the merge to be one total order, whoever writes the streams must give
// every entry an id above every id already in any of them, atomically (the
// broker's script does): then an XREAD, which sees all streams at one
// instant, never misses an entry with a lower id than one it returns. A read
// returns at most `batch` entries per stream, so a stream that filled its
// COUNT may hold more entries below the other streams' newest: only the
// entries up to the smallest last id among the full streams are handed
// over, the rest are read again next time. A read that found several
// entries is followed by one that does not block (under load most entries
// are there already). A blocked XREAD returns the entries of the stream
// that woke it only, so with several streams it only waits (COUNT 1), and
// a second XREAD of every stream, sent behind it in the same write, reads
// them: one round trip per wake-up.
//
// When reading fails (Redis gone, hung or answering nonsense) it calls
// `on_health(false, why, address)` once, retries with a backoff that
// doubles from `min_backoff` to `max_backoff`, and when a read succeeds
// again calls `on_health(true, OK, address)` (the address of the server
// that answers: with sentinels, after a failover, the new master) and
// resumes after the last entry it handed over, so
// nothing the stream still holds is skipped or handed over twice.
//
// Entries can be trimmed from a stream (XADD MAXLEN) before the reader
// gets to them, when it reads slowly (its entry handler blocks) while
// others write fast. After a slow or full batch it asks Redis, for each
// stream that handed over entries, whether the last one is still there,
// and if not calls `on_gap(newest_lost_id)` (the id just before the oldest
// entry left) before going on: nothing is skipped silently. A gap in one
// stream counts for all of them: every stream goes on after
// `newest_lost_id`, so the merged order stays the same on every reader
// (entries of the other streams up to there are skipped too; the caller
// treats everything through `newest_lost_id` as lost).
//
// The callbacks run on the reader's thread, one call at a time, and must
// not call Stop(); neither is called once Stop() has returned. Each read waits
// at most `block` for entries, so Stop() returns within about `block` (plus the
// command timeout while Redis hangs). Stop() is thread-safe and idempotent; the
// destructor calls it.
class RedisStreamReader {
 public:
  struct Options {
    // `command_timeout` is for answers; the reader adds `block` to it.
    RedisConnection::Options connection;
    // The streams, at least one.
    std::vector<std::string> keys;
    absl::Duration block = absl::Seconds(1);
    // Entries per stream and read at most.
    int batch = 256;
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
  };
  using EntryHandler = std::function<void(const RedisStreamEntry& entry)>;
  using HealthHandler = std::function<void(
      bool healthy, const absl::Status& why, const std::string& address)>;
  using GapHandler = std::function<void(const std::string& newest_lost)>;

  // Starts reading the entries after `after_id` ("0-0": all of them), in
  // every stream.
  // `on_gap` may be empty (gaps are then only logged).
  RedisStreamReader(Options options, std::string after_id,
                    EntryHandler on_entry, HealthHandler on_health,
                    GapHandler on_gap = nullptr);
  ~RedisStreamReader();

  RedisStreamReader(const RedisStreamReader&) = delete;
  RedisStreamReader& operator=(const RedisStreamReader&) = delete;

  void Stop();

 private:
  void Run();
  // One read of every stream, waiting up to `block` for entries if `wait`;
  // hands over what it got. Returns whether Redis had more than one entry.
  absl::StatusOr<bool> ReadOnce(bool wait);
  // Whether entries of stream `index` after its last id were deleted before
  // being read; reports them through on_gap_ and moves every stream past
  // them.
  absl::Status CheckForGap(size_t index);

  const Options options_;
  const EntryHandler on_entry_;
  const HealthHandler on_health_;
  const GapHandler on_gap_;
  // Used only by the reader's thread.
  RedisConnection connection_;
  // Per stream: the id to read after, and whether its last batch was full
  // or slow to hand over (check for a gap before the next read; then the id
  // is that of an entry it handed over).
  std::vector<std::string> last_ids_;
  std::vector<bool> check_gap_;

  absl::Notification stopping_;
  absl::Mutex join_mu_;
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_STREAM_READER_H_
