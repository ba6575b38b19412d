// PublishStreamWriter: publishes many events over one PublishStream call,
// in order, with the synchronous gRPC API. Client::OpenPublishStream()
// opens one.
//
// Write() sends one request and returns once gRPC took it (it may block
// while the server is behind: flow control). Finish() closes the stream
// and returns the server's counts: events accepted, events rejected with
// the first 100 reasons, each with the 0-based index of its Write() call.
//
// A request with a string that is not UTF-8, which proto3 cannot carry, is
// not sent; it is counted and listed as rejected in Finish()'s response
// like an event the server refused, and indices still count every Write().
//
// Not thread-safe: one thread writes and finishes. Owns its call; the
// destructor cancels a stream that was not finished. Must not outlive the
// Client that opened it.
#ifndef SSECAST_CLIENT_PUBLISH_STREAM_WRITER_H_
#define SSECAST_CLIENT_PUBLISH_STREAM_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"

namespace ssecast {

class PublishStreamWriter {
 public:
  // As many rejections as the server lists (see PublishStreamResponse).
  static constexpr int kMaxListedRejections = 100;

  // Opens the call on `stub`; `timeout` bounds the whole stream, from now
  // to the end of Finish() (infinite: no deadline). A non-empty
  // `bearer_token` is sent as `authorization: Bearer <token>`.
  PublishStreamWriter(v1::Broadcaster::Stub& stub, absl::Duration timeout,
                      const std::string& bearer_token = "");
  ~PublishStreamWriter();

  PublishStreamWriter(const PublishStreamWriter&) = delete;
  PublishStreamWriter& operator=(const PublishStreamWriter&) = delete;

  // False once the stream has ended early (the server ended it with an
  // error, the deadline passed, the connection broke); Finish() then says
  // why. A request refused for its UTF-8 returns true.
  bool Write(const v1::PublishRequest& request);

  // Closes the stream and waits for the server's answer: the counts, or the
  // status the stream ended with (its code and message unchanged). Call
  // once; later calls fail with FAILED_PRECONDITION.
  absl::StatusOr<v1::PublishStreamResponse> Finish();

 private:
  // Adds the requests refused here to the server's counts, and turns the
  // indices of the server's rejections (among requests sent) into indices
  // among Write() calls.
  void MergeLocalRejections();

  // Declared before writer_, which uses it until destroyed.
  grpc::ClientContext context_;
  v1::PublishStreamResponse response_;
  std::unique_ptr<grpc::ClientWriter<v1::PublishRequest>> writer_;
  bool ended_ = false;     // a write failed: the call is over
  bool finished_ = false;  // Finish() was called
  uint64_t writes_ = 0;    // Write() calls so far
  // Write() indices of every request refused here, ascending, and the
  // first kMaxListedRejections of them with their reasons.
  std::vector<uint64_t> refused_;
  std::vector<v1::Rejection> listed_refusals_;
};

}  // namespace ssecast

#endif  // SSECAST_CLIENT_PUBLISH_STREAM_WRITER_H_
