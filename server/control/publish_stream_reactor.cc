#include "server/control/publish_stream_reactor.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bazel/tsan/hand_off.h"
#include "rpc/status_conversion.h"
#include "server/control/request_conversion.h"
#include "server/hub/target.h"

namespace ssecast {

PublishStreamReactor::PublishStreamReactor(Hub* hub, CommandGate* gate,
                                           v1::PublishStreamResponse* response)
    : hub_(hub), gate_(gate), response_(response) {
  ReadWhenRoom();
}

void PublishStreamReactor::ReadWhenRoom() {
  tsan::HandOff(this);
  hub_->WhenRoom([this] { StartRead(&request_); });
}

void PublishStreamReactor::OnReadDone(bool ok) {
  tsan::TakeOver(this);
  // Not ok: the client closed its side (or the call broke, in which case
  // gRPC drops the answer).
  if (!ok) {
    tsan::HandOff(this);
    Finish(grpc::Status::OK);
    return;
  }
  if (absl::Status status = PublishCurrent(); !status.ok()) {
    tsan::HandOff(this);
    Finish(ToGrpcStatus(status));
    return;
  }
  ++index_;
  ReadWhenRoom();
}

void PublishStreamReactor::OnDone() {
  tsan::TakeOver(this);
  delete this;
}

absl::Status PublishStreamReactor::PublishCurrent() {
  absl::StatusOr<CommandGate::Pass> pass = gate_->Enter();
  absl::StatusOr<Target> target = TargetFromProto(request_.target());
  absl::StatusOr<EventInput> event = EventFromRequest(request_);
  absl::StatusOr<Hub::PublishResult> result =
      !pass.ok()     ? pass.status()
      : !target.ok() ? target.status()
      : !event.ok()  ? event.status()
                     : hub_->PublishNow(*std::move(event), *std::move(target));
  if (result.ok()) {
    response_->set_accepted(response_->accepted() + 1);
    response_->set_connections(response_->connections() + result->connections);
    response_->set_last_position(result->position.ToString());
    return absl::OkStatus();
  }
  if (absl::IsInvalidArgument(result.status())) {
    response_->set_rejected(response_->rejected() + 1);
    if (response_->rejections_size() < kMaxListedRejections) {
      v1::Rejection* rejection = response_->add_rejections();
      rejection->set_index(index_);
      rejection->set_reason(std::string(result.status().message()));
    }
    return absl::OkStatus();
  }
  const uint64_t accepted = response_->accepted();
  return absl::Status(
      result.status().code(),
      absl::StrCat(result.status().message(), " (after ", accepted,
                   " accepted event", accepted == 1 ? "" : "s", ")"));
}

}  // namespace ssecast
