#ifndef SSECAST_SERVER_REDIS_REDIS_STREAM_READER_H_
#define SSECAST_SERVER_REDIS_REDIS_STREAM_READER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_stream_entry.h"

namespace ssecast {

// Follows one Redis Stream as it grows, on a thread of its own with a
// connection of its own: reads with XREAD BLOCK from after a given id and
// hands every entry, in stream order, to `on_entry`.
//
// When reading fails (Redis gone, hung or answering nonsense) it calls
// `on_health(false, why, address)` once, retries with a backoff that
// doubles from `min_backoff` to `max_backoff`, and when a read succeeds
// again calls `on_health(true, OK, address)` (the address of the server
// that answers: with sentinels, after a failover, the new master) and
// resumes after the last entry it handed over, so
// nothing the stream still holds is skipped or handed over twice.
//
// Entries can be trimmed from the stream (XADD MAXLEN) before the reader
// gets to them, when it reads slowly (its entry handler blocks) while
// others write fast. After a slow or full batch it asks Redis whether the
// last entry it handed over is still there, and if not calls
// `on_gap(newest_lost_id)` (the id just before the oldest entry left)
// before going on: nothing is skipped silently.
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
    std::string key;
    absl::Duration block = absl::Seconds(1);
    // Entries per read at most.
    int batch = 256;
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
  };
  using EntryHandler = std::function<void(const RedisStreamEntry& entry)>;
  using HealthHandler = std::function<void(
      bool healthy, const absl::Status& why, const std::string& address)>;
  using GapHandler = std::function<void(const std::string& newest_lost)>;

  // Starts reading the entries after `after_id` ("0-0": all of them).
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
  // One XREAD, waiting up to `block` for entries if `wait`; hands over
  // what it got.
  absl::Status ReadOnce(bool wait);
  // Whether entries after last_id_ were deleted before being read; reports
  // them through on_gap_.
  absl::Status CheckForGap();

  const Options options_;
  const EntryHandler on_entry_;
  const HealthHandler on_health_;
  const GapHandler on_gap_;
  // Used only by the reader's thread.
  RedisConnection connection_;
  std::string last_id_;
  // The last batch was full or slow to hand over: check for a gap before
  // the next read.
  bool check_gap_ = false;

  absl::Notification stopping_;
  absl::Mutex join_mu_;
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_REDIS_REDIS_STREAM_READER_H_
