// ssecast: pushes Server-Sent Events to browsers, steered over gRPC.
// This file only parses flags and wires the parts together.

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/signals_for_sigwait.h"
#include "server/broker/broker_memory.h"
#include "server/broker/broker_redis.h"
#include "server/broker/redis_commands_history_flag.h"
#include "server/broker/redis_wait_flags.h"
#include "server/config/flag_sources.h"
#include "server/config/flag_value.h"
#include "server/config/version.h"
#include "server/control/control_security_flags.h"
#include "server/control/control_server.h"
#include "server/deploy_options.h"
#include "server/health/periodic_probe.h"
#include "server/health/readiness.h"
#include "server/hub/hub.h"
#include "server/log/log.h"
#include "server/log/log_flags.h"
#include "server/metrics/admin_flags.h"
#include "server/metrics/admin_server.h"
#include "server/metrics/metrics.h"
#include "server/presence/hub_local_clients.h"
#include "server/presence/presence_flags.h"
#include "server/redis/redis_target_flags.h"
#include "server/sse/client_id_flag.h"
#include "server/sse/descriptor_budget.h"
#include "server/sse/group_join_policy.h"
#include "server/sse/sse_front.h"
#include "server/store/no_reconnect_store_memory.h"
#include "server/store/no_reconnect_store_redis.h"

extern char** environ;

ABSL_FLAG(std::string, http_address, "0.0.0.0:8080",
          "Where browsers connect (GET /events), HOST:PORT; port 0 picks one.");
ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50051",
          "Where backends steer ssecast over gRPC. Without --grpc_token_file "
          "keep it private: anyone who reaches it can publish and "
          "disconnect. Port 0 picks a free port.");
ABSL_FLAG(std::string, config, "",
          "File of --flag=value lines (# comments); also SSECAST_CONFIG. Any "
          "flag may also come from the environment as SSECAST_<FLAG>. "
          "Precedence: command line > environment > this file > default.");
ABSL_FLAG(std::string, no_reconnect_store, "memory",
          "Where disconnected client ids are kept: 'memory' (this node only) "
          "or 'redis' (shared by every node on --redis_address).");
ABSL_FLAG(absl::Duration, no_reconnect_ttl, absl::Hours(1),
          "How long a disconnected client keeps getting 204 No Content.");
ABSL_FLAG(absl::Duration, keepalive_interval, absl::Seconds(15),
          "A comment is sent on a stream idle this long, so proxies keep it "
          "open and dead peers are found.");
ABSL_FLAG(absl::Duration, retry, absl::ZeroDuration(),
          "Reconnect interval sent to browsers as `retry:` when a stream "
          "opens; 0 (the default) sends none. ChangeReconnectInterval "
          "changes it at run time.");
ABSL_FLAG(absl::Duration, retry_jitter, absl::ZeroDuration(),
          "Each stream's --retry is offset by a random amount within "
          "+-this, so that clients do not all come back at once.");
ABSL_FLAG(std::string, client_id, "cookie",
          "How a connection's client id is found: 'cookie' (server-issued, "
          "see --client_id_cookie), 'header:NAME' or 'query:NAME' (set by a "
          "trusted proxy in front), or 'jwt' (a bearer token in the "
          "Authorization header or the access_token query parameter, HS256 "
          "under --jwt_secret_file or RS256/ES256 under "
          "--jwt_public_key_file; `sub` is the client id, `exp` ends the "
          "stream).");
ABSL_FLAG(std::string, client_id_cookie, "ssecast_id",
          "Name of the cookie that carries the server-issued client id.");
ABSL_FLAG(std::string, jwt_secret_file, "",
          "File holding the HS256 secret, for --client_id=jwt.");
ABSL_FLAG(std::string, jwt_public_key_file, "",
          "PEM public key (RSA: RS256, EC P-256: ES256) that tokens are "
          "verified with, for --client_id=jwt; instead of "
          "--jwt_secret_file.");
ABSL_FLAG(int64_t, max_event_bytes, 64 * 1024,
          "Largest `data` of one event, in bytes; larger publishes are "
          "rejected with INVALID_ARGUMENT.");
ABSL_FLAG(int64_t, history_size, 100000,
          "Events kept for replay (Last-Event-ID) and for connections that "
          "are behind; see also --history_bytes.");
ABSL_FLAG(int64_t, history_bytes, int64_t{256} << 20,
          "Bytes of events kept for replay at most (the oldest go first).");
ABSL_FLAG(absl::Duration, history_ttl, absl::Hours(1),
          "Events older than this leave the history.");
ABSL_FLAG(std::string, broker, "memory",
          "How publishes, disconnects and group changes reach every node: "
          "'memory' (this node only) or 'redis' (every node on "
          "--redis_address; also shares the replay history).");
