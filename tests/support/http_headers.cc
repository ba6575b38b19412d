#include "tests/support/http_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace ssecast::test_support {

std::optional<std::string> FindHeader(const HttpHeaders& headers,
                                      absl::string_view name) {
  for (const auto& [field, value] : headers) {
    if (absl::EqualsIgnoreCase(field, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> FindAllHeaders(const HttpHeaders& headers,
                                        absl::string_view name) {
  std::vector<std::string> values;
  for (const auto& [field, value] : headers) {
    if (absl::EqualsIgnoreCase(field, name)) values.push_back(value);
  }
  return values;
}

std::optional<std::string> FindSetCookieValue(const HttpHeaders& headers,
                                              absl::string_view name) {
  std::optional<std::string> found;
  for (const std::string& set_cookie : FindAllHeaders(headers, "Set-Cookie")) {
    absl::string_view pair = set_cookie;
    pair = pair.substr(0, pair.find(';'));
    const size_t equals = pair.find('=');
    if (equals == absl::string_view::npos) continue;
    if (absl::StripAsciiWhitespace(pair.substr(0, equals)) != name) continue;
    found = std::string(absl::StripAsciiWhitespace(pair.substr(equals + 1)));
  }
  return found;
}

}  // namespace ssecast::test_support
