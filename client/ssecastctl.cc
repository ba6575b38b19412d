// ssecastctl: steers a running ssecast over its control plane, for
// operators and scripts. See kUsage below, or run `ssecastctl --help`.
//
// Exit codes: 0 success (also --help), 1 the call failed (message on
// stderr), 2 the command line is wrong (a short message on stderr). Flags
// are checked here before the Abseil parser sees them, so an unknown flag
// or a bad value is a usage error too.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
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
#include "client/publish_stream_writer.h"
#include "proto/ssecast/v1/broadcaster.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "Control-plane address of ssecast (its --grpc_address), host:port.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5),
          "How long to wait for the server to become reachable, and then for "
          "the call to complete. A connection that fails (refused, unknown "
          "host, TLS) is reported at once.");
ABSL_FLAG(std::string, token_file, "",
          "File whose first line (not blank, not a # comment) is the bearer "
          "token for a server with --grpc_token_file. Default: "
          "$SSECASTCTL_TOKEN_FILE, else the token in $SSECASTCTL_TOKEN.");
ABSL_FLAG(bool, tls, false,
          "Talk TLS to the server (its --grpc_tls_cert), trusting the system's "
          "CAs unless --tls_ca is given; implied by the other --tls_ flags.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM file of the CAs that may sign the server's certificate.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate for mutual TLS (the server's "
          "--grpc_tls_client_ca), with --tls_key.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_server_name, "",
          "The name the server's certificate must carry when it is not the "
          "host of --server (e.g. when --server is an IP address).");
ABSL_FLAG(std::string, id, "",
          "publish: the event's own id (SSE id field, after the position).");
ABSL_FLAG(std::string, type, "",
          "publish, publish-stream: the SSE event type (empty: \"message\").");
ABSL_FLAG(uint32_t, retry_ms, 0,
          "publish: if > 0, how long browsers wait before they reconnect. "
          "retry: the new reconnect interval of every connection.");
ABSL_FLAG(uint32_t, jitter_ms, 0,
          "retry: each connection waits retry_ms plus a random offset in "
          "[-jitter_ms, +jitter_ms]; must be below retry_ms.");
ABSL_FLAG(std::vector<std::string>, client, {},
          "publish, publish-stream: send only to these client ids, separated "
          "by commas (--client=a,b). Give the flag once. An id that contains "
          "a comma cannot be given here; use ssecast::Client.");
ABSL_FLAG(std::vector<std::string>, group, {},
          "publish, publish-stream: send to the members of these groups; "
          "disconnect: close the connections of their members; groups add, "
          "groups remove: the groups to change; separated by commas "
          "(--group=a,b), flag given once. clients, where: only the members "
          "of this one group.");
ABSL_FLAG(bool, all, false,
          "publish, publish-stream: send to every connected client.");
ABSL_FLAG(std::optional<std::string>, data, std::nullopt,
          "publish: the event data, instead of the DATA argument; \"-\" "
          "reads it from stdin.");
ABSL_FLAG(bool, cluster, false,
          "clients: list the clients of every node (with their node), as the "
          "server's presence knows them.");
ABSL_FLAG(bool, allow_reconnect, false,
          "disconnect: let the clients reconnect at once instead of "
          "answering their next request with 204.");

