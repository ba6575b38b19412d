// A stand-in for //server:ssecast with the same start-up and shutdown
// contract, so ServerProcess can be tested without the real server: it
// listens on --http_address, --grpc_address and, if set, --admin_address
// (accepting nothing), prints
// the listening line, and exits 0 (or --stop_exit_code) on SIGTERM or
// SIGINT. Extra flags make it
// misbehave in the ways ServerProcess must handle.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, http_address, "127.0.0.1:0", "IPv4 HOST:PORT.");
ABSL_FLAG(std::string, grpc_address, "127.0.0.1:0", "IPv4 HOST:PORT.");
ABSL_FLAG(std::string, admin_address, "", "IPv4 HOST:PORT; empty for none.");
ABSL_FLAG(int, exit_before_listening, -1,
          "When >= 0, print a line and exit with this code at once.");
ABSL_FLAG(std::string, drain_delay, "",
          "Accepted and ignored: ServerProcess passes it to every server.");
ABSL_FLAG(bool, ignore_sigterm, false, "Ignore SIGTERM (SIGINT still works).");
ABSL_FLAG(int, stop_exit_code, 0, "Exit code on SIGTERM or SIGINT.");
ABSL_FLAG(int, stdout_flood_lines, 0,
          "After the listening line, print this many filler lines and then "
          "\"flood done\", to overfill an undrained pipe.");

namespace {

// Binds and listens on an IPv4 "HOST:PORT"; returns the fd and sets
// `*bound` to the address actually bound, or returns -1.
int Listen(const std::string& address, std::string* bound) {
  const size_t colon = address.rfind(':');
  int port = 0;
  sockaddr_in socket_address{};
  socket_address.sin_family = AF_INET;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      inet_pton(AF_INET, address.substr(0, colon).c_str(),
                &socket_address.sin_addr) != 1) {
    std::fprintf(stderr, "fake_ssecast: bad address %s\n", address.c_str());
    return -1;
  }
  socket_address.sin_port = htons(static_cast<uint16_t>(port));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t length = sizeof(socket_address);
  if (fd < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&socket_address), length) != 0 ||
      listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&socket_address), &length) !=
          0) {
    std::perror("fake_ssecast: listen");
    return -1;
  }
  *bound = absl::StrCat(address.substr(0, colon), ":",
                        ntohs(socket_address.sin_port));
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);

  // Signals are taken with sigwait, so block them before anything else.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  if (absl::GetFlag(FLAGS_ignore_sigterm)) {
    if (signal(SIGTERM, SIG_IGN) == SIG_ERR) {
      std::perror("signal(SIGTERM)");
      return 1;
    }
  } else {
    sigaddset(&stop_signals, SIGTERM);
  }
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

  if (const int code = absl::GetFlag(FLAGS_exit_before_listening); code >= 0) {
    std::printf("fake_ssecast: exiting with %d before listening\n", code);
    return code;
  }

  std::string http_bound;
  std::string grpc_bound;
  if (Listen(absl::GetFlag(FLAGS_http_address), &http_bound) < 0 ||
      Listen(absl::GetFlag(FLAGS_grpc_address), &grpc_bound) < 0) {
    return 1;
  }
  std::string admin_bound;
  if (const std::string admin = absl::GetFlag(FLAGS_admin_address);
      !admin.empty() && Listen(admin, &admin_bound) < 0) {
    return 1;
  }
  std::printf("ssecast listening http=%s grpc=%s%s%s\n", http_bound.c_str(),
              grpc_bound.c_str(),
              admin_bound.empty() ? "" : " admin=", admin_bound.c_str());
  std::fflush(stdout);

  const int flood_lines = absl::GetFlag(FLAGS_stdout_flood_lines);
  for (int i = 0; i < flood_lines; ++i) {
    std::printf("fake_ssecast: filler line %d\n", i);
  }
  if (flood_lines > 0) std::printf("flood done\n");
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  std::printf("fake_ssecast: stopping on signal %d\n", received);
  std::fflush(stdout);
  return absl::GetFlag(FLAGS_stop_exit_code);
}
