// sse_load: opens N Server-Sent Events streams from one epoll thread and
// measures what arrives on them: end-to-end latency of every event (receive
// time minus the send time the publisher wrote into the data, see
// bench/event_payload.h), gaps and duplicates per connection, deliveries per
// second, and how fast the connections were opened.
//
// Timeline: connect (at --connect_rate, at most --max_connecting answers
// outstanding) until every connection is open or failed; print
// "READY open=N ..." on stdout (the driver starts publishing then); stay
// --duration seconds, or less when every open connection has received
// --expect_events events, when no event came for --idle_stop seconds, or
// when none is left open; print a human line and a JSON line on stdout.
// Progress lines go to stderr.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "bench/event_payload.h"
#include "bench/http_response_parser.h"
#include "bench/json_object.h"
#include "bench/latency_histogram.h"
#include "bench/sequence_tracker.h"
#include "bench/socket_address.h"
#include "bench/sse_parser.h"
#include "bench/steady_nanos.h"
#include "bench/tool_main.h"
#include "server/base/unique_fd.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "server host (IPv4)");
ABSL_FLAG(int, port, 0, "server port");
ABSL_FLAG(std::string, path, "/events",
          "request path, e.g. /events for ssecast or /sub for nchan");
ABSL_FLAG(int, connections, 100, "number of SSE connections to open");
ABSL_FLAG(double, duration, 10, "seconds to keep the streams open after READY");
ABSL_FLAG(double, connect_rate, 0,
          "new connections per second; 0 = as fast as possible");
ABSL_FLAG(int, max_connecting, 256,
          "cap on connections started but not yet answered");
ABSL_FLAG(int, source_ips, 8,
          "when the server is on loopback, spread connections over this many "
          "source addresses (127.0.0.1, .2, ...): each has its own range of "
          "ephemeral ports, and the kernel's port search slows down sharply "
          "once one range is more than about half used");
ABSL_FLAG(double, connect_timeout, 20,
          "seconds a connection may take to get its response head");
ABSL_FLAG(std::vector<std::string>, header, {},
          "extra request headers, \"Name: value\", comma-separated");
ABSL_FLAG(int64_t, expect_events, 0,
          "stop early once every open connection got this many distinct "
          "events; 0 = run the full duration");
ABSL_FLAG(uint64_t, first_seq, 1,
          "seq the publisher starts at (missing early events count as gaps); "
          "0 = start counting at each connection's first event");
ABSL_FLAG(double, idle_stop, 0,
          "stop early once events have flowed and then none arrived for this "
          "many seconds; 0 = never");
ABSL_FLAG(double, report_interval, 0,
          "seconds between progress lines on stderr; 0 = none");

