#ifndef SSECAST_SERVER_SSE_STREAM_WRITER_H_
#define SSECAST_SERVER_SSE_STREAM_WRITER_H_

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"
#include "server/base/wakeable_epoll.h"
#include "server/hub/connection.h"
#include "server/hub/event.h"
#include "server/hub/event_log.h"
#include "server/metrics/metrics.h"
#include "server/sse/sse_stream.h"

namespace ssecast {

struct StreamWriterOptions {
  // A comment goes out on a stream idle this long.
  absl::Duration keepalive_interval = absl::Seconds(15);
  // A stream whose socket is full and that has fallen this many events
  // further behind the log than it ever was since it connected (for most,
  // further than zero; for one replaying history, further than where it
  // started) is dropped: the client cannot keep up.
  uint64_t max_lag_events = 10000;
  // SO_SNDBUF of every stream's socket when positive; otherwise the
  // kernel's autotuning (up to net.ipv4.tcp_wmem's maximum, 4 MiB by
  // default). Bounds the kernel memory of a stream, and the events that
  // hide in it from flow control.
  int send_buffer_bytes = 0;
  // A stream whose client sends more than this after its request (an SSE
  // client sends nothing) is dropped rather than read forever.
  size_t max_bytes_after_head = 4096;
  // A stream whose socket accepts nothing for this long is dropped, and a
  // closing stream gets this long to drain.
  absl::Duration write_timeout = absl::Seconds(10);
  // When the writer shuts down, each stream ends with `retry:` set to a
  // random value from 0 to this, so that its browser comes back (to another
  // node) at its own moment rather than all at once; zero sends none.
  absl::Duration drain_spread = absl::ZeroDuration();
  // Where deliveries and stream ends are counted (once per sweep, not per
  // write); must outlive the writer. nullptr: Metrics::Unexposed().
  Metrics* metrics = nullptr;
};

// One thread that delivers the event log to the streams it adopted, with
// epoll on non-blocking sockets. On every wake it reads the new events from
// the log once and, for each stream, writes everything pending for it in
// one gathering sendmsg() of the shared, pre-serialized chunks: no per-event
// copy, no per-client allocation, no lock held across a socket write. A stream
// whose socket is full waits for EPOLLOUT without delaying any other.
//
// Adopt(), NotifyClose(), Wake() and Shutdown() are thread-safe; the
// streams' delivery state is touched only by this writer's thread.
class StreamWriter : public EventLog::Reader {
 public:
  // Called (on the writer's thread) for each stream that ends, so that its
  // owner forgets it; for the hub, Hub::Detach.
  using DetachFn = std::function<void(const Connection&)>;

  // Reads `log`, which must outlive the writer.
  StreamWriter(EventLog* log, DetachFn detach,
               const StreamWriterOptions& options);
  ~StreamWriter() override;

  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Takes over `stream` and its socket (non-blocking, headers sent).
  void Adopt(std::shared_ptr<SseStream> stream, UniqueFd socket);

  // Tells the thread that some stream asked to close.
  void NotifyClose();

  void Wake() override;

  // Ends every stream cleanly (after what the log holds now, and with a
  // spread `retry:`, see drain_spread), gives them up to `grace` to drain,
  // then stops the thread. A stream adopted before BeginShutdown() is
  // among them. One adopted later is ended the same way, within the same
  // grace, if the thread still runs (the front adopts none once it stopped
  // serving HTTP, which is before it shuts the writers down).
  // BeginShutdown() returns at once; Shutdown() also waits for the end.
  void BeginShutdown(absl::Duration grace);
  void Shutdown(absl::Duration grace);

 private:
  void Run();
  void HandleEpollEvent(uint32_t events, SseStream* stream);
  void TakeAdopted(absl::Time now);
  // Delivers the entries before `end` (kWindowEnd: all there are once the
  // window is next synced), then ends the stream; drops it at `deadline`.
  void BeginClosing(SseStream& stream, uint64_t end, absl::Time deadline,
                    StreamEnd reason);
  void SyncWindow();
  void Sweep(absl::Time now);
  // Writes what `stream` has pending; false when it is finished or broken.
  bool Flush(SseStream& stream, absl::Time now);
  // Queues, as control bytes, reconnect-interval changes at the stream's
  // cursor. Only between events: the caller checked the control bytes are
  // out.
  void TakeRetryChanges(SseStream& stream, uint64_t limit);
  bool IsRetryChange(uint64_t sequence) const {
    return window_[sequence - window_first_]->retry_change().has_value();
  }
  void AccountWritten(SseStream& stream, size_t written, uint64_t scanned_to);
  // Tells the log how many streams this writer serves and where its
  // slowest ones are (see EventLog::ReportProgress).
  void ReportProgress();
  // Ends `stream` now, counted under `reason`; `why` (for a drop the
  // operator should hear of) is logged at info, other ends at debug.
  void Drop(SseStream& stream, StreamEnd reason, const char* why = nullptr);
  // The bytes that end a stream: the last chunk, after a spread `retry:`
  // when the writer is shutting down.
  std::string LastWords();

  EventLog* const log_;
  const DetachFn detach_;
  const StreamWriterOptions options_;
  Metrics* const metrics_;
  WakeableEpoll epoll_;

  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> close_pending_{false};
  std::atomic<bool> stopping_{false};
  absl::Duration shutdown_grace_;  // written before stopping_ is set
  std::atomic<size_t> stream_count_{0};

  absl::Mutex adopt_mu_;
  std::vector<std::pair<std::shared_ptr<SseStream>, UniqueFd>> adopted_
      ABSL_GUARDED_BY(adopt_mu_);

  // --- Owned by the writer thread. ---
  std::vector<std::shared_ptr<SseStream>> streams_;
  // The log's events this writer still needs, from window_first_ on.
  std::deque<std::shared_ptr<const Event>> window_;
  uint64_t window_first_ = 0;
  // Set once the thread has seen the shutdown: when the streams still
  // draining are dropped.
  std::optional<absl::Time> shutdown_deadline_;
  bool sweep_due_ = false;  // something happened that a sweep must handle
  absl::Time next_keepalive_check_;
  struct Gathered {
    uint64_t sequence;  // the event, or ~0 for the control bytes
    size_t offset;      // where the write of it began
  };
  std::vector<uint64_t> cursors_;  // scratch for ReportProgress()
  // Counted during a sweep, handed to metrics_ at its end.
  uint64_t delivered_events_ = 0;
  uint64_t delivered_bytes_ = 0;
  std::vector<iovec> iov_;
  std::vector<Gathered> gathered_;
  absl::BitGen random_;  // for retry jitter

  std::thread thread_;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_STREAM_WRITER_H_