ABSL_FLAG(absl::Duration, client_retention, absl::Hours(1),
          "How long the groups a backend gave a client (AddToGroup) are "
          "remembered after its last connection ends. Groups a client joined "
          "itself end with its last connection.");
ABSL_FLAG(std::vector<std::string>, allow_origin, {},
          "Origins (e.g. https://app.example.com) whose pages may open "
          "/events cross-origin with credentials; comma-separated.");
ABSL_FLAG(bool, demo_page, true, "Serve a demo page at /.");
ABSL_FLAG(int64_t, max_lag_events, 10000,
          "A connection whose socket is full and that has fallen this many "
          "events further behind than it ever was since it connected is "
          "dropped (it may reconnect and replay).");
ABSL_FLAG(
    int64_t, publish_lag_events, 0,
    "Flow control: publishing is held back while the connections "
    "(all but the --lagging_share slowest) are this many events behind; "
    "at most a quarter of --history_size and of --max_lag_events. 0 (the "
    "default) picks the largest of those up to 1000, or up to 3000 with "
    "--broker=redis (events on their way through Redis count as behind).");
ABSL_FLAG(int64_t, publish_lag_bytes, 0,
          "Flow control: the same bound in bytes; at most a quarter of "
          "--history_bytes. 0 (the default) picks that, up to 16 MiB.");
ABSL_FLAG(double, lagging_share, 0.1,
          "Flow control: the share of connections (0 to 0.5) that may lag "
          "without holding publishers back; they are dropped instead once "
          "--max_lag_events behind.");
ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(10),
          "A stream whose socket accepts nothing for this long is dropped.");
ABSL_FLAG(int64_t, stream_send_buffer, 0,
          "SO_SNDBUF of each stream's socket in bytes (the kernel doubles "
          "it); 0 leaves the kernel's autotuning (up to 4 MiB a stream by "
          "default). Bounds kernel memory per stream.");
ABSL_FLAG(absl::Duration, publish_wait, absl::Seconds(5),
          "How long a unary Publish may be held back by flow control before "
          "it fails with RESOURCE_EXHAUSTED (PublishStream instead stops "
          "reading until the connections catch up).");
ABSL_FLAG(int, writer_threads, 2, "Threads that write events to streams.");
ABSL_FLAG(int, http_threads, 32,
          "Threads that answer HTTP requests once their head is read; slow "
          "or idle clients and open streams hold none.");
ABSL_FLAG(int64_t, max_request_head_bytes, 16 * 1024,
          "Largest request head (request line and header fields) a browser "
          "may send; a larger one is answered 431 (414 for the request "
          "line) and the connection closed. 1 KiB to 1 MiB.");
ABSL_FLAG(int64_t, max_request_headers, 100,
          "Most header fields in one request; more are answered 431.");
ABSL_FLAG(int64_t, max_url_bytes, 8000,
          "Longest request target (path and query); longer is answered 414. "
          "At most 8000 (the HTTP library's own limit).");
ABSL_FLAG(absl::Duration, request_head_timeout, absl::Seconds(5),
          "Time from a connection's first byte (its connect, for the first "
          "request) to the end of the request head; a slower head is "
          "answered 408 and closed.");
ABSL_FLAG(int64_t, max_connections, 0,
          "Most browser connections open at once; past it a connection is "
          "answered 503 with Retry-After. 0 (the default) derives it from "
          "RLIMIT_NOFILE minus --fd_reserve.");
ABSL_FLAG(int64_t, fd_reserve, 0,
          "File descriptors kept out of browsers' reach, for gRPC, Redis and "
          "files. 0 (the default) is the larger of 256 and a tenth of "
          "RLIMIT_NOFILE.");
ABSL_FLAG(int64_t, max_connections_per_ip, 0,
          "Most browser connections from one IP (more get 429); 0 is no cap.");
ABSL_FLAG(std::vector<std::string>, trusted_proxies, {},
          "CIDR blocks (e.g. 10.0.0.0/8,::1) of proxies whose "
          "X-Forwarded-For names the client for --max_connections_per_ip; "
          "from anywhere else the header is ignored.");
ABSL_FLAG(int64_t, max_streams_per_client, 100,
          "Most open streams of one client id (more get 429); 0 is no cap.");
ABSL_FLAG(int64_t, max_bytes_after_head, 4096,
          "Bytes a browser may send on an open event stream (it should send "
          "none); past it the stream is dropped.");
ABSL_FLAG(std::string, group_join, "nobody",
          "Who may join groups as they connect (GET /events?group=NAME): "
          "'nobody' (only backends put clients in groups, with AddToGroup), "
          "'jwt' (the groups a token's `groups` claim allows: names or "
          "prefixes like news.*; needs --client_id=jwt) or 'anyone' (every "
          "client joins any group it names, so group events are public).");
ABSL_FLAG(int64_t, max_groups_per_request, 16,
          "Most `group` parameters in one /events request; more get 400.");
