#include "tests/support/prometheus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/http_test_request.h"

namespace ssecast::test_support {
namespace {

constexpr char kPrometheusBinary[] = "/usr/bin/prometheus";
constexpr int kStartAttempts = 5;
constexpr absl::Duration kStartDeadline = absl::Seconds(30);
constexpr absl::Duration kStopGrace = absl::Seconds(10);
constexpr absl::Duration kRequestTimeout = absl::Seconds(10);

// Prometheus durations: whole milliseconds ("250ms").
std::string PrometheusDuration(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration), "ms");
}

}  // namespace

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PrometheusServerProcess>>
PrometheusServerProcess::Start(const std::string& target,
                               absl::Duration scrape_interval) {
  absl::StatusOr<std::string> directory = MakeTempDirectory("prometheus");
  if (!directory.ok()) return directory.status();
  auto server =
      absl::WrapUnique(new PrometheusServerProcess(*std::move(directory)));
  {
    std::ofstream config(server->directory_ + "/prometheus.yml");
    config << "global:\n"
           << "  scrape_interval: " << PrometheusDuration(scrape_interval)
           << "\n"
           << "  scrape_timeout: " << PrometheusDuration(scrape_interval)
           << "\n"
           << "scrape_configs:\n"
           << "  - job_name: ssecast\n"
           << "    static_configs:\n"
           << "      - targets: ['" << target << "']\n";
    if (!config.good()) return ErrnoStatus("writing prometheus.yml");
  }
  absl::Status started =
      StartOnFreePort("prometheus", kStartAttempts,
                      [&server](int port) { return server->Launch(port); });
  if (!started.ok()) return started;
  return server;
}

PrometheusServerProcess::PrometheusServerProcess(std::string directory)
    : directory_(std::move(directory)) {}

PrometheusServerProcess::~PrometheusServerProcess() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

absl::Status PrometheusServerProcess::Launch(int port) {
  port_ = port;
  // Everything the child needs is made before fork(): after it, in a
  // multithreaded parent, only async-signal-safe calls are allowed.
  std::vector<std::string> args = {
      kPrometheusBinary,
      absl::StrCat("--config.file=", directory_, "/prometheus.yml"),
      absl::StrCat("--storage.tsdb.path=", directory_, "/data"),
      absl::StrCat("--web.listen-address=127.0.0.1:", port),
      "--log.level=warn"};
  const std::string log_path = directory_ + "/prometheus.log";
  const int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoStatus(absl::StrCat("open ", log_path));

  absl::Status spawned = child_.Spawn(std::move(args), log_fd);
  close(log_fd);
  if (!spawned.ok()) return spawned;
  const absl::Time deadline = absl::Now() + kStartDeadline;
  while (true) {
    int wait_status = 0;
    if (child_.ReapIfExited(&wait_status)) {
      return absl::UnavailableError(
          absl::StrCat("prometheus on port ", port, " exited (wait status ",
                       wait_status, "); log: ", LogTail()));
    }
    absl::StatusOr<HttpTestResponse> ready =
        HttpGet(port, "/-/ready", {}, absl::Seconds(2));
    if (ready.ok() && ready->status == 200) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      Stop();
      return absl::DeadlineExceededError(
          absl::StrCat("prometheus on port ", port,
                       " was not ready in time; log: ", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::StatusOr<double> PrometheusServerProcess::QueryScalar(
    const std::string& expression) const {
  absl::StatusOr<HttpTestResponse> response = HttpGet(
      port_, absl::StrCat("/api/v1/query?query=", UrlEncode(expression)), {},
      kRequestTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("query ", expression, ": HTTP ",
                                            response->status, ": ",
                                            response->body));
  }
  google::protobuf::Struct answer;
  if (!google::protobuf::util::JsonStringToMessage(response->body, &answer)
           .ok()) {
    return absl::InternalError(
        absl::StrCat("query ", expression, ": not JSON: ", response->body));
  }
  const auto& fields = answer.fields();
  const auto status = fields.find("status");
  const auto data = fields.find("data");
  if (status == fields.end() || status->second.string_value() != "success" ||
      data == fields.end()) {
    return absl::InternalError(
        absl::StrCat("query ", expression, " failed: ", response->body));
  }
  const auto& data_fields = data->second.struct_value().fields();
  const auto result = data_fields.find("result");
  if (result == data_fields.end()) {
    return absl::InternalError(
        absl::StrCat("query ", expression, ": no result: ", response->body));
  }
  const auto& samples = result->second.list_value().values();
  if (samples.empty()) {
    return absl::NotFoundError(
        absl::StrCat("query ", expression, ": no sample yet"));
  }
  if (samples.size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "query ", expression, ": several samples: ", response->body));
  }
  const auto& sample = samples[0].struct_value().fields();
  const auto value = sample.find("value");
  double number = 0;
  // "value": [<time>, "<number>"]
  if (value == sample.end() || value->second.list_value().values_size() != 2 ||
      !absl::SimpleAtod(value->second.list_value().values(1).string_value(),
                        &number)) {
    return absl::InternalError(absl::StrCat(
        "query ", expression, ": unexpected sample: ", response->body));
  }
  return number;
}

std::string PrometheusServerProcess::LogTail() const {
  return FileTail(directory_ + "/prometheus.log");
}

void PrometheusServerProcess::Stop() {
  child_.SignalAndReap(SIGTERM, kStopGrace);
}

}  // namespace ssecast::test_support
