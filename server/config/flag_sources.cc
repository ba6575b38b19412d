#include "server/config/flag_sources.h"

#include <iterator>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/base/file_contents.h"

namespace ssecast {
namespace {

// Where --config is on the command line: its value and the arguments it
// took (one for --config=FILE, two for --config FILE).
struct ConfigArg {
  std::string path;
  size_t index = 0;
  size_t count = 0;
};

std::optional<ConfigArg> FindConfigArg(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    if (absl::ConsumePrefix(&arg, "config=")) {
      return ConfigArg{std::string(arg), i, 1};
    }
    if (arg == "config" && i + 1 < args.size()) {
      return ConfigArg{args[i + 1], i, 2};
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<std::string>> ReadConfigFile(
    const std::string& path) {
  // Whatever stops the file from being read is a bad --config.
  absl::StatusOr<std::string> contents = ReadFileContents(path, "config file");
  if (!contents.ok()) {
    return absl::InvalidArgumentError(contents.status().message());
  }
  std::vector<std::string> flags;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (!absl::StartsWith(line, "--") || line.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", path, " line ", line_number,
                       ": expected --flag=value (or --flag for true)"));
    }
    if (absl::StartsWith(line, "--config=") || line == "--config") {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", path, " line ", line_number,
                       ": a config file cannot name another (--config)"));
    }
    flags.emplace_back(line);
  }
  return flags;
}

}  // namespace

std::string EnvironmentName(absl::string_view flag) {
  return absl::StrCat(kEnvironmentPrefix, absl::AsciiStrToUpper(flag));
}

absl::StatusOr<MergedFlags> MergeFlagSources(
    const std::vector<std::string>& args, const FlagSources& sources) {
  MergedFlags merged;
  merged.args.push_back(args.empty() ? "ssecast" : args[0]);

  std::vector<std::string> command_line(args.begin() + (args.empty() ? 0 : 1),
                                        args.end());
  std::optional<std::string> config_path;
  if (std::optional<ConfigArg> config = FindConfigArg(args); config) {
    config_path = config->path;
    command_line.erase(
        command_line.begin() + (config->index - 1),
        command_line.begin() + (config->index - 1) + config->count);
  } else {
    config_path = sources.getenv(absl::StrCat(kEnvironmentPrefix, "CONFIG"));
  }
  if (config_path.has_value()) {
    if (config_path->empty()) {
      return absl::InvalidArgumentError("--config needs a file name");
    }
    absl::StatusOr<std::vector<std::string>> file_flags =
        ReadConfigFile(*config_path);
    if (!file_flags.ok()) return file_flags.status();
    for (std::string& flag : *file_flags) {
      merged.args.push_back(std::move(flag));
    }
  }

  absl::flat_hash_set<std::string> known = {
      absl::StrCat(kEnvironmentPrefix, "CONFIG")};
  for (const std::string& flag : sources.flag_names) {
    const std::string name = EnvironmentName(flag);
    known.insert(name);
    if (std::optional<std::string> value = sources.getenv(name); value) {
      merged.args.push_back(absl::StrCat("--", flag, "=", *value));
    }
  }
  for (const std::string& name : sources.environment_names) {
    if (absl::StartsWith(name, kEnvironmentPrefix) && !known.contains(name)) {
      merged.warnings.push_back(absl::StrCat("environment variable ", name,
                                             " names no flag; ignored"));
    }
  }
  absl::c_move(command_line, std::back_inserter(merged.args));
  return merged;
}

}  // namespace ssecast