namespace ssecast::bench {
namespace {

double Seconds(int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

// User + system CPU time this process has used, so the report shows what
// the load generator itself cost on the shared cores.
double ProcessCpuSeconds() {
  rusage usage;
  // Cannot fail for RUSAGE_SELF; NaN would show in the report if it did.
  if (getrusage(RUSAGE_SELF, &usage) != 0) return std::nan("");
  return absl::ToDoubleSeconds(absl::DurationFromTimeval(usage.ru_utime) +
                               absl::DurationFromTimeval(usage.ru_stime));
}

struct LoadOptions {
  sockaddr_in address;
  int source_ips;  // 1 = let the kernel choose
  std::string request;
  int connections;
  int64_t duration_ns;
  double connect_rate;
  int max_connecting;
  int64_t connect_timeout_ns;
  int64_t expect_events;
  uint64_t first_seq;
  int64_t idle_stop_ns;
  int64_t report_interval_ns;
};

// Counters shared by all connections; the loop is single-threaded.
struct Totals {
  LatencyHistogram latency;
  LatencyHistogram connect_latency;
  uint64_t events = 0;
  uint64_t malformed = 0;
  uint64_t comments = 0;
  int64_t first_event_unix_ns = 0;
  int64_t last_event_unix_ns = 0;
  int64_t now_unix_ns = 0;  // taken once per read, shared by its events
  int complete_open = 0;    // open connections that got --expect_events
  int64_t expect_events = 0;
};

enum class Phase { kConnecting, kAwaitingResponse, kStreaming, kDone };

// One SSE stream: its socket, its parsers and what it received.
class Connection final : public HttpResponseParser::BodySink,
                         public SseParser::Listener {
 public:
  Connection(Totals* totals, UniqueFd fd, int64_t started_ns,
             uint64_t first_seq)
      : totals_(totals),
        fd_(std::move(fd)),
        started_ns_(started_ns),
        sse_(this),
        sequence_(first_seq) {}

  void OnBody(absl::string_view bytes) override { sse_.Feed(bytes); }

  void OnComment(absl::string_view) override { ++totals_->comments; }

  void OnEvent(const SseEvent& event) override {
    const std::optional<EventStamp> stamp = ParseEventPayload(event.data);
    if (!stamp.has_value()) {
      ++totals_->malformed;
      return;
    }
    const int64_t now = totals_->now_unix_ns;
    totals_->latency.Record(now - stamp->send_unix_ns);
    if (totals_->events++ == 0) totals_->first_event_unix_ns = now;
    totals_->last_event_unix_ns = now;
    const uint64_t before = sequence_.unique();
    sequence_.Observe(stamp->seq);
    if (totals_->expect_events > 0 && before < sequence_.unique() &&
        sequence_.unique() == static_cast<uint64_t>(totals_->expect_events) &&
        phase_ == Phase::kStreaming) {
      ++totals_->complete_open;
    }
  }

  bool complete() const {
    return totals_->expect_events > 0 &&
           sequence_.unique() >= static_cast<uint64_t>(totals_->expect_events);
  }

  int fd() const { return fd_.get(); }
  Phase phase() const { return phase_; }
  void set_phase(Phase phase) { phase_ = phase; }
  int64_t started_ns() const { return started_ns_; }
  // Bytes of the request already written (it may take several writes).
  size_t request_sent() const { return request_sent_; }
  void AddRequestSent(size_t bytes) { request_sent_ += bytes; }
  HttpResponseParser& http() { return http_; }
  const SequenceTracker& sequence() const { return sequence_; }

  // Closes with an RST rather than a FIN so that thousands of client ports
  // do not linger in TIME_WAIT between runs.
  void CloseAbortively() {
    if (!fd_.valid()) return;
    const linger abort_on_close{1, 0};
    // Refused, the close is an orderly one: its port waits out TIME_WAIT,
    // which costs ports, not correctness.
    (void)setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                     sizeof(abort_on_close));
    fd_.Reset();
  }
  void Close() { fd_.Reset(); }

 private:
  Totals* const totals_;
  UniqueFd fd_;
  const int64_t started_ns_;
  Phase phase_ = Phase::kConnecting;
  size_t request_sent_ = 0;
  HttpResponseParser http_;
  SseParser sse_;
  SequenceTracker sequence_;
};

class SseLoad {
 public:
  explicit SseLoad(const LoadOptions& options) : options_(options) {
    totals_.expect_events = options.expect_events;
    target_connections_ = options.connections;
    connections_.reserve(options.connections);
  }

  absl::Status Run();

 private:
  absl::Status StartConnection(int64_t now_ns);
  absl::Status BindSource(int fd) const;
  void StartDueConnections(int64_t now_ns);
  int NextWaitMillis(int64_t now_ns) const;
  void HandleReady(Connection& connection, uint32_t events);
  void HandleWritable(Connection& connection);
  void HandleReadable(Connection& connection);
  void OnHeadersComplete(Connection& connection);
  void Fail(Connection& connection, const std::string& reason);
  void EndStream(Connection& connection);
  void ExpireSlowConnects(int64_t now_ns);
  void MaybeDeclareReady(int64_t now_ns);
  const char* StopReason(int64_t now_ns) const;
  void ReportProgress(int64_t now_ns);
  void PrintSummary(const char* stop_reason, int64_t end_ns);

  const LoadOptions options_;
  UniqueFd epoll_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::deque<Connection*> awaiting_;  // start order, for connect timeouts
  Totals totals_;
  std::map<std::string, int> failures_;
  char read_buffer_[64 * 1024];

