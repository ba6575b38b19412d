// Where the server's flags may come from besides the command line: the
// environment (SSECAST_ and the flag's name upper-cased, e.g.
// SSECAST_HTTP_ADDRESS for --http_address) and a config file
// (--config=FILE, or SSECAST_CONFIG=FILE; one --flag=value per line, blank
// lines and # comments skipped, the format of Abseil's --flagfile).
//
// Precedence: command line (including any --flagfile on it) > environment
// > config file > default. MergeFlagSources() gets there by building one
// argument list, file flags first, then environment flags, then the
// command line, for absl::ParseCommandLine, where a later value of a flag
// wins. So every source is parsed and checked by the same code.
//
// Pure functions of their inputs; thread-safe.
#ifndef SSECAST_SERVER_CONFIG_FLAG_SOURCES_H_
#define SSECAST_SERVER_CONFIG_FLAG_SOURCES_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast {

inline constexpr absl::string_view kEnvironmentPrefix = "SSECAST_";

struct FlagSources {
  // Flags that may come from the environment or the file (the server's
  // own, not Abseil's --flagfile, --help...).
  std::vector<std::string> flag_names;
  // Looks up an environment variable.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // The names of all environment variables, to warn about SSECAST_
  // variables that name no flag (a typo would otherwise go unnoticed).
  std::vector<std::string> environment_names;
};

struct MergedFlags {
  // argv[0], then the flags of the file, of the environment, and the
  // command line without --config.
  std::vector<std::string> args;
  // One line each, for stderr.
  std::vector<std::string> warnings;
};

// `args` is the command line, args[0] the program. INVALID_ARGUMENT for a
// config file that cannot be read or has a line that is not --flag=value.
absl::StatusOr<MergedFlags> MergeFlagSources(
    const std::vector<std::string>& args, const FlagSources& sources);

// SSECAST_HTTP_ADDRESS for "http_address".
std::string EnvironmentName(absl::string_view flag);

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONFIG_FLAG_SOURCES_H_
