#include "server/hub/event_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/hub/sse_encoding.h"

namespace ssecast {

namespace {

// Readers kept within max_unswept must never see their events evicted.
EventLog::Options Clamped(EventLog::Options options) {
  options.capacity = std::max<size_t>(options.capacity, 2);
  options.max_unswept =
      std::clamp<size_t>(options.max_unswept, 1, options.capacity / 2);
  return options;
}

}  // namespace

EventLog::EventLog(const Options& options, uint64_t epoch)
    : options_(Clamped(options)), epoch_(epoch) {}

bool EventLog::HasRoom() const {
  const uint64_t next = first_sequence_ + events_.size();
  for (const ReaderState& state : readers_) {
    if (next - state.swept >= options_.max_unswept) return false;
  }
  return true;
}

absl::Status EventLog::WaitForRoom() {
  absl::MutexLock lock(&mu_);
  if (mu_.AwaitWithTimeout(absl::Condition(this, &EventLog::HasRoom),
                           options_.max_publish_wait)) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("the stream writers are more than ", options_.max_unswept,
                   " events behind and did not catch up within ",
                   absl::FormatDuration(options_.max_publish_wait),
                   "; publish more slowly"));
}

std::shared_ptr<const Event> EventLog::Append(const EventInput& input,
                                              Target target) {
  std::shared_ptr<const Event> event;
  {
    absl::MutexLock lock(&mu_);
    const Position position{epoch_, first_sequence_ + events_.size()};
    std::string wire_id = position.ToString();
    if (!input.id.empty()) absl::StrAppend(&wire_id, ":", input.id);
    std::string text;
    text.reserve(input.data.size() + wire_id.size() + input.type.size() + 32);
    AppendSseEvent(input, wire_id, &text);
    event = std::make_shared<const Event>(position, std::move(target),
                                          FrameChunk(text));
    events_.push_back(event);
    if (events_.size() > options_.capacity) {
      events_.pop_front();
      ++first_sequence_;
    }
  }
  absl::ReaderMutexLock lock(&wake_mu_);
  for (Reader* reader : wake_list_) reader->Wake();
  return event;
}

uint64_t EventLog::next_sequence() const {
  absl::MutexLock lock(&mu_);
  return first_sequence_ + events_.size();
}

uint64_t EventLog::first_sequence() const {
  absl::MutexLock lock(&mu_);
  return first_sequence_;
}

uint64_t EventLog::CopyFrom(uint64_t from,
                            std::deque<std::shared_ptr<const Event>>* out,
                            uint64_t* first_held) const {
  absl::MutexLock lock(&mu_);
  if (first_held != nullptr) *first_held = first_sequence_;
  const uint64_t start = std::max(from, first_sequence_);
  const uint64_t next = first_sequence_ + events_.size();
  for (uint64_t s = start; s < next; ++s) {
    out->push_back(events_[s - first_sequence_]);
  }
  return start;
}

std::optional<uint64_t> EventLog::SequenceAfter(
    const Position& position) const {
  absl::MutexLock lock(&mu_);
  if (position.epoch != epoch_) return std::nullopt;
  const uint64_t next = first_sequence_ + events_.size();
  // Every event after `position` must still be held, and `position` must
  // have been published.
  if (position.sequence + 1 < first_sequence_ || position.sequence >= next) {
    return std::nullopt;
  }
  return position.sequence + 1;
}

void EventLog::AddReader(Reader* reader) {
  {
    absl::MutexLock lock(&mu_);
    readers_.push_back({reader, first_sequence_ + events_.size()});
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
  absl::MutexLock lock(&mu_);
  readers_.erase(std::remove_if(readers_.begin(), readers_.end(),
                                [reader](const ReaderState& state) {
                                  return state.reader == reader;
                                }),
                 readers_.end());
}

void EventLog::ReportSwept(Reader* reader, uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  for (ReaderState& state : readers_) {
    if (state.reader == reader) state.swept = std::max(state.swept, sequence);
  }
}

}  // namespace ssecast
