#include "server/sse/stream_writer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "server/hub/client_id_for_log.h"
#include "server/hub/sse_encoding.h"
#include "server/log/log.h"

namespace ssecast {
namespace {

constexpr uint64_t kControl = std::numeric_limits<uint64_t>::max();
// A closing stream's end that SyncWindow() resolves to the window's end.
constexpr uint64_t kWindowEnd = std::numeric_limits<uint64_t>::max();
// Bounds one write (sendmsg()): enough to batch a burst, small enough that one
// fast stream does not hog the thread.
constexpr size_t kMaxIov = 256;
constexpr size_t kMaxBatchBytes = 256 * 1024;
constexpr int kMaxEpollEvents = 256;
// The longest a sweep waits for the one before to be paid for.
constexpr absl::Duration kMaxSweepPause = absl::Milliseconds(10);
// A comment line as a chunk: ":\n\n". Short enough for std::string's
// small-buffer storage, so a keepalive allocates nothing.
constexpr absl::string_view kKeepaliveChunk = "3\r\n:\n\n\r\n";

}  // namespace

StreamWriter::StreamWriter(EventLog* log, DetachFn detach,
                           const StreamWriterOptions& options)
    : log_(log),
      detach_(std::move(detach)),
      options_(options),
      metrics_(options.metrics != nullptr ? options.metrics
                                          : Metrics::Unexposed()) {
  iov_.reserve(kMaxIov + 1);
  gathered_.reserve(kMaxIov + 1);
  window_first_ = log_->first_sequence();
  log_->AddReader(this);
  thread_ = std::thread([this] { Run(); });
}

StreamWriter::~StreamWriter() {
  Shutdown(absl::ZeroDuration());
  log_->RemoveReader(this);
  // Streams handed over after the thread ended.
  absl::MutexLock lock(&adopt_mu_);
  for (auto& [stream, socket] : adopted_) {
    socket.Reset();
    detach_(*stream);
  }
}

void StreamWriter::Adopt(std::shared_ptr<SseStream> stream, UniqueFd socket) {
  stream->SetWriter(this);
  {
    absl::MutexLock lock(&adopt_mu_);
    adopted_.emplace_back(std::move(stream), std::move(socket));
  }
  stream_count_.fetch_add(1);
  epoll_.Wake();
}

void StreamWriter::NotifyClose() {
  close_pending_.store(true);
  epoll_.Wake();
}

void StreamWriter::Wake() {
  // A writer without streams has nothing to deliver (and reports itself
  // idle to the log, so it holds no publisher back).
  if (stream_count_.load(std::memory_order_relaxed) == 0) return;
  if (!wake_pending_.exchange(true)) epoll_.Wake();
}

void StreamWriter::BeginShutdown(absl::Duration grace) {
  if (stopping_.load()) return;
  shutdown_grace_ = grace;
  stopping_.store(true);
  epoll_.Wake();
}

void StreamWriter::Shutdown(absl::Duration grace) {
  BeginShutdown(grace);
  if (thread_.joinable()) thread_.join();
}

void StreamWriter::Run() {
  epoll_event events[kMaxEpollEvents];
  next_keepalive_check_ = absl::Now();
  const absl::Duration tick =
      std::clamp(options_.keepalive_interval / 4, absl::Milliseconds(10),
                 absl::Seconds(1));
  // When the next sweep may start. Under load, waiting lets more events
  // gather, so each write carries more of them: the thread spends at
  // most about half its time sweeping, and latency stays near a sweep.
  absl::Time next_sweep = absl::InfinitePast();
  while (true) {
    const absl::Time before = absl::Now();
    const absl::Duration wait =
        sweep_due_ ? std::max(next_sweep - before, absl::ZeroDuration()) : tick;
    const int n = epoll_.Wait(events, kMaxEpollEvents, wait);
    for (int i = 0; i < n; ++i) {
      HandleEpollEvent(events[i].events,
                       WakeableEpoll::IsWake(events[i])
                           ? nullptr
                           : static_cast<SseStream*>(events[i].data.ptr));
    }
    const absl::Time now = absl::Now();
    if (sweep_due_ && now < next_sweep && !stopping_.load()) continue;
    sweep_due_ = false;
    // Read before the adopted streams are taken: every stream adopted
    // before the shutdown began is then taken in this pass and closed with
    // the others, never left waiting when the thread ends for lack of
    // streams.
    const bool stop_requested = stopping_.load();
    TakeAdopted(now);
    if (stop_requested && !shutdown_deadline_) {
      shutdown_deadline_ = now + shutdown_grace_;
      for (auto& stream : streams_) {
        BeginClosing(*stream, kWindowEnd, *shutdown_deadline_,
                     StreamEnd::kShutdown);
      }
    }
    // Cleared before the log is read, so an append after this point wakes
    // the thread again.
    wake_pending_.store(false);
    SyncWindow();
    // Read after the log: a close asked for before an event was appended
    // is then always seen before that event could go out.
    if (close_pending_.exchange(false)) {
      for (auto& stream : streams_) {
        if (stream->close_before() != 0 && !stream->delivery().closing) {
          BeginClosing(*stream, stream->close_before(),
                       now + options_.write_timeout, StreamEnd::kServerClosed);
        }
      }
    }
    Sweep(now);
    if (delivered_events_ > 0 || delivered_bytes_ > 0) {
      metrics_->Delivered(delivered_events_, delivered_bytes_);
      delivered_events_ = 0;
      delivered_bytes_ = 0;
    }
    ReportProgress();
    if (shutdown_deadline_ && streams_.empty()) break;
    const absl::Duration took = absl::Now() - now;
    next_sweep = now + std::min(2 * took, kMaxSweepPause);
  }
}

void StreamWriter::ReportProgress() {
  cursors_.clear();
  for (const auto& stream : streams_) {
    // A closing stream is on its way out; it holds nobody back.
    if (stream->delivery().socket.valid() && !stream->delivery().closing) {
      cursors_.push_back(stream->delivery().cursor);
    }
  }
  const size_t connections = cursors_.size();
  const size_t wanted = std::min(connections, log_->slowest_wanted());
  std::nth_element(cursors_.begin(), cursors_.begin() + wanted, cursors_.end());
  std::sort(cursors_.begin(), cursors_.begin() + wanted);
  log_->ReportProgress(this, connections,
                       absl::MakeConstSpan(cursors_.data(), wanted));
}

void StreamWriter::HandleEpollEvent(uint32_t events, SseStream* stream) {
  if (stream == nullptr) {  // a wake-up
    // wake_pending_ stays set until the sweep reads the log, so appends
    // while the sweep waits for its turn cost no further write().
    sweep_due_ = true;
    return;
  }
  sweep_due_ = true;
  if (!stream->delivery().socket.valid())
    return;  // dropped earlier in this round
  if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
    Drop(*stream, StreamEnd::kClientGone);
    return;
  }
  if (events & EPOLLIN) {
    // Nothing more is expected from an SSE client; anything it sends is
    // discarded, and end of input means it has gone.
    char sink[512];
    while (true) {
      ssize_t r =
          ::recv(stream->delivery().socket.get(), sink, sizeof(sink), 0);
      if (r > 0 && (stream->delivery().received += static_cast<size_t>(r)) >
                       options_.max_bytes_after_head) {
        Drop(*stream, StreamEnd::kTooMuchInput,
             "it sent more than --max_bytes_after_head");
        return;
      }
      if (r > 0) continue;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Drop(*stream, StreamEnd::kClientGone);
      return;
    }
  }
  if (events & EPOLLOUT) stream->delivery().blocked = false;
}

