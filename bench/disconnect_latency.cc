// disconnect_latency: measures how fast ssecast's Disconnect takes effect.
// Each iteration opens one SSE stream (GET /events, keeping the client id
// the server issues in its cookie), calls Broadcaster.Disconnect for that
// id, and times
//   - the RPC itself,
//   - from the RPC's return to the end of the stream as the client sees it
//     (the last chunk or the connection closing, whichever comes first;
//     counted as 0 when the stream ended before the RPC returned),
//   - a reconnect that sends the same cookie, which must be answered
//     204 No Content, from sending the request to the status line.
// Iterations run one after another; the report gives percentiles of each,
// as one human line and one JSON line on stdout.
#include <sys/socket.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bench/http_response_parser.h"
#include "bench/json_object.h"
#include "bench/latency_histogram.h"
#include "bench/socket_address.h"
#include "bench/steady_nanos.h"
#include "bench/tool_main.h"
#include "grpcpp/grpcpp.h"
#include "proto/ssecast/v1/broadcaster.grpc.pb.h"
#include "rpc/status_conversion.h"
#include "server/base/host_port.h"

ABSL_FLAG(std::string, http, "127.0.0.1:8080", "ssecast HTTP host:port");
ABSL_FLAG(std::string, grpc, "127.0.0.1:50051", "ssecast gRPC host:port");
ABSL_FLAG(std::string, path, "/events", "SSE path");
ABSL_FLAG(std::string, cookie_name, "ssecast_id",
          "cookie that carries the client id");
ABSL_FLAG(int, iterations, 200, "disconnects to measure");
ABSL_FLAG(double, timeout, 10, "seconds any one step may take");

namespace ssecast::bench {
namespace {

struct ProbeConfig {
  sockaddr_in http_address;
  std::string host_header;
  std::string path;
  std::string cookie_name;
  absl::Duration timeout;
};

// An HTTP GET of the SSE path whose response head has been read.
struct OpenedRequest {
  UniqueFd fd;
  std::unique_ptr<HttpResponseParser> parser;
  int64_t sent_ns = 0;
  int64_t head_ns = 0;
};

absl::StatusOr<OpenedRequest> OpenSse(const ProbeConfig& config,
                                      absl::string_view cookie) {
  absl::StatusOr<UniqueFd> fd =
      ConnectBlocking(config.http_address, config.timeout);
  if (!fd.ok()) return fd.status();
  std::string request = absl::StrCat("GET ", config.path,
                                     " HTTP/1.1\r\nHost: ", config.host_header,
                                     "\r\nAccept: text/event-stream\r\n");
  if (!cookie.empty()) {
    absl::StrAppend(&request, "Cookie: ", config.cookie_name, "=", cookie,
                    "\r\n");
  }
  request += "\r\n";
  OpenedRequest opened;
  opened.fd = std::move(*fd);
  opened.parser = std::make_unique<HttpResponseParser>();
  opened.sent_ns = SteadyNanos();
  if (absl::Status s = SendAll(opened.fd.get(), request); !s.ok()) return s;
  char buffer[4096];
  while (!opened.parser->headers_complete()) {
    const ssize_t n = recv(opened.fd.get(), buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return absl::UnavailableError(
          n == 0 ? "connection closed before the response head"
                 : "no response head within --timeout");
    }
    absl::StatusOr<size_t> used = opened.parser->Feed(
        absl::string_view(buffer, static_cast<size_t>(n)), nullptr);
    if (!used.ok()) return used.status();
  }
  opened.head_ns = SteadyNanos();
  return opened;
}

// The client id from the response's Set-Cookie headers.
absl::StatusOr<std::string> IssuedClientId(const HttpResponseParser& parser,
                                           const std::string& cookie_name) {
  const std::string prefix = cookie_name + "=";
  for (const auto& [name, value] : parser.headers()) {
    if (name != "set-cookie" || !absl::StartsWith(value, prefix)) continue;
    absl::string_view id = absl::string_view(value).substr(prefix.size());
    return std::string(id.substr(0, id.find(';')));
  }
  return absl::NotFoundError(
      absl::StrCat("the SSE response carries no Set-Cookie for ", cookie_name));
}

// Reads the stream until it ends; returns when that was, or an error when
// it did not end within the socket's timeout.
absl::StatusOr<int64_t> AwaitStreamEnd(OpenedRequest& stream) {
  char buffer[4096];
  while (true) {
    const ssize_t n = recv(stream.fd.get(), buffer, sizeof(buffer), 0);
    if (n == 0) return SteadyNanos();
    if (n < 0) {
      if (errno == ECONNRESET) return SteadyNanos();
      return absl::DeadlineExceededError(
          "the stream did not end within --timeout after Disconnect");
    }
    absl::StatusOr<size_t> used = stream.parser->Feed(
        absl::string_view(buffer, static_cast<size_t>(n)), nullptr);
    if (!used.ok()) return used.status();
    if (stream.parser->complete()) return SteadyNanos();
  }
}

struct Results {
  LatencyHistogram rpc;
  LatencyHistogram end_after_return;
  LatencyHistogram end_after_call;
  LatencyHistogram reconnect_204;
  int ok = 0;
  int ended_before_return = 0;
  std::map<std::string, int> failures;
};

absl::Status RunIteration(const ProbeConfig& config,
                          ssecast::v1::Broadcaster::Stub& stub,
                          Results& results) {
  absl::StatusOr<OpenedRequest> stream = OpenSse(config, "");
  if (!stream.ok()) return stream.status();
  if (stream->parser->status_code() != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream answered ", stream->parser->status_code()));
  }
  absl::StatusOr<std::string> client_id =
      IssuedClientId(*stream->parser, config.cookie_name);
  if (!client_id.ok()) return client_id.status();

  absl::StatusOr<int64_t> end_ns = absl::UnknownError("reader did not run");
  std::thread reader([&] { end_ns = AwaitStreamEnd(*stream); });
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + config.timeout));
  ssecast::v1::DisconnectRequest request;
  request.add_client_ids(*client_id);
  ssecast::v1::DisconnectResponse response;
  const int64_t call_ns = SteadyNanos();
  const grpc::Status status = stub.Disconnect(&context, request, &response);
  const int64_t return_ns = SteadyNanos();
  reader.join();
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("Disconnect: ", ToAbslStatus(status).ToString()));
  }
  if (!end_ns.ok()) return end_ns.status();

  absl::StatusOr<OpenedRequest> again = OpenSse(config, *client_id);
  if (!again.ok()) return again.status();
  if (again->parser->status_code() != 204) {
    return absl::FailedPreconditionError(
        absl::StrCat("reconnect after Disconnect answered ",
                     again->parser->status_code(), ", not 204"));
  }
  results.rpc.Record(return_ns - call_ns);
  results.end_after_call.Record(*end_ns - call_ns);
  results.end_after_return.Record(*end_ns - return_ns);
  if (*end_ns < return_ns) ++results.ended_before_return;
  results.reconnect_204.Record(again->head_ns - again->sent_ns);
  ++results.ok;
  return absl::OkStatus();
}

