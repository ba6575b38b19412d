#include "server/base/file_contents.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

absl::StatusOr<std::string> ReadFileContents(absl::string_view path,
                                             absl::string_view what) {
  std::ifstream file(std::string(path), std::ios::binary);
  if (!file.is_open()) {
    // Before StrCat, which may allocate and so change errno.
    const int error = errno;
    return absl::ErrnoToStatus(error,
                               absl::StrCat("cannot open ", what, " ", path));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat("cannot read ", what, " ", path));
  }
  return std::move(contents).str();
}

}  // namespace ssecast
