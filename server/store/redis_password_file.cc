#include "server/store/redis_password_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

absl::StatusOr<std::string> ReadRedisPasswordFile(absl::string_view path) {
  const std::string path_string(path);
  std::ifstream file(path_string, std::ios::binary);
  if (!file.is_open()) {
    const int error = errno;
    return absl::ErrnoToStatus(
        error, absl::StrCat("cannot open redis password file ", path));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(
        absl::StrCat("cannot read redis password file ", path));
  }
  std::string password = std::move(contents).str();
  if (absl::EndsWith(password, "\r\n")) {
    password.resize(password.size() - 2);
  } else if (absl::EndsWith(password, "\n")) {
    password.pop_back();
  }
  if (password.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis password file ", path, " is empty"));
  }
  return password;
}

}  // namespace ssecast
