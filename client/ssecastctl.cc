// ssecastctl: steers a running ssecast over its control plane, for
// operators and scripts. See kUsage below, or run `ssecastctl --help`.
//
// Exit codes: 0 success, 1 the call failed (message on stderr), 2 the
// command line is wrong (usage on stderr). Flag syntax errors are reported
// by the Abseil flags parser, which exits 1.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "proto/ssecast/v1/broadcaster.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "Control-plane address of ssecast (its --grpc_address), host:port.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5),
          "How long to wait for the server to become reachable, and then for "
          "the call to complete.");
ABSL_FLAG(std::string, id, "",
          "publish: the event's own id, sent after the position in the SSE "
          "id field.");
ABSL_FLAG(std::string, type, "",
          "publish: the SSE event type; empty means \"message\".");
ABSL_FLAG(uint32_t, retry_ms, 0,
          "publish: when > 0, tells browsers to wait this long before they "
          "reconnect.");
ABSL_FLAG(std::vector<std::string>, client, {},
          "publish: send only to these client ids, separated by commas "
          "(--client=a,b). Give the flag once. An id that contains a comma "
          "cannot be given here; use ssecast::Client.");
ABSL_FLAG(bool, all, false, "publish: send to every connected client.");
ABSL_FLAG(std::optional<std::string>, data, std::nullopt,
          "publish: the event data, instead of the DATA argument; \"-\" "
          "reads it from stdin.");
ABSL_FLAG(bool, allow_reconnect, false,
          "disconnect: let the clients reconnect at once instead of "
          "answering their next request with 204.");

namespace ssecast {
namespace {

constexpr absl::string_view kUsage =
    R"(steers a running ssecast over its control plane.

Usage: ssecastctl [--server=HOST:PORT] [--timeout=5s] COMMAND [ARGS]

Commands:
  publish (--all | --client=ID[,ID...]) [--id=ID] [--type=TYPE]
          [--retry_ms=N] (DATA | --data=DATA)
      Publishes one event. DATA "-" reads the data from stdin.
  disconnect [--allow_reconnect] ID...
      Closes every connection of the clients. Unless --allow_reconnect,
      their next request gets 204 No Content, so EventSource gives up.
  allow-reconnect ID...
      Lets the clients reconnect again.
  clients
      Lists the clients connected to the server and their connections.

Flags may come before or after the command; "--" ends the flags (for DATA
starting with "-"). Exit codes: 0 done, 1 failed, 2 bad command line.)";

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int UsageError(absl::string_view problem) {
  std::cerr << "ssecastctl: " << problem << "\n\nssecastctl " << kUsage << "\n";
  return kExitUsage;
}

// The connect error names the server and the timeout already.
int ConnectFailure(const absl::Status& status) {
  std::cerr << "ssecastctl: " << status.message() << "\n";
  return kExitFailure;
}

int Failure(absl::string_view what, const absl::Status& status) {
  std::cerr << "ssecastctl: " << what << " failed ("
            << absl::StatusCodeToString(status.code())
            << "): " << status.message() << "\n";
  return kExitFailure;
}

std::string Plural(uint64_t count, absl::string_view noun) {
  return absl::StrCat(count, " ", noun, count == 1 ? "" : "s");
}

// Absl keeps only the last value of a repeated flag; counting occurrences
// lets us refuse `--client=a --client=b` instead of silently dropping "a".
int CountFlag(int argc, char** argv, absl::string_view name) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    if (arg == name || absl::StartsWith(arg, absl::StrCat(name, "="))) {
      ++count;
    }
  }
  return count;
}

// The first flag that is set but does not apply to `command`, or "".
std::string MisplacedFlag(absl::string_view command) {
  if (command != "publish") {
    if (!absl::GetFlag(FLAGS_id).empty()) return "--id";
    if (!absl::GetFlag(FLAGS_type).empty()) return "--type";
    if (absl::GetFlag(FLAGS_retry_ms) != 0) return "--retry_ms";
    if (!absl::GetFlag(FLAGS_client).empty()) return "--client";
    if (absl::GetFlag(FLAGS_all)) return "--all";
    if (absl::GetFlag(FLAGS_data).has_value()) return "--data";
  }
  if (command != "disconnect" && absl::GetFlag(FLAGS_allow_reconnect)) {
    return "--allow_reconnect";
  }
  return "";
}

absl::StatusOr<std::unique_ptr<Client>> ConnectToServer() {
  ClientOptions options;
  options.call_timeout = absl::GetFlag(FLAGS_timeout);
  return Client::Connect(absl::GetFlag(FLAGS_server),
                         absl::GetFlag(FLAGS_timeout), options);
}

// The event data from the DATA argument or --data, reading stdin for "-".
absl::StatusOr<std::string> EventData(const std::vector<std::string>& args) {
  const std::optional<std::string> flag = absl::GetFlag(FLAGS_data);
  if (args.size() > 1) {
    return absl::InvalidArgumentError(
        "publish takes one DATA argument; quote data that has spaces");
  }
  if (flag.has_value() == !args.empty()) {
    return absl::InvalidArgumentError(
        "publish needs the data either as DATA or as --data, not both");
  }
  const std::string data = flag.has_value() ? *flag : args[0];
  if (data != "-") return data;
  std::string from_stdin(std::istreambuf_iterator<char>(std::cin), {});
  if (std::cin.bad()) {
    return absl::UnavailableError("cannot read the event data from stdin");
  }
  return from_stdin;
}