  // Lowered when the process runs out of descriptors or ports.
  int target_connections_ = 0;
  int64_t start_ns_ = 0;
  int64_t ready_ns_ = 0;  // 0 until every connection is open or failed
  int64_t last_report_ns_ = 0;
  uint64_t events_at_last_report_ = 0;
  int connecting_ = 0;  // started, not yet answered or failed
  int open_ = 0;
  int open_at_ready_ = 0;
  int failed_ = 0;
  int closed_by_server_ = 0;
};

absl::Status SseLoad::StartConnection(int64_t now_ns) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("socket() failed after ", connections_.size(),
                     " connections: ", strerror(errno)));
  }
  const int one = 1;
  if (setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
    return absl::InternalError(
        absl::StrCat("setsockopt(TCP_NODELAY): ", strerror(errno)));
  }
  if (options_.source_ips > 1) {
    if (absl::Status bound = BindSource(fd.get()); !bound.ok()) return bound;
  }
  const int rc =
      connect(fd.get(), reinterpret_cast<const sockaddr*>(&options_.address),
              sizeof(options_.address));
  const int connect_errno = errno;
  auto connection = std::make_unique<Connection>(&totals_, std::move(fd),
                                                 now_ns, options_.first_seq);
  Connection& c = *connection;
  connections_.push_back(std::move(connection));
  ++connecting_;
  awaiting_.push_back(&c);
  if (rc != 0 && connect_errno != EINPROGRESS) {
    Fail(c, absl::StrCat("connect: ", strerror(connect_errno)));
    return absl::OkStatus();
  }
  epoll_event event{};
  event.events = EPOLLOUT;
  event.data.ptr = &c;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd(), &event) != 0) {
    return absl::InternalError(
        absl::StrCat("epoll_ctl ADD: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status SseLoad::BindSource(int fd) const {
  // The port is left to connect(), which then only needs it unique for the
  // full four-tuple.
  const int one = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) !=
      0) {
    return absl::InternalError(
        absl::StrCat("setsockopt(IP_BIND_ADDRESS_NO_PORT): ", strerror(errno)));
  }
  sockaddr_in source{};
  source.sin_family = AF_INET;
  const uint32_t index =
      static_cast<uint32_t>(connections_.size() % options_.source_ips);
  source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + index);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&source), sizeof(source)) !=
      0) {
    return absl::InternalError(
        absl::StrCat("bind to 127.0.0.", index + 1, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

void SseLoad::StartDueConnections(int64_t now_ns) {
  while (static_cast<int>(connections_.size()) < target_connections_ &&
         connecting_ < options_.max_connecting) {
    if (options_.connect_rate > 0) {
      const double allowed =
          options_.connect_rate * Seconds(now_ns - start_ns_) + 1;
      if (static_cast<double>(connections_.size()) >= allowed) return;
    }
    if (absl::Status status = StartConnection(now_ns); !status.ok()) {
      // Out of descriptors or ports: count the rest as failed and go on
      // with what is open.
      const int rest =
          target_connections_ - static_cast<int>(connections_.size());
      failures_[std::string(status.message())] += rest;
      failed_ += rest;
      target_connections_ = static_cast<int>(connections_.size());
      return;
    }
  }
}

int SseLoad::NextWaitMillis(int64_t now_ns) const {
  constexpr int kHousekeepingMillis = 50;
  if (static_cast<int>(connections_.size()) >= target_connections_ ||
      connecting_ >= options_.max_connecting || options_.connect_rate <= 0) {
    return kHousekeepingMillis;
  }
  const double next_start_s =
      static_cast<double>(connections_.size()) / options_.connect_rate;
  const double wait_s = next_start_s - Seconds(now_ns - start_ns_);
  if (wait_s <= 0) return 0;
  return std::min(kHousekeepingMillis, static_cast<int>(wait_s * 1000) + 1);
}

void SseLoad::Fail(Connection& connection, const std::string& reason) {
  if (connection.phase() == Phase::kDone) return;
  if (connection.phase() == Phase::kStreaming) {
    EndStream(connection);
    return;
  }
  --connecting_;
  ++failed_;
  ++failures_[reason];
  connection.set_phase(Phase::kDone);
  connection.Close();
}

// A stream that was open ended: the server closed it, reset it, or ended
// the response.
void SseLoad::EndStream(Connection& connection) {
  --open_;
  ++closed_by_server_;
  if (connection.complete()) --totals_.complete_open;
  connection.set_phase(Phase::kDone);
  connection.Close();
}

void SseLoad::HandleReady(Connection& connection, uint32_t events) {
  if (connection.phase() == Phase::kConnecting) {
    HandleWritable(connection);
  } else if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
    HandleReadable(connection);
  }
}

void SseLoad::HandleWritable(Connection& connection) {
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(connection.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    Fail(connection, absl::StrCat("connect: ", strerror(error)));
    return;
  }
  const std::string& request = options_.request;
  while (connection.request_sent() < request.size()) {
    const ssize_t n =
        send(connection.fd(), request.data() + connection.request_sent(),
             request.size() - connection.request_sent(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) return;  // EPOLLOUT will come again
      Fail(connection, absl::StrCat("send request: ", strerror(errno)));
      return;
    }
    connection.AddRequestSent(static_cast<size_t>(n));
  }
  connection.set_phase(Phase::kAwaitingResponse);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &connection;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, connection.fd(), &event) != 0) {
    Fail(connection, absl::StrCat("epoll_ctl: ", strerror(errno)));
  }
}