ABSL_FLAG(int64_t, max_groups_per_client, 64,
          "Most groups one client id may be in (joined at connect and given "
          "by AddToGroup together); more get 400 or INVALID_ARGUMENT.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(3),
          "On SIGINT/SIGTERM, how long streams get to drain before exit.");

namespace ssecast {
namespace {

absl::StatusOr<std::unique_ptr<NoReconnectStore>> MakeStore() {
  const std::string kind = absl::GetFlag(FLAGS_no_reconnect_store);
  const absl::Duration ttl = absl::GetFlag(FLAGS_no_reconnect_ttl);
  if (ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--no_reconnect_ttl must be positive");
  }
  if (kind == "memory") return std::make_unique<NoReconnectStoreMemory>(ttl);
  if (kind != "redis") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--no_reconnect_store=", kind, " is not one of: memory, redis"));
  }
  absl::StatusOr<RedisTarget> redis = RedisTargetFromFlags();
  if (!redis.ok()) return redis.status();
  NoReconnectStoreRedis::Options options;
  options.redis = *std::move(redis);
  options.ttl = ttl;
  absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> store =
      NoReconnectStoreRedis::Create(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<NoReconnectStore>(std::move(*store));
}

absl::StatusOr<std::unique_ptr<Broker>> MakeBroker(Metrics* metrics) {
  const std::string kind = absl::GetFlag(FLAGS_broker);
  if (kind == "memory") return std::make_unique<BrokerMemory>();
  if (kind != "redis") {
    return absl::InvalidArgumentError(
        absl::StrCat("--broker=", kind, " is not one of: memory, redis"));
  }
  absl::StatusOr<RedisTarget> redis = RedisTargetFromFlags();
  if (!redis.ok()) return redis.status();
  BrokerRedis::Options options;
  options.redis = *std::move(redis);
  absl::StatusOr<RedisWaitSettings> wait = RedisWaitSettingsFromFlags();
  if (!wait.ok()) return wait.status();
  options.wait_replicas = wait->replicas;
  options.wait_timeout = wait->timeout;
  options.history_size = static_cast<size_t>(absl::GetFlag(FLAGS_history_size));
  absl::StatusOr<size_t> commands_history = RedisCommandsHistoryFromFlags();
  if (!commands_history.ok()) return commands_history.status();
  options.commands_history_size = *commands_history;
  options.group_retention = absl::GetFlag(FLAGS_client_retention);
  options.metrics = metrics;
  absl::StatusOr<std::unique_ptr<BrokerRedis>> broker =
      BrokerRedis::Create(options);
  if (!broker.ok()) return broker.status();
  return std::unique_ptr<Broker>(std::move(*broker));
}

// The Presence of --presence, on the Redis the other --redis_* flags name.
absl::StatusOr<std::unique_ptr<Presence>> MakePresence(
    const LocalClients* local, int http_port) {
  RedisConnection::Options redis;
  if (absl::GetFlag(FLAGS_presence) == "redis") {
    absl::StatusOr<RedisTarget> target = RedisTargetFromFlags();
    if (!target.ok()) return target.status();
    redis = target->ConnectionOptions("presence");
  }
  return PresenceFromFlags(local, http_port, redis);
}

// The default --publish_lag_events, when history and lag limit allow. Through
// Redis a published event counts as behind from the moment it is sent until
// the node reads it back, so that default leaves room for two PublishStream
// batches (1,024 each) on their way besides the connections' own 1,000: with
// 1,000 alone a stream had one batch in flight at a time and waited out
// every round trip.
constexpr int64_t kDefaultPublishLagEvents = 1000;
constexpr int64_t kDefaultPublishLagEventsRedis = 3000;

// The flow-control bounds in force: the flags' values, or when 0 the
// largest that fit the history and the lag limit, up to a default.
struct FlowControlBounds {
  int64_t publish_lag_events;
  int64_t publish_lag_bytes;
};

absl::StatusOr<FlowControlBounds> FlowControlFromFlags() {
  const int64_t history = absl::GetFlag(FLAGS_history_size);
  const int64_t history_bytes = absl::GetFlag(FLAGS_history_bytes);
  const int64_t max_lag = absl::GetFlag(FLAGS_max_lag_events);
  const double share = absl::GetFlag(FLAGS_lagging_share);
  if (history_bytes < (int64_t{64} << 10)) {
    return absl::InvalidArgumentError(
        "--history_bytes must be at least 64 KiB");
  }
  const int64_t lag_limit =
      std::max<int64_t>(1, std::min(history, max_lag) / 4);
  FlowControlBounds bounds{absl::GetFlag(FLAGS_publish_lag_events),
                           absl::GetFlag(FLAGS_publish_lag_bytes)};
  if (bounds.publish_lag_events == 0) {
    bounds.publish_lag_events = std::min(absl::GetFlag(FLAGS_broker) == "redis"
                                             ? kDefaultPublishLagEventsRedis
                                             : kDefaultPublishLagEvents,
                                         lag_limit);
  } else if (bounds.publish_lag_events < 0 ||
             bounds.publish_lag_events > lag_limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("--publish_lag_events=", bounds.publish_lag_events,
                     " must be from 1 to a quarter of --history_size and of "
                     "--max_lag_events (",
                     lag_limit, ")"));
  }
  if (bounds.publish_lag_bytes == 0) {
    bounds.publish_lag_bytes =
        std::min<int64_t>(int64_t{16} << 20, history_bytes / 4);
  } else if (bounds.publish_lag_bytes < 0 ||
             bounds.publish_lag_bytes > history_bytes / 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("--publish_lag_bytes=", bounds.publish_lag_bytes,
                     " must be from 1 to a quarter of --history_bytes (",
                     history_bytes / 4, ")"));
  }
  if (const int64_t buffer = absl::GetFlag(FLAGS_stream_send_buffer);
      buffer < 0 || buffer > (1 << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--stream_send_buffer=", buffer, " must be from 0 to 1 GiB"));
  }
  if (!(share >= 0 && share <= 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lagging_share=", share, " must be from 0 to 0.5"));
  }
  return bounds;
}

// The largest --max_event_bytes: an event must fit in one gRPC message
// with room to spare, and each one is held in every node's history.
constexpr int64_t kMaxEventBytesLimit = 16 << 20;

absl::Status CheckOrigin(const std::string& origin) {
  if (origin == "null" || origin == "*") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--allow_origin: \"", origin,
        "\" would let any page (sandboxed or file:) read the streams with "
        "the user's cookies; list real origins like https://app.example.com"));
  }
  const size_t scheme_end = origin.find("://");
  const std::string scheme = origin.substr(0, scheme_end);
  const std::string rest =
      scheme_end == std::string::npos ? "" : origin.substr(scheme_end + 3);
  bool plain_host = !rest.empty();
  for (char c : rest) {
    plain_host = plain_host && (absl::ascii_isalnum(c) || c == '.' ||
                                c == '-' || c == ':' || c == '[' || c == ']');
  }
  if ((scheme != "http" && scheme != "https") || !plain_host) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--allow_origin: \"", origin,
        "\" is not an origin: scheme://host[:port], scheme http or https, "
        "no path or trailing slash"));
  }
  return absl::OkStatus();
}

