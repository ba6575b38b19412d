// discard_broadcaster: a gRPC server for ssecast.v1.Broadcaster that does
// nothing with what it receives, to measure what gRPC alone costs on this
// machine (bench/run.py --system=grpc-discard, BENCHMARKS.md).
//
// PublishStream reads every message, counts it and, once the client closes
// its side, answers PublishStreamResponse with accepted = the count (no
// other field). Publish answers an empty PublishResponse at once. The other
// RPCs are UNIMPLEMENTED (the generated base). The server is built as
// ssecast's control plane builds its own (server/control/control_server.cc):
// the callback API, SO_REUSEPORT off, the same receive limit, health and
// reflection registered; so the difference to ssecast's rate is ssecast's
// own work.
//
// With --append_to_redis, Publish first appends the request to a Redis
// stream (one XADD, through ssecast's own pipelined connection,
// RedisPipeline, to the Redis that ssecast's own --redis_address and
// --redis_sentinels flags name, parsed by the same code) and
// answers from the pipeline's thread once Redis acknowledged it, or
// UNAVAILABLE naming Redis when it could not: the least a publish through
// Redis costs on this machine, with none of ssecast's ordering, read-back
// or fan-out (run.py's grpc-discard-redis system). PublishStream stays as
// above.
//
// Prints "discard_broadcaster listening grpc=HOST:PORT" on stdout once
// serving (the form of ssecast's "ssecast listening ... grpc=..." line), and
// exits 0 on SIGTERM or SIGINT after calls in flight are cancelled.
#include <signal.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bazel/tsan/hand_off.h"
#include "bench/tool_main.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "server/base/signals_for_sigwait.h"
#include "server/redis/redis_pipeline.h"
#include "server/redis/redis_target_flags.h"

ABSL_FLAG(std::string, address, "127.0.0.1:0",
          "where to serve gRPC (\"host:port\"; port 0 picks a free one)");
ABSL_FLAG(bool, append_to_redis, false,
          "Publish appends each request to the Redis stream `discard` of the "
          "Redis that --redis_address (or --redis_sentinels) names (XADD, "
          "MAXLEN ~ 10000) and answers once Redis acknowledged it: the least "
          "any publish through Redis costs");

namespace ssecast::bench {
namespace {

// ssecast's limit with its default --max_event_bytes is larger; it only
// matters for messages far bigger than the benchmark's.
constexpr int kMaxReceiveMessageBytes = 4 * 1024 * 1024;

// Counts one PublishStream call's messages. One read is in flight at a
// time, so the reactions never overlap and need no lock. gRPC owns it from
// creation; it deletes itself in OnDone().
class CountingReader final
    : public grpc::ServerReadReactor<v1::PublishRequest> {
 public:
  explicit CountingReader(v1::PublishStreamResponse* response)
      : response_(response) {
    ReadNext();
  }

  void OnReadDone(bool ok) override {
    tsan::TakeOver(this);
    if (ok) {
      ++count_;
      ReadNext();
      return;
    }
    // The client closed its side (or the call broke: gRPC drops the answer).
    response_->set_accepted(count_);
    tsan::HandOff(this);
    Finish(grpc::Status::OK);
  }

  void OnDone() override {
    tsan::TakeOver(this);
    delete this;
  }

 private:
  // gRPC runs the next reaction on another thread, ordered by its own
  // atomics, which ThreadSanitizer does not see (bazel/tsan/hand_off.h).
  void ReadNext() {
    tsan::HandOff(this);
    StartRead(&request_);
  }

  v1::PublishStreamResponse* const response_;  // gRPC's, until OnDone()
  v1::PublishRequest request_;
  uint64_t count_ = 0;
};

class DiscardBroadcaster final : public v1::Broadcaster::CallbackService {
 public:
  // `redis`: where Publish appends (see --append_to_redis); nullptr answers
  // at once. Not owned; must outlive the calls.
  explicit DiscardBroadcaster(RedisPipeline* redis) : redis_(redis) {}

  grpc::ServerUnaryReactor* Publish(
      grpc::CallbackServerContext* context, const v1::PublishRequest* request,
      v1::PublishResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (redis_ == nullptr) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    // The pipeline's thread answers, as ssecast's broker thread does.
    redis_->RunAsync(
        {{"XADD", "discard", "MAXLEN", "~", "10000", "*", "r",
          request->SerializeAsString()}},
        [reactor](absl::StatusOr<std::vector<RedisReply>> replies) {
          reactor->Finish(
              replies.ok()
                  ? grpc::Status::OK
                  : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 std::string(replies.status().message())));
        });
    return reactor;
  }

  grpc::ServerReadReactor<v1::PublishRequest>* PublishStream(
      grpc::CallbackServerContext* /*context*/,
      v1::PublishStreamResponse* response) override {
    return new CountingReader(response);
  }

 private:
  RedisPipeline* const redis_;
};

absl::Status Run() {
  // Before gRPC starts its threads, so that sigwait() below takes these.
  absl::StatusOr<sigset_t> stop_signals = BlockForSigwait({SIGINT, SIGTERM});
  if (!stop_signals.ok()) return stop_signals.status();
  const std::string address = absl::GetFlag(FLAGS_address);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<RedisPipeline> redis;
  if (absl::GetFlag(FLAGS_append_to_redis)) {
    absl::StatusOr<RedisTarget> target = RedisTargetFromFlags();
    if (!target.ok()) return target.status();
    redis = std::make_unique<RedisPipeline>(
        target->ConnectionOptions("discard_broadcaster"));
  }
  DiscardBroadcaster service(redis.get());
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     " (address in use, not local, not permitted, or not "
                     "host:port)"));
  }
  const std::string host = address.substr(0, address.rfind(':'));
  std::printf("discard_broadcaster listening grpc=%s:%d\n", host.c_str(), port);
  std::fflush(stdout);
  int signal_number = 0;
  if (const int error = sigwait(&*stop_signals, &signal_number); error != 0) {
    return absl::InternalError(absl::StrCat("sigwait: ", std::strerror(error)));
  }
  // A benchmark's calls are over when it stops the server; any left are
  // cancelled at once.
  server->Shutdown(absl::ToChronoTime(absl::Now()));
  server->Wait();
  return absl::OkStatus();
}

}  // namespace
}  // namespace ssecast::bench

int main(int argc, char** argv) {
  return ssecast::bench::ToolMain(
      argc, argv, "discard_broadcaster",
      "Serves ssecast.v1.Broadcaster's Publish and PublishStream doing "
      "nothing but reading and counting: the rate gRPC alone allows.",
      ssecast::bench::Run);
}