void StreamWriter::TakeAdopted(absl::Time now) {
  std::vector<std::pair<std::shared_ptr<SseStream>, UniqueFd>> adopted;
  {
    absl::MutexLock lock(&adopt_mu_);
    adopted.swap(adopted_);
  }
  for (auto& [stream, socket] : adopted) {
    const int fd = socket.get();
    if (options_.send_buffer_bytes > 0 &&
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options_.send_buffer_bytes,
                     sizeof(options_.send_buffer_bytes)) != 0) {
      LogWarning("cannot set SO_SNDBUF on a stream",
                 {{"bytes", options_.send_buffer_bytes},
                  {"error", std::strerror(errno)}});
    }
    // Edge-triggered: EPOLLOUT reports each time a full socket drains.
    if (absl::Status added = epoll_.Add(
            fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, stream.get());
        !added.ok()) {
      LogWarning("stream dropped: cannot watch its socket",
                 {{"connection", stream->id()},
                  {"client", ClientIdForLog(stream->client_id())},
                  {"error", added.ToString()}});
      socket.Reset();
      detach_(*stream);
      stream_count_.fetch_sub(1);
      continue;
    }
    stream->delivery().socket = std::move(socket);
    stream->delivery().last_write = now;
    if (shutdown_deadline_) {
      // Adopted after the shutdown began: it gets what the log holds and a
      // clean end, within the grace the others have.
      BeginClosing(*stream, kWindowEnd, *shutdown_deadline_,
                   StreamEnd::kShutdown);
    } else if (stream->close_before() != 0) {
      BeginClosing(*stream, stream->close_before(),
                   now + options_.write_timeout, StreamEnd::kServerClosed);
    }
    streams_.push_back(std::move(stream));
  }
}