absl::Status CheckFlags() {
  auto positive = [](absl::string_view flag, int64_t value) {
    return value > 0 ? absl::OkStatus()
                     : absl::InvalidArgumentError(absl::StrCat(
                           "--", flag, " must be positive (got ", value, ")"));
  };
  auto between = [](absl::string_view flag, int64_t value, int64_t low,
                    int64_t high) {
    return value >= low && value <= high
               ? absl::OkStatus()
               : absl::InvalidArgumentError(
                     absl::StrCat("--", flag, " must be between ", low, " and ",
                                  high, " (got ", value, ")"));
  };
  auto duration = [](absl::string_view flag, absl::Duration value,
                     bool zero_allowed) {
    if (value > absl::ZeroDuration() ||
        (zero_allowed && value == absl::ZeroDuration())) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " must be ", zero_allowed ? "0 or more" : "positive",
        " (got ", absl::FormatDuration(value), ")"));
  };
  const absl::Duration retry = absl::GetFlag(FLAGS_retry);
  const absl::Duration jitter = absl::GetFlag(FLAGS_retry_jitter);
  for (absl::Status status : {
           between("max_event_bytes", absl::GetFlag(FLAGS_max_event_bytes), 1,
                   kMaxEventBytesLimit),
           between("history_size", absl::GetFlag(FLAGS_history_size), 2,
                   10'000'000),
           positive("max_lag_events", absl::GetFlag(FLAGS_max_lag_events)),
           between("http_threads", absl::GetFlag(FLAGS_http_threads), 1, 1024),
           between("writer_threads", absl::GetFlag(FLAGS_writer_threads), 1,
                   256),
           between("max_groups_per_request",
                   absl::GetFlag(FLAGS_max_groups_per_request), 0, 1000),
           between("max_groups_per_client",
                   absl::GetFlag(FLAGS_max_groups_per_client), 1, 10000),
           duration("history_ttl", absl::GetFlag(FLAGS_history_ttl), false),
           duration("keepalive_interval",
                    absl::GetFlag(FLAGS_keepalive_interval), false),
           duration("write_timeout", absl::GetFlag(FLAGS_write_timeout), false),
           duration("client_retention", absl::GetFlag(FLAGS_client_retention),
                    false),
           duration("publish_wait", absl::GetFlag(FLAGS_publish_wait), true),
           duration("shutdown_grace", absl::GetFlag(FLAGS_shutdown_grace),
                    true),
           duration("retry", retry, true),
           duration("retry_jitter", jitter, true),
       }) {
    if (!status.ok()) return status;
  }
  if (retry > absl::Hours(24)) {
    return absl::InvalidArgumentError("--retry must be at most 24h");
  }
  if (jitter > absl::ZeroDuration() && jitter >= retry) {
    return absl::InvalidArgumentError(
        "--retry_jitter must be below --retry (it offsets --retry)");
  }
  for (const std::string& origin : absl::GetFlag(FLAGS_allow_origin)) {
    if (absl::Status status = CheckOrigin(origin); !status.ok()) return status;
  }
  absl::StatusOr<GroupJoin> group_join =
      ParseFlagValue(FLAGS_group_join, ParseGroupJoin);
  if (!group_join.ok()) return group_join.status();
  if (*group_join == GroupJoin::kJwt &&
      absl::GetFlag(FLAGS_client_id) != "jwt") {
    return absl::InvalidArgumentError(
        "--group_join=jwt needs --client_id=jwt: the allowed groups come "
        "from the token");
  }
  return absl::OkStatus();
}

