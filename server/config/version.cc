#include "server/config/version.h"

#include "absl/strings/str_cat.h"
#include "server/config/version_info.h"

namespace ssecast {

const char* Version() { return kVersionFromFile; }

const char* BuildCommit() { return kStampedCommit; }

std::string VersionLine() {
#ifdef NDEBUG
  constexpr char kBuild[] = "release build";
#else
  constexpr char kBuild[] = "debug build: assertions on, not for production";
#endif
  return absl::StrCat("ssecast ", Version(), " (commit ", BuildCommit(), ", ",
                      kBuild, ")");
}

}  // namespace ssecast
