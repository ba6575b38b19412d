#include "bench/grpc_unary_publisher.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/event_payload.h"
#include "rpc/status_conversion.h"

namespace ssecast::bench {

namespace {

// Everything one call needs to stay alive until its completion runs.
struct UnaryCall {
  grpc::ClientContext context;
  ssecast::v1::PublishRequest request;
  ssecast::v1::PublishResponse response;
  absl::Time started;
};

// Counts calls in flight and lets the sender wait for a free slot.
class InflightLimit {
 public:
  explicit InflightLimit(int limit) : limit_(limit) {}
  void Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](InflightLimit* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
          return self->inflight_ < self->limit_;
        },
        this));
    ++inflight_;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    --inflight_;
  }
  void AwaitZero() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* inflight) { return *inflight == 0; }, &inflight_));
  }

 private:
  const int limit_;
  absl::Mutex mu_;
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

void RunUnaryPublishes(ssecast::v1::Broadcaster::Stub& stub,
                       const PublishJob& job, PublishPacer& pacer,
                       PublishStats& stats) {
  // Shared with the completions so that the last Release() never touches a
  // destroyed limit.
  auto limit = std::make_shared<InflightLimit>(job.inflight);
  for (uint64_t seq = pacer.Next(); seq != 0; seq = pacer.Next()) {
    limit->Acquire();
    auto* call = new UnaryCall;
    call->started = absl::Now();
    call->context.set_deadline(
        absl::ToChronoTime(call->started + job.call_timeout));
    call->request.mutable_target()->set_all(true);
    call->request.mutable_event()->set_data(MakeEventPayload(
        {absl::ToUnixNanos(call->started), seq}, job.payload_size));
    stub.async()->Publish(
        &call->context, &call->request, &call->response,
        [call, &stats, limit](grpc::Status status) {
          std::unique_ptr<UnaryCall> owned(call);
          stats.RecordCall(
              absl::StatusCodeToString(ToAbslStatus(status).code()),
              absl::ToInt64Nanoseconds(absl::Now() - call->started),
              status.error_message());
          limit->Release();
        });
  }
  limit->AwaitZero();
}

}  // namespace ssecast::bench
