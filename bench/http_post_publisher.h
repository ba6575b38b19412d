// Publishes benchmark events by HTTP POST, one event per request body, as
// nchan's publisher location expects. job.inflight keep-alive connections,
// each on its own thread with one request in flight, share the pacer. A
// connection the server closes is reopened. Any 2xx answer counts as OK.
#ifndef SSECAST_BENCH_HTTP_POST_PUBLISHER_H_
#define SSECAST_BENCH_HTTP_POST_PUBLISHER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/publish_job.h"
#include "bench/publish_pacer.h"
#include "bench/publish_stats.h"

namespace ssecast::bench {

struct HttpUrl {
  std::string host;
  int port = 80;
  std::string path_and_query;  // "/pub?id=ch"
};

// Accepts "http://host[:port]/path[?query]" only.
absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url);

// Returns when the pacer says the run is over and every request finished;
// fails only if the address cannot be resolved.
absl::Status RunHttpPosts(const HttpUrl& url, const PublishJob& job,
                          PublishPacer& pacer, PublishStats& stats);

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_HTTP_POST_PUBLISHER_H_
