#include "tests/support/runfile_path.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"

namespace ssecast::test_support {
namespace {

// The workspace name from the WORKSPACE file, for runs outside `bazel test`.
constexpr absl::string_view kDefaultWorkspace = "ssecast";

std::string NonEmptyEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string RunfilesRoot() {
  if (std::string root = NonEmptyEnv("TEST_SRCDIR"); !root.empty()) {
    return root;
  }
  if (std::string root = NonEmptyEnv("RUNFILES_DIR"); !root.empty()) {
    return root;
  }
  char self[4096];
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return ".";
  return absl::StrCat(absl::string_view(self, static_cast<size_t>(length)),
                      ".runfiles");
}

}  // namespace

std::string RunfilePath(absl::string_view workspace_relative_path) {
  std::string workspace = NonEmptyEnv("TEST_WORKSPACE");
  if (workspace.empty()) workspace = std::string(kDefaultWorkspace);
  return absl::StrCat(RunfilesRoot(), "/", workspace, "/",
                      workspace_relative_path);
}

}  // namespace ssecast::test_support
