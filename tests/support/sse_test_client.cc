#include "tests/support/sse_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace ssecast::test_support {
namespace {

// A response head beyond this is a broken server, not a real head.
constexpr size_t kMaxHeadBytes = 64 * 1024;

std::string ErrnoText(int error) {
  return absl::StrCat(std::strerror(error), " (errno ", error, ")");
}

// Waits until `fd` has one of `events` or `deadline` passes. Returns false
// on timeout. Error and hang-up conditions count as ready, so the next
// read or getsockopt reports them.
absl::StatusOr<bool> PollUntil(int fd, short events, absl::Time deadline) {
  for (;;) {
    const absl::Duration left =
        std::max(deadline - absl::Now(), absl::ZeroDuration());
    const int64_t ms =
        absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
    pollfd entry{fd, events, 0};
    const int ready =
        ::poll(&entry, 1, static_cast<int>(std::min<int64_t>(ms, INT_MAX)));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", ErrnoText(errno)));
    }
  }
}

// Non-blocking connect, so a full listen backlog (dropped SYNs) costs at
// most the caller's deadline rather than the kernel's retry schedule.
absl::Status ConnectToLoopback(int fd, int port, absl::Time deadline) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address),
                sizeof(address)) == 0) {
    return absl::OkStatus();
  }
  if (errno != EINPROGRESS) {
    return absl::UnavailableError(
        absl::StrCat("connect failed: ", ErrnoText(errno)));
  }
  absl::StatusOr<bool> ready = PollUntil(fd, POLLOUT, deadline);
  if (!ready.ok()) return ready.status();
  if (!*ready) {
    return absl::DeadlineExceededError("connect did not complete in time");
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
    error = errno;
  }
  if (error != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect failed: ", ErrnoText(error)));
  }
  return absl::OkStatus();
}

bool HasHeader(const HttpHeaders& headers, absl::string_view name) {
  return FindHeader(headers, name).has_value();
}

std::string BuildRequest(const SseTestRequest& request, int port) {
  std::string text =
      absl::StrCat(request.method, " ", request.path, " HTTP/1.1\r\n");
  if (!HasHeader(request.headers, "Host")) {
    absl::StrAppend(&text, "Host: 127.0.0.1:", port, "\r\n");
  }
  if (request.accept_event_stream && !HasHeader(request.headers, "Accept")) {
    absl::StrAppend(&text, "Accept: text/event-stream\r\n");
  }
  for (const auto& [name, value] : request.headers) {
    absl::StrAppend(&text, name, ": ", value, "\r\n");
  }
  // Servers such as cpp-httplib read a POST, PUT, PATCH or DELETE body
  // until close when no length is given, so those always carry one.
  const bool method_has_body =
      request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH" || request.method == "DELETE";
  if ((method_has_body || !request.body.empty()) &&
      !HasHeader(request.headers, "Content-Length")) {
    absl::StrAppend(&text, "Content-Length: ", request.body.size(), "\r\n");
  }
  absl::StrAppend(&text, "\r\n", request.body);
  return text;
}

absl::Status WithContext(const absl::Status& status,
                         absl::string_view context) {
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

}  // namespace

absl::string_view EndKindName(EndKind kind) {
  switch (kind) {
    case EndKind::kNotEnded:
      return "not ended";
    case EndKind::kCleanEnd:
      return "clean end";
    case EndKind::kEof:
      return "EOF without terminator";
    case EndKind::kReset:
      return "connection reset";
    case EndKind::kMalformed:
      return "malformed framing";
  }
  return "unknown end kind";
}

std::ostream& operator<<(std::ostream& os, EndKind kind) {
  return os << EndKindName(kind);
}

absl::StatusOr<std::unique_ptr<SseTestClient>> SseTestClient::Connect(
    int port, const std::string& path, HttpHeaders headers,
    absl::Duration timeout) {
  SseTestRequest request;
  request.path = path;
  request.headers = std::move(headers);
  request.timeout = timeout;
  return Connect(port, request);
}

absl::StatusOr<std::unique_ptr<SseTestClient>> SseTestClient::Connect(
    int port, const SseTestRequest& request) {
  const absl::Time deadline = absl::Now() + request.timeout;
  std::string description =
      absl::StrCat(request.method, " ", request.path, " on 127.0.0.1:", port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  }
  if (request.receive_buffer_bytes > 0 &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF,
                   &request.receive_buffer_bytes,
                   sizeof(request.receive_buffer_bytes)) != 0) {
    return absl::InternalError(
        absl::StrCat("setsockopt(SO_RCVBUF): ", ErrnoText(errno)));
  }
  if (absl::Status connected = ConnectToLoopback(fd.get(), port, deadline);
      !connected.ok()) {
    return WithContext(connected, description);
  }
  auto client = absl::WrapUnique(new SseTestClient(
      std::move(fd), std::move(description), request.method == "HEAD"));
  if (absl::Status sent = client->SendRequest(request, port, deadline);
      !sent.ok()) {
    return sent;
  }
  if (absl::Status head = client->ReadHead(request.timeout, deadline);
      !head.ok()) {
    return head;
  }
  return client;
}

