#include "server/redis/redis_stream_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ssecast {
namespace {

// A blocked XREAD answers only after `block`: the socket must wait longer.
RedisConnection::Options ForBlockingReads(RedisConnection::Options options,
                                          absl::Duration block) {
  options.command_timeout += block;
  return options;
}

}  // namespace

RedisStreamReader::RedisStreamReader(Options options, std::string after_id,
                                     EntryHandler on_entry,
                                     HealthHandler on_health)
    : options_(std::move(options)),
      on_entry_(std::move(on_entry)),
      on_health_(std::move(on_health)),
      connection_(ForBlockingReads(options_.connection, options_.block)),
      last_id_(std::move(after_id)) {
  absl::MutexLock lock(&join_mu_);
  thread_ = std::thread(&RedisStreamReader::Run, this);
}

RedisStreamReader::~RedisStreamReader() { Stop(); }

void RedisStreamReader::Stop() {
  absl::MutexLock lock(&join_mu_);
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (thread_.joinable()) thread_.join();
}

void RedisStreamReader::Run() {
  bool healthy = true;
  absl::Duration backoff = options_.min_backoff;
  while (!stopping_.HasBeenNotified()) {
    // After a failure, the first read does not wait for entries, so that
    // recovery is reported as soon as Redis answers.
    absl::Status read = ReadOnce(/*wait=*/healthy);
    if (stopping_.HasBeenNotified()) return;
    if (read.ok()) {
      if (!healthy) on_health_(true, absl::OkStatus());
      healthy = true;
      backoff = options_.min_backoff;
      continue;
    }
    if (healthy) on_health_(false, read);
    healthy = false;
    stopping_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status RedisStreamReader::ReadOnce(bool wait) {
  RedisCommand xread = {"XREAD", "COUNT", absl::StrCat(options_.batch)};
  if (wait) {
    xread.insert(
        xread.end(),
        {"BLOCK", absl::StrCat(absl::ToInt64Milliseconds(options_.block))});
  }
  xread.insert(xread.end(), {"STREAMS", options_.key, last_id_});
  absl::StatusOr<RedisReply> reply = connection_.RunOne(xread);
  if (!reply.ok()) return reply.status();
  absl::StatusOr<std::vector<RedisStreamEntry>> entries =
      ParseXreadEntries(**reply);
  if (!entries.ok()) {
    connection_.Drop();
    return connection_.Unavailable(entries.status().message());
  }
  for (const RedisStreamEntry& entry : *entries) {
    if (stopping_.HasBeenNotified()) break;
    on_entry_(entry);
    last_id_ = entry.id;
  }
  return absl::OkStatus();
}

}  // namespace ssecast
