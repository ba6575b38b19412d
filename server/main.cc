// ssecast: pushes Server-Sent Events to browsers, steered over gRPC.
// This file only parses flags and wires the parts together.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/broker/broker_memory.h"
#include "server/broker/broker_redis.h"
#include "server/config/secret_file.h"
#include "server/control/control_server.h"
#include "server/hub/hub.h"
#include "server/sse/client_id_flag.h"
#include "server/sse/sse_front.h"
#include "server/store/no_reconnect_store_memory.h"
#include "server/store/no_reconnect_store_redis.h"

ABSL_FLAG(std::string, http_address, "0.0.0.0:8080",
          "Where browsers connect (GET /events). HOST:PORT; port 0 picks a "
          "free port.");
ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50051",
          "Where backends steer ssecast over gRPC. Keep it private: anyone "
          "who reaches it can publish and disconnect. Port 0 picks a free "
          "port.");
ABSL_FLAG(std::string, no_reconnect_store, "memory",
          "Where disconnected client ids are kept: 'memory' (this node only) "
          "or 'redis' (shared by every node on --redis_address).");
ABSL_FLAG(absl::Duration, no_reconnect_ttl, absl::Hours(1),
          "How long a disconnected client keeps getting 204 No Content.");
ABSL_FLAG(std::string, redis_address, "127.0.0.1:6379",
          "Redis HOST:PORT, for --no_reconnect_store=redis and "
          "--broker=redis.");
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (AUTH); empty for none.");
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
          "trusted proxy in front), or 'jwt' (an HS256 bearer token in the "
          "Authorization header or the access_token query parameter, signed "
          "with --jwt_secret_file; `sub` is the client id, `exp` ends the "
          "stream).");
ABSL_FLAG(std::string, client_id_cookie, "ssecast_id",
          "Name of the cookie that carries the server-issued client id.");
ABSL_FLAG(std::string, jwt_secret_file, "",
          "File holding the HS256 secret, for --client_id=jwt.");
ABSL_FLAG(int64_t, max_event_bytes, 64 * 1024,
          "Largest `data` of one event, in bytes; larger publishes are "
          "rejected with INVALID_ARGUMENT.");
ABSL_FLAG(int64_t, history_size, 10000,
          "Events kept for replay (Last-Event-ID) and for connections that "
          "are behind.");
ABSL_FLAG(absl::Duration, history_ttl, absl::Hours(1),
          "Events older than this leave the history.");
ABSL_FLAG(std::string, broker, "memory",
          "How publishes, disconnects and group changes reach every node: "
          "'memory' (this node only) or 'redis' (every node on "
          "--redis_address; also shares the replay history).");
ABSL_FLAG(absl::Duration, client_retention, absl::Hours(1),
          "How long a client's groups are remembered after its last "
          "connection ends.");
ABSL_FLAG(std::vector<std::string>, allow_origin, {},
          "Origins (e.g. https://app.example.com) whose pages may open "
          "/events cross-origin with credentials; comma-separated.");
ABSL_FLAG(bool, demo_page, true, "Serve a demo page at /.");
ABSL_FLAG(int64_t, max_lag_events, 1000,
          "A client this many events behind whose socket is full is "
          "disconnected (it may reconnect).");
ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(10),
          "A stream whose socket accepts nothing for this long is dropped.");
ABSL_FLAG(absl::Duration, publish_wait, absl::Seconds(5),
          "How long a publish may wait for the stream writers to catch up "
          "before it fails with RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, writer_threads, 2, "Threads that write events to streams.");
ABSL_FLAG(int, http_threads, 32,
          "Threads that read HTTP requests; open streams do not hold one.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(3),
          "On SIGINT/SIGTERM, how long streams get to drain before exit.");

namespace ssecast {
namespace {

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(
    const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", address, "\" is not HOST:PORT"));
  }
  return std::make_pair(address.substr(0, colon), port);
}

// The Redis both the store and the broker use, from --redis_address and
// --redis_password_file.
struct RedisTarget {
  std::string host;
  int port;
  std::string password;
};

absl::StatusOr<RedisTarget> RedisTargetFromFlags() {
  auto host_port = SplitHostPort(absl::GetFlag(FLAGS_redis_address));
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--redis_address: ", host_port.status().message()));
  }
  RedisTarget target{host_port->first, host_port->second, ""};
  if (std::string path = absl::GetFlag(FLAGS_redis_password_file);
      !path.empty()) {
    absl::StatusOr<std::string> password =
        ReadSecretFile(path, "--redis_password_file");
    if (!password.ok()) return password.status();
    target.password = *password;
  }
  return target;
}

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
  auto host_port = SplitHostPort(absl::GetFlag(FLAGS_redis_address));
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--redis_address: ", host_port.status().message()));
  }
  NoReconnectStoreRedis::Options options;
  options.host = host_port->first;
  options.port = host_port->second;
  options.ttl = ttl;
  if (std::string path = absl::GetFlag(FLAGS_redis_password_file);
      !path.empty()) {
    absl::StatusOr<std::string> password =
        ReadSecretFile(path, "--redis_password_file");
    if (!password.ok()) return password.status();
    options.password = *password;
  }
  absl::StatusOr<std::unique_ptr<NoReconnectStoreRedis>> store =
      NoReconnectStoreRedis::Create(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<NoReconnectStore>(std::move(*store));
}

