#include "tests/support/flood_subscriber.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/hub/position.h"
#include "tests/support/chunked_body_decoder.h"
#include "tests/support/sse_stream_parser.h"

namespace ssecast::test_support {
namespace {

// How long one recv() may wait, so the thread notices the destructor.
constexpr absl::Duration kReadSlice = absl::Milliseconds(100);
constexpr size_t kMaxHeadBytes = 64 * 1024;

absl::Status SetTimeout(int fd, int option, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  if (::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) != 0) {
    return absl::InternalError(
        absl::StrCat("setsockopt: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> Connect(const FloodSubscriberOptions& options) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  if (options.receive_buffer_bytes > 0 &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF,
                   &options.receive_buffer_bytes,
                   sizeof(options.receive_buffer_bytes)) != 0) {
    return absl::InternalError(
        absl::StrCat("SO_RCVBUF: ", std::strerror(errno)));
  }
  if (absl::Status s =
          SetTimeout(fd.get(), SO_SNDTIMEO, options.connect_timeout);
      !s.ok()) {
    return s;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address),
                sizeof(address)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect: ", std::strerror(errno)));
  }
  return fd;
}

// Sends the request and reads up to the end of the response head. Returns
// the bytes of body that came with it.
absl::StatusOr<std::string> Handshake(int fd,
                                      const FloodSubscriberOptions& options) {
  std::string request =
      absl::StrCat("GET /events HTTP/1.1\r\nHost: 127.0.0.1:", options.port,
                   "\r\nAccept: text/event-stream\r\n");
  if (!options.last_event_id.empty()) {
    absl::StrAppend(&request, "Last-Event-ID: ", options.last_event_id, "\r\n");
  }
  absl::StrAppend(&request, "\r\n");
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return absl::UnavailableError("could not send the request");
  }
  if (absl::Status s = SetTimeout(fd, SO_RCVTIMEO, options.connect_timeout);
      !s.ok()) {
    return s;
  }
  std::string head;
  char buffer[4096];
  size_t end;
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    if (head.size() > kMaxHeadBytes) {
      return absl::DataLossError("the response head is too long");
    }
    const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
    if (got <= 0) {
      return absl::UnavailableError(
          absl::StrCat("the response head did not arrive: ",
                       got == 0 ? "end of stream" : std::strerror(errno)));
    }
    head.append(buffer, static_cast<size_t>(got));
  }
  if (!absl::StartsWith(head, "HTTP/1.1 200 ")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "expected 200, got: ", absl::string_view(head).substr(0, end)));
  }
  if (absl::Status s = SetTimeout(fd, SO_RCVTIMEO, kReadSlice); !s.ok()) {
    return s;
  }
  return head.substr(end + 4);
}

}  // namespace

struct FloodSubscriber::Decoder {
  ChunkedBodyDecoder chunked;
  SseStreamParser parser;
  std::string decoded;
  std::optional<Position> last_position;
};

absl::StatusOr<std::unique_ptr<FloodSubscriber>> FloodSubscriber::Start(
    const FloodSubscriberOptions& options) {
  absl::StatusOr<UniqueFd> fd = Connect(options);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<std::string> body_start = Handshake(fd->get(), options);
  if (!body_start.ok()) return body_start.status();
  return std::unique_ptr<FloodSubscriber>(
      new FloodSubscriber(*std::move(fd), options, *std::move(body_start)));
}

FloodSubscriber::FloodSubscriber(UniqueFd fd, FloodSubscriberOptions options,
                                 std::string body_start)
    : fd_(std::move(fd)),
      options_(std::move(options)),
      decoder_(std::make_unique<Decoder>()) {
  thread_ = std::thread(
      [this, body = std::move(body_start)]() mutable { Run(std::move(body)); });
}

FloodSubscriber::~FloodSubscriber() {
  stopping_.store(true);
  thread_.join();
}

void FloodSubscriber::Run(std::string body_start) {
  if (!Consume(body_start.data(), body_start.size())) return;
  char buffer[64 * 1024];
  // A trickle reads its share of bytes every kReadSlice.
  const size_t slice =
      options_.bytes_per_second > 0
          ? std::max<size_t>(1, options_.bytes_per_second *
                                    absl::ToInt64Milliseconds(kReadSlice) /
                                    1000)
          : sizeof(buffer);
  while (!stopping_.load()) {
    if (options_.never_read) {
      absl::SleepFor(kReadSlice);
      continue;
    }
    const ssize_t got =
        ::recv(fd_.get(), buffer, std::min(slice, sizeof(buffer)), 0);
    if (got > 0) {
      if (!Consume(buffer, static_cast<size_t>(got))) return;
      if (options_.bytes_per_second > 0) absl::SleepFor(kReadSlice);
      continue;
    }
    if (got < 0 &&
        (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      continue;
    }
    End(got == 0 ? "the server closed the connection"
                 : absl::StrCat("recv: ", std::strerror(errno)));
    return;
  }
}

bool FloodSubscriber::Consume(const char* bytes, size_t size) {
  Decoder& d = *decoder_;
  d.decoded.clear();
  if (absl::Status s =
          d.chunked.Feed(absl::string_view(bytes, size), &d.decoded);
      !s.ok()) {
    End(absl::StrCat("malformed chunked body: ", s.message()));
    return false;
  }
  d.parser.Feed(d.decoded);
  Progress counted;
  while (std::optional<SseEvent> event = d.parser.PopEvent()) {
    // The position is the part of the id before any ':'.
    std::optional<Position> position = Position::Parse(
        absl::string_view(event->id).substr(0, event->id.find(':')));
    if (!position) {
      ++counted.malformed;
    } else if (d.last_position && !(*d.last_position < *position)) {
      ++counted.out_of_order;
    } else {
      ++counted.events;
      d.last_position = position;
    }
    counted.last_id = event->id;
  }
  {
    absl::MutexLock lock(&mu_);
    progress_.events += counted.events;
    progress_.out_of_order += counted.out_of_order;
    progress_.malformed += counted.malformed;
    if (!counted.last_id.empty()) progress_.last_id = counted.last_id;
  }
  if (d.chunked.done()) {
    End("the server ended the stream");
    return false;
  }
  return true;
}

void FloodSubscriber::End(std::string reason) {
  absl::MutexLock lock(&mu_);
  progress_.ended = true;
  progress_.end_reason = std::move(reason);
}

FloodSubscriber::Progress FloodSubscriber::progress() const {
  absl::MutexLock lock(&mu_);
  return progress_;
}

absl::Status FloodSubscriber::AwaitEvents(int64_t events,
                                          absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [this, events]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return progress_.events >= events || progress_.ended;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  if (progress_.events >= events) return absl::OkStatus();
  if (progress_.ended) {
    return absl::FailedPreconditionError(
        absl::StrCat("the stream ended after ", progress_.events, " of ",
                     events, " events: ", progress_.end_reason));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("got ", progress_.events, " of ", events, " events within ",
                   absl::FormatDuration(timeout)));
}

absl::Status FloodSubscriber::AwaitEnd(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return progress_.ended;
  };
  if (mu_.AwaitWithTimeout(absl::Condition(&ended), timeout)) {
    return absl::OkStatus();
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "the stream did not end within ", absl::FormatDuration(timeout), " (",
      progress_.events, " events so far)"));
}

}  // namespace ssecast::test_support
