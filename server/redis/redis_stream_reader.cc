#include "server/redis/redis_stream_reader.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "server/log/log.h"

namespace ssecast {
namespace {

// A blocked XREAD answers only after `block`: the socket must wait longer.
RedisConnection::Options ForBlockingReads(RedisConnection::Options options,
                                          absl::Duration block) {
  options.command_timeout += block;
  return options;
}

// A batch handed over slower than this may have let entries be trimmed
// (Redis adds at most a few hundred entries in a millisecond; a history
// holds more).
constexpr absl::Duration kSlowBatch = absl::Milliseconds(1);

// "<ms>-<seq>" as a pair that compares like stream ids.
std::optional<std::pair<uint64_t, uint64_t>> ParseStreamId(
    absl::string_view id) {
  const size_t dash = id.find('-');
  std::pair<uint64_t, uint64_t> parsed;
  if (dash == absl::string_view::npos ||
      !absl::SimpleAtoi(id.substr(0, dash), &parsed.first) ||
      !absl::SimpleAtoi(id.substr(dash + 1), &parsed.second)) {
    return std::nullopt;
  }
  return parsed;
}

// The id just before `id` in stream order.
std::string IdBefore(std::pair<uint64_t, uint64_t> id) {
  if (id.second > 0) return absl::StrCat(id.first, "-", id.second - 1);
  return absl::StrCat(id.first - 1, "-", ~uint64_t{0});
}

}  // namespace

RedisStreamReader::RedisStreamReader(Options options, std::string after_id,
                                     EntryHandler on_entry,
                                     HealthHandler on_health, GapHandler on_gap)
    : options_(std::move(options)),
      on_entry_(std::move(on_entry)),
      on_health_(std::move(on_health)),
      on_gap_(std::move(on_gap)),
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
      if (!healthy) on_health_(true, absl::OkStatus(), connection_.address());
      healthy = true;
      backoff = options_.min_backoff;
      continue;
    }
    if (healthy) on_health_(false, read, connection_.address());
    healthy = false;
    stopping_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status RedisStreamReader::CheckForGap() {
  // Trimming removes the oldest entries first: while the last entry handed
  // over is still there, everything after it is too. When it is gone, the
  // entries between it and the oldest one left are lost (or there were
  // none, which cannot be told apart: that rare case is reported too).
  absl::StatusOr<std::vector<RedisReply>> replies =
      connection_.Run({{"XRANGE", options_.key, last_id_, last_id_},
                       {"XRANGE", options_.key, "-", "+", "COUNT", "1"}});
  if (!replies.ok()) return replies.status();
  absl::StatusOr<std::vector<RedisStreamEntry>> last =
      ParseStreamEntries(*(*replies)[0]);
  absl::StatusOr<std::vector<RedisStreamEntry>> oldest =
      ParseStreamEntries(*(*replies)[1]);
  if (!last.ok() || !oldest.ok()) {
    connection_.Drop();
    return connection_.Unavailable("XRANGE answered with no entries");
  }
  if (!last->empty() || oldest->empty()) return absl::OkStatus();
  const auto last_id = ParseStreamId(last_id_);
  const auto oldest_id = ParseStreamId(oldest->front().id);
  if (!last_id || !oldest_id || !(*last_id < *oldest_id)) {
    return absl::OkStatus();
  }
  const std::string newest_lost = IdBefore(*oldest_id);
  LogError(
      "redis stream: entries were trimmed before this node read them (it "
      "fell more than the history behind)",
      {{"stream", options_.key}, {"after", last_id_}, {"up_to", newest_lost}});
  if (on_gap_) on_gap_(newest_lost);
  last_id_ = newest_lost;
  return absl::OkStatus();
}

absl::Status RedisStreamReader::ReadOnce(bool wait) {
  if (check_gap_) {
    if (absl::Status checked = CheckForGap(); !checked.ok()) return checked;
    check_gap_ = false;
  }
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
  const absl::Time start = absl::Now();
  for (const RedisStreamEntry& entry : *entries) {
    if (stopping_.HasBeenNotified()) break;
    on_entry_(entry);
    last_id_ = entry.id;
  }
  check_gap_ = entries->size() >= static_cast<size_t>(options_.batch) ||
               absl::Now() - start > kSlowBatch;
  return absl::OkStatus();
}

}  // namespace ssecast
