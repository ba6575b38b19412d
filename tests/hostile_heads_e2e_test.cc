// End-to-end catalogue of hostile request heads against the real ssecast
// binary: each is answered with a clear status (or served, when it is
// merely unusual), and afterwards the server still answers /healthz with
// its memory and open descriptors back near where they were. The head is
// read within --max_request_head_bytes, --max_request_headers,
// --max_url_bytes and --request_head_timeout, and a body is refused
// without being read, so none of these can make the server buffer much.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"
#include "tests/process_usage.h"
#include "tests/raw_http.h"
#include "tests/running_server.h"
#include "testing/status_assertions.h"
#include "tests/support/http_test_request.h"

namespace ssecast::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Memory the server may hold on to after a case: allocator caches and
// thread arenas, far below what buffering any of the big inputs would take.
constexpr uint64_t kRssSlack = 24 << 20;
// Descriptors above the baseline allowed to stay (none should).
constexpr int kFdSlack = 2;

struct HostileCase {
  std::string name;
  std::string bytes;
  // What the reply starts with, and a part of it (e.g. the reason).
  std::string status_line;
  std::string reply_part;
  absl::Duration trickle_gap = absl::ZeroDuration();
  // How many responses the bytes are worth (pipelining).
  int responses = 1;
};

std::string Get(const std::string& path, const std::string& fields = "") {
  return absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: t\r\n", fields,
                      "Connection: close\r\n\r\n");
}

std::string ManyFields(int n) {
  std::string fields;
  for (int i = 0; i < n; ++i) absl::StrAppend(&fields, "X-F", i, ": v\r\n");
  return fields;
}

// Status lines in `reply`: "HTTP/1.1 " at the start of a line (an answer's
// body may mention HTTP/1.1 too).
int StatusLines(const std::string& reply) {
  int count = 0;
  for (size_t at = reply.find("HTTP/1.1 "); at != std::string::npos;
       at = reply.find("HTTP/1.1 ", at + 1)) {
    if (at == 0 || reply[at - 1] == '\n') ++count;
  }
  return count;
}