absl::StatusOr<std::unique_ptr<Broker>> MakeBroker() {
  const std::string kind = absl::GetFlag(FLAGS_broker);
  if (kind == "memory") return std::make_unique<BrokerMemory>();
  if (kind != "redis") {
    return absl::InvalidArgumentError(
        absl::StrCat("--broker=", kind, " is not one of: memory, redis"));
  }
  absl::StatusOr<RedisTarget> redis = RedisTargetFromFlags();
  if (!redis.ok()) return redis.status();
  BrokerRedis::Options options;
  options.host = redis->host;
  options.port = redis->port;
  options.password = redis->password;
  options.history_size = static_cast<size_t>(absl::GetFlag(FLAGS_history_size));
  options.group_retention = absl::GetFlag(FLAGS_client_retention);
  absl::StatusOr<std::unique_ptr<BrokerRedis>> broker =
      BrokerRedis::Create(options);
  if (!broker.ok()) return broker.status();
  return std::unique_ptr<Broker>(std::move(*broker));
}

HubOptions MakeHubOptions() {
  HubOptions options;
  options.max_event_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_event_bytes));
  options.log.capacity = static_cast<size_t>(absl::GetFlag(FLAGS_history_size));
  options.log.max_age = absl::GetFlag(FLAGS_history_ttl);
  options.log.max_unswept = options.log.capacity / 2;
  options.log.max_publish_wait = absl::GetFlag(FLAGS_publish_wait);
  options.retry = {absl::GetFlag(FLAGS_retry),
                   absl::GetFlag(FLAGS_retry_jitter)};
  options.client_retention = absl::GetFlag(FLAGS_client_retention);
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
  options.writer_threads = absl::GetFlag(FLAGS_writer_threads);
  options.http_threads = absl::GetFlag(FLAGS_http_threads);
  return options;
}

// The address as printed: the configured host with the bound port.
std::string WithPort(const std::string& address, int port) {
  return absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
}

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "ssecast: %s: %s\n", std::string(what).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

int Run() {
  if (absl::GetFlag(FLAGS_max_event_bytes) <= 0 ||
      absl::GetFlag(FLAGS_history_size) <= 1 ||
      absl::GetFlag(FLAGS_history_ttl) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_max_lag_events) <= 0 ||
      absl::GetFlag(FLAGS_keepalive_interval) <= absl::ZeroDuration()) {
    return Fail("bad flags",
                absl::InvalidArgumentError(
                    "--max_event_bytes, --max_lag_events and "
                    "--keepalive_interval and --history_ttl must be "
                    "positive, --history_size at least 2"));
  }
  absl::StatusOr<std::unique_ptr<ClientIdProvider>> client_ids =
      MakeClientIdProvider(absl::GetFlag(FLAGS_client_id),
                           absl::GetFlag(FLAGS_client_id_cookie),
                           absl::GetFlag(FLAGS_jwt_secret_file));
  if (!client_ids.ok()) return Fail("--client_id", client_ids.status());
  absl::StatusOr<std::unique_ptr<NoReconnectStore>> store = MakeStore();
  if (!store.ok()) return Fail("no-reconnect store", store.status());

  // Signals are taken by sigwait() below; every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A write to a socket the peer closed must fail, not kill the process.
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<Broker>> broker = MakeBroker();
  if (!broker.ok()) return Fail("broker", broker.status());
  Hub hub(MakeHubOptions(), store->get(), broker->get());
  if (absl::Status started = (*broker)->Start(&hub); !started.ok()) {
    return Fail("broker", started);
  }
  const std::string http_address = absl::GetFlag(FLAGS_http_address);
  SseFront front(&hub, std::move(*client_ids), MakeFrontOptions());
  absl::StatusOr<int> http_port = front.Start(http_address);
  if (!http_port.ok()) return Fail("SSE front", http_port.status());

  ControlServerOptions control_options;
  control_options.max_receive_message_bytes =
      static_cast<int>(std::min<int64_t>(
          absl::GetFlag(FLAGS_max_event_bytes) + (1 << 20), 1 << 30));
  absl::StatusOr<std::unique_ptr<ControlServer>> control = ControlServer::Start(
      absl::GetFlag(FLAGS_grpc_address), &hub, control_options);
  if (!control.ok()) return Fail("control plane", control.status());
  ControlServer* control_server = control->get();
  hub.SetHealthListener(
      [control_server](bool healthy) { control_server->SetServing(healthy); });

  std::printf("ssecast listening http=%s grpc=%s\n",
              WithPort(http_address, *http_port).c_str(),
              (*control)->bound_address().c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "ssecast: %s received, shutting down\n",
               strsignal(signal_number));
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  hub.SetHealthListener(nullptr);
  // Browsers first: their streams end at once, while backends may still be
  // finishing calls.
  front.Stop(grace);
  (*control)->Shutdown(grace);
  (*broker)->Stop();
  return 0;
}

}  // namespace
}  // namespace ssecast

int main(int argc, char** argv) {
  // --help lists this file's flags (the default looks for a file named
  // after the binary).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "Pushes Server-Sent Events to browsers (GET /events) and takes "
      "publishes and disconnects from backends over gRPC.\n"
      "Usage: ssecast [--flag=value ...]");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with the mutex deadlock detector on, which
  // costs a graph update on every lock. The server's lock order is fixed
  // (written down in server/hub/hub.h); the unit tests keep the detector
  // on and would report a cycle.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return ssecast::Run();
}
