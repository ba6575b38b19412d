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

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::StatusOr<int> FindFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return ErrnoStatus("socket");
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  absl::StatusOr<int> port;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    port = ErrnoStatus("bind 127.0.0.1:0");
  } else if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) !=
             0) {
    port = ErrnoStatus("getsockname");
  } else {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

absl::StatusOr<std::string> MakeTempDirectory() {
  const char* test_tmpdir = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(
      test_tmpdir != nullptr && *test_tmpdir != '\0' ? test_tmpdir : "/tmp",
      "/prometheus-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return ErrnoStatus(absl::StrCat("mkdtemp ", pattern));
  }
  return pattern;
}

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
  absl::StatusOr<std::string> directory = MakeTempDirectory();
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
  absl::Status last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    absl::StatusOr<int> port = FindFreePort();
    if (!port.ok()) return port.status();
    last_error = server->Launch(*port);
    if (last_error.ok()) return server;
  }
  return absl::Status(
      last_error.code(),
      absl::StrCat("prometheus did not start in ", kStartAttempts,
                   " attempts; last: ", last_error.message()));
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
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log_path = directory_ + "/prometheus.log";
  const int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoStatus(absl::StrCat("open ", log_path));

  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    close(log_fd);
    return ErrnoStatus("fork");
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  pid_ = child;
  const absl::Time deadline = absl::Now() + kStartDeadline;
  while (true) {
    int wait_status = 0;
    if (ReapIfExited(&wait_status)) {
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
  constexpr std::streamoff kTailBytes = 2000;
  std::ifstream log(directory_ + "/prometheus.log", std::ios::binary);
  if (!log.is_open()) return "(no log)";
  log.seekg(0, std::ios::end);
  const std::streamoff size = log.tellg();
  log.seekg(size > kTailBytes ? size - kTailBytes : 0);
  std::stringstream tail;
  tail << log.rdbuf();
  return tail.str();
}

bool PrometheusServerProcess::ReapIfExited(int* wait_status) {
  if (pid_ <= 0) return true;
  const pid_t reaped = waitpid(pid_, wait_status, WNOHANG);
  if (reaped == 0 || (reaped < 0 && errno == EINTR)) return false;
  pid_ = -1;
  return true;
}

void PrometheusServerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + kStopGrace;
  int wait_status = 0;
  while (!ReapIfExited(&wait_status)) {
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &wait_status, 0);
      pid_ = -1;
      return;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace ssecast::test_support