void StreamWriter::BeginClosing(SseStream& stream, uint64_t end,
                                absl::Time deadline, StreamEnd reason) {
  if (!stream.delivery().closing) {
    stream.delivery().closing = true;
    stream.delivery().close_at = end;
    stream.delivery().close_reason = reason;
  } else {
    stream.delivery().close_at = std::min(stream.delivery().close_at, end);
  }
  stream.delivery().close_deadline =
      std::min(stream.delivery().close_deadline, deadline);
}

void StreamWriter::SyncWindow() {
  const uint64_t window_end = window_first_ + window_.size();
  uint64_t first_held = 0;
  const uint64_t start = log_->CopyFrom(window_end, &window_, &first_held);
  if (start != window_end) {
    // This writer fell behind the log's capacity: what it had no longer
    // joins up with what it got.
    window_.erase(window_.begin(),
                  window_.begin() + (window_end - window_first_));
    window_first_ = start;
  }
  while (window_first_ < first_held && !window_.empty()) {
    window_.pop_front();
    ++window_first_;
  }
  const uint64_t new_end = window_first_ + window_.size();
  for (auto& stream : streams_) {
    if (stream->delivery().close_at == kWindowEnd)
      stream->delivery().close_at = new_end;
  }
}

void StreamWriter::Sweep(absl::Time now) {
  const uint64_t window_end = window_first_ + window_.size();
  const bool keepalive_due = now >= next_keepalive_check_;
  if (keepalive_due) {
    next_keepalive_check_ =
        now + std::min(options_.keepalive_interval / 4, absl::Seconds(1));
  }
  for (auto& stream_ptr : streams_) {
    SseStream& stream = *stream_ptr;
    if (!stream.delivery().socket.valid()) continue;
    if (stream.delivery().cursor < window_first_) {
      Drop(stream, StreamEnd::kOutOfHistory,
           "it fell out of the event history");
      continue;
    }
    if (!stream.delivery().closing && now >= stream.delivery().expires) {
      // The client's identity (a token) expired; it may reconnect with a
      // fresh one.
      BeginClosing(stream, window_end, now + options_.write_timeout,
                   StreamEnd::kTokenExpired);
    }
    if (stream.delivery().closing && now >= stream.delivery().close_deadline) {
      Drop(stream, StreamEnd::kCloseTimeout,
           "it did not drain within the write timeout while closing");
      continue;
    }
    const uint64_t lag = window_end - stream.delivery().cursor;
    stream.delivery().best_lag = std::min(stream.delivery().best_lag, lag);
    if (stream.delivery().blocked) {
      if (lag - stream.delivery().best_lag > options_.max_lag_events) {
        Drop(stream, StreamEnd::kSlow,
             "it is too slow: it fell --max_lag_events further behind than "
             "it had been");
      } else if (now - stream.delivery().last_write > options_.write_timeout) {
        Drop(stream, StreamEnd::kWriteTimeout,
             "its socket accepted nothing within the write timeout");
      }
      continue;
    }
    const bool idle =
        stream.delivery().cursor == window_end &&
        stream.delivery().control_offset == stream.delivery().control.size();
    if (idle && keepalive_due && !stream.delivery().closing &&
        now - stream.delivery().last_write >= options_.keepalive_interval) {
      stream.delivery().control.assign(kKeepaliveChunk.data(),
                                       kKeepaliveChunk.size());
      stream.delivery().control_offset = 0;
    } else if (idle && !stream.delivery().closing) {
      continue;
    }
    if (!Flush(stream, now)) {
      // Flush ends a stream once its last chunk is out, or on an error.
      const bool finished =
          stream.delivery().ending &&
          stream.delivery().control_offset == stream.delivery().control.size();
      Drop(stream,
           finished ? stream.delivery().close_reason : StreamEnd::kWriteError);
    }
  }
  streams_.erase(std::remove_if(streams_.begin(), streams_.end(),
                                [](const auto& s) {
                                  return !s->delivery().socket.valid();
                                }),
                 streams_.end());
}