SseTestClient::SseTestClient(UniqueFd fd, std::string description,
                             bool head_request)
    : fd_(std::move(fd)),
      description_(std::move(description)),
      head_request_(head_request) {}

absl::StatusOr<SseEvent> SseTestClient::NextEvent(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (std::optional<SseEvent> event = parser_.PopEvent()) return *event;
    if (ended()) return EndedBefore("the next event");
    absl::Status read = ReadBody(deadline, timeout, "the next event");
    if (!read.ok()) return read;
  }
}

absl::StatusOr<std::string> SseTestClient::NextComment(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (comments_returned_ < comments().size()) {
      return comments()[comments_returned_++];
    }
    if (ended()) return EndedBefore("the next comment");
    absl::Status read = ReadBody(deadline, timeout, "the next comment");
    if (!read.ok()) return read;
  }
}

absl::Status SseTestClient::WaitForBodyBytes(size_t bytes,
                                             absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const std::string awaited = absl::StrCat(bytes, " body bytes");
  while (body_.size() < bytes) {
    if (ended()) return EndedBefore(awaited);
    absl::Status read = ReadBody(deadline, timeout, awaited);
    if (!read.ok()) return read;
  }
  return absl::OkStatus();
}

absl::Status SseTestClient::WaitForBodyText(absl::string_view text,
                                            absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const std::string awaited = absl::StrCat("\"", absl::CEscape(text), "\"");
  while (!absl::StrContains(body_, text)) {
    if (ended()) return EndedBefore(awaited);
    absl::Status read = ReadBody(deadline, timeout, awaited);
    if (!read.ok()) return read;
  }
  return absl::OkStatus();
}

absl::Status SseTestClient::WaitForEnd(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!ended()) {
    absl::Status read = ReadBody(deadline, timeout, "the end of the response");
    if (!read.ok()) return read;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SseTestClient::ReadAllBody(absl::Duration timeout) {
  if (absl::Status end = WaitForEnd(timeout); !end.ok()) return end;
  const bool complete =
      end_kind_ == EndKind::kCleanEnd ||
      (end_kind_ == EndKind::kEof && framing_ == Framing::kUntilClose);
  if (!complete) {
    return absl::DataLossError(absl::StrCat(
        description_, ": the body ended with ", EndKindName(end_kind_), " (",
        end_detail_, ") after ", body_.size(), " bytes"));
  }
  return body_;
}

absl::Status SseTestClient::SendRequest(const SseTestRequest& request, int port,
                                        absl::Time deadline) {
  const std::string text = BuildRequest(request, port);
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n =
        ::send(fd_.get(), text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat(
          description_, ": sending the request failed: ", ErrnoText(errno)));
    }
    absl::StatusOr<bool> writable = PollUntil(fd_.get(), POLLOUT, deadline);
    if (!writable.ok()) return WithContext(writable.status(), description_);
    if (!*writable) {
      return absl::DeadlineExceededError(
          absl::StrCat(description_, ": timed out sending the request"));
    }
  }
  return absl::OkStatus();
}

absl::Status SseTestClient::ReadHead(absl::Duration timeout,
                                     absl::Time deadline) {
  std::string received;
  size_t head_end;
  while ((head_end = received.find("\r\n\r\n")) == std::string::npos) {
    if (received.size() > kMaxHeadBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(description_, ": response head longer than ",
                       kMaxHeadBytes, " bytes without a blank line"));
    }
    absl::StatusOr<bool> got = ReceiveSome(deadline, &received);
    if (!got.ok() && absl::IsDeadlineExceeded(got.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                       " waiting for the response head from ", description_,
                       "; received: \"", absl::CHexEscape(received), "\""));
    }
    if (!got.ok()) return WithContext(got.status(), description_);
    if (!*got) {
      return absl::UnavailableError(
          absl::StrCat(description_,
                       ": connection closed before the response head was "
                       "complete; received: \"",
                       absl::CHexEscape(received), "\""));
    }
  }
  if (absl::Status parsed =
          ParseHead(absl::string_view(received).substr(0, head_end));
      !parsed.ok()) {
    return parsed;
  }
  if (absl::Status framing = ChooseFraming(); !framing.ok()) return framing;
  ConsumeBody(absl::string_view(received).substr(head_end + 4));
  return absl::OkStatus();
}

absl::Status SseTestClient::ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> status_parts =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_parts.size() < 2 ||
      !absl::StartsWith(status_parts[0], "HTTP/1.") ||
      status_parts[1].size() != 3 ||
      !absl::SimpleAtoi(status_parts[1], &status_)) {
    return absl::InvalidArgumentError(
        absl::StrCat(description_, ": malformed status line \"",
                     absl::CHexEscape(lines[0]), "\""));
  }
  reason_ = status_parts.size() == 3 ? std::string(status_parts[2]) : "";
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    absl::string_view name = lines[i].substr(0, colon);
    if (colon == absl::string_view::npos || name.empty() ||
        name != absl::StripAsciiWhitespace(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(description_, ": malformed header line \"",
                       absl::CHexEscape(lines[i]), "\""));
    }
    headers_.emplace_back(
        std::string(name),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return absl::OkStatus();
}

