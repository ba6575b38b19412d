#ifndef SSECAST_TESTS_SUPPORT_CHUNKED_BODY_DECODER_H_
#define SSECAST_TESTS_SUPPORT_CHUNKED_BODY_DECODER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast::test_support {

// Decodes an HTTP/1.1 `Transfer-Encoding: chunked` body incrementally
// (RFC 9112 section 7.1). Strict on purpose, since it checks a server: chunk
// size lines and the CRLF after each chunk's data must be exact; chunk
// extensions and trailer fields are accepted and ignored. Input may be split
// anywhere, including inside a size line or between CR and LF.
//
// Not thread-safe.
class ChunkedBodyDecoder {
 public:
  // Appends the chunk data found in `bytes` to `*body`. Returns
  // INVALID_ARGUMENT on malformed framing; the decoder then stays failed and
  // rejects further input. Bytes after the end of the body are ignored.
  absl::Status Feed(absl::string_view bytes, std::string* body);

  // True once the zero-length last chunk and the end of the trailer section
  // arrived: the body is complete.
  bool done() const { return state_ == State::kDone; }
  // Chunks of data seen so far, not counting the zero-length last chunk.
  int64_t data_chunks() const { return data_chunks_; }

 private:
  enum class State { kSizeLine, kData, kDataCrlf, kTrailer, kDone, kFailed };

  // Each consumes a prefix of `*bytes` and advances the state.
  absl::Status ConsumeSizeLine(absl::string_view* bytes);
  void ConsumeData(absl::string_view* bytes, std::string* body);
  absl::Status ConsumeDataCrlf(absl::string_view* bytes);
  absl::Status ConsumeTrailerLine(absl::string_view* bytes);

  // Moves bytes into line_ up to and including an LF. Returns true when a
  // complete line is in line_ (its CRLF already checked and removed).
  absl::StatusOr<bool> AccumulateLine(absl::string_view* bytes,
                                      absl::string_view what);
  absl::Status ApplySizeLine();
  absl::Status Fail(absl::Status status);

  State state_ = State::kSizeLine;
  std::string line_;
  uint64_t data_remaining_ = 0;
  uint64_t last_chunk_size_ = 0;
  int crlf_matched_ = 0;  // Bytes of the CRLF after chunk data seen so far.
  int64_t data_chunks_ = 0;
  absl::Status failure_;
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_CHUNKED_BODY_DECODER_H_
