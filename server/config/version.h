// The server's version, the commit it was built from, and whether it is a
// release build, for --version and the start-up line.
//
// The version is the VERSION file at the top of the tree. The commit comes
// from Bazel's workspace status (bazel/workspace_status.sh) and is stamped
// only into stamped builds (`bazel run`, see .bazelrc); other builds and
// trees without git say "unknown". A release build is one compiled with
// NDEBUG (`-c opt`, the default of `bazel run`). Thread-safe.
#ifndef SSECAST_SERVER_CONFIG_VERSION_H_
#define SSECAST_SERVER_CONFIG_VERSION_H_

#include <string>

namespace ssecast {

// "0.1.0"
const char* Version();
// A commit hash, "unknown" when not stamped.
const char* BuildCommit();
// "ssecast 0.1.0 (commit 1a2b3c4d5e6f, release build)"
std::string VersionLine();

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONFIG_VERSION_H_
