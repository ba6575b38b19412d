// Serves one PublishStream call: publishes each event as it arrives, in
// order, and answers with the counts once the client closes its side.
//
// Flow control: the next message is read only once the Hub has room for
// it (Hub::WhenRoom). While the node's connections are behind, the call
// stops reading, gRPC's flow control fills, and the backend's Write()
// blocks: nothing is dropped or failed, and no thread waits.
//
// An event the Hub refuses as invalid (INVALID_ARGUMENT, including a bad
// target) is counted as rejected, the first kMaxListedRejections of them
// listed with their 0-based index in the stream, and the stream goes on.
// Any other failure (UNAVAILABLE when the broker is unreachable or when the
// node is shutting down and its CommandGate is closed, ...) ends the call
// with that code and the message followed by how many events were accepted
// before it.
//
// BroadcasterService creates one per call; gRPC owns it from then on and it
// deletes itself in OnDone(), which comes only after Finish(): a reactor
// waiting for room has no read outstanding and is not finished, so it lives
// until the Hub runs its callback. Its reactions and that callback run one
// at a time (each starts the next step), so its state needs no lock; it
// tells TSan so (bazel/tsan/hand_off.h), since that ordering is invisible
// to it. Does not own the Hub or the gate.
#ifndef SSECAST_SERVER_CONTROL_PUBLISH_STREAM_REACTOR_H_
#define SSECAST_SERVER_CONTROL_PUBLISH_STREAM_REACTOR_H_

#include <cstdint>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.pb.h"
#include "server/control/command_gate.h"
#include "server/hub/hub.h"

namespace ssecast {

class PublishStreamReactor final
    : public grpc::ServerReadReactor<v1::PublishRequest> {
 public:
  static constexpr int kMaxListedRejections = 100;

  // `response` belongs to gRPC and lives until OnDone().
  PublishStreamReactor(Hub* hub, CommandGate* gate,
                       v1::PublishStreamResponse* response);

  PublishStreamReactor(const PublishStreamReactor&) = delete;
  PublishStreamReactor& operator=(const PublishStreamReactor&) = delete;

  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  // Publishes request_ and records the outcome in response_. Returns an
  // error only for a failure that must end the stream.
  absl::Status PublishCurrent();
  // Reads the next message once the Hub has room for it.
  void ReadWhenRoom();

  Hub* const hub_;
  CommandGate* const gate_;
  v1::PublishStreamResponse* const response_;
  v1::PublishRequest request_;
  // Index in the stream of request_.
  uint64_t index_ = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_PUBLISH_STREAM_REACTOR_H_