int RunPublish(const std::vector<std::string>& args) {
  const std::vector<std::string> clients = absl::GetFlag(FLAGS_client);
  const bool all = absl::GetFlag(FLAGS_all);
  if (all == !clients.empty()) {
    return UsageError(
        "publish needs exactly one target: --all or --client=ID[,ID...]");
  }
  const absl::StatusOr<std::string> data = EventData(args);
  if (absl::IsInvalidArgument(data.status())) {
    return UsageError(data.status().message());
  }
  if (!data.ok()) return Failure("reading stdin", data.status());

  v1::Event event;
  event.set_id(absl::GetFlag(FLAGS_id));
  event.set_type(absl::GetFlag(FLAGS_type));
  event.set_data(*data);
  event.set_retry_ms(absl::GetFlag(FLAGS_retry_ms));

  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  absl::StatusOr<v1::PublishResponse> response =
      all ? (*client)->PublishToAll(event)
          : (*client)->PublishToClients(event, clients);
  if (!response.ok()) return Failure("publish", response.status());
  std::cout << "published " << response->position() << " to "
            << Plural(response->connections(), "connection") << "\n";
  return 0;
}

// "client abc" or "clients abc, def".
std::string ClientsPhrase(const std::vector<std::string>& ids) {
  return absl::StrCat(ids.size() == 1 ? "client " : "clients ",
                      absl::StrJoin(ids, ", "));
}

int RunDisconnect(const std::vector<std::string>& ids) {
  if (ids.empty()) return UsageError("disconnect needs at least one ID");
  const bool allow_reconnect = absl::GetFlag(FLAGS_allow_reconnect);
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  absl::StatusOr<uint32_t> closed = (*client)->Disconnect(ids, allow_reconnect);
  if (!closed.ok()) return Failure("disconnect", closed.status());
  const absl::string_view subject = ids.size() == 1 ? "it" : "they";
  std::cout << "disconnected " << ClientsPhrase(ids) << ": "
            << Plural(*closed, "connection") << " closed; " << subject
            << (allow_reconnect ? " may reconnect"
                                : " will get 204 on reconnect")
            << "\n";
  return 0;
}

int RunAllowReconnect(const std::vector<std::string>& ids) {
  if (ids.empty()) return UsageError("allow-reconnect needs at least one ID");
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  absl::StatusOr<uint32_t> removed = (*client)->AllowReconnect(ids);
  if (!removed.ok()) return Failure("allow-reconnect", removed.status());
  std::cout << ClientsPhrase(ids) << " may reconnect (" << *removed << " of "
            << ids.size() << " had been refused)\n";
  return 0;
}

std::string FormatUnixMillis(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms),
                          absl::LocalTimeZone());
}

// Prints `rows` as columns separated by two spaces, each as wide as its
// widest cell; the last column is not padded.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    std::cout << line << "\n";
  }
}

int RunClients(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("clients takes no arguments");
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  absl::StatusOr<v1::ListClientsResponse> response = (*client)->ListClients();
  if (!response.ok()) return Failure("clients", response.status());
  if (response->clients().empty()) {
    std::cout << "no clients connected\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"CLIENT", "CONNECTION", "REMOTE", "SINCE", "EVENTS SENT"}};
  for (const v1::ClientInfo& info : response->clients()) {
    for (const v1::ConnectionInfo& connection : info.connections()) {
      rows.push_back({info.client_id(),
                      absl::StrCat(connection.connection_id()),
                      connection.remote_address(),
                      FormatUnixMillis(connection.connected_since_unix_ms()),
                      absl::StrCat(connection.events_sent())});
    }
  }
  PrintTable(rows);
  return 0;
}

using Command = int (*)(const std::vector<std::string>& args);
const auto* const kCommands = new absl::flat_hash_map<std::string, Command>({
    {"publish", &RunPublish},
    {"disconnect", &RunDisconnect},
    {"allow-reconnect", &RunAllowReconnect},
    {"clients", &RunClients},
});

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (CountFlag(argc, argv, "client") > 1) {
    return UsageError(
        "give --client once, with the ids separated by commas: "
        "--client=a,b");
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) return UsageError("no command given");
  const std::string command = positional[1];
  const std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (absl::GetFlag(FLAGS_timeout) <= absl::ZeroDuration()) {
    return UsageError("--timeout must be positive");
  }
  const auto run = kCommands->find(command);
  if (run == kCommands->end()) {
    return UsageError(absl::StrCat("unknown command \"", command, "\""));
  }
  if (const std::string flag = MisplacedFlag(command); !flag.empty()) {
    return UsageError(absl::StrCat(flag, " does not apply to ", command));
  }
  return run->second(args);
}

}  // namespace
}  // namespace ssecast

int main(int argc, char** argv) { return ssecast::Run(argc, argv); }
