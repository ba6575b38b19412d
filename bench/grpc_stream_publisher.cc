#include "bench/grpc_stream_publisher.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "bench/event_payload.h"
#include "rpc/status_conversion.h"

namespace ssecast::bench {

StreamOutcome RunStreamPublishes(ssecast::v1::Broadcaster::Stub& stub,
                                 const PublishJob& job, bool flat_out,
                                 PublishPacer& pacer, PublishStats& stats) {
  // With a buffer hint gRPC may hold a message back for the next one; every
  // kFlushEvery-th write goes without it, so nothing waits long.
  constexpr uint64_t kFlushEvery = 32;
  grpc::ClientContext context;
  ssecast::v1::PublishStreamResponse response;
  std::unique_ptr<grpc::ClientWriter<ssecast::v1::PublishRequest>> writer =
      stub.PublishStream(&context, &response);
  ssecast::v1::PublishRequest request;
  request.mutable_target()->set_all(true);
  for (uint64_t seq = pacer.Next(); seq != 0; seq = pacer.Next()) {
    const absl::Time start = absl::Now();
    request.mutable_event()->set_data(
        MakeEventPayload({absl::ToUnixNanos(start), seq}, job.payload_size));
    grpc::WriteOptions options;
    if (flat_out && seq % kFlushEvery != 0) options.set_buffer_hint();
    if (!writer->Write(request, options)) break;  // Finish() says why
    stats.RecordCall("OK", absl::ToInt64Nanoseconds(absl::Now() - start));
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  StreamOutcome outcome;
  outcome.accepted = response.accepted();
  outcome.rejected = response.rejected();
  outcome.status = absl::StatusCodeToString(ToAbslStatus(status).code());
  if (!status.ok()) {
    stats.RecordCall(outcome.status, 0, status.error_message());
  }
  return outcome;
}

}  // namespace ssecast::bench