std::vector<HostileCase> Cases() {
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  std::string fifty_pipelined;
  for (int i = 0; i < 49; ++i) fifty_pipelined += healthz;
  fifty_pipelined += Get("/healthz");
  std::string crlfs;
  for (int i = 0; i < 10000; ++i) crlfs += "\r\n";
  return {
      // --- Size limits.
      {"1 MiB header line without LF",
       absl::StrCat("GET /events HTTP/1.1\r\nX-Big: ",
                    std::string(1 << 20, 'a')),
       "HTTP/1.1 431 ", "a header line is longer than 8192 bytes"},
      {"64 MiB header line without LF",
       absl::StrCat("GET /events HTTP/1.1\r\nX-Big: ",
                    std::string(64 << 20, 'a')),
       "HTTP/1.1 431 ", "a header line is longer than 8192 bytes"},
      {"10k header fields",
       absl::StrCat("GET /events HTTP/1.1\r\n", ManyFields(10000), "\r\n"),
       "HTTP/1.1 431 ", "--max_request_headers"},
      {"102 header fields", Get("/healthz", ManyFields(100)), "HTTP/1.1 431 ",
       "--max_request_headers"},
      {"100 header fields are fine", Get("/healthz", ManyFields(98)),
       "HTTP/1.1 200 ", "ok"},
      {"16 KiB cookie",
       Get("/events", "Cookie: a=" + std::string(16384, 'c') + "\r\n"),
       "HTTP/1.1 431 ", ""},
      {"100 KiB URL", Get("/" + std::string(100 * 1024, 'u')), "HTTP/1.1 414 ",
       "--max_url_bytes"},
      {"URL one byte over --max_url_bytes", Get("/" + std::string(8000, 'u')),
       "HTTP/1.1 414 ", "--max_url_bytes"},
      {"URL at --max_url_bytes is routed", Get("/" + std::string(7999, 'u')),
       "HTTP/1.1 404 ", ""},
      {"60 KB of CRLF before any request", crlfs + crlfs + crlfs,
       "HTTP/1.1 414 ", "--max_request_head_bytes"},
      // --- Bodies, which no route takes.
      {"body on GET /events",
       "GET /events HTTP/1.1\r\nHost: t\r\nContent-Length: "
       "10\r\n\r\n0123456789",
       "HTTP/1.1 413 ", "bodies are not accepted"},
      {"1 MiB body on an unknown path",
       absl::StrCat("POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: ",
                    1 << 20, "\r\n\r\n", std::string(1 << 20, 'b')),
       "HTTP/1.1 413 ", "bodies are not accepted"},
      {"64 MiB body announced, not sent",
       "PUT /events HTTP/1.1\r\nHost: t\r\nContent-Length: 67108864\r\n\r\n",
       "HTTP/1.1 413 ", ""},
      {"chunked body on GET /events",
       "GET /events HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       "HTTP/1.1 413 ", ""},
      {"Expect 100-continue with a body",
       "POST /events HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
       "Content-Length: 5\r\n\r\n",
       "HTTP/1.1 413 ", ""},
      {"negative Content-Length",
       "GET /healthz HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 400 ",
       "Content-Length"},
      {"conflicting Content-Length",
       "GET /healthz HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: "
       "7\r\n\r\n",
       "HTTP/1.1 400 ", "conflicting"},
      {"Content-Length 0 is no body", Get("/healthz", "Content-Length: 0\r\n"),
       "HTTP/1.1 200 ", "ok"},
      // --- Malformed heads.
      {"garbage request line", "GARBAGE\r\n\r\n", "HTTP/1.1 400 ",
       "malformed request line"},
      {"binary garbage", std::string("\xff\xfe\x01\x02\r\n\r\n", 8),
       "HTTP/1.1 400 ", ""},
      {"NUL in the request line",
       std::string("GET /heal\0thz HTTP/1.1\r\n\r\n", 26), "HTTP/1.1 400 ",
       "NUL"},
      {"NUL in a header value",
       std::string("GET /events HTTP/1.1\r\nX-Id: al\0ice\r\n\r\n", 38),
       "HTTP/1.1 400 ", "NUL"},
      {"HTTP/0.9 request", "GET /healthz\r\n\r\n", "HTTP/1.1 400 ", "HTTP/0.9"},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/1.1 400 ",
       "HTTP version"},
      {"HTTP/1.2", "GET /healthz HTTP/1.2\r\n\r\n", "HTTP/1.1 400 ",
       "HTTP version"},
      {"bare LF line ends", "GET /healthz HTTP/1.1\nHost: t\n\n",
       "HTTP/1.1 400 ", "without CR"},
      {"bare CR in a value", "GET /healthz HTTP/1.1\r\nX: a\rb\r\n\r\n",
       "HTTP/1.1 400 ", "control character"},
      {"obsolete line folding",
       "GET /healthz HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "HTTP/1.1 400 ",
       "folding"},
      {"header line without colon", "GET /healthz HTTP/1.1\r\nnocolon\r\n\r\n",
       "HTTP/1.1 400 ", "NAME: VALUE"},
      {"space before colon", "GET /healthz HTTP/1.1\r\nHost : t\r\n\r\n",
       "HTTP/1.1 400 ", "NAME: VALUE"},
      {"two spaces in the request line", "GET  /healthz HTTP/1.1\r\n\r\n",
       "HTTP/1.1 400 ", ""},
      {"unknown method", "BREW /events HTTP/1.1\r\n\r\n", "HTTP/1.1 501 ",
       "unknown request method"},
      {"lowercase method", "get /healthz HTTP/1.1\r\n\r\n", "HTTP/1.1 501 ",
       ""},
      {"UTF-8 in a value is fine",
       Get("/healthz",
           "X-Name: Gr\xc3\xbc\xc3\x9f"
           "e\r\n"),
       "HTTP/1.1 200 ", "ok"},
      // --- Time.
      {"head trickled past the deadline",
       "GET /events HTTP/1.1\r\nX-Slow: "
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
       "HTTP/1.1 408 ", "--request_head_timeout",
       /*trickle_gap=*/absl::Milliseconds(100)},
      {"connect and send nothing", "", "HTTP/1.1 408 ",
       "--request_head_timeout"},
      // --- Several requests on one connection.
      {"two pipelined requests", healthz + Get("/healthz"), "HTTP/1.1 200 ",
       "ok", absl::ZeroDuration(), 2},
      {"fifty pipelined requests", fifty_pipelined, "HTTP/1.1 200 ", "ok",
       absl::ZeroDuration(), 50},
      {"good request, then an oversized one",
       healthz + "GET /healthz HTTP/1.1\r\n" + ManyFields(200) + "\r\n",
       "HTTP/1.1 200 ", "--max_request_headers", absl::ZeroDuration(), 2},
      {"blank lines before a request", "\r\n\r\n" + Get("/healthz"),
       "HTTP/1.1 200 ", "ok"},
      {"HTTP/1.0 closes after one answer",
       "GET /healthz HTTP/1.0\r\n\r\n" + healthz, "HTTP/1.1 200 ", "ok"},
  };
}

class HostileHeadsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        RunningServer::Start({"--request_head_timeout=1s"});
    ASSERT_OK(server);
    server_ = *std::move(server);
    // Warm up what every request touches, so the baseline includes it.
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK(HttpGet(server_->http_port(), "/healthz"));
    }
    ASSERT_OK(server_->OpenStream());
    ASSERT_OK(server_->AwaitTotalConnectionCount(0));
    absl::StatusOr<int> fds = OpenDescriptors(pid());
    ASSERT_OK(fds);
    baseline_fds_ = *fds;
    absl::StatusOr<uint64_t> rss = ResidentBytes(pid());
    ASSERT_OK(rss);
    baseline_rss_ = *rss;
  }

  pid_t pid() { return server_->process().pid(); }

  void ExpectHealthyAndBackToBaseline() {
    absl::StatusOr<HttpTestResponse> health =
        HttpGet(server_->http_port(), "/healthz");
    ASSERT_OK(health);
    EXPECT_EQ(health->status, 200) << health->body;
    EXPECT_OK(PollUntil("open descriptors back at the baseline", kE2eTimeout,
                        [&]() -> absl::Status {
                          absl::StatusOr<int> fds = OpenDescriptors(pid());
                          if (!fds.ok()) return fds.status();
                          if (*fds <= baseline_fds_ + kFdSlack) {
                            return absl::OkStatus();
                          }
                          return absl::UnavailableError(absl::StrCat(
                              *fds, " open, baseline ", baseline_fds_));
                        }));
    absl::StatusOr<uint64_t> rss = ResidentBytes(pid());
    ASSERT_OK(rss);
    EXPECT_LE(*rss, baseline_rss_ + kRssSlack)
        << "baseline " << baseline_rss_ << " bytes";
  }

  std::unique_ptr<RunningServer> server_;
  int baseline_fds_ = 0;
  uint64_t baseline_rss_ = 0;
};

TEST_F(HostileHeadsE2eTest, EachGetsAClearAnswerAndLeavesNothingBehind) {
  const std::vector<HostileCase> cases = Cases();
  ASSERT_GE(cases.size(), 30u);
  for (const HostileCase& c : cases) {
    SCOPED_TRACE(c.name);
    const RawExchangeResult reply =
        ExchangeRaw(server_->http_port(), c.bytes, kE2eTimeout, c.trickle_gap);
    const std::string shown = absl::CHexEscape(reply.received.substr(0, 600));
    EXPECT_TRUE(reply.closed) << "the server kept the connection: " << shown;
    EXPECT_THAT(reply.received, StartsWith(c.status_line)) << shown;
    EXPECT_THAT(reply.received, HasSubstr(c.reply_part)) << shown;
    EXPECT_EQ(StatusLines(reply.received), c.responses) << shown;
    if (!absl::StartsWith(c.status_line, "HTTP/1.1 2")) {
      EXPECT_THAT(reply.received, HasSubstr("Connection: close\r\n")) << shown;
    }
    ASSERT_NO_FATAL_FAILURE(ExpectHealthyAndBackToBaseline());
  }
}

}  // namespace
}  // namespace ssecast::test_support