HubOptions MakeHubOptions() {
  HubOptions options;
  options.max_event_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_event_bytes));
  options.log.capacity = static_cast<size_t>(absl::GetFlag(FLAGS_history_size));
  options.log.max_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_history_bytes));
  options.log.max_age = absl::GetFlag(FLAGS_history_ttl);
  // Validated in Run() before this is called.
  const FlowControlBounds bounds = *FlowControlFromFlags();
  options.log.max_pending = static_cast<size_t>(bounds.publish_lag_events);
  options.log.lagging_share = absl::GetFlag(FLAGS_lagging_share);
  options.log.max_pending_bytes = static_cast<size_t>(bounds.publish_lag_bytes);
  options.log.max_publish_wait = absl::GetFlag(FLAGS_publish_wait);
  options.retry = {absl::GetFlag(FLAGS_retry),
                   absl::GetFlag(FLAGS_retry_jitter)};
  options.client_retention = absl::GetFlag(FLAGS_client_retention);
  options.max_groups_per_client =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_groups_per_client));
  return options;
}

SseFrontOptions MakeFrontOptions() {
  SseFrontOptions options;
  options.allowed_origins = absl::GetFlag(FLAGS_allow_origin);
  options.demo_page = absl::GetFlag(FLAGS_demo_page);
  options.writer.keepalive_interval = absl::GetFlag(FLAGS_keepalive_interval);
  options.writer.max_lag_events =
      static_cast<uint64_t>(absl::GetFlag(FLAGS_max_lag_events));
  options.writer.write_timeout = absl::GetFlag(FLAGS_write_timeout);
  options.writer.send_buffer_bytes = static_cast<int>(
      std::clamp<int64_t>(absl::GetFlag(FLAGS_stream_send_buffer), 0, 1 << 30));
  options.writer_threads = absl::GetFlag(FLAGS_writer_threads);
  options.http_threads = absl::GetFlag(FLAGS_http_threads);
  // Checked by CheckFlags.
  options.group_join = *ParseGroupJoin(absl::GetFlag(FLAGS_group_join));
  options.max_groups_per_request =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_groups_per_request));
  return options;
}

// The browser side's limits, from the flags and RLIMIT_NOFILE (whose soft
// limit this raises to the hard one).
absl::StatusOr<DescriptorBudget> SetFrontLimits(SseFrontOptions& options) {
  const int64_t head_bytes = absl::GetFlag(FLAGS_max_request_head_bytes);
  const int64_t headers = absl::GetFlag(FLAGS_max_request_headers);
  const int64_t url_bytes = absl::GetFlag(FLAGS_max_url_bytes);
  const absl::Duration head_timeout = absl::GetFlag(FLAGS_request_head_timeout);
  const int64_t max_connections = absl::GetFlag(FLAGS_max_connections);
  const int64_t fd_reserve = absl::GetFlag(FLAGS_fd_reserve);
  const int64_t per_ip = absl::GetFlag(FLAGS_max_connections_per_ip);
  const int64_t per_client = absl::GetFlag(FLAGS_max_streams_per_client);
  const int64_t after_head = absl::GetFlag(FLAGS_max_bytes_after_head);
  if (head_bytes < 1024 || head_bytes > (1 << 20)) {
    return absl::InvalidArgumentError(
        "--max_request_head_bytes must be between 1024 and 1048576");
  }
  if (headers < 1 || url_bytes < 16 || url_bytes > 8000) {
    return absl::InvalidArgumentError(
        "--max_request_headers must be positive and --max_url_bytes between "
        "16 and 8000");
  }
  if (head_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--request_head_timeout must be positive");
  }
  if (max_connections < 0 || fd_reserve < 0 || per_ip < 0 || per_client < 0 ||
      after_head < 0) {
    return absl::InvalidArgumentError(
        "--max_connections, --fd_reserve, --max_connections_per_ip, "
        "--max_streams_per_client and --max_bytes_after_head may not be "
        "negative");
  }
  absl::StatusOr<TrustedProxies> proxies =
      ParseFlagValue(FLAGS_trusted_proxies, TrustedProxies::Parse);
  if (!proxies.ok()) return proxies.status();
  absl::StatusOr<uint64_t> limit = RaiseDescriptorLimit();
  if (!limit.ok()) return limit.status();
  absl::StatusOr<DescriptorBudget> budget =
      PlanDescriptors(*limit, static_cast<uint64_t>(max_connections),
                      static_cast<uint64_t>(fd_reserve));
  if (!budget.ok()) return budget.status();
  options.accept.head.max_head_bytes = static_cast<size_t>(head_bytes);
  options.accept.head.max_header_fields = static_cast<size_t>(headers);
  options.accept.head.max_url_bytes = static_cast<size_t>(url_bytes);
  options.accept.head_timeout = head_timeout;
  options.limits.max_connections = budget->max_connections;
  options.limits.max_connections_per_ip = static_cast<size_t>(per_ip);
  options.limits.max_streams_per_client = static_cast<size_t>(per_client);
  options.trusted_proxies = *std::move(proxies);
  options.writer.max_bytes_after_head = static_cast<size_t>(after_head);
  return budget;
}