void PrintResults(const Results& results, int iterations) {
  std::vector<std::string> failure_text;
  JsonObject failures;
  for (const auto& [reason, count] : results.failures) {
    failure_text.push_back(absl::StrCat(count, "x ", reason));
    failures.Int(reason, count);
  }
  std::printf(
      "disconnect_latency iterations=%d ok=%d; Disconnect RPC %s; stream end "
      "after RPC return %s (%d ended before it returned); reconnect->204 "
      "%s%s%s\n",
      iterations, results.ok, results.rpc.PercentilesTextMs().c_str(),
      results.end_after_return.PercentilesTextMs().c_str(),
      results.ended_before_return,
      results.reconnect_204.PercentilesTextMs().c_str(),
      failure_text.empty() ? "" : "; failures: ",
      absl::StrJoin(failure_text, ", ").c_str());
  JsonObject json;
  json.String("tool", "disconnect_latency")
      .Int("iterations", iterations)
      .Int("ok", results.ok)
      .Object("failures", failures)
      .Raw("disconnect_rpc_ms", results.rpc.PercentilesJsonMs())
      .Raw("stream_end_after_return_ms",
           results.end_after_return.PercentilesJsonMs())
      .Raw("stream_end_after_call_ms",
           results.end_after_call.PercentilesJsonMs())
      .Int("ended_before_return", results.ended_before_return)
      .Raw("reconnect_204_ms", results.reconnect_204.PercentilesJsonMs());
  std::printf("%s\n", json.str().c_str());
  std::fflush(stdout);
}

absl::Status Run() {
  absl::StatusOr<HostPort> http = ParseHostPort(absl::GetFlag(FLAGS_http));
  if (!http.ok()) return http.status();
  absl::StatusOr<sockaddr_in> address = ResolveIpv4(http->host, http->port);
  if (!address.ok()) return address.status();
  ProbeConfig config{*address, absl::GetFlag(FLAGS_http),
                     absl::GetFlag(FLAGS_path),
                     absl::GetFlag(FLAGS_cookie_name),
                     absl::Seconds(absl::GetFlag(FLAGS_timeout))};
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_grpc),
                                     grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + config.timeout))) {
    return absl::UnavailableError(absl::StrCat("no gRPC connection to ",
                                               absl::GetFlag(FLAGS_grpc),
                                               " within --timeout"));
  }
  auto stub = ssecast::v1::Broadcaster::NewStub(channel);
  Results results;
  const int iterations = absl::GetFlag(FLAGS_iterations);
  for (int i = 0; i < iterations; ++i) {
    if (absl::Status s = RunIteration(config, *stub, results); !s.ok()) {
      ++results.failures[std::string(s.message())];
    }
  }
  PrintResults(results, iterations);
  return absl::OkStatus();
}

}  // namespace
}  // namespace ssecast::bench

int main(int argc, char** argv) {
  return ssecast::bench::ToolMain(
      argc, argv, "disconnect_latency",
      "Measures Disconnect-to-stream-end latency and the 204 on reconnect.",
      ssecast::bench::Run);
}