bool StreamWriter::Flush(SseStream& stream, absl::Time now) {
  const uint64_t window_end = window_first_ + window_.size();
  while (true) {
    const uint64_t limit =
        stream.delivery().closing
            ? std::min(stream.delivery().close_at, window_end)
            : window_end;
    iov_.clear();
    gathered_.clear();
    size_t bytes = 0;
    if (stream.delivery().control_offset == stream.delivery().control.size()) {
      TakeRetryChanges(stream, limit);
    }
    if (stream.delivery().control_offset < stream.delivery().control.size()) {
      iov_.push_back(
          {stream.delivery().control.data() + stream.delivery().control_offset,
           stream.delivery().control.size() -
               stream.delivery().control_offset});
      gathered_.push_back({kControl, stream.delivery().control_offset});
      bytes += iov_.back().iov_len;
    }
    uint64_t sequence = stream.delivery().cursor;
    size_t offset = stream.delivery().cursor_offset;
    for (; sequence < limit && iov_.size() < kMaxIov && bytes < kMaxBatchBytes;
         ++sequence) {
      const Event& event = *window_[sequence - window_first_];
      // A retry change becomes this stream's own control bytes, which may
      // not go into the middle of a batch.
      if (event.retry_change()) break;
      if (offset == 0 && !event.target().Matches(stream.client())) continue;
      iov_.push_back({const_cast<char*>(event.chunk().data()) + offset,
                      event.chunk().size() - offset});
      gathered_.push_back({sequence, offset});
      bytes += iov_.back().iov_len;
      offset = 0;
    }
    if (iov_.empty()) {
      stream.delivery().cursor = sequence;
      if (sequence < limit) continue;  // stopped at a retry change
      if (stream.delivery().ending)
        return false;  // the last chunk is out: done
      if (stream.delivery().closing &&
          stream.delivery().cursor >= stream.delivery().close_at) {
        stream.delivery().control = LastWords();
        stream.delivery().control_offset = 0;
        stream.delivery().ending = true;
        continue;
      }
      return true;
    }
    // sendmsg() rather than writev(): with MSG_NOSIGNAL a peer that hung up
    // gives EPIPE, never a SIGPIPE, whatever the process does with the
    // signal (main() ignores it; a test or an embedding program may not).
    msghdr message{};
    message.msg_iov = iov_.data();
    message.msg_iovlen = iov_.size();
    const ssize_t written =
        ::sendmsg(stream.delivery().socket.get(), &message, MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        stream.delivery().blocked = true;
        return true;
      }
      return false;
    }
    stream.delivery().last_write = now;
    delivered_bytes_ += static_cast<uint64_t>(written);
    AccountWritten(stream, static_cast<size_t>(written), sequence);
  }
}

