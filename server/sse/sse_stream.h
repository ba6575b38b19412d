#ifndef SSECAST_SERVER_SSE_SSE_STREAM_H_
#define SSECAST_SERVER_SSE_SSE_STREAM_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/time/time.h"
#include "server/base/unique_fd.h"
#include "server/hub/connection.h"
#include "server/metrics/metrics.h"

namespace ssecast {

class StreamWriter;

// What a StreamWriter keeps per stream to deliver it: the socket and how far
// the stream has got in the event log. A plain struct, owned by the
// SseStream but touched only by the thread of the writer that adopted the
// stream (before adoption, only by the handshake thread through
// SseStream::Prepare()).
struct StreamDelivery {
  // The socket; invalid once the stream is dropped.
  UniqueFd socket;
  // Next log sequence to consider, and how many bytes of that event's
  // chunk are already written.
  uint64_t cursor = 0;
  size_t cursor_offset = 0;
  // Bytes that go out before the next event: the prelude, a keepalive, the
  // last chunk. Only ever queued between events.
  std::string control;
  size_t control_offset = 0;
  // The fewest events the stream has been behind the log since adoption.
  uint64_t best_lag = std::numeric_limits<uint64_t>::max();
  bool blocked = false;  // the socket said EAGAIN; wait for EPOLLOUT
  size_t received = 0;   // bytes the client sent after its request
  bool closing = false;  // deliver up to close_at, then end
  bool ending = false;   // the last chunk is queued
  uint64_t close_at = 0;
  // Why it is closing (the first reason counts); reported when it ends.
  StreamEnd close_reason = StreamEnd::kServerClosed;
  absl::Time close_deadline = absl::InfiniteFuture();
  absl::Time expires = absl::InfiniteFuture();
  absl::Time last_write;
};

// One browser's event stream after the HTTP handshake: the socket and how
// far the stream has got in the event log. The hub sees it as a Connection;
// the StreamWriter that adopted it does all of its I/O.
//
// Thread-safety: Close(), SetWriter() and the Connection accessors are
// thread-safe. delivery() and CountSent() belong to the adopting writer's
// thread (before adoption, to the handshake thread through Prepare()).
class SseStream : public Connection {
 public:
  SseStream(uint64_t id, std::string client_id, std::string remote_address,
            absl::Time connected_since);
  ~SseStream() override;

  // Called by the writer that takes the stream over. If Close() came
  // first, the writer still sees it through close_before().
  void SetWriter(StreamWriter* writer);

  // Sets where delivery starts, the bytes that open the stream (retry:, a
  // resync notice) and when the stream must end (the identity expires).
  // Called once, before the stream is adopted.
  void Prepare(uint64_t first_sequence, std::string prelude,
               absl::Time expires);

  // The writer's per-stream state; see StreamDelivery for who may touch it.
  StreamDelivery& delivery() { return delivery_; }

  // Adds `n` to events_sent(); called by the writer as events go out.
  void CountSent(uint64_t n) {
    events_sent_.store(events_sent_.load(std::memory_order_relaxed) + n,
                       std::memory_order_relaxed);
  }

 private:
  void OnClose() override;

  StreamDelivery delivery_;
  std::atomic<StreamWriter*> writer_{nullptr};
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_SSE_STREAM_H_
