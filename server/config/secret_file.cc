#include "server/config/secret_file.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/base/file_contents.h"

namespace ssecast {

absl::StatusOr<std::string> ReadSecretFile(absl::string_view path,
                                           absl::string_view what) {
  absl::StatusOr<std::string> contents = ReadFileContents(path, what);
  if (!contents.ok()) return contents.status();
  std::string secret = *std::move(contents);
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
