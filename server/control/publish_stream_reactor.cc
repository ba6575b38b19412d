#include "server/control/publish_stream_reactor.h"

#include <algorithm>
#include <iterator>
#include <thread>
#include <utility>

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
  {
    absl::MutexLock lock(&mu_);
    awaiting_room_ = true;
  }
  ReadWhenRoom();
}

void PublishStreamReactor::ReadWhenRoom() {
  bool within_room_seen = false;
  {
    absl::MutexLock lock(&mu_);
    if (read_credit_ > 0) {
      --read_credit_;
      within_room_seen = true;
    }
  }
  // Within the room the Hub showed last, this read need not ask it again
  // (the Hub's locks are the ones the node takes to apply every event).
  if (within_room_seen) {
    ReadIfStillOpen();
    return;
  }
  tsan::HandOff(this);
  hub_->WhenRoom([this] {
    tsan::TakeOver(this);
    const size_t room = std::min(hub_->Room(), kMaxPending);
    {
      absl::MutexLock lock(&mu_);
      // This read takes one of them.
      read_credit_ = room > 0 ? room - 1 : 0;
    }
    ReadIfStillOpen();
  });
}

void PublishStreamReactor::ReadIfStillOpen() {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    awaiting_room_ = false;
    if (failure_.ok()) {
      read_in_flight_ = true;
      tsan::HandOff(this);
      StartRead(&request_);
      return;
    }
    finish = TakeFinishLocked();
  }
  if (finish) FinishWith(*finish);
}

bool PublishStreamReactor::ShouldReadLocked() {
  if (awaiting_room_ || read_in_flight_ || closed_ || finished_ ||
      !failure_.ok() || pending_.size() >= kMaxPending ||
      pending_bytes_ >= kMaxPendingBytes) {
    return false;
  }
  awaiting_room_ = true;
  return true;
}

void PublishStreamReactor::OnReadDone(bool ok) {
  tsan::TakeOver(this);
  bool read_more = false;
  bool publish = false;
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    read_in_flight_ = false;
    if (!ok) {
      // The client closed its side (or the call broke, in which case gRPC
      // drops the answer).
      closed_ = true;
    } else if (failure_.ok() && !finished_) {
      pending_bytes_ += request_.ByteSizeLong();
      pending_.push_back(std::move(request_));
      // The reaction that finds no batch in flight publishes; the others
      // leave their event to it.
      publish = !publishing_;
      publishing_ = true;
    }
    read_more = ShouldReadLocked();
    finish = TakeFinishLocked();
  }
  if (read_more) ReadWhenRoom();
  if (publish) PublishPending();
  if (finish) FinishWith(*finish);
}

void PublishStreamReactor::PublishPending() {
  // The batch sent last. It is counted once the next one is sent, so that
  // this node applies one batch while the broker takes the next, or before
  // the loop stops or waits for room.
  std::optional<InFlight> in_flight;
  while (true) {
    // As many as the node has room for: a batch must not take the
    // connections further behind than a publisher one at a time could.
    // Events in flight are not applied yet and take room they do not show.
    const size_t room = hub_->Room();
    const size_t unapplied = in_flight ? in_flight->sent.positions.size() : 0;
    std::vector<v1::PublishRequest> batch;
    uint64_t first_index = 0;
    std::optional<grpc::Status> finish;
    bool count_first = false;
    bool wait_for_room = false;
    {
      absl::MutexLock lock(&mu_);
      const bool nothing_to_send = pending_.empty() || !failure_.ok();
      if (in_flight && (nothing_to_send || room <= unapplied)) {
        count_first = true;
      } else if (nothing_to_send) {
        pending_.clear();
        pending_bytes_ = 0;
        publishing_ = false;
        finish = TakeFinishLocked();
      } else if (room == 0) {
        wait_for_room = true;  // still publishing_: the reactor waits too
      } else {
        const size_t take =
            std::min({pending_.size(), kMaxBatch, room - unapplied});
        for (size_t i = 0; i < take; ++i) {
          pending_bytes_ -= pending_[i].ByteSizeLong();
        }
        batch.assign(std::make_move_iterator(pending_.begin()),
                     std::make_move_iterator(pending_.begin() + take));
        pending_.erase(pending_.begin(), pending_.begin() + take);
        first_index = pending_index_;
        pending_index_ += take;
      }
    }
    if (count_first) {
      CountBatch(*std::move(in_flight));
      in_flight.reset();
      continue;
    }
    if (wait_for_room) {
      tsan::HandOff(this);
      hub_->WhenRoom([this] {
        // Runs on the thread that made room (a stream writer), which must
        // not block: the batch goes out on a thread of its own. Rare: only
        // while the node's connections are behind.
        std::thread([this] {
          tsan::TakeOver(this);
          PublishPending();
        }).detach();
      });
      return;
    }
    if (batch.empty()) {
      if (finish) FinishWith(*finish);
      return;
    }
    absl::StatusOr<InFlight> sent = SendBatch(std::move(batch), first_index);
    if (in_flight) {
      CountBatch(*std::move(in_flight));
      in_flight.reset();
    }
    // Said after the batch before was counted: the message says how many
    // events were accepted.
    absl::Status failure =
        sent.ok() ? absl::OkStatus() : AfterAccepted(sent.status());
    if (sent.ok()) in_flight.emplace(*std::move(sent));
    bool read_more;
    {
      absl::MutexLock lock(&mu_);
      if (!failure.ok()) failure_ = failure;
      // Reading stopped while too much waited.
      read_more = ShouldReadLocked();
    }
    if (read_more) ReadWhenRoom();
  }
}

