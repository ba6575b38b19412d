// Serves one PublishStream call: publishes the events as they arrive, in
// order, and answers with the counts once the client closes its side.
//
// Batching: events that arrive while a batch is being published wait and
// go out together in the next one (Hub::SendBatch, one broker call), up to
// kMaxBatch at a time; reading goes on meanwhile, up to kMaxPending events
// (kMaxPendingBytes) waiting. So a backend that streams fast gets few
// broker round trips, and a single event is never held back waiting for
// more (the reaction that read it publishes it at once when no batch is in
// flight). Two batches overlap: the next is sent while this node still
// applies the one before (Hub::CountBatch, which waits for it, comes
// after), so with the Redis broker the round trip and the reading back of
// one batch overlap with the next; the outcomes are still counted in
// stream order.
//
// Flow control: the next message is read only once the Hub has room for
// it (Hub::WhenRoom, or within the Room() it showed when it last had room,
// so that a fast stream does not ask the Hub for every message) and not
// too much waits. A batch takes no more events than the node has room for
// (EventLog::Room) less those of the batch in flight, which do not take
// room before they are applied; with none, it counts the batch in flight
// and then waits for room (WhenRoom) too, and then publishes on a
// short-lived thread of its own (the thread that makes room must not
// block). While the node's connections are behind, the call stops
// reading, gRPC's flow control fills, and the backend's Write() blocks:
// nothing is dropped or failed, and no thread waits.
//
// An event the Hub refuses as invalid (INVALID_ARGUMENT, including a bad
// target) is counted as rejected, the first kMaxListedRejections of them
// listed with their 0-based index in the stream, and the stream goes on.
// Any other failure (UNAVAILABLE when the broker is unreachable or when the
// node is shutting down and its CommandGate is closed, ...) ends the call
// with that code and the message followed by how many events were accepted
// before it; the events read after the failing batch are not published.
//
// BroadcasterService creates one per call; gRPC owns it from then on and it
// deletes itself in OnDone(), which comes only after Finish(). Finish() is
// called once nothing is being published and no Hub callback is pending (a
// reactor waiting for room lives until the Hub runs its callback). Its
// state is guarded by one mutex; the reactions run on gRPC's threads, and
// the one that finds no batch in flight publishes (TSan is told of the
// hand-offs through gRPC it cannot see, bazel/tsan/hand_off.h). Does not
// own the Hub or the gate.
#ifndef SSECAST_SERVER_CONTROL_PUBLISH_STREAM_REACTOR_H_
#define SSECAST_SERVER_CONTROL_PUBLISH_STREAM_REACTOR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.pb.h"
#include "server/control/command_gate.h"
#include "server/hub/hub.h"

namespace ssecast {

class PublishStreamReactor final
    : public grpc::ServerReadReactor<v1::PublishRequest> {
 public:
  static constexpr int kMaxListedRejections = 100;
  // Events per broker call at most, and events (and their bytes) read
  // ahead at most.
  static constexpr size_t kMaxBatch = 1024;
  static constexpr size_t kMaxPending = 2048;
  static constexpr size_t kMaxPendingBytes = 4 << 20;

  // `response` belongs to gRPC and lives until OnDone().
  PublishStreamReactor(Hub* hub, CommandGate* gate,
                       v1::PublishStreamResponse* response);

  PublishStreamReactor(const PublishStreamReactor&) = delete;
  PublishStreamReactor& operator=(const PublishStreamReactor&) = delete;

  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  // Publishes what waits, batch after batch, until nothing does; then
  // finishes if the call is over. For the reaction that set publishing_.
  void PublishPending() ABSL_LOCKS_EXCLUDED(mu_);
  // Whether to ask for the next read now (and marks it asked for).
  bool ShouldReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A batch the broker took, not yet counted into response_; its gate pass
  // keeps a shutdown waiting until it is.
  struct InFlight {
    CommandGate::Pass pass;
    // Per request of the batch: its index in the hub's batch, or why it
    // was refused before.
    std::vector<absl::StatusOr<size_t>> slots;
    Hub::SentBatch sent;
    uint64_t first_index;  // stream index of the batch's first request
  };
  // Sends `batch` (the events from stream index `first_index` on). Fails
  // only for a failure that must end the stream.
  absl::StatusOr<InFlight> SendBatch(std::vector<v1::PublishRequest> batch,
                                     uint64_t first_index);
  // Waits until this node applied `batch` and records the outcome of each
  // of its requests in response_.
  void CountBatch(InFlight batch);
  // `status` with how many events were accepted before it.
  absl::Status AfterAccepted(const absl::Status& status) const;
  // Asks the Hub to start the next read once it has room.
  void ReadWhenRoom();
  // The Hub has room: starts the next read, or finishes if the call
  // failed meanwhile.
  void ReadIfStillOpen() ABSL_LOCKS_EXCLUDED(mu_);
  // The status to Finish() with, if the call is over and nothing is in
  // flight; marks it finished.
  std::optional<grpc::Status> TakeFinishLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishWith(const grpc::Status& status);

  Hub* const hub_;
  CommandGate* const gate_;
  // Written by the publishing reaction only (one at a time: publishing_),
  // read by gRPC after Finish().
  v1::PublishStreamResponse* const response_;
  // The message of the read in flight (at most one).
  v1::PublishRequest request_;

  absl::Mutex mu_;
  std::vector<v1::PublishRequest> pending_ ABSL_GUARDED_BY(mu_);
  size_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Stream index of pending_.front().
  uint64_t pending_index_ ABSL_GUARDED_BY(mu_) = 0;
  bool publishing_ ABSL_GUARDED_BY(mu_) = false;
  // A Hub::WhenRoom() callback is pending (the reactor must outlive it), or
  // a read is in flight (Finish() may come first; gRPC then ends the read).
  bool awaiting_room_ ABSL_GUARDED_BY(mu_) = false;
  bool read_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // Reads that may start without asking the Hub for room: what its Room()
  // said when it last had room, less the reads started since.
  size_t read_credit_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // the client's side
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_PUBLISH_STREAM_REACTOR_H_