// The address as printed: the configured host with the bound port.
std::string WithPort(const std::string& address, int port) {
  return absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
}

// Waits `delay` after the first stop signal; a second SIGINT or SIGTERM
// cuts it short (an operator in a hurry), SIGHUP does not.
void WaitOutDrainDelay(const sigset_t& signals, absl::Duration delay) {
  const absl::Time end = absl::Now() + delay;
  for (absl::Time now = absl::Now(); now < end; now = absl::Now()) {
    const timespec wait = absl::ToTimespec(end - now);
    const int got = sigtimedwait(&signals, nullptr, &wait);
    if (got == SIGINT || got == SIGTERM) {
      LogInfo("signal received again: draining at once",
              {{"signal", strsignal(got)}});
      return;
    }
  }
}

// Blocks SIGINT, SIGTERM and SIGHUP in every thread started afterwards, so
// that main's sigwait() takes them, and makes a write to a socket the peer
// closed fail instead of killing the process.
absl::Status TakeSignals(sigset_t* stop_signals) {
  // SIGHUP (a closed terminal, or an operator expecting a reload) must not
  // end the server: it is taken and logged.
  absl::StatusOr<sigset_t> blocked = BlockForSigwait({SIGINT, SIGTERM, SIGHUP});
  if (!blocked.ok()) return blocked.status();
  *stop_signals = *blocked;
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
    return absl::InternalError(
        absl::StrCat("ignoring SIGPIPE: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "ssecast: %s: %s\n", std::string(what).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

int Run() {
  if (absl::Status log = ApplyLogFlags(); !log.ok()) {
    return Fail("bad flags", log);
  }
  if (absl::Status flags = CheckFlags(); !flags.ok()) {
    return Fail("bad flags", flags);
  }
  if (absl::StatusOr<FlowControlBounds> flow = FlowControlFromFlags();
      !flow.ok()) {
    return Fail("bad flags", flow.status());
  }
  absl::StatusOr<DeployOptions> deploy = DeployOptionsFromFlags();
  if (!deploy.ok()) return Fail("bad flags", deploy.status());
  absl::StatusOr<std::unique_ptr<ClientIdProvider>> client_ids =
      MakeClientIdProvider(
          absl::GetFlag(FLAGS_client_id), absl::GetFlag(FLAGS_client_id_cookie),
          absl::GetFlag(FLAGS_jwt_secret_file),
          absl::GetFlag(FLAGS_jwt_public_key_file),
          CookieSecurePolicy(
              deploy->cookie_secure,
              TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies))
                  .value_or(TrustedProxies())));
  if (!client_ids.ok()) return Fail("--client_id", client_ids.status());
  SseFrontOptions front_options = MakeFrontOptions();
  absl::StatusOr<DescriptorBudget> descriptors = SetFrontLimits(front_options);
  if (!descriptors.ok()) return Fail("bad flags", descriptors.status());
  absl::StatusOr<std::unique_ptr<NoReconnectStore>> store = MakeStore();
  if (!store.ok()) return Fail("no-reconnect store", store.status());

  sigset_t stop_signals;
  if (absl::Status taken = TakeSignals(&stop_signals); !taken.ok()) {
    return Fail("signals", taken);
  }

  // Outlives everything that counts into it.
  Metrics metrics;
  absl::StatusOr<std::unique_ptr<Broker>> broker = MakeBroker(&metrics);
  if (!broker.ok()) return Fail("broker", broker.status());
  HubOptions hub_options = MakeHubOptions();
  hub_options.metrics = &metrics;
  front_options.metrics = &metrics;
  Hub hub(hub_options, store->get(), broker->get());
  if (absl::Status started = (*broker)->Start(&hub); !started.ok()) {
    return Fail("broker", started);
  }
  // What GET /readyz reports beyond the front's own limits.
  Readiness readiness;
  const bool redis_broker = absl::GetFlag(FLAGS_broker) == "redis";
  readiness.AddCheck([&hub, redis_broker] {
    return hub.healthy()
               ? absl::OkStatus()
               : absl::UnavailableError(absl::StrCat(
                     "broker: ",
                     redis_broker
                         ? absl::StrCat("cannot reach redis at ",
                                        absl::GetFlag(FLAGS_redis_address),
                                        " (--broker=redis)")
                         : "unavailable"));
  });
  std::unique_ptr<PeriodicProbe> store_probe;
  if (absl::GetFlag(FLAGS_no_reconnect_store) == "redis") {
    NoReconnectStore* const checked = store->get();
    store_probe = std::make_unique<PeriodicProbe>(
        [checked] { return checked->Check(); }, absl::Seconds(1));
    readiness.AddCheck([probe = store_probe.get()] {
      absl::Status status = probe->last();
      return status.ok() ? status
                         : absl::UnavailableError(absl::StrCat(
                               "no-reconnect store: ", status.message()));
    });
  }
  front_options.readiness = &readiness;
  front_options.writer.drain_spread = deploy->drain_spread;
  const std::string http_address = absl::GetFlag(FLAGS_http_address);
  SseFront front(&hub, std::move(*client_ids), front_options);
  absl::StatusOr<int> http_port = front.Start(http_address);
  if (!http_port.ok()) return Fail("SSE front", http_port.status());

  HubLocalClients local_clients(&hub);
  absl::StatusOr<std::unique_ptr<Presence>> presence =
      MakePresence(&local_clients, *http_port);
  if (!presence.ok()) return Fail("presence", presence.status());
  LogInfo("presence", {{"node", (*presence)->node_id()},
                       {"store", absl::GetFlag(FLAGS_presence)}});

  absl::StatusOr<ControlSecurityConfig> security = ControlSecurityFromFlags();
  if (!security.ok()) return Fail("bad flags", security.status());
  ControlServerOptions control_options;
  control_options.presence = presence->get();
  // Through Redis a publish waits for a round trip and its read-back: off
  // gRPC's few callback threads, so that concurrent publishes share trips.
  if (absl::GetFlag(FLAGS_broker) == "redis")
    control_options.publish_threads = 64;
  control_options.security = security->security();
  control_options.max_receive_message_bytes =
      static_cast<int>(std::min<int64_t>(
          absl::GetFlag(FLAGS_max_event_bytes) + (1 << 20), 1 << 30));
  absl::StatusOr<std::unique_ptr<ControlServer>> control = ControlServer::Start(
      absl::GetFlag(FLAGS_grpc_address), &hub, control_options);
  if (!control.ok()) return Fail("control plane", control.status());
  ControlServer* control_server = control->get();
  hub.SetHealthListener(
      [control_server](bool healthy) { control_server->SetServing(healthy); });

  std::unique_ptr<AdminServer> admin;
  if (const std::string admin_address = AdminAddressFromFlags();
      !admin_address.empty()) {
    absl::StatusOr<std::unique_ptr<AdminServer>> started =
        AdminServer::Start(admin_address, &metrics);
    if (!started.ok()) return Fail("--admin_address", started.status());
    admin = *std::move(started);
    metrics.SetSampler([&hub] {
      const Hub::Stats stats = hub.stats();
      const EventLog::Backlog backlog = hub.log().backlog();
      Metrics::Sample sample;
      sample.connections = stats.connections;
      sample.connected_clients = stats.connected_clients;
      sample.known_clients = stats.known_clients;
      sample.groups = stats.groups;
      sample.broker_up = hub.healthy();
      sample.backlog_events = backlog.entries;
      sample.backlog_bytes = backlog.bytes;
      return sample;
    });
  }

  const std::string http_bound = WithPort(http_address, *http_port);
  const std::string admin_bound = admin ? admin->bound_address() : "";
  std::printf("ssecast listening http=%s grpc=%s%s%s\n", http_bound.c_str(),
              (*control)->bound_address().c_str(), admin ? " admin=" : "",
              admin_bound.c_str());
  std::fflush(stdout);
  LogInfo("ssecast started", {{"http", http_bound},
                              {"grpc", (*control)->bound_address()},
                              {"admin", admin ? admin_bound : "off"},
                              {"version", VersionLine()}});
  LogInfo(descriptors->ToString());
  if (security->tokens == nullptr &&
      !(security->tls.has_value() && !security->tls->client_ca_file.empty())) {
    LogWarning(
        "the control plane authenticates no caller (no --grpc_token_file or "
        "--grpc_tls_client_ca): keep its address private",
        {{"grpc", (*control)->bound_address()}});
  }

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 &&
         signal_number == SIGHUP) {
    if (security->tokens == nullptr) {
      LogWarning(
          "SIGHUP received and ignored (nothing to reload; SIGTERM stops the "
          "server)");
      continue;
    }
    absl::StatusOr<size_t> reloaded = security->tokens->Reload();
    if (reloaded.ok()) {
      LogInfo("SIGHUP: control-plane tokens reloaded",
              {{"file", security->tokens->path()}, {"tokens", *reloaded}});
    } else {
      LogError("SIGHUP: control-plane tokens not reloaded, the old ones stay",
               {{"error", reloaded.status().message()}});
    }
  }
  // Not ready from now on; commands are refused after the drain delay.
  LogInfo("shutting down",
          {{"signal", strsignal(signal_number)},
           {"drain_delay", absl::FormatDuration(deploy->drain_delay)}});
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  // The order loses nothing: first load balancers and backends are told
  // (readiness, gRPC health) and given time to notice; then commands are
  // refused, so that backends send them to another node; then the streams
  // end after everything this node acknowledged.
  hub.SetHealthListener(nullptr);
  readiness.StartDraining();
  (*control)->SetServing(false);
  WaitOutDrainDelay(stop_signals, deploy->drain_delay);
  // A unary Publish let in may wait for room up to --publish_wait.
  if (!(*control)->RefuseCommands(absl::GetFlag(FLAGS_publish_wait) +
                                  absl::Seconds(5))) {
    LogWarning(
        "draining: commands still running after the wait; ending the streams "
        "anyway");
  }
  if (!hub.AwaitOwnCommandsApplied(grace + absl::Seconds(2))) {
    LogWarning(
        "draining: the broker has not brought back every command this node "
        "sent; their clients replay them on reconnect");
  }
  LogInfo("draining: commands refused; ending the streams",
          {{"streams", hub.connection_count()},
           {"retry_spread", absl::FormatDuration(deploy->drain_spread)}});
  front.Stop(grace);
  // No streams left: this node's clients leave presence now, not after
  // --presence_ttl.
  (*presence)->Stop();
  (*control)->Shutdown(grace);
  (*broker)->Stop();
  metrics.SetSampler(nullptr);
  admin.reset();
  LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace ssecast

namespace {

// The server's own flags: defined here or in a server/.../*_flags.cc.
bool IsServerFlagFile(absl::string_view file) {
  return absl::EndsWith(file, "server/main.cc") ||
         absl::EndsWith(file, "server/deploy_options.cc") ||
         (absl::StartsWith(file, "server/") &&
          absl::EndsWith(file, "_flags.cc"));
}

// The command line with the flags of the environment and the config file
// put first (see server/config/flag_sources.h); exits 2 on a bad file.
std::vector<std::string> ArgsWithFlagSources(int argc, char** argv) {
  ssecast::FlagSources sources;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsServerFlagFile(flag->Filename()) && name != "config") {
      sources.flag_names.emplace_back(name);
    }
  }
  std::sort(sources.flag_names.begin(), sources.flag_names.end());
  sources.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const absl::string_view variable = *entry;
    sources.environment_names.emplace_back(
        variable.substr(0, variable.find('=')));
  }
  absl::StatusOr<ssecast::MergedFlags> merged = ssecast::MergeFlagSources(
      std::vector<std::string>(argv, argv + argc), sources);
  if (!merged.ok()) {
    std::fprintf(stderr, "ssecast: bad flags: %s\n",
                 std::string(merged.status().message()).c_str());
    std::exit(2);
  }
  for (const std::string& warning : merged->warnings) {
    std::fprintf(stderr, "ssecast: %s\n", warning.c_str());
  }
  return std::move(merged->args);
}

}  // namespace

int main(int argc, char** argv) {
  // --help lists the server's flags (the default looks for a file named
  // after the binary).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = &IsServerFlagFile;
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.version_string = [] { return ssecast::VersionLine() + "\n"; };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "Pushes Server-Sent Events to browsers (GET /events) and takes "
      "publishes and disconnects from backends over gRPC.\n"
      "Usage: ssecast [--flag=value ...]");
  std::vector<std::string> args = ArgsWithFlagSources(argc, argv);
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);
  absl::ParseCommandLine(static_cast<int>(args.size()), arg_pointers.data());
  // Debian's Abseil is built with the mutex deadlock detector on, which
  // costs a graph update on every lock. The server's lock order is fixed
  // (written down in server/hub/hub.h); the unit tests keep the detector
  // on and would report a cycle.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return ssecast::Run();
}
