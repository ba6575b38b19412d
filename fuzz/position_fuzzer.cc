// Fuzzes what a browser's Last-Event-ID (or lastEventId parameter) goes
// through: the split at ':' and Position::Parse. A parsed position must
// print back to text that parses to the same position.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "absl/strings/string_view.h"
#include "server/hub/position.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  text = text.substr(0, text.find(':'));
  std::optional<ssecast::Position> position = ssecast::Position::Parse(text);
  if (position) {
    std::optional<ssecast::Position> again =
        ssecast::Position::Parse(position->ToString());
    if (!again || !(*again == *position)) std::abort();
  }
  return 0;
}
