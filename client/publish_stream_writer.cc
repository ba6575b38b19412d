#include "client/publish_stream_writer.h"

#include <utility>

#include "client/utf8_fields.h"
#include "rpc/status_conversion.h"

namespace ssecast {

PublishStreamWriter::PublishStreamWriter(v1::Broadcaster::Stub& stub,
                                         absl::Duration timeout,
                                         const std::string& bearer_token) {
  if (timeout != absl::InfiniteDuration()) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  if (!bearer_token.empty()) {
    context_.AddMetadata("authorization", "Bearer " + bearer_token);
  }
  writer_ = stub.PublishStream(&context_, &response_);
}

PublishStreamWriter::~PublishStreamWriter() {
  if (finished_) return;
  // The call must end before its completion queue goes: cancel, then
  // collect the (CANCELLED) status.
  context_.TryCancel();
  writer_->Finish();
}

bool PublishStreamWriter::Write(const v1::PublishRequest& request) {
  if (ended_ || finished_) return false;
  const uint64_t index = writes_++;
  if (absl::Status utf8 = CheckUtf8(request); !utf8.ok()) {
    refused_.push_back(index);
    if (listed_refusals_.size() < kMaxListedRejections) {
      v1::Rejection& rejection = listed_refusals_.emplace_back();
      rejection.set_index(index);
      rejection.set_reason(std::string(utf8.message()));
    }
    return true;
  }
  if (!writer_->Write(request)) ended_ = true;
  return !ended_;
}

absl::StatusOr<v1::PublishStreamResponse> PublishStreamWriter::Finish() {
  if (finished_) {
    return absl::FailedPreconditionError(
        "PublishStreamWriter::Finish() was already called");
  }
  finished_ = true;
  // A failed WritesDone() means the call is over; Finish() tells why.
  if (!ended_) writer_->WritesDone();
  absl::Status status = ToAbslStatus(writer_->Finish());
  if (!status.ok()) return status;
  MergeLocalRejections();
  return std::move(response_);
}

void PublishStreamWriter::MergeLocalRejections() {
  if (refused_.empty()) return;
  std::vector<v1::Rejection> from_server(response_.rejections().begin(),
                                         response_.rejections().end());
  // Both lists ascend. The n-th request sent is the n-th Write() that was
  // not refused, so each refusal at or before it moves it one further.
  size_t refused_before = 0;
  for (v1::Rejection& rejection : from_server) {
    uint64_t index = rejection.index() + refused_before;
    while (refused_before < refused_.size() &&
           refused_[refused_before] <= index) {
      ++refused_before;
      ++index;
    }
    rejection.set_index(index);
  }
  response_.set_rejected(response_.rejected() + refused_.size());
  response_.clear_rejections();
  auto server = from_server.begin();
  auto local = listed_refusals_.begin();
  while (response_.rejections_size() < kMaxListedRejections &&
         (server != from_server.end() || local != listed_refusals_.end())) {
    const bool take_local =
        server == from_server.end() ||
        (local != listed_refusals_.end() && local->index() < server->index());
    *response_.add_rejections() = std::move(take_local ? *local++ : *server++);
  }
}

}  // namespace ssecast