absl::Status SseTestClient::ChooseFraming() {
  if (head_request_ || status_ == 204 || status_ == 304) {
    framing_ = Framing::kNone;
    EndBody(EndKind::kCleanEnd);
    return absl::OkStatus();
  }
  if (std::optional<std::string> codings = header("Transfer-Encoding")) {
    std::vector<absl::string_view> parts = absl::StrSplit(*codings, ',');
    framing_ = absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(parts.back()),
                                      "chunked")
                   ? Framing::kChunked
                   : Framing::kUntilClose;
    return absl::OkStatus();
  }
  if (std::optional<std::string> length = header("Content-Length")) {
    if (!absl::SimpleAtoi(*length, &content_remaining_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          description_, ": malformed Content-Length \"", *length, "\""));
    }
    framing_ = Framing::kContentLength;
    if (content_remaining_ == 0) EndBody(EndKind::kCleanEnd);
    return absl::OkStatus();
  }
  framing_ = Framing::kUntilClose;
  return absl::OkStatus();
}

absl::StatusOr<bool> SseTestClient::ReceiveSome(absl::Time deadline,
                                                std::string* out) {
  if (!fd_.valid()) {
    return absl::FailedPreconditionError(
        absl::StrCat(description_, ": the test closed this connection"));
  }
  for (;;) {
    std::array<char, 16 * 1024> buffer;
    const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n > 0) {
      out->append(buffer.data(), static_cast<size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(
          absl::StrCat("recv failed: ", ErrnoText(errno)));
    }
    absl::StatusOr<bool> readable = PollUntil(fd_.get(), POLLIN, deadline);
    if (!readable.ok()) return readable.status();
    if (!*readable) return absl::DeadlineExceededError("recv timed out");
  }
}

absl::Status SseTestClient::ReadBody(absl::Time deadline,
                                     absl::Duration timeout,
                                     absl::string_view awaited) {
  std::string received;
  absl::StatusOr<bool> got = ReceiveSome(deadline, &received);
  if (!got.ok()) {
    if (absl::IsDeadlineExceeded(got.status())) {
      return TimedOut(timeout, awaited);
    }
    if (absl::IsFailedPrecondition(got.status())) return got.status();
    EndBody(EndKind::kReset, std::string(got.status().message()));
    return absl::OkStatus();
  }
  if (*got) {
    ConsumeBody(received);
  } else if (framing_ == Framing::kUntilClose) {
    EndBody(EndKind::kEof);
  } else {
    EndBody(EndKind::kEof, "connection closed before the body was complete");
  }
  return absl::OkStatus();
}

void SseTestClient::ConsumeBody(absl::string_view bytes) {
  if (ended() || bytes.empty()) return;
  switch (framing_) {
    case Framing::kChunked: {
      std::string decoded;
      absl::Status status = chunked_.Feed(bytes, &decoded);
      DeliverBody(decoded);
      if (!status.ok()) {
        EndBody(EndKind::kMalformed, std::string(status.message()));
      } else if (chunked_.done()) {
        EndBody(EndKind::kCleanEnd);
      }
      break;
    }
    case Framing::kContentLength: {
      const size_t take = static_cast<size_t>(
          std::min<uint64_t>(content_remaining_, bytes.size()));
      DeliverBody(bytes.substr(0, take));
      content_remaining_ -= take;
      if (content_remaining_ == 0) EndBody(EndKind::kCleanEnd);
      break;
    }
    case Framing::kUntilClose:
      DeliverBody(bytes);
      break;
    case Framing::kNone:
      break;
  }
}

void SseTestClient::DeliverBody(absl::string_view decoded) {
  body_.append(decoded.data(), decoded.size());
  parser_.Feed(decoded);
}

void SseTestClient::EndBody(EndKind kind, std::string detail) {
  end_kind_ = kind;
  end_detail_ = std::move(detail);
  parser_.Finish();
}

absl::Status SseTestClient::TimedOut(absl::Duration timeout,
                                     absl::string_view awaited) const {
  return absl::DeadlineExceededError(absl::StrCat(
      "timed out after ", absl::FormatDuration(timeout), " waiting for ",
      awaited, " from ", description_, " (", Progress(), ")"));
}

absl::Status SseTestClient::EndedBefore(absl::string_view awaited) const {
  return absl::OutOfRangeError(absl::StrCat(
      description_, ": the response ended (", EndKindName(end_kind_),
      end_detail_.empty() ? "" : absl::StrCat(": ", end_detail_), ") before ",
      awaited, " arrived (", Progress(), ")"));
}

std::string SseTestClient::Progress() const {
  return absl::StrFormat(
      "so far: status %d, %d body bytes, %d events, %d comments", status_,
      body_.size(), parser_.dispatched_events(), comments().size());
}

}  // namespace ssecast::test_support
