// Fuzzes the Accept header parser of /events.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "server/sse/accept_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ssecast::AcceptsEventStream(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
