#include "server/sse/unambiguous_request.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ssecast {
namespace {

// `name` quoted if it is short and plain, else a neutral description: the
// message goes back to a browser, so it must not reflect arbitrary bytes.
std::string Shown(absl::string_view name, absl::string_view what) {
  constexpr size_t kMaxShown = 40;
  bool plain = !name.empty() && name.size() <= kMaxShown;
  for (char c : name) {
    plain =
        plain && (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.');
  }
  return plain ? absl::StrCat(what, " \"", name, "\"") : std::string(what);
}

}  // namespace

absl::Status CheckQueryUnambiguous(absl::string_view target) {
  const size_t question = target.find('?');
  if (question == absl::string_view::npos) return absl::OkStatus();
  absl::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  absl::flat_hash_set<absl::string_view> seen;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    const absl::string_view name = pair.substr(0, eq);
    if (name.empty()) {
      return absl::InvalidArgumentError("a query parameter has no name");
    }
    if (eq != absl::string_view::npos &&
        pair.find('=', eq + 1) != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          Shown(name, "query parameter"),
          " has more than one '=' in its value; escape it as %3D"));
    }
    if (!seen.insert(pair).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          Shown(name, "query parameter"), " is given twice with one value"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckUnambiguous(const httplib::Request& request) {
  for (const auto& [name, value] : request.headers) {
    if (name.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(Shown(name, "header"), " holds a NUL byte"));
    }
  }
  return CheckQueryUnambiguous(request.target);
}

}  // namespace ssecast