void SseLoad::OnHeadersComplete(Connection& connection) {
  const int status = connection.http().status_code();
  if (status != 200) {
    Fail(connection, absl::StrCat("HTTP status ", status));
    return;
  }
  --connecting_;
  ++open_;
  connection.set_phase(Phase::kStreaming);
  totals_.connect_latency.Record(SteadyNanos() - connection.started_ns());
  if (connection.complete()) ++totals_.complete_open;
}

void SseLoad::HandleReadable(Connection& connection) {
  const ssize_t n = read(connection.fd(), read_buffer_, sizeof(read_buffer_));
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    Fail(connection, absl::StrCat("read: ", strerror(errno)));
    return;
  }
  HttpResponseParser& http = connection.http();
  const bool had_headers = http.headers_complete();
  if (n == 0) {
    if (!had_headers) {
      Fail(connection, "closed before the response head");
    } else {
      EndStream(connection);
    }
    return;
  }
  totals_.now_unix_ns = UnixNanosNow();
  absl::StatusOr<size_t> used = http.Feed(
      absl::string_view(read_buffer_, static_cast<size_t>(n)), &connection);
  if (!had_headers && http.headers_complete()) OnHeadersComplete(connection);
  if (!used.ok()) {
    Fail(connection, absl::StrCat("bad response: ", used.status().message()));
  } else if (http.complete()) {
    Fail(connection, "response ended");
  }
}

void SseLoad::ExpireSlowConnects(int64_t now_ns) {
  while (!awaiting_.empty()) {
    Connection& front = *awaiting_.front();
    const Phase phase = front.phase();
    if (phase == Phase::kStreaming || phase == Phase::kDone) {
      awaiting_.pop_front();
      continue;
    }
    if (now_ns - front.started_ns() < options_.connect_timeout_ns) return;
    Fail(front, phase == Phase::kConnecting ? "connect timeout"
                                            : "response head timeout");
    awaiting_.pop_front();
  }
}

void SseLoad::MaybeDeclareReady(int64_t now_ns) {
  if (ready_ns_ != 0 || connecting_ > 0 ||
      static_cast<int>(connections_.size()) < target_connections_) {
    return;
  }
  ready_ns_ = now_ns;
  open_at_ready_ = open_;
  const double phase_s = Seconds(now_ns - start_ns_);
  std::printf("READY open=%d failed=%d connect_s=%.3f\n", open_, failed_,
              phase_s);
  std::fflush(stdout);
}

const char* SseLoad::StopReason(int64_t now_ns) const {
  if (ready_ns_ == 0) return nullptr;
  if (open_ == 0) return "no_connection_open";
  if (options_.expect_events > 0 && totals_.complete_open == open_) {
    return "expected_events_received";
  }
  if (options_.idle_stop_ns > 0 && totals_.events > 0 &&
      UnixNanosNow() - totals_.last_event_unix_ns >= options_.idle_stop_ns) {
    return "idle";
  }
  if (now_ns - ready_ns_ >= options_.duration_ns) return "duration";
  return nullptr;
}

void SseLoad::ReportProgress(int64_t now_ns) {
  if (options_.report_interval_ns <= 0 ||
      now_ns - last_report_ns_ < options_.report_interval_ns) {
    return;
  }
  const double interval_s = Seconds(now_ns - last_report_ns_);
  const uint64_t new_events = totals_.events - events_at_last_report_;
  std::fprintf(stderr,
               "sse_load t=%.1fs open=%d connecting=%d failed=%d closed=%d "
               "events=%llu rate=%.0f/s\n",
               Seconds(now_ns - start_ns_), open_, connecting_, failed_,
               closed_by_server_,
               static_cast<unsigned long long>(totals_.events),
               static_cast<double>(new_events) / interval_s);
  last_report_ns_ = now_ns;
  events_at_last_report_ = totals_.events;
}

