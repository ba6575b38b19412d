#include "server/hub/position.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ssecast {

std::string Position::ToString() const {
  return absl::StrCat(epoch, "-", sequence);
}

std::optional<Position> Position::Parse(absl::string_view text) {
  size_t dash = text.find('-');
  if (dash == absl::string_view::npos) return std::nullopt;
  absl::string_view epoch_text = text.substr(0, dash);
  absl::string_view sequence_text = text.substr(dash + 1);
  // SimpleAtoi accepts a sign and spaces; positions have neither.
  auto all_digits = [](absl::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (!all_digits(epoch_text) || !all_digits(sequence_text)) {
    return std::nullopt;
  }
  Position position;
  if (!absl::SimpleAtoi(epoch_text, &position.epoch) ||
      !absl::SimpleAtoi(sequence_text, &position.sequence)) {
    return std::nullopt;
  }
  return position;
}

}  // namespace ssecast
