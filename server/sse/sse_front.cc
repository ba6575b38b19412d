#include "server/sse/sse_front.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/hub/client_id_for_log.h"
#include "server/hub/names.h"
#include "server/hub/sse_encoding.h"
#include "server/log/log.h"
#include "server/sse/accept_header.h"
#include "server/sse/client_script.h"
#include "server/sse/demo_page.h"
#include "server/sse/sse_stream.h"
#include "server/sse/unambiguous_request.h"

namespace ssecast {
namespace {

constexpr char kEventStream[] = "text/event-stream";
// The event type that tells a client its Last-Event-ID could not be
// resumed from; see README, "Replay".
constexpr char kResyncEventType[] = "ssecast.resync";

void SetError(httplib::Response& response, int status,
              absl::string_view message) {
  response.status = status;
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_content(absl::StrCat("ssecast: ", message, "\n"),
                       "text/plain; charset=utf-8");
}

void MethodNotAllowed(const httplib::Request& request,
                      httplib::Response& response) {
  response.set_header("Allow", "GET");
  SetError(response, 405,
           absl::StrCat(request.method, " is not allowed on ", request.path,
                        "; use GET"));
}

std::optional<std::string> LastEventId(const httplib::Request& request) {
  if (request.has_header("Last-Event-ID")) {
    return request.get_header_value("Last-Event-ID");
  }
  // For EventSource polyfills that cannot set headers.
  if (request.has_param("lastEventId")) {
    return request.get_param_value("lastEventId");
  }
  return std::nullopt;
}

// The bytes a stream starts with: its reconnect interval, the position a
// client without Last-Event-ID starts after (an id with no data dispatches
// no event, but sets EventSource's lastEventId), and the notice that its
// Last-Event-ID could not be resumed from.
std::string Prelude(const Hub::AttachResult& attached) {
  std::string prelude;
  std::string text;
  if (attached.retry > absl::ZeroDuration()) {
    absl::StrAppend(&text, "retry: ", absl::ToInt64Milliseconds(attached.retry),
                    "\n");
  }
  if (attached.start_position) {
    absl::StrAppend(&text, "id: ", attached.start_position->ToString(), "\n");
  }
  if (!text.empty()) prelude = FrameChunk(absl::StrCat(text, "\n"));
  if (attached.resync_reason) {
    text.clear();
    AppendSseEvent({.type = kResyncEventType,
                    .data = absl::StrCat("{\"reason\":\"",
                                         *attached.resync_reason, "\"}")},
                   attached.resync_position.ToString(), &text);
    absl::StrAppend(&prelude, FrameChunk(text));
  }
  return prelude;
}

// What a stream holds under the caps: its client id's stream count and
// its connection's place.
struct StreamHolds {
  ConnectionLimiter::StreamHold stream;
  std::shared_ptr<void> connection;
};

// Deletes a stream and, at that moment (not when the last weak reference
// goes), gives its holds back.
struct ReleasingDeleter {
  std::shared_ptr<StreamHolds> holds;
  void operator()(SseStream* stream) {
    delete stream;
    holds.reset();
  }
};

// The options with one Metrics for the front, its writers and its accept
// loop.
SseFrontOptions WithMetrics(SseFrontOptions options) {
  if (options.metrics == nullptr) options.metrics = Metrics::Unexposed();
  options.writer.metrics = options.metrics;
  options.accept.metrics = options.metrics;
  return options;
}

}  // namespace

SseFront::SseFront(Hub* hub, std::unique_ptr<ClientIdProvider> client_ids,
                   const SseFrontOptions& options)
    : hub_(hub),
      client_ids_(std::move(client_ids)),
      options_(WithMetrics(options)),
      metrics_(options_.metrics),
      writers_(
          &hub->log(),
          [hub](const Connection& connection) { hub->Detach(connection); },
          options_.writer, options_.writer_threads),
      limiter_(options_.limits),
      http_(options_.accept, &limiter_, &options_.trusted_proxies) {
  const int threads = options_.http_threads;
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_tcp_nodelay(true);
  http_.set_keep_alive_max_count(100);
  http_.set_write_timeout(10);
  Route();
}

SseFront::~SseFront() { Stop(absl::ZeroDuration()); }

void SseFront::Route() {
  http_.Get("/events", [this](const httplib::Request& request,
                              httplib::Response& response) {
    HandleEvents(request, response);
    // A stream (200) is counted as it opens; anything else is a refusal.
    if (response.status != -1 && response.status != 200) {
      metrics_->Refused(response.status);
      // The fields are built only when the line is written: refusals come
      // in floods.
      if (LogEnabled(LogLevel::kDebug)) {
        LogDebug("request refused", {{"path", "/events"},
                                     {"status", response.status},
                                     {"remote", request.remote_addr}});
      }
    }
  });
  http_.Options("/events", [this](const httplib::Request& request,
                                  httplib::Response& response) {
    HandlePreflight(request, response);
  });
  auto not_allowed = [this](const httplib::Request& request,
                            httplib::Response& response) {
    AllowOrigin(request, response);
    MethodNotAllowed(request, response);
  };
  http_.Post("/events", not_allowed);
  http_.Put("/events", not_allowed);
  http_.Patch("/events", not_allowed);
  http_.Delete("/events", not_allowed);
  http_.Get("/healthz",
            [this](const httplib::Request&, httplib::Response& response) {
              HandleHealth(response);
            });
  http_.Get("/ssecast.js",
            [](const httplib::Request& request, httplib::Response& response) {
              ServeClientScript(request, response);
            });
  http_.Get("/readyz",
            [this](const httplib::Request&, httplib::Response& response) {
              HandleReady(response);
            });
  if (options_.demo_page) {
    http_.Get("/", [](const httplib::Request&, httplib::Response& response) {
      const absl::string_view page = DemoPageHtml();
      response.set_content(page.data(), page.size(),
                           "text/html; charset=utf-8");
    });
  }
}

void SseFront::HandleHealth(httplib::Response& response) {
  // Liveness: only a front that has stopped says no. Being full or cut off
  // from Redis is a matter for readiness; restarting the node for it would
  // drop every stream it holds.
  if (!serving_.load()) {
    SetError(response, 503, "shutting down");
  } else {
    response.set_content("ok\n", "text/plain");
  }
}

void SseFront::HandleReady(httplib::Response& response) {
  std::vector<std::string> reasons;
  if (!serving_.load()) reasons.push_back("shutting down");
  if (!http_.accepting()) {
    reasons.push_back("not accepting connections (out of file descriptors?)");
  }
  if (limiter_.at_capacity()) {
    reasons.push_back(absl::StrCat(
        "at the connection limit: ", limiter_.open_connections(), " of ",
        options_.limits.max_connections, " (--max_connections)"));
  }
  if (options_.readiness != nullptr) {
    for (std::string& reason : options_.readiness->NotReadyReasons()) {
      reasons.push_back(std::move(reason));
    }
  }
  if (reasons.empty()) {
    response.set_content("ready\n", "text/plain");
    return;
  }
  SetError(response, 503,
           absl::StrCat("not ready: ", absl::StrJoin(reasons, "; ")));
}

void SseFront::AllowOrigin(const httplib::Request& request,
                           httplib::Response& response) const {
  if (!request.has_header("Origin")) return;
  const std::string origin = request.get_header_value("Origin");
  response.set_header("Vary", "Origin");
  const auto& allowed = options_.allowed_origins;
  if (std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) {
    return;
  }
  response.set_header("Access-Control-Allow-Origin", origin);
  response.set_header("Access-Control-Allow-Credentials", "true");
}

void SseFront::HandlePreflight(const httplib::Request& request,
                               httplib::Response& response) {
  if (!request.has_header("Access-Control-Request-Method")) {
    AllowOrigin(request, response);
    MethodNotAllowed(request, response);
    return;
  }
  AllowOrigin(request, response);
  response.status = 204;
  response.set_header("Access-Control-Allow-Methods", "GET");
  response.set_header("Access-Control-Allow-Headers",
                      "Last-Event-ID, Authorization, Cache-Control, Accept");
  response.set_header("Access-Control-Max-Age", "600");
}

void SseFront::HandleEvents(const httplib::Request& request,
                            httplib::Response& response) {
  // Every answer on the stream path carries the CORS headers, or a
  // cross-origin page cannot tell a 204 from a network failure.
  AllowOrigin(request, response);
  if (request.method != "GET") {
    // cpp-httplib routes HEAD to the GET handler; a stream has no headers
    // worth fetching alone, and attaching a client for them would cost.
    MethodNotAllowed(request, response);
    return;
  }
  if (absl::Status clear = CheckUnambiguous(request); !clear.ok()) {
    SetError(response, 400, clear.message());
    return;
  }
  if (!AcceptsEventStream(request.get_header_value("Accept"))) {
    SetError(response, 406,
             "/events only serves text/event-stream, which the request's "
             "Accept header excludes");
    return;
  }
  Hub::AttachRequest attach;
  const size_t group_count = request.get_param_value_count("group");
  if (group_count > options_.max_groups_per_request) {
    SetError(response, 400,
             absl::StrCat("query parameter group appears ", group_count,
                          " times; the limit (--max_groups_per_request) is ",
                          options_.max_groups_per_request));
    return;
  }
  for (size_t i = 0; i < group_count; ++i) {
    std::string group = request.get_param_value("group", i);
    if (absl::Status valid = ValidateGroupName(group); !valid.ok()) {
      SetError(response, 400,
               absl::StrCat("query parameter group: ", valid.message()));
      return;
    }
    attach.groups.push_back(std::move(group));
  }
  attach.last_event_id = LastEventId(request);
  absl::StatusOr<ClientIdentity> identity = client_ids_->Identify(request);
  if (!identity.ok()) {
    if (absl::IsUnauthenticated(identity.status())) {
      response.set_header("WWW-Authenticate", "Bearer");
      SetError(response, 401, identity.status().message());
    } else {
      LogFault("identifying a client", identity.status());
      SetError(response, 500, "cannot identify the client");
    }
    return;
  }
  if (absl::Status joinable =
          CheckGroupJoin(options_.group_join, *identity, attach.groups);
      !joinable.ok()) {
    SetError(response, 403, joinable.message());
    return;
  }
  std::optional<ConnectionLimiter::StreamHold> stream_hold =
      limiter_.OpenStream(identity->client_id);
  if (!stream_hold) {
    response.set_header("Retry-After",
                        absl::StrCat(options_.accept.retry_after_seconds));
    SetError(response, 429,
             absl::StrCat("this client already has ",
                          options_.limits.max_streams_per_client,
                          " open streams (--max_streams_per_client)"));
    return;
  }
  // The stream gives its places under the caps back when it is destroyed,
  // which is after its socket is closed.
  auto holds = std::make_shared<StreamHolds>();
  holds->stream = std::move(*stream_hold);
  std::shared_ptr<SseStream> stream(
      new SseStream(next_connection_id_.fetch_add(1), identity->client_id,
                    absl::StrCat(request.remote_addr, ":", request.remote_port),
                    absl::Now()),
      ReleasingDeleter{holds});
  absl::StatusOr<Hub::AttachResult> attached = hub_->Attach(stream, attach);
  if (!attached.ok()) {
    if (absl::IsInvalidArgument(attached.status())) {
      SetError(response, 400, attached.status().message());
      return;
    }
    // The detail (a Redis address, a connection error) is for operators.
    LogFault("admitting a client", attached.status());
    response.set_header("Retry-After", "5");
    SetError(response, 503, "cannot admit the client now; try again later");
    return;
  }
  if (!identity->set_cookie.empty()) {
    response.set_header("Set-Cookie", identity->set_cookie);
  }
  if (!attached->admitted) {
    // Per the SSE spec, 204 makes EventSource stop reconnecting for good.
    response.status = 204;
    if (LogEnabled(LogLevel::kDebug)) {
      LogDebug("client may not reconnect",
               {{"client", ClientIdForLog(identity->client_id)}});
    }
    return;
  }
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  stream->Prepare(attached->first_sequence, Prelude(*attached),
                  identity->expires);
  metrics_->StreamOpened();
  if (LogEnabled(LogLevel::kDebug)) {
    LogDebug("stream opened",
             {{"connection", stream->id()},
              {"client", ClientIdForLog(identity->client_id)},
              {"remote", stream->remote_address()},
              {"groups", attach.groups.size()},
              {"resync", attached->resync_reason.value_or("none")}});
  }
  TakeoverHttpServer::StreamTo(
      response, kEventStream,
      [this, stream, holds](UniqueFd socket,
                            std::shared_ptr<void> connection_hold) {
        holds->connection = std::move(connection_hold);
        writers_.Adopt(stream, std::move(socket));
      },
      [this, stream] { hub_->Detach(*stream); });
}

void SseFront::LogFault(absl::string_view what, const absl::Status& status) {
  constexpr absl::Duration kInterval = absl::Seconds(10);
  uint64_t left_out;
  {
    absl::MutexLock lock(&log_mu_);
    const absl::Time now = absl::Now();
    if (now - last_fault_logged_ < kInterval) {
      ++faults_not_logged_;
      return;
    }
    last_fault_logged_ = now;
    left_out = faults_not_logged_;
    faults_not_logged_ = 0;
  }
  LogError(absl::StrCat(what, " failed"),
           {{"error", status.ToString()}, {"similar_not_logged", left_out}});
}

absl::StatusOr<int> SseFront::Start(const std::string& address) {
  absl::StatusOr<int> port = http_.Bind(address, options_.listen_backlog);
  if (!port.ok()) return port.status();
  serving_.store(true);
  serve_thread_ = std::thread([this] { http_.Serve(); });
  return port;
}

void SseFront::Stop(absl::Duration grace) {
  if (!serve_thread_.joinable()) return;
  serving_.store(false);
  http_.Stop();
  serve_thread_.join();
  writers_.Shutdown(grace);
}

}  // namespace ssecast
