#include "server/config/secret_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

absl::StatusOr<std::string> ReadSecretFile(absl::string_view path,
                                           absl::string_view what) {
  const std::string path_string(path);
  std::ifstream file(path_string, std::ios::binary);
  if (!file.is_open()) {
    const int error = errno;
    return absl::ErrnoToStatus(error,
                               absl::StrCat("cannot open ", what, " ", path));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat("cannot read ", what, " ", path));
  }
  std::string secret = std::move(contents).str();
  if (absl::EndsWith(secret, "\r\n")) {
    secret.resize(secret.size() - 2);
  } else if (absl::EndsWith(secret, "\n")) {
    secret.pop_back();
  }
  if (secret.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " is empty"));
  }
  return secret;
}

}  // namespace ssecast
