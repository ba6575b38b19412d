#include "tests/process_usage.h"

#include <dirent.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ssecast::test_support {

absl::StatusOr<uint64_t> ResidentBytes(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream status(path);
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, "kB");
    uint64_t kib = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kib)) break;
    return kib * 1024;
  }
  return absl::NotFoundError(absl::StrCat("no VmRSS in ", path));
}

absl::StatusOr<int> OpenDescriptors(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/fd");
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("opendir ", path, ": ", std::strerror(errno)));
  }
  int count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

}  // namespace ssecast::test_support