// Runs only with publishing_ set by the caller, so one at a time.
absl::StatusOr<PublishStreamReactor::InFlight> PublishStreamReactor::SendBatch(
    std::vector<v1::PublishRequest> batch, uint64_t first_index) {
  absl::StatusOr<CommandGate::Pass> pass = gate_->Enter();
  if (!pass.ok()) return pass.status();
  std::vector<Hub::BatchItem> items;
  // Per request: its index in `items`, or why it cannot be published.
  std::vector<absl::StatusOr<size_t>> slots;
  for (v1::PublishRequest& request : batch) {
    absl::StatusOr<Target> target = TargetFromProto(request.target());
    absl::StatusOr<EventInput> event = EventFromRequest(std::move(request));
    if (!target.ok()) {
      slots.push_back(target.status());
    } else if (!event.ok()) {
      slots.push_back(event.status());
    } else {
      slots.push_back(items.size());
      items.push_back({*std::move(event), *std::move(target)});
    }
  }
  absl::StatusOr<Hub::SentBatch> sent = hub_->SendBatch(std::move(items));
  if (!sent.ok()) return sent.status();
  return InFlight{*std::move(pass), std::move(slots), *std::move(sent),
                  first_index};
}

// Runs only with publishing_ set by the caller, so one at a time.
void PublishStreamReactor::CountBatch(InFlight batch) {
  const Hub::BatchResult result = hub_->CountBatch(std::move(batch.sent));
  // Formatted once per batch, not for every event.
  std::optional<Position> last_accepted;
  for (size_t i = 0; i < batch.slots.size(); ++i) {
    absl::StatusOr<Hub::PublishResult> outcome =
        batch.slots[i].ok()
            ? result.items[*batch.slots[i]]
            : absl::StatusOr<Hub::PublishResult>(batch.slots[i].status());
    if (outcome.ok()) {
      response_->set_accepted(response_->accepted() + 1);
      response_->set_connections(response_->connections() +
                                 outcome->connections);
      last_accepted = outcome->position;
      continue;
    }
    response_->set_rejected(response_->rejected() + 1);
    if (response_->rejections_size() < kMaxListedRejections) {
      v1::Rejection* rejection = response_->add_rejections();
      rejection->set_index(batch.first_index + i);
      rejection->set_reason(std::string(outcome.status().message()));
    }
  }
  if (last_accepted) response_->set_last_position(last_accepted->ToString());
}

absl::Status PublishStreamReactor::AfterAccepted(
    const absl::Status& status) const {
  const uint64_t accepted = response_->accepted();
  return absl::Status(
      status.code(),
      absl::StrCat(status.message(), " (after ", accepted, " accepted event",
                   accepted == 1 ? "" : "s", ")"));
}

std::optional<grpc::Status> PublishStreamReactor::TakeFinishLocked() {
  if (finished_ || publishing_ || awaiting_room_) return std::nullopt;
  // A failure ends the call even with a read in flight; the end of the
  // client's side waits until what it sent is published.
  if (failure_.ok() && (!closed_ || !pending_.empty())) return std::nullopt;
  finished_ = true;
  return failure_.ok() ? grpc::Status::OK : ToGrpcStatus(failure_);
}

void PublishStreamReactor::FinishWith(const grpc::Status& status) {
  tsan::HandOff(this);
  Finish(status);
}

void PublishStreamReactor::OnDone() {
  tsan::TakeOver(this);
  delete this;
}

}  // namespace ssecast
