#include "tests/support/chunked_body_decoder.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ssecast::test_support {
namespace {

// Longer size or trailer lines mean the framing is lost, not a real line.
constexpr size_t kMaxLineBytes = 4096;
// 16 hex digits fill a uint64_t.
constexpr size_t kMaxSizeDigits = 16;

bool IsHexNumber(absl::string_view text) {
  return !text.empty() && text.size() <= kMaxSizeDigits &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isxdigit(static_cast<unsigned char>(c));
         });
}

}  // namespace

absl::Status ChunkedBodyDecoder::Feed(absl::string_view bytes,
                                      std::string* body) {
  while (!bytes.empty()) {
    absl::Status status;
    switch (state_) {
      case State::kSizeLine:
        status = ConsumeSizeLine(&bytes);
        break;
      case State::kData:
        ConsumeData(&bytes, body);
        break;
      case State::kDataCrlf:
        status = ConsumeDataCrlf(&bytes);
        break;
      case State::kTrailer:
        status = ConsumeTrailerLine(&bytes);
        break;
      case State::kDone:
        return absl::OkStatus();
      case State::kFailed:
        return failure_;
    }
    if (!status.ok()) return Fail(std::move(status));
  }
  return state_ == State::kFailed ? failure_ : absl::OkStatus();
}

absl::Status ChunkedBodyDecoder::ConsumeSizeLine(absl::string_view* bytes) {
  absl::StatusOr<bool> complete = AccumulateLine(bytes, "chunk size");
  if (!complete.ok()) return complete.status();
  return *complete ? ApplySizeLine() : absl::OkStatus();
}

void ChunkedBodyDecoder::ConsumeData(absl::string_view* bytes,
                                     std::string* body) {
  const size_t take =
      static_cast<size_t>(std::min<uint64_t>(data_remaining_, bytes->size()));
  body->append(bytes->data(), take);
  bytes->remove_prefix(take);
  data_remaining_ -= take;
  if (data_remaining_ == 0) {
    state_ = State::kDataCrlf;
    crlf_matched_ = 0;
  }
}

absl::Status ChunkedBodyDecoder::ConsumeDataCrlf(absl::string_view* bytes) {
  constexpr absl::string_view kCrlf = "\r\n";
  while (!bytes->empty() && crlf_matched_ < 2) {
    const char found = bytes->front();
    if (found != kCrlf[crlf_matched_]) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "chunk of %d bytes is not followed by CRLF: byte %d after its data "
          "is 0x%02x (wrong chunk size?)",
          last_chunk_size_, crlf_matched_ + 1,
          static_cast<unsigned char>(found)));
    }
    ++crlf_matched_;
    bytes->remove_prefix(1);
  }
  if (crlf_matched_ == 2) state_ = State::kSizeLine;
  return absl::OkStatus();
}

absl::Status ChunkedBodyDecoder::ConsumeTrailerLine(absl::string_view* bytes) {
  absl::StatusOr<bool> complete = AccumulateLine(bytes, "trailer");
  if (!complete.ok()) return complete.status();
  if (!*complete) return absl::OkStatus();
  if (line_.empty()) state_ = State::kDone;
  line_.clear();  // Trailer fields are not needed by any test.
  return absl::OkStatus();
}

absl::StatusOr<bool> ChunkedBodyDecoder::AccumulateLine(
    absl::string_view* bytes, absl::string_view what) {
  const size_t lf = bytes->find('\n');
  const size_t take = lf == absl::string_view::npos ? bytes->size() : lf + 1;
  line_.append(bytes->data(), take);
  bytes->remove_prefix(take);
  if (line_.size() > kMaxLineBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " line is longer than ", kMaxLineBytes, " bytes: \"",
                     absl::CHexEscape(line_.substr(0, 64)), "...\""));
  }
  if (lf == absl::string_view::npos) return false;
  if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " line ends in a bare LF: \"", absl::CHexEscape(line_), "\""));
  }
  line_.resize(line_.size() - 2);
  return true;
}

absl::Status ChunkedBodyDecoder::ApplySizeLine() {
  absl::string_view size_text = line_;
  size_text = size_text.substr(0, size_text.find(';'));  // Drop extensions.
  while (!size_text.empty() &&
         (size_text.back() == ' ' || size_text.back() == '\t')) {
    size_text.remove_suffix(1);
  }
  uint64_t size = 0;
  if (!IsHexNumber(size_text) || !absl::SimpleHexAtoi(size_text, &size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed chunk size line: \"", absl::CHexEscape(line_), "\""));
  }
  line_.clear();
  if (size == 0) {
    state_ = State::kTrailer;
    return absl::OkStatus();
  }
  data_remaining_ = size;
  last_chunk_size_ = size;
  ++data_chunks_;
  state_ = State::kData;
  return absl::OkStatus();
}

absl::Status ChunkedBodyDecoder::Fail(absl::Status status) {
  state_ = State::kFailed;
  failure_ = std::move(status);
  return failure_;
}

}  // namespace ssecast::test_support
