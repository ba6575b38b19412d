#ifndef SSECAST_TESTS_SUPPORT_RUNFILE_PATH_H_
#define SSECAST_TESTS_SUPPORT_RUNFILE_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ssecast::test_support {

// The absolute path of a file in this test's Bazel runfiles tree, given its
// path from the workspace root (e.g. "server/ssecast"). The file must be in
// the test's `data`. Uses $TEST_SRCDIR and $TEST_WORKSPACE as `bazel test`
// sets them; without them (a test binary run by hand) it falls back to
// $RUNFILES_DIR, then to the `<binary>.runfiles` tree beside the binary.
// Does not check that the file exists. Thread-safe.
std::string RunfilePath(absl::string_view workspace_relative_path);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_RUNFILE_PATH_H_
