#include "server/control/bearer_tokens.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/base/file_contents.h"

namespace ssecast {

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Every byte of `a` is compared with a byte of `b` (wrapping around), so
  // the work is the same wherever they differ; a length mismatch is folded
  // in without a branch on the contents.
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  if (b.empty()) return a.empty();
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i]) ^
                  static_cast<unsigned char>(b[i % b.size()]);
  }
  // Keeps the compiler from turning the loop into an early exit.
  volatile unsigned char result = difference;
  return result == 0;
}

absl::StatusOr<std::vector<std::string>> BearerTokens::Parse(
    absl::string_view text, absl::string_view path) {
  std::vector<std::string> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("token file ", path, " line ", line_number, ": ", why));
    };
    if (line.size() < kMinTokenBytes || line.size() > kMaxTokenBytes) {
      return bad(absl::StrCat("a token must be ", kMinTokenBytes, " to ",
                              kMaxTokenBytes, " characters (this one has ",
                              line.size(), ")"));
    }
    for (char c : line) {
      if (c <= ' ' || c > '~') {
        return bad(
            "a token may hold visible ASCII characters only (no spaces or "
            "control characters)");
      }
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token file ", path,
        " holds no token (one per line; blank lines and # comments are "
        "skipped)"));
  }
  return tokens;
}

namespace {

absl::StatusOr<std::vector<std::string>> ReadTokens(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFileContents(path, "token file");
  if (!contents.ok()) return contents.status();
  return BearerTokens::Parse(*contents, path);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BearerTokens>> BearerTokens::Load(
    std::string path) {
  absl::StatusOr<std::vector<std::string>> tokens = ReadTokens(path);
  if (!tokens.ok()) return tokens.status();
  return std::make_unique<BearerTokens>(*std::move(tokens), std::move(path));
}

BearerTokens::BearerTokens(std::vector<std::string> tokens, std::string path)
    : path_(std::move(path)), tokens_(std::move(tokens)) {}

absl::StatusOr<size_t> BearerTokens::Reload() {
  absl::StatusOr<std::vector<std::string>> tokens = ReadTokens(path_);
  if (!tokens.ok()) return tokens.status();
  const size_t count = tokens->size();
  absl::MutexLock lock(&mu_);
  tokens_ = *std::move(tokens);
  return count;
}

bool BearerTokens::Accepts(absl::string_view token) const {
  absl::MutexLock lock(&mu_);
  bool accepted = false;
  // No early exit: the time does not tell which token matched.
  for (const std::string& known : tokens_) {
    accepted |= ConstantTimeEquals(token, known);
  }
  return accepted;
}

}  // namespace ssecast
