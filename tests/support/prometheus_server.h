#ifndef SSECAST_TESTS_SUPPORT_PROMETHEUS_SERVER_H_
#define SSECAST_TESTS_SUPPORT_PROMETHEUS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/child_process.h"

namespace ssecast::test_support {

// A real Prometheus server (Debian's /usr/bin/prometheus) run as a child
// process for tests: on 127.0.0.1 and a free port, scraping one target
// (job "ssecast") every `scrape_interval`, with its configuration, its
// storage and its log in a private temporary directory (under $TEST_TMPDIR
// when set) deleted with this object.
//
// Owns the process: the destructor stops it (SIGTERM, then SIGKILL), and
// the child gets SIGKILL should the thread that started it die first. Not
// thread-safe: drive it from one thread.
class PrometheusServerProcess {
 public:
  // Starts prometheus and waits (up to 30 s) until /-/ready answers 200.
  // Tries a few ports, since a port found free may be taken before it binds.
  static absl::StatusOr<std::unique_ptr<PrometheusServerProcess>> Start(
      const std::string& target, absl::Duration scrape_interval);

  ~PrometheusServerProcess();
  PrometheusServerProcess(const PrometheusServerProcess&) = delete;
  PrometheusServerProcess& operator=(const PrometheusServerProcess&) = delete;

  int port() const { return port_; }

  // Evaluates `expression` now through the HTTP API (/api/v1/query). The
  // value of its single sample; NOT_FOUND when the result has no sample
  // (not scraped yet), FAILED_PRECONDITION when it has several, other
  // errors when the query fails. Each message quotes the answer.
  absl::StatusOr<double> QueryScalar(const std::string& expression) const;

  // The end of its log, for failure messages.
  std::string LogTail() const;

 private:
  explicit PrometheusServerProcess(std::string directory);
  absl::Status Launch(int port);
  void Stop();

  const std::string directory_;
  int port_ = 0;
  ChildProcess child_;
};

// `text` escaped for a URL's query component.
std::string UrlEncode(const std::string& text);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_PROMETHEUS_SERVER_H_
