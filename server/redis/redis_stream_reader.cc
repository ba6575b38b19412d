#include "server/redis/redis_stream_reader.h"

#include <hiredis/hiredis.h>

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

// Whether stream id `a` sorts after `b`; an unparsable id sorts first.
bool IdAfter(absl::string_view a, absl::string_view b) {
  const auto parsed_a = ParseStreamId(a);
  const auto parsed_b = ParseStreamId(b);
  if (!parsed_a) return false;
  if (!parsed_b) return true;
  return *parsed_b < *parsed_a;
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
      last_ids_(options_.keys.size(), after_id),
      check_gap_(options_.keys.size(), false) {
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
  // Whether the last read found several entries: then the next one does
  // not block (more are likely there already). A blocked read of several
  // streams takes a second XREAD (see ReadOnce), and under a flood its
  // COUNT 1 entry, a whole pack, would cross the wire twice.
  bool busy = false;
  absl::Duration backoff = options_.min_backoff;
  while (!stopping_.HasBeenNotified()) {
    // After a failure, the first read does not wait for entries, so that
    // recovery is reported as soon as Redis answers.
    absl::StatusOr<bool> read = ReadOnce(/*wait=*/healthy && !busy);
    if (stopping_.HasBeenNotified()) return;
    if (read.ok()) {
      if (!healthy) on_health_(true, absl::OkStatus(), connection_.address());
      healthy = true;
      busy = *read;
      backoff = options_.min_backoff;
      continue;
    }
    busy = false;
    if (healthy) on_health_(false, read.status(), connection_.address());
    healthy = false;
    stopping_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status RedisStreamReader::CheckForGap(size_t index) {
  // Trimming removes the oldest entries first: while the last entry handed
  // over is still there, everything after it is too. When it is gone, the
  // entries between it and the oldest one left are lost (or there were
  // none, which cannot be told apart: that rare case is reported too).
  const std::string& key = options_.keys[index];
  const std::string& last_id = last_ids_[index];
  absl::StatusOr<std::vector<RedisReply>> replies =
      connection_.Run({{"XRANGE", key, last_id, last_id},
                       {"XRANGE", key, "-", "+", "COUNT", "1"}});
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
  const auto last_parsed = ParseStreamId(last_id);
  const auto oldest_parsed = ParseStreamId(oldest->front().id);
  if (!last_parsed || !oldest_parsed || !(*last_parsed < *oldest_parsed)) {
    return absl::OkStatus();
  }
  const std::string newest_lost = IdBefore(*oldest_parsed);
  LogError(
      "redis stream: entries were trimmed before this node read them (it "
      "fell more than the history behind)",
      {{"stream", key}, {"after", last_id}, {"up_to", newest_lost}});
  if (on_gap_) on_gap_(newest_lost);
  // Every stream goes on after the loss, so that nothing older than an
  // entry already reported lost is handed over after it.
  for (std::string& id : last_ids_) {
    if (IdAfter(newest_lost, id)) id = newest_lost;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RedisStreamReader::ReadOnce(bool wait) {
  for (size_t i = 0; i < options_.keys.size(); ++i) {
    if (!check_gap_[i]) continue;
    if (absl::Status checked = CheckForGap(i); !checked.ok()) return checked;
    check_gap_[i] = false;
  }
  auto xread = [this](int count, bool block) {
    RedisCommand command = {"XREAD", "COUNT", absl::StrCat(count)};
    if (block) {
      command.insert(
          command.end(),
          {"BLOCK", absl::StrCat(absl::ToInt64Milliseconds(options_.block))});
    }
    command.push_back("STREAMS");
    command.insert(command.end(), options_.keys.begin(), options_.keys.end());
    command.insert(command.end(), last_ids_.begin(), last_ids_.end());
    return command;
  };
  absl::StatusOr<RedisReply> reply;
  if (wait && options_.keys.size() > 1) {
    // Redis answers a blocked XREAD with the entries of the stream that woke
    // it only, although the same script call may have written to another
    // stream with lower ids. So the blocking read only waits (COUNT 1) and a
    // second read of every stream, from the same ids, queued behind it in
    // the same write, runs as soon as it returns and sees whole script
    // calls: one round trip per wake-up, not two.
    absl::StatusOr<std::vector<RedisReply>> replies = connection_.Run(
        {xread(1, /*block=*/true), xread(options_.batch, /*block=*/false)});
    if (!replies.ok()) return replies.status();
    reply = std::move(replies->back());
  } else {
    reply = connection_.RunOne(xread(options_.batch, wait));
    if (!reply.ok()) return reply.status();
  }
  absl::StatusOr<std::vector<std::vector<RedisStreamEntry>>> per_stream =
      ParseXreadEntries(**reply, options_.keys);
  if (!per_stream.ok()) {
    connection_.Drop();
    return connection_.Unavailable(per_stream.status().message());
  }
  // A stream that filled its COUNT may have more entries right after its
  // last: nothing of another stream above that id goes first.
  const std::string* limit = nullptr;
  for (const std::vector<RedisStreamEntry>& entries : *per_stream) {
    if (entries.size() < static_cast<size_t>(options_.batch)) continue;
    if (limit == nullptr || IdAfter(*limit, entries.back().id)) {
      limit = &entries.back().id;
    }
  }
  std::vector<size_t> next(per_stream->size(), 0);
  std::vector<bool> handed_over(per_stream->size(), false);
  const absl::Time start = absl::Now();
  while (!stopping_.HasBeenNotified()) {
    // The stream whose next entry has the lowest id.
    std::optional<size_t> lowest;
    for (size_t i = 0; i < per_stream->size(); ++i) {
      if (next[i] >= (*per_stream)[i].size()) continue;
      if (!lowest || IdAfter((*per_stream)[*lowest][next[*lowest]].id,
                             (*per_stream)[i][next[i]].id)) {
        lowest = i;
      }
    }
    if (!lowest) break;
    const RedisStreamEntry& entry = (*per_stream)[*lowest][next[*lowest]];
    if (limit != nullptr && IdAfter(entry.id, *limit)) break;
    on_entry_(entry);
    last_ids_[*lowest] = entry.id;
    handed_over[*lowest] = true;
    ++next[*lowest];
  }
  const bool slow = absl::Now() - start > kSlowBatch;
  size_t entries = 0;
  for (size_t i = 0; i < per_stream->size(); ++i) {
    check_gap_[i] =
        handed_over[i] && (slow || (*per_stream)[i].size() >=
                                       static_cast<size_t>(options_.batch));
    entries += (*per_stream)[i].size();
  }
  // One entry at a time is a trickle: the next read may as well block.
  return entries > 1;
}

}  // namespace ssecast
