#include "server/hub/event_log.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/hub/sse_encoding.h"

namespace ssecast {
namespace {

// What an entry costs besides its chunk: the Event, its shared_ptr control
// block and the deque slots, roughly.
constexpr uint64_t kEntryOverheadBytes = 160;

uint64_t EntryBytes(const Event& event) {
  return event.chunk().size() + kEntryOverheadBytes;
}

// Connections kept within max_pending must never see the entries they still
// need evicted for capacity.
EventLog::Options Clamped(EventLog::Options options) {
  options.capacity = std::max<size_t>(options.capacity, 4);
  options.max_bytes = std::max<size_t>(options.max_bytes, 4 << 10);
  options.max_pending =
      std::clamp<size_t>(options.max_pending, 1, options.capacity / 4);
  options.max_pending_bytes = std::clamp<size_t>(options.max_pending_bytes, 1,
                                                 options.max_bytes / 4);
  options.lagging_share = std::clamp(options.lagging_share, 0.0, 0.5);
  return options;
}

}  // namespace

EventLog::EventLog(const Options& options, uint64_t epoch)
    : options_(Clamped(options)), epoch_(epoch), boundary_{epoch, 0} {}

uint64_t EventLog::BytesFromLocked(uint64_t sequence) const {
  if (sequence < first_sequence_) return bytes_appended_ + 1;
  const uint64_t index = sequence - first_sequence_;
  if (index >= bytes_before_.size()) return 0;
  return bytes_appended_ - bytes_before_[index];
}

EventLog::Backlog EventLog::BacklogLocked() const {
  if (!held_) return {};
  const uint64_t next = NextSequenceLocked();
  return {next - std::min(*held_, next), BytesFromLocked(*held_)};
}

void EventLog::UpdateHeldLocked() {
  size_t connections = 0;
  for (const ReaderState& state : readers_) connections += state.connections;
  // How many may lag: the share rounded up (so that among a few
  // connections one may), but never all of them.
  const size_t lagging =
      connections == 0
          ? 0
          : std::min(connections - 1,
                     static_cast<size_t>(std::ceil(options_.lagging_share *
                                                   connections)));
  slowest_wanted_.store(lagging + 1, std::memory_order_relaxed);
  if (connections == 0) {
    held_.reset();
    return;
  }
  // The (lagging)th smallest of all reported cursors: merge the sorted
  // lists that far. A reader that reported fewer than it serves (before it
  // learned of a larger need) makes this an estimate until its next report.
  std::vector<size_t> at(readers_.size(), 0);
  uint64_t cursor = 0;
  for (size_t taken = 0; taken <= lagging; ++taken) {
    size_t best = readers_.size();
    for (size_t r = 0; r < readers_.size(); ++r) {
      if (at[r] < readers_[r].slowest.size() &&
          (best == readers_.size() ||
           readers_[r].slowest[at[r]] < readers_[best].slowest[at[best]])) {
        best = r;
      }
    }
    if (best == readers_.size()) break;
    cursor = readers_[best].slowest[at[best]++];
  }
  held_ = cursor;
}

bool EventLog::HasRoom() const {
  const Backlog backlog = BacklogLocked();
  return backlog.entries < options_.max_pending &&
         backlog.bytes < options_.max_pending_bytes;
}

EventLog::Backlog EventLog::backlog() const {
  absl::MutexLock lock(&mu_);
  return BacklogLocked();
}

absl::Status EventLog::WaitForRoom() {
  absl::Time start;
  bool room;
  Backlog backlog;
  {
    absl::MutexLock lock(&mu_);
    if (HasRoom()) return absl::OkStatus();
    start = absl::Now();
    room = mu_.AwaitWithTimeout(absl::Condition(this, &EventLog::HasRoom),
                                options_.max_publish_wait);
    if (!room) backlog = BacklogLocked();
  }
  NoteWait(absl::Now() - start);
  if (room) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "publishing is held back: the connections are ", backlog.entries,
      " events (", backlog.bytes, " bytes) behind, above the limit of ",
      options_.max_pending, " events or ", options_.max_pending_bytes,
      " bytes, and did not catch up within ",
      absl::FormatDuration(options_.max_publish_wait),
      "; publish more slowly or retry"));
}