std::string StreamWriter::LastWords() {
  const int64_t spread_ms = absl::ToInt64Milliseconds(options_.drain_spread);
  if (!shutdown_deadline_ || spread_ms <= 0) return std::string(kLastChunk);
  const int64_t retry_ms =
      absl::Uniform<int64_t>(absl::IntervalClosed, random_, 0, spread_ms);
  return absl::StrCat(RetryChunk(absl::Milliseconds(retry_ms)), kLastChunk);
}

void StreamWriter::TakeRetryChanges(SseStream& stream, uint64_t limit) {
  if (stream.delivery().cursor_offset != 0) return;
  const RetryChange* change = nullptr;
  // Of several changes in a row, the last one counts.
  while (stream.delivery().cursor < limit &&
         IsRetryChange(stream.delivery().cursor)) {
    change =
        &*window_[stream.delivery().cursor - window_first_]->retry_change();
    ++stream.delivery().cursor;
  }
  if (change == nullptr) return;
  stream.delivery().control = RetryChunk(PickRetry(*change, random_));
  stream.delivery().control_offset = 0;
}

void StreamWriter::AccountWritten(SseStream& stream, size_t written,
                                  uint64_t scanned_to) {
  uint64_t completed = 0;
  for (size_t i = 0; i < iov_.size(); ++i) {
    const size_t length = iov_[i].iov_len;
    const Gathered& g = gathered_[i];
    if (written < length) {
      if (g.sequence == kControl) {
        stream.delivery().control_offset += written;
      } else {
        stream.delivery().cursor = g.sequence;
        stream.delivery().cursor_offset = g.offset + written;
      }
      stream.CountSent(completed);
      delivered_events_ += completed;
      return;
    }
    written -= length;
    if (g.sequence == kControl) {
      stream.delivery().control_offset = stream.delivery().control.size();
      if (!stream.delivery().ending) {
        stream.delivery().control.clear();
        stream.delivery().control_offset = 0;
        if (stream.delivery().control.capacity() > 16)
          stream.delivery().control.shrink_to_fit();
      }
    } else {
      stream.delivery().cursor = g.sequence + 1;
      stream.delivery().cursor_offset = 0;
      ++completed;
    }
  }
  stream.delivery().cursor = scanned_to;
  stream.delivery().cursor_offset = 0;
  stream.CountSent(completed);
  delivered_events_ += completed;
}

void StreamWriter::Drop(SseStream& stream, StreamEnd reason, const char* why) {
  if (!stream.delivery().socket.valid()) return;
  metrics_->StreamClosed(reason);
  if (why != nullptr) {
    LogInfo("stream dropped", {{"connection", stream.id()},
                               {"client", ClientIdForLog(stream.client_id())},
                               {"reason", StreamEndLabel(reason)},
                               {"why", why},
                               {"events_sent", stream.events_sent()}});
  } else if (LogEnabled(LogLevel::kDebug)) {
    LogDebug("stream closed", {{"connection", stream.id()},
                               {"client", ClientIdForLog(stream.client_id())},
                               {"reason", StreamEndLabel(reason)},
                               {"events_sent", stream.events_sent()}});
  }
  epoll_.Remove(stream.delivery().socket.get());
  stream.delivery().socket.Reset();
  detach_(stream);
  stream_count_.fetch_sub(1);
}

}  // namespace ssecast
