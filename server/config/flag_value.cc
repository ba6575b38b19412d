#include "server/config/flag_value.h"

namespace ssecast {

absl::Status FlagValueError(absl::string_view flag, const absl::Status& why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", why.message()));
}

}  // namespace ssecast