namespace ssecast {
namespace {

constexpr absl::string_view kUsage =
    R"(steers a running ssecast over its control plane.

Usage: ssecastctl [--server=HOST:PORT] [--timeout=5s] [--token_file=FILE]
                  [--tls] [--tls_ca=FILE] [--tls_cert=FILE --tls_key=FILE]
                  COMMAND [ARGS]

Commands:
  publish (--all | --client=ID[,ID...] | --group=G[,G...]) [--id=ID]
          [--type=TYPE] [--retry_ms=N] (DATA | --data=DATA)
      Publishes one event. DATA "-" reads the data from stdin.
  publish-stream (--all | --client=ID[,ID...] | --group=G[,G...])
                 [--type=TYPE]
      Publishes one event per line of stdin, in order, over one stream:
      each line, without its line end (LF or CRLF), is the data of one
      event; an empty line is an event with empty data. Prints how many
      were published; each line the server refused is reported on stderr
      with its number, and the exit code is then 1. The stream has no
      deadline: it lasts until stdin ends.
  disconnect [--allow_reconnect] (ID... | --group=G[,G...])
      Closes every connection of the clients, or of the members of the
      groups. Unless --allow_reconnect, their next request gets 204 No
      Content, so EventSource gives up.
  allow-reconnect ID...
      Lets the clients reconnect again.
  groups (add | remove) --group=G[,G...] ID...
      Puts the clients in the groups, or takes them out, for all their
      connections now and later (also clients not connected now).
  retry --retry_ms=N [--jitter_ms=M]
      Tells every connection, now and later, to reconnect after N ms plus
      its own random offset in [-M, +M] ms (sent as the SSE retry field).
  clients [--group=G] [--cluster]
      Lists the clients connected to the server (only the members of G),
      their connections and their groups. With --cluster, those of every
      node: one line per client and node, with its connection count.
  where (ID... | --group=G)
      Says on which node each client (or member of G) is connected, with
      its connection count and groups; clients connected nowhere are
      named on a last line. Cluster-wide with the server's --presence=redis.

Flags may come before or after the command; "--" ends the flags (for DATA
starting with "-"). Exit codes: 0 done, 1 failed, 2 bad command line.)";

constexpr absl::string_view kUsageLine =
    "Usage: ssecastctl [flags] COMMAND [ARGS]; see ssecastctl --help";

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int UsageError(absl::string_view problem) {
  std::cerr << "ssecastctl: " << problem << "\n" << kUsageLine << "\n";
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
  struct FlagUse {
    absl::string_view flag;
    bool set;
    std::vector<absl::string_view> commands;
  };
  const std::vector<FlagUse> uses = {
      {"--id", !absl::GetFlag(FLAGS_id).empty(), {"publish"}},
      {"--type",
       !absl::GetFlag(FLAGS_type).empty(),
       {"publish", "publish-stream"}},
      {"--retry_ms", absl::GetFlag(FLAGS_retry_ms) != 0, {"publish", "retry"}},
      {"--jitter_ms", absl::GetFlag(FLAGS_jitter_ms) != 0, {"retry"}},
      {"--client",
       !absl::GetFlag(FLAGS_client).empty(),
       {"publish", "publish-stream"}},
      {"--group",
       !absl::GetFlag(FLAGS_group).empty(),
       {"publish", "publish-stream", "disconnect", "groups", "clients",
        "where"}},
      {"--cluster", absl::GetFlag(FLAGS_cluster), {"clients"}},
      {"--all", absl::GetFlag(FLAGS_all), {"publish", "publish-stream"}},
      {"--data", absl::GetFlag(FLAGS_data).has_value(), {"publish"}},
      {"--allow_reconnect",
       absl::GetFlag(FLAGS_allow_reconnect),
       {"disconnect"}},
  };
  for (const FlagUse& use : uses) {
    if (use.set && !absl::c_linear_search(use.commands, command)) {
      return std::string(use.flag);
    }
  }
  return "";
}

// The target given by --all, --client or --group, or nullopt unless
// exactly one of them is set.
std::optional<v1::Target> TargetFromFlags() {
  const std::vector<std::string> clients = absl::GetFlag(FLAGS_client);
  const std::vector<std::string> groups = absl::GetFlag(FLAGS_group);
  const bool all = absl::GetFlag(FLAGS_all);
  const int targets = int{all} + !clients.empty() + !groups.empty();
  if (targets != 1) return std::nullopt;
  v1::Target target;
  if (all) {
    target.set_all(true);
  } else if (!clients.empty()) {
    target.mutable_clients()->mutable_ids()->Add(clients.begin(),
                                                 clients.end());
  } else {
    target.mutable_groups()->mutable_names()->Add(groups.begin(), groups.end());
  }
  return target;
}

constexpr absl::string_view kTargetChoice =
    "--all, --client=ID[,ID...] or --group=G[,G...]";

// The bearer token from --token_file, $SSECASTCTL_TOKEN_FILE or
// $SSECASTCTL_TOKEN; empty when none is given.
absl::StatusOr<std::string> BearerToken() {
  std::string path = absl::GetFlag(FLAGS_token_file);
  if (path.empty()) {
    if (const char* from_env = std::getenv("SSECASTCTL_TOKEN_FILE")) {
      path = from_env;
    }
  }
  if (!path.empty()) return ReadBearerTokenFile(path);
  const char* token = std::getenv("SSECASTCTL_TOKEN");
  return std::string(token != nullptr ? token : "");
}

absl::StatusOr<std::unique_ptr<Client>> ConnectToServer() {
  ClientOptions options;
  options.call_timeout = absl::GetFlag(FLAGS_timeout);
  absl::StatusOr<std::string> token = BearerToken();
  if (!token.ok()) return token.status();
  options.bearer_token = *std::move(token);
  const std::string ca = absl::GetFlag(FLAGS_tls_ca);
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  const std::string server_name = absl::GetFlag(FLAGS_tls_server_name);
  if (absl::GetFlag(FLAGS_tls) || !ca.empty() || !cert.empty() ||
      !key.empty() || !server_name.empty()) {
    absl::StatusOr<ClientTls> tls = ClientTlsFromFiles(ca, cert, key);
    if (!tls.ok()) return tls.status();
    tls->server_name = server_name;
    options.tls = *std::move(tls);
  }
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
  const std::optional<v1::Target> target = TargetFromFlags();
  if (!target.has_value()) {
    return UsageError(
        absl::StrCat("publish needs exactly one target: ", kTargetChoice));
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
      (*client)->Publish(event, *target);
  if (!response.ok()) return Failure("publish", response.status());
  std::cout << "published " << response->position() << " to "
            << Plural(response->connections(), "connection")
            << " on this node\n";
  return 0;
}

// Reports the lines the server refused on stderr, numbered from 1.
void ReportRejections(const v1::PublishStreamResponse& response) {
  for (const v1::Rejection& rejection : response.rejections()) {
    std::cerr << "ssecastctl: line " << rejection.index() + 1
              << " rejected: " << rejection.reason() << "\n";
  }
  if (response.rejected() > static_cast<uint64_t>(response.rejections_size())) {
    std::cerr << "ssecastctl: " << response.rejected()
              << " lines rejected in all; only the first "
              << response.rejections_size() << " are listed\n";
  }
}

int RunPublishStream(const std::vector<std::string>& args) {
  if (!args.empty()) {
    return UsageError(
        "publish-stream takes no arguments: it reads the events from stdin");
  }
  const std::optional<v1::Target> target = TargetFromFlags();
  if (!target.has_value()) {
    return UsageError(absl::StrCat("publish-stream needs exactly one target: ",
                                   kTargetChoice));
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  std::unique_ptr<PublishStreamWriter> stream = (*client)->OpenPublishStream();
  v1::PublishRequest request;
  *request.mutable_target() = *target;
  request.mutable_event()->set_type(absl::GetFlag(FLAGS_type));
  std::string line;
  while (std::getline(std::cin, line)) {
    absl::string_view data = line;
    absl::ConsumeSuffix(&data, "\r");
    request.mutable_event()->set_data(std::string(data));
    // False: the server ended the stream; Finish() says why.
    if (!stream->Write(request)) break;
  }
  if (std::cin.bad()) {
    // Returning cancels the stream; the events sent so far stay published.
    return Failure("reading stdin",
                   absl::UnavailableError("cannot read the events from stdin"));
  }
  absl::StatusOr<v1::PublishStreamResponse> response = stream->Finish();
  if (!response.ok()) return Failure("publish-stream", response.status());
  std::cout << "published " << Plural(response->accepted(), "event");
  if (response->accepted() > 0) {
    std::cout << " to " << Plural(response->connections(), "connection")
              << " on this node in all (last position "
              << response->last_position() << ")";
  }
  std::cout << "; rejected " << Plural(response->rejected(), "event") << "\n";
  ReportRejections(*response);
  return response->rejected() == 0 ? 0 : kExitFailure;
}

// "client abc" or "clients abc, def"; "group a" or "groups a, b".
std::string NamesPhrase(absl::string_view noun,
                        const std::vector<std::string>& names) {
  return absl::StrCat(noun, names.size() == 1 ? " " : "s ",
                      absl::StrJoin(names, ", "));
}

std::string ClientsPhrase(const std::vector<std::string>& ids) {
  return NamesPhrase("client", ids);
}

int RunDisconnect(const std::vector<std::string>& ids) {
  const std::vector<std::string> groups = absl::GetFlag(FLAGS_group);
  if (ids.empty() == groups.empty()) {
    return UsageError(ids.empty()
                          ? "disconnect needs at least one ID, or --group"
                          : "disconnect takes IDs or --group, not both");
  }
  const bool allow_reconnect = absl::GetFlag(FLAGS_allow_reconnect);
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  absl::StatusOr<uint32_t> closed =
      groups.empty() ? (*client)->Disconnect(ids, allow_reconnect)
                     : (*client)->DisconnectGroups(groups, allow_reconnect);
  if (!closed.ok()) return Failure("disconnect", closed.status());
  const absl::string_view subject =
      groups.empty() && ids.size() == 1 ? "it" : "they";
  std::cout << "disconnected "
            << (groups.empty() ? ClientsPhrase(ids)
                               : absl::StrCat("the members of ",
                                              NamesPhrase("group", groups)))
            << ": " << Plural(*closed, "connection") << " closed on this node; "
            << subject
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

// groups add ID... (join) and groups remove ID...
int RunGroups(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "add" && args[0] != "remove")) {
    return UsageError("groups needs a subcommand: add or remove");
  }
  const bool join = args[0] == "add";
  const std::string command = absl::StrCat("groups ", args[0]);
  const std::vector<std::string> ids(args.begin() + 1, args.end());
  const std::vector<std::string> groups = absl::GetFlag(FLAGS_group);
  if (groups.empty()) {
    return UsageError(absl::StrCat(command, " needs --group=G[,G...]"));
  }
  if (ids.empty()) {
    return UsageError(absl::StrCat(command, " needs at least one ID"));
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  const absl::Status status = join ? (*client)->AddToGroup(ids, groups)
                                   : (*client)->RemoveFromGroup(ids, groups);
  if (!status.ok()) return Failure(command, status);
  std::cout << (join ? "added " : "removed ") << ClientsPhrase(ids)
            << (join ? " to " : " from ") << NamesPhrase("group", groups)
            << "\n";
  return 0;
}

int RunRetry(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("retry takes no arguments");
  const uint32_t retry_ms = absl::GetFlag(FLAGS_retry_ms);
  const uint32_t jitter_ms = absl::GetFlag(FLAGS_jitter_ms);
  if (retry_ms == 0) return UsageError("retry needs --retry_ms=N above 0");
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  const absl::Status status = (*client)->ChangeReconnectInterval(
      absl::Milliseconds(retry_ms), absl::Milliseconds(jitter_ms));
  if (!status.ok()) return Failure("retry", status);
  std::cout << "reconnect interval set to " << retry_ms << " ms, jitter "
            << jitter_ms << " ms\n";
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
  const std::vector<std::string> groups = absl::GetFlag(FLAGS_group);
  if (groups.size() > 1) return UsageError("clients takes one --group");
  std::optional<std::string> group;
  if (!groups.empty()) group = groups[0];
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  const bool cluster = absl::GetFlag(FLAGS_cluster);
  absl::StatusOr<v1::ListClientsResponse> response =
      cluster ? (*client)->ListClusterClients(group)
              : (*client)->ListClients(group);
  if (!response.ok()) return Failure("clients", response.status());
  if (response->clients().empty()) {
    std::cout << (group ? absl::StrCat("no clients of group ", *group,
                                       " connected")
                        : "no clients connected")
              << "\n";
    return 0;
  }
  if (cluster) {
    std::vector<std::vector<std::string>> rows = {
        {"CLIENT", "NODE", "CONNECTIONS", "GROUPS"}};
    for (const v1::ClientInfo& info : response->clients()) {
      rows.push_back(
          {info.client_id(), info.node_id(),
           absl::StrCat(info.connection_count()),
           info.groups().empty() ? "-" : absl::StrJoin(info.groups(), ",")});
    }
    PrintTable(rows);
    return 0;
  }
  // Groups last: the list has no fixed width.
  std::vector<std::vector<std::string>> rows = {
      {"CLIENT", "CONNECTION", "REMOTE", "SINCE", "EVENTS SENT", "GROUPS"}};
  for (const v1::ClientInfo& info : response->clients()) {
    const std::string groups_cell =
        info.groups().empty() ? "-" : absl::StrJoin(info.groups(), ",");
    for (const v1::ConnectionInfo& connection : info.connections()) {
      rows.push_back({info.client_id(),
                      absl::StrCat(connection.connection_id()),
                      connection.remote_address(),
                      FormatUnixMillis(connection.connected_since_unix_ms()),
                      absl::StrCat(connection.events_sent()), groups_cell});
    }
  }
  PrintTable(rows);
  return 0;
}

int RunWhere(const std::vector<std::string>& ids) {
  const std::vector<std::string> groups = absl::GetFlag(FLAGS_group);
  if (ids.empty() == groups.empty() || groups.size() > 1) {
    return UsageError("where needs client ids or one --group=G, not both");
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToServer();
  if (!client.ok()) return ConnectFailure(client.status());
  absl::StatusOr<v1::GetPresenceResponse> response =
      groups.empty() ? (*client)->GetPresence(ids)
                     : (*client)->GetGroupPresence(groups[0]);
  if (!response.ok()) return Failure("where", response.status());
  std::vector<std::vector<std::string>> rows = {
      {"CLIENT", "NODE", "CONNECTIONS", "GROUPS"}};
  absl::flat_hash_set<std::string> found;
  for (const v1::ClientPresence& presence : response->clients()) {
    found.insert(presence.client_id());
    rows.push_back({presence.client_id(), presence.node_id(),
                    absl::StrCat(presence.connections()),
                    presence.groups().empty()
                        ? "-"
                        : absl::StrJoin(presence.groups(), ",")});
  }
  if (rows.size() > 1) PrintTable(rows);
  std::vector<std::string> nowhere;
  for (const std::string& id : ids) {
    if (!found.contains(id) && absl::c_find(nowhere, id) == nowhere.end()) {
      nowhere.push_back(id);
    }
  }
  if (!nowhere.empty()) {
    std::cout << "not connected: " << absl::StrJoin(nowhere, " ") << "\n";
  } else if (rows.size() == 1) {
    std::cout << "no clients of group " << groups[0] << " connected\n";
  }
  return 0;
}

using Command = int (*)(const std::vector<std::string>& args);
const auto* const kCommands = new absl::flat_hash_map<std::string, Command>({
    {"publish", &RunPublish},
    {"publish-stream", &RunPublishStream},
    {"disconnect", &RunDisconnect},
    {"allow-reconnect", &RunAllowReconnect},
    {"groups", &RunGroups},
    {"retry", &RunRetry},
    {"clients", &RunClients},
    {"where", &RunWhere},
});

bool IsHelpFlag(absl::string_view name) {
  return name == "help" || name == "helpfull" || name == "helpshort" ||
         name == "helppackage" || name == "h";
}

// `ssecastctl --help`: the commands, then every flag with its default.
int PrintHelp() {
  std::cout << "ssecastctl " << kUsage << "\n\nFlags:\n";
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), "client/ssecastctl.cc")) {
      flags.push_back(flag);
    }
  }
  absl::c_sort(flags, [](const absl::CommandLineFlag* a,
                         const absl::CommandLineFlag* b) {
    return a->Name() < b->Name();
  });
  for (const absl::CommandLineFlag* flag : flags) {
    std::cout << "  --" << flag->Name() << " (default \""
              << flag->DefaultValue() << "\")\n      " << flag->Help() << "\n";
  }
  return 0;
}