absl::Status SseLoad::Run() {
  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) {
    return absl::InternalError(
        absl::StrCat("epoll_create1: ", strerror(errno)));
  }
  start_ns_ = SteadyNanos();
  last_report_ns_ = start_ns_;
  constexpr int kMaxEvents = 1024;
  epoll_event ready[kMaxEvents];
  const char* stop_reason = nullptr;
  int64_t now_ns = start_ns_;
  while (stop_reason == nullptr) {
    StartDueConnections(now_ns);
    const int n =
        epoll_wait(epoll_.get(), ready, kMaxEvents, NextWaitMillis(now_ns));
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("epoll_wait: ", strerror(errno)));
    }
    for (int i = 0; i < n; ++i) {
      HandleReady(*static_cast<Connection*>(ready[i].data.ptr),
                  ready[i].events);
    }
    now_ns = SteadyNanos();
    ExpireSlowConnects(now_ns);
    MaybeDeclareReady(now_ns);
    ReportProgress(now_ns);
    stop_reason = StopReason(now_ns);
  }
  PrintSummary(stop_reason, now_ns);
  for (auto& connection : connections_) connection->CloseAbortively();
  return absl::OkStatus();
}

struct PerConnectionSums {
  SequenceTracker::Counts sequence;
  uint64_t complete = 0;
  uint64_t min_events = 0;
  uint64_t max_events = 0;
};

void SseLoad::PrintSummary(const char* stop_reason, int64_t end_ns) {
  PerConnectionSums sums;
  bool any = false;
  for (const auto& connection : connections_) {
    if (connection->phase() != Phase::kStreaming &&
        connection->sequence().unique() == 0) {
      continue;  // never streamed
    }
    const SequenceTracker& sequence = connection->sequence();
    sums.sequence += sequence.counts();
    if (connection->complete()) ++sums.complete;
    const uint64_t unique = sequence.unique();
    sums.min_events = any ? std::min(sums.min_events, unique) : unique;
    sums.max_events = std::max(sums.max_events, unique);
    any = true;
  }
  const double window_s =
      Seconds(totals_.last_event_unix_ns - totals_.first_event_unix_ns);
  const double deliveries_per_s =
      window_s > 0 ? static_cast<double>(totals_.events) / window_s : 0;
  const int64_t connect_end_ns = ready_ns_ != 0 ? ready_ns_ : end_ns;
  const double connect_s = Seconds(connect_end_ns - start_ns_);
  const double connect_rate = connect_s > 0 ? open_at_ready_ / connect_s : 0;
  JsonObject failures;
  std::vector<std::string> failure_text;
  for (const auto& [reason, count] : failures_) {
    failures.Int(reason, count);
    failure_text.push_back(absl::StrCat(count, "x ", reason));
  }
  std::printf(
      "sse_load connections=%d open_at_ready=%d failed=%d closed_by_server=%d "
      "events=%llu gaps=%llu duplicates=%llu deliveries/s=%.0f latency %s "
      "connect %.0f/s in %.2fs stop=%s%s%s\n",
      options_.connections, open_at_ready_, failed_, closed_by_server_,
      static_cast<unsigned long long>(totals_.events),
      static_cast<unsigned long long>(sums.sequence.gaps),
      static_cast<unsigned long long>(sums.sequence.duplicates),
      deliveries_per_s, totals_.latency.PercentilesTextMs().c_str(),
      connect_rate, connect_s, stop_reason,
      failure_text.empty() ? "" : " failures: ",
      absl::StrJoin(failure_text, ", ").c_str());
  JsonObject connect;
  connect.Number("seconds", connect_s)
      .Number("rate_per_s", connect_rate)
      .Raw("latency_ms", totals_.connect_latency.PercentilesJsonMs());
  JsonObject result;
  result.String("tool", "sse_load")
      .Int("connections", options_.connections)
      .Int("open_at_ready", open_at_ready_)
      .Int("open_at_end", open_)
      .Int("failed", failed_)
      .Int("closed_by_server", closed_by_server_)
      .Object("failures", failures)
      .Int("events", static_cast<int64_t>(totals_.events))
      .Int("gaps", static_cast<int64_t>(sums.sequence.gaps))
      .Int("duplicates", static_cast<int64_t>(sums.sequence.duplicates))
      .Int("reordered", static_cast<int64_t>(sums.sequence.reordered))
      .Int("late", static_cast<int64_t>(sums.sequence.late))
      .Int("malformed", static_cast<int64_t>(totals_.malformed))
      .Int("comments", static_cast<int64_t>(totals_.comments))
      .Int("expect_events", options_.expect_events)
      .Int("complete_connections", static_cast<int64_t>(sums.complete))
      .Int("min_events_per_connection", static_cast<int64_t>(sums.min_events))
      .Int("max_events_per_connection", static_cast<int64_t>(sums.max_events))
      .Number("window_s", window_s)
      .Number("deliveries_per_s", deliveries_per_s)
      .Raw("latency_ms", totals_.latency.PercentilesJsonMs())
      .Object("connect", connect)
      .Number("cpu_s", ProcessCpuSeconds())
      .Number("run_s", Seconds(end_ns - start_ns_))
      .String("stop", stop_reason);
  std::printf("%s\n", result.str().c_str());
  std::fflush(stdout);
}

