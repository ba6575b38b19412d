#include "server/sse/accept_header.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace ssecast {
namespace {

// False when the parameters carry q=0 ("not acceptable").
bool QualityAboveZero(const std::vector<absl::string_view>& parts) {
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
    if (param.size() < 2 || absl::AsciiStrToLower(param.substr(0, 2)) != "q=") {
      continue;
    }
    double q = 1;
    if (absl::SimpleAtod(param.substr(2), &q) && q <= 0) return false;
  }
  return true;
}

}  // namespace

bool AcceptsEventStream(absl::string_view accept) {
  if (absl::StripAsciiWhitespace(accept).empty()) return true;
  // The most specific matching range decides (RFC 9110, 12.5.1).
  int best_specificity = -1;
  bool accepted = false;
  for (absl::string_view range : absl::StrSplit(accept, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(range, ';');
    std::string type =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    int specificity = type == "text/event-stream" ? 2
                      : type == "text/*"          ? 1
                      : type == "*/*"             ? 0
                                                  : -1;
    if (specificity > best_specificity) {
      best_specificity = specificity;
      accepted = QualityAboveZero(parts);
    }
  }
  return accepted;
}

}  // namespace ssecast
