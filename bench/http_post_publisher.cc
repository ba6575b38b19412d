#include "bench/http_post_publisher.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/event_payload.h"
#include "bench/http_response_parser.h"
#include "bench/socket_address.h"

namespace ssecast::bench {

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("only http:// URLs are supported, got \"", url, "\""));
  }
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  HttpUrl result;
  result.path_and_query =
      slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon == absl::string_view::npos) {
    result.host = std::string(authority);
  } else {
    result.host = std::string(authority.substr(0, colon));
    if (!absl::SimpleAtoi(authority.substr(colon + 1), &result.port) ||
        result.port < 1 || result.port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad port in URL \"", url, "\""));
    }
  }
  if (result.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no host in URL \"", url, "\""));
  }
  return result;
}

namespace {

// One keep-alive connection that posts events one at a time.
class PostingConnection {
 public:
  PostingConnection(const sockaddr_in& address, const HttpUrl& url,
                    const PublishJob& job)
      : address_(address),
        head_prefix_(absl::StrCat("POST ", url.path_and_query,
                                  " HTTP/1.1\r\nHost: ", url.host, ":",
                                  url.port,
                                  "\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: ")),
        job_(job) {}

  // Posts one event; returns the outcome name ("OK", "HTTP 503",
  // "UNAVAILABLE") and fills `error` for failures.
  std::string Post(uint64_t seq, std::string& error) {
    if (!fd_.valid()) {
      absl::StatusOr<UniqueFd> fd =
          ConnectBlocking(address_, job_.call_timeout);
      if (!fd.ok()) {
        error = std::string(fd.status().message());
        return "UNAVAILABLE";
      }
      fd_ = std::move(*fd);
    }
    const std::string body =
        MakeEventPayload({UnixNanosNow(), seq}, job_.payload_size);
    const std::string request =
        absl::StrCat(head_prefix_, body.size(), "\r\n\r\n", body);
    if (absl::Status sent = SendAll(fd_.get(), request); !sent.ok()) {
      fd_.Reset();
      error = std::string(sent.message());
      return "UNAVAILABLE";
    }
    return ReadResponse(error);
  }

 private:
  std::string ReadResponse(std::string& error) {
    parser_.Reset();
    char buffer[4096];
    while (!parser_.complete()) {
      const ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
      if (n <= 0) {
        error = n == 0 ? "connection closed before the response ended"
                       : absl::StrCat("recv: ", strerror(errno));
        fd_.Reset();
        return "UNAVAILABLE";
      }
      absl::StatusOr<size_t> used = parser_.Feed(
          absl::string_view(buffer, static_cast<size_t>(n)), nullptr);
      if (!used.ok()) {
        error = std::string(used.status().message());
        fd_.Reset();
        return "BAD_RESPONSE";
      }
    }
    if (auto connection = parser_.Header("connection");
        connection.has_value() &&
        absl::EqualsIgnoreCase(*connection, "close")) {
      fd_.Reset();
    }
    const int status = parser_.status_code();
    if (status >= 200 && status < 300) return "OK";
    error = absl::StrCat("status ", status);
    return absl::StrCat("HTTP ", status);
  }

  const sockaddr_in address_;
  const std::string head_prefix_;
  const PublishJob job_;
  UniqueFd fd_;
  HttpResponseParser parser_;
};

}  // namespace

absl::Status RunHttpPosts(const HttpUrl& url, const PublishJob& job,
                          PublishPacer& pacer, PublishStats& stats) {
  absl::StatusOr<sockaddr_in> address = ResolveIpv4(url.host, url.port);
  if (!address.ok()) return address.status();
  std::vector<std::thread> senders;
  for (int i = 0; i < job.inflight; ++i) {
    senders.emplace_back([&] {
      PostingConnection connection(*address, url, job);
      for (uint64_t seq = pacer.Next(); seq != 0; seq = pacer.Next()) {
        const absl::Time start = absl::Now();
        std::string error;
        const std::string outcome = connection.Post(seq, error);
        stats.RecordCall(outcome, absl::ToInt64Nanoseconds(absl::Now() - start),
                         error);
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  return absl::OkStatus();
}

}  // namespace ssecast::bench
