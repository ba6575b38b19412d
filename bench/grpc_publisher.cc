// grpc_publisher: publishes benchmark events (bench/event_payload.h) to all
// clients of one server and reports what it achieved: calls that succeeded,
// failures by status, the achieved rate and the call latency.
//
//   --mode=unary       ssecast Broadcaster.Publish, --inflight calls in flight
//   --mode=nchan_http  HTTP POST to --nchan_url on --inflight keep-alive
//                      connections, so one tool drives both systems
//   --mode=stream      ssecast Broadcaster.PublishStream: one client stream,
//                      events written in seq order from one thread
//
// Prints one human line and one JSON line on stdout.
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/grpc_stream_publisher.h"
#include "bench/grpc_unary_publisher.h"
#include "bench/http_post_publisher.h"
#include "bench/json_object.h"
#include "bench/publish_job.h"
#include "bench/publish_pacer.h"
#include "bench/publish_stats.h"
#include "bench/tool_main.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"

ABSL_FLAG(std::string, mode, "unary", "unary | stream | nchan_http");
ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "ssecast gRPC address (unary and stream modes)");
ABSL_FLAG(
    std::string, nchan_url, "",
    "publisher URL for --mode=nchan_http, e.g. http://127.0.0.1:8080/pub");
ABSL_FLAG(double, rate, 0, "events per second; 0 = as fast as possible");
ABSL_FLAG(uint64_t, count, 0, "events to publish; 0 = until --duration");
ABSL_FLAG(double, duration, 0, "seconds to publish; 0 = until --count");
ABSL_FLAG(int, inflight, 16,
          "calls in flight (unary) or keep-alive connections (nchan_http)");
ABSL_FLAG(int, size, 100, "bytes of data per event");
ABSL_FLAG(double, call_timeout, 10, "seconds one call may take");
ABSL_FLAG(bool, print_modes, false,
          "print the modes this build supports, space-separated, and exit");

// Modes built into this binary (bench/run.py asks, see --print_modes).
constexpr char kBuiltModes[] = "unary stream nchan_http";

namespace ssecast::bench {
namespace {

absl::StatusOr<std::unique_ptr<ssecast::v1::Broadcaster::Stub>> ConnectStub() {
  const std::string target = absl::GetFlag(FLAGS_target);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  // Connect first, so that the first call's latency is not connection setup.
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
    return absl::UnavailableError(
        absl::StrCat("no gRPC connection to ", target, " within 10 s"));
  }
  return ssecast::v1::Broadcaster::NewStub(channel);
}

absl::Status RunUnary(const PublishJob& job, PublishPacer& pacer,
                      PublishStats& stats) {
  auto stub = ConnectStub();
  if (!stub.ok()) return stub.status();
  RunUnaryPublishes(**stub, job, pacer, stats);
  return absl::OkStatus();
}

absl::Status RunStream(const PublishJob& job, bool flat_out,
                       PublishPacer& pacer, PublishStats& stats,
                       JsonObject& json) {
  auto stub = ConnectStub();
  if (!stub.ok()) return stub.status();
  const StreamOutcome outcome =
      RunStreamPublishes(**stub, job, flat_out, pacer, stats);
  json.Int("accepted", static_cast<int64_t>(outcome.accepted))
      .Int("rejected", static_cast<int64_t>(outcome.rejected))
      .String("stream_status", outcome.status);
  return absl::OkStatus();
}

absl::Status RunNchanHttp(const PublishJob& job, PublishPacer& pacer,
                          PublishStats& stats) {
  absl::StatusOr<HttpUrl> url = ParseHttpUrl(absl::GetFlag(FLAGS_nchan_url));
  if (!url.ok()) return url.status();
  return RunHttpPosts(*url, job, pacer, stats);
}

absl::Status Run() {
  if (absl::GetFlag(FLAGS_print_modes)) {
    std::printf("%s\n", kBuiltModes);
    return absl::OkStatus();
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  PublishJob job;
  job.payload_size =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_size)));
  job.inflight = std::max(1, absl::GetFlag(FLAGS_inflight));
  job.call_timeout = absl::Seconds(absl::GetFlag(FLAGS_call_timeout));
  const double rate = absl::GetFlag(FLAGS_rate);
  const uint64_t count = absl::GetFlag(FLAGS_count);
  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_duration));
  if (count == 0 && duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("set --count or --duration (or both)");
  }
  PublishPacer pacer(rate, count, duration);
  PublishStats stats;
  JsonObject stream_json;
  absl::Status status;
  if (mode == "unary") {
    status = RunUnary(job, pacer, stats);
  } else if (mode == "nchan_http") {
    status = RunNchanHttp(job, pacer, stats);
  } else if (mode == "stream") {
    status = RunStream(job, rate <= 0, pacer, stats, stream_json);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--mode must be unary, stream or nchan_http, got \"", mode, "\""));
  }
  if (!status.ok()) return status;
  const absl::Duration elapsed = absl::Now() - pacer.start();
  std::printf("grpc_publisher mode=%s rate=%.0f inflight=%d size=%zu: %s\n",
              mode.c_str(), rate, job.inflight, job.payload_size,
              stats.Text(elapsed).c_str());
  JsonObject json;
  json.String("tool", "grpc_publisher")
      .String("mode", mode)
      .Number("target_rate", rate)
      .Int("inflight", job.inflight)
      .Int("size", static_cast<int64_t>(job.payload_size))
      .Int("first_seq", 1)
      .Int("sent", static_cast<int64_t>(stats.finished()));
  stats.AppendJson(elapsed, json);
  if (mode == "stream") json.Object("stream", stream_json);
  rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    return absl::InternalError(
        absl::StrCat("getrusage: ", std::strerror(errno)));
  }
  json.Number("cpu_s",
              absl::ToDoubleSeconds(absl::DurationFromTimeval(usage.ru_utime) +
                                    absl::DurationFromTimeval(usage.ru_stime)));
  std::printf("%s\n", json.str().c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

}  // namespace
}  // namespace ssecast::bench

int main(int argc, char** argv) {
  return ssecast::bench::ToolMain(
      argc, argv, "grpc_publisher",
      "Publishes timestamped benchmark events to ssecast (gRPC) or nchan "
      "(HTTP).",
      ssecast::bench::Run);
}
