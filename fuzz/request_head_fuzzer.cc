// Fuzzes the request-head parser of the SSE front, which sees every byte a
// browser (or anyone) sends before cpp-httplib does. The input is fed in
// growing prefixes, split where the first byte says, as the accept loop
// feeds what each read brings; the parser's promises are checked.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "server/sse/request_head_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  ssecast::RequestHeadLimits limits;
  limits.max_head_bytes = 2048;
  limits.max_header_fields = 8;
  limits.max_url_bytes = 256;
  ssecast::RequestHeadParser parser(limits);
  using Progress = ssecast::RequestHeadParser::Progress;
  Progress progress = Progress::kNeedMore;
  for (size_t end = 0; end <= bytes.size(); end += step) {
    const size_t upto = end < bytes.size() ? end : bytes.size();
    const Progress now = parser.Scan(bytes.substr(0, upto));
    // A decision, once made, stays.
    if (progress != Progress::kNeedMore && now != progress) std::abort();
    progress = now;
    if (upto == bytes.size()) break;
  }
  if (progress == Progress::kComplete) {
    if (parser.head_begin() > parser.head_end() ||
        parser.head_end() > bytes.size() ||
        parser.head_end() - parser.head_begin() > limits.max_head_bytes) {
      std::abort();
    }
  }
  if (progress == Progress::kRejected) {
    switch (parser.rejection_status()) {
      case 400: case 408: case 413: case 414: case 431: case 501:
        break;
      default:
        std::abort();
    }
    if (parser.rejection().empty()) std::abort();
  }
  return 0;
}