void EventLog::AwaitRoom() {
  absl::Time start;
  {
    absl::MutexLock lock(&mu_);
    if (HasRoom()) return;
    start = absl::Now();
    mu_.Await(absl::Condition(this, &EventLog::HasRoom));
  }
  NoteWait(absl::Now() - start);
}

size_t EventLog::Room() const {
  absl::MutexLock lock(&mu_);
  const Backlog backlog = BacklogLocked();
  if (backlog.bytes >= options_.max_pending_bytes ||
      backlog.entries >= options_.max_pending) {
    return 0;
  }
  return options_.max_pending - backlog.entries;
}

void EventLog::WhenRoom(std::function<void()> ready) {
  {
    absl::MutexLock lock(&mu_);
    if (!HasRoom()) {
      room_waiters_.push_back(
          [this, start = absl::Now(), ready = std::move(ready)] {
            NoteWait(absl::Now() - start);
            ready();
          });
      return;
    }
  }
  ready();
}

void EventLog::NoteWait(absl::Duration waited) const {
  if (options_.on_wait) options_.on_wait(waited);
}

std::vector<std::function<void()>> EventLog::TakeReadyLocked() {
  std::vector<std::function<void()>> ready;
  if (!room_waiters_.empty() && HasRoom()) ready.swap(room_waiters_);
  return ready;
}

std::optional<Position> EventLog::NextPosition(
    std::optional<Position> given) const {
  const Position& last =
      events_.empty() ? boundary_ : events_.back()->position();
  if (!given) return Position{epoch_, NextSequenceLocked()};
  if (!(last < *given)) return std::nullopt;
  return given;
}

std::shared_ptr<const Event> EventLog::Append(const EventInput& input,
                                              Target target,
                                              std::optional<Position> given) {
  std::shared_ptr<const Event> event;
  {
    absl::MutexLock lock(&mu_);
    std::optional<Position> position = NextPosition(given);
    if (!position) return nullptr;
    std::string wire_id = position->ToString();
    if (!input.id.empty()) absl::StrAppend(&wire_id, ":", input.id);
    std::string buffer;
    const size_t offset = BuildSseEventChunk(input, wire_id, &buffer);
    const absl::Time now = absl::Now();
    event = std::make_shared<const Event>(*position, now, std::move(target),
                                          std::move(buffer), offset);
    Push(event, now);
  }
  WakeReaders();
  return event;
}

std::shared_ptr<const Event> EventLog::AppendRetryChange(
    RetryChange change, std::optional<Position> given) {
  std::shared_ptr<const Event> event;
  {
    absl::MutexLock lock(&mu_);
    std::optional<Position> position = NextPosition(given);
    if (!position) return nullptr;
    const absl::Time now = absl::Now();
    event = std::make_shared<const Event>(*position, now, change);
    Push(event, now);
  }
  WakeReaders();
  return event;
}

void EventLog::Push(std::shared_ptr<const Event> event, absl::Time now) {
  bytes_before_.push_back(bytes_appended_);
  bytes_appended_ += EntryBytes(*event);
  events_.push_back(std::move(event));
  if (events_.size() > options_.capacity) PopOldest();
  // The newest entry stays, whatever its size.
  while (events_.size() > 1 &&
         bytes_appended_ - bytes_before_.front() > options_.max_bytes) {
    PopOldest();
  }
  EvictExpired(now);
}

void EventLog::PopOldest() {
  boundary_ = events_.front()->position();
  events_.pop_front();
  bytes_before_.pop_front();
  ++first_sequence_;
}

void EventLog::EvictExpired(absl::Time now) {
  if (options_.max_age == absl::InfiniteDuration()) return;
  while (!events_.empty() &&
         now - events_.front()->published() > options_.max_age) {
    PopOldest();
  }
}