absl::StatusOr<LoadOptions> OptionsFromFlags() {
  LoadOptions options;
  const int port = absl::GetFlag(FLAGS_port);
  const std::string host = absl::GetFlag(FLAGS_host);
  absl::StatusOr<sockaddr_in> address = ResolveIpv4(host, port);
  if (!address.ok()) return address.status();
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError("--port must be 1..65535");
  }
  options.address = *address;
  const bool loopback = (ntohl(address->sin_addr.s_addr) >> 24) == 127;
  options.source_ips =
      loopback ? std::clamp(absl::GetFlag(FLAGS_source_ips), 1, 250) : 1;
  options.connections = absl::GetFlag(FLAGS_connections);
  if (options.connections < 1) {
    return absl::InvalidArgumentError("--connections must be at least 1");
  }
  options.request = absl::StrCat(
      "GET ", absl::GetFlag(FLAGS_path), " HTTP/1.1\r\nHost: ", host, ":", port,
      "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n");
  for (const std::string& header : absl::GetFlag(FLAGS_header)) {
    if (header.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--header \"", header, "\" is not \"Name: value\""));
    }
    absl::StrAppend(&options.request, header, "\r\n");
  }
  options.request += "\r\n";
  options.duration_ns =
      static_cast<int64_t>(absl::GetFlag(FLAGS_duration) * 1e9);
  options.connect_rate = absl::GetFlag(FLAGS_connect_rate);
  options.max_connecting = std::max(1, absl::GetFlag(FLAGS_max_connecting));
  options.connect_timeout_ns =
      static_cast<int64_t>(absl::GetFlag(FLAGS_connect_timeout) * 1e9);
  options.expect_events = absl::GetFlag(FLAGS_expect_events);
  options.first_seq = absl::GetFlag(FLAGS_first_seq);
  options.idle_stop_ns =
      static_cast<int64_t>(absl::GetFlag(FLAGS_idle_stop) * 1e9);
  options.report_interval_ns =
      static_cast<int64_t>(absl::GetFlag(FLAGS_report_interval) * 1e9);
  return options;
}

absl::Status Run(const LoadOptions& options) {
  absl::StatusOr<uint64_t> fd_limit = RaiseFdLimitToHard();
  if (!fd_limit.ok()) return fd_limit.status();
  if (*fd_limit < static_cast<uint64_t>(options.connections) + 16) {
    std::fprintf(stderr,
                 "sse_load: warning: descriptor limit %llu is below "
                 "--connections + 16; some connections will fail\n",
                 static_cast<unsigned long long>(*fd_limit));
  }
  auto load = std::make_unique<SseLoad>(options);
  return load->Run();
}

}  // namespace
}  // namespace ssecast::bench

int main(int argc, char** argv) {
  absl::StatusOr<ssecast::bench::LoadOptions> options;
  return ssecast::bench::ToolMain(
      argc, argv, "sse_load",
      "Opens many SSE streams and measures event latency and loss.",
      [&] {
        options = ssecast::bench::OptionsFromFlags();
        return options.status();
      },
      [&] { return ssecast::bench::Run(*options); });
}
