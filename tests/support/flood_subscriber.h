// FloodSubscriber: one Server-Sent Events stream read on a thread of its own
// at a chosen pace, for flow-control tests that push tens of thousands of
// events through hundreds of streams. It keeps no events: it counts them,
// checks that their positions (the `<epoch>-<sequence>` before the first
// `:` of each id) strictly increase, and remembers the last id, so a
// dropped subscriber can resume with it as Last-Event-ID.
//
// The stream is read with the same strict chunked decoder and WHATWG event
// parser as SseTestClient. Every method is thread-safe; the destructor
// closes the connection and joins the thread.
#ifndef SSECAST_TESTS_SUPPORT_FLOOD_SUBSCRIBER_H_
#define SSECAST_TESTS_SUPPORT_FLOOD_SUBSCRIBER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"

namespace ssecast::test_support {

struct FloodSubscriberOptions {
  int port = 0;
  // Sent as Last-Event-ID when not empty.
  std::string last_event_id;
  // How fast the body is read: 0 as fast as the thread can; otherwise
  // about this many bytes per second (a trickle).
  int64_t bytes_per_second = 0;
  // Never read the body at all (the socket fills and stays full).
  bool never_read = false;
  // SO_RCVBUF before connecting, when positive (the kernel doubles it).
  int receive_buffer_bytes = 0;
  absl::Duration connect_timeout = absl::Seconds(20);
};

class FloodSubscriber {
 public:
  // Connects, sends the request, reads the response head and starts
  // reading the body. Fails unless the answer is a 200 event stream.
  static absl::StatusOr<std::unique_ptr<FloodSubscriber>> Start(
      const FloodSubscriberOptions& options);
  ~FloodSubscriber();

  FloodSubscriber(const FloodSubscriber&) = delete;
  FloodSubscriber& operator=(const FloodSubscriber&) = delete;

  struct Progress {
    // Events whose position was above the one before (or the first).
    int64_t events = 0;
    // Events whose position was not above the one before: duplicates or
    // reordering. Always 0 on a correct server.
    int64_t out_of_order = 0;
    // Events whose id was not a position at all.
    int64_t malformed = 0;
    std::string last_id;
    // The server ended the stream (cleanly or not) or reading failed; why.
    bool ended = false;
    std::string end_reason;
  };
  Progress progress() const;

  // Waits until `events` events arrived. FAILED_PRECONDITION if the stream
  // ended first, DEADLINE_EXCEEDED after `timeout`.
  absl::Status AwaitEvents(int64_t events, absl::Duration timeout) const;
  // Waits until the stream ended; DEADLINE_EXCEEDED after `timeout`.
  absl::Status AwaitEnd(absl::Duration timeout) const;

 private:
  FloodSubscriber(UniqueFd fd, FloodSubscriberOptions options,
                  std::string body_start);
  void Run(std::string body_start);
  // Decodes `bytes` of body and counts the events they complete. Returns
  // false when the body ended or was malformed.
  bool Consume(const char* bytes, size_t size);
  void End(std::string reason);

  UniqueFd fd_;
  const FloodSubscriberOptions options_;
  std::atomic<bool> stopping_{false};

  // Decoding state, touched only by the reading thread; opaque here.
  struct Decoder;
  std::unique_ptr<Decoder> decoder_;

  mutable absl::Mutex mu_;
  Progress progress_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_FLOOD_SUBSCRIBER_H_