void EventLog::WakeReaders() {
  absl::ReaderMutexLock lock(&wake_mu_);
  for (Reader* reader : wake_list_) reader->Wake();
}

void EventLog::SetBoundary(const Position& position) {
  absl::MutexLock lock(&mu_);
  boundary_ = position;
}

void EventLog::DiscardThrough(const Position& position) {
  absl::MutexLock lock(&mu_);
  while (!events_.empty()) PopOldest();
  if (boundary_ < position) boundary_ = position;
}

uint64_t EventLog::next_sequence() const {
  absl::MutexLock lock(&mu_);
  return NextSequenceLocked();
}

EventLog::End EventLog::end() const {
  absl::MutexLock lock(&mu_);
  return {NextSequenceLocked(),
          events_.empty() ? boundary_ : events_.back()->position()};
}

uint64_t EventLog::first_sequence() const {
  absl::MutexLock lock(&mu_);
  return first_sequence_;
}

Position EventLog::last_position() const {
  absl::MutexLock lock(&mu_);
  return events_.empty() ? boundary_ : events_.back()->position();
}

uint64_t EventLog::CopyFrom(uint64_t from,
                            std::deque<std::shared_ptr<const Event>>* out,
                            uint64_t* first_held) const {
  absl::MutexLock lock(&mu_);
  if (first_held != nullptr) *first_held = first_sequence_;
  const uint64_t start = std::max(from, first_sequence_);
  const uint64_t next = NextSequenceLocked();
  for (uint64_t s = start; s < next; ++s) {
    out->push_back(events_[s - first_sequence_]);
  }
  return start;
}

absl::StatusOr<uint64_t> EventLog::SequenceAfter(const Position& position) {
  absl::MutexLock lock(&mu_);
  EvictExpired(absl::Now());
  if (position < boundary_) {
    return absl::OutOfRangeError(absl::StrCat(
        "position ", position.ToString(), " is older than the event history"));
  }
  if (position == boundary_) return first_sequence_;
  auto it =
      std::lower_bound(events_.begin(), events_.end(), position,
                       [](const std::shared_ptr<const Event>& event,
                          const Position& p) { return event->position() < p; });
  if (it == events_.end() || !((*it)->position() == position)) {
    return absl::NotFoundError(absl::StrCat("position ", position.ToString(),
                                            " is not in the event history"));
  }
  return first_sequence_ + (it - events_.begin()) + 1;
}

void EventLog::AddReader(Reader* reader) {
  {
    absl::MutexLock lock(&mu_);
    readers_.push_back({reader});
  }
  absl::MutexLock lock(&wake_mu_);
  wake_list_.push_back(reader);
}

void EventLog::RemoveReader(Reader* reader) {
  {
    absl::MutexLock lock(&wake_mu_);
    wake_list_.erase(std::remove(wake_list_.begin(), wake_list_.end(), reader),
                     wake_list_.end());
  }
  std::vector<std::function<void()>> ready;
  {
    absl::MutexLock lock(&mu_);
    readers_.erase(std::remove_if(readers_.begin(), readers_.end(),
                                  [reader](const ReaderState& state) {
                                    return state.reader == reader;
                                  }),
                   readers_.end());
    UpdateHeldLocked();
    ready = TakeReadyLocked();
  }
  for (auto& callback : ready) callback();
}

void EventLog::ReportProgress(Reader* reader, size_t connections,
                              absl::Span<const uint64_t> slowest) {
  std::vector<std::function<void()>> ready;
  {
    absl::MutexLock lock(&mu_);
    for (ReaderState& state : readers_) {
      if (state.reader != reader) continue;
      state.connections = connections;
      state.slowest.assign(slowest.begin(), slowest.end());
    }
    UpdateHeldLocked();
    ready = TakeReadyLocked();
  }
  for (auto& callback : ready) callback();
}

}  // namespace ssecast
