#!/bin/sh
# Bazel's --workspace_status_command (see .bazelrc): the commit this tree
# is at, for stamped builds (`ssecast --version`). Prints "unknown" outside
# a git checkout, so a tarball or a CI copy without .git still builds. A
# tree with uncommitted changes gets "-dirty".
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- 2>/dev/null; then
  commit="$commit-dirty"
fi
echo "STABLE_SSECAST_COMMIT $commit"