// Checks every flag before the Abseil parser runs (it would exit 1, and
// print its whole help for --help): an unknown flag or a bad value is a
// usage error. Returns the exit code when the run should end here.
std::optional<int> CheckFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    const size_t equals = arg.find('=');
    const absl::string_view name = arg.substr(0, equals);
    if (IsHelpFlag(name)) return PrintHelp();
    if (name == "version") {
      std::cout << "ssecastctl (ssecast control-plane client)\n";
      return 0;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    const bool negated_bool =
        flag == nullptr && absl::StartsWith(name, "no") &&
        (flag = absl::FindCommandLineFlag(name.substr(2))) != nullptr &&
        flag->IsOfType<bool>();
    if (flag == nullptr ||
        !absl::EndsWith(flag->Filename(), "client/ssecastctl.cc")) {
      return UsageError(absl::StrCat("unknown flag --", name));
    }
    if (negated_bool) {
      if (equals != absl::string_view::npos) {
        return UsageError(absl::StrCat("--", name, " takes no value"));
      }
      continue;
    }
    std::string value;
    if (equals != absl::string_view::npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (flag->IsOfType<bool>()) {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return UsageError(absl::StrCat("--", name, " needs a value"));
    }
    std::string error;
    // Parses into the flag, which the Abseil parser then sets again.
    if (!flag->ParseFrom(value, &error)) {
      return UsageError(absl::StrCat("--", name, ": ", error));
    }
  }
  return std::nullopt;
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (std::optional<int> exit_code = CheckFlags(argc, argv)) {
    return *exit_code;
  }
  for (absl::string_view list_flag : {"client", "group"}) {
    if (CountFlag(argc, argv, list_flag) > 1) {
      return UsageError(absl::StrCat("give --", list_flag,
                                     " once, with the names separated by "
                                     "commas: --",
                                     list_flag, "=a,b"));
    }
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
