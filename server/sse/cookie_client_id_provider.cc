#include "server/sse/cookie_client_id_provider.h"

#include <sys/random.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ssecast {

CookieClientIdProvider::CookieClientIdProvider(std::string cookie_name,
                                               CookieSecurePolicy secure)
    : cookie_name_(std::move(cookie_name)), secure_(std::move(secure)) {}

absl::StatusOr<ClientIdentity> CookieClientIdProvider::Identify(
    const httplib::Request& request) {
  for (size_t i = 0; i < request.get_header_value_count("Cookie"); ++i) {
    std::optional<std::string> id =
        FindCookie(request.get_header_value("Cookie", i), cookie_name_);
    if (id && IsWellFormed(*id)) return ClientIdentity{*id, ""};
  }
  std::string id = NewClientId();
  std::string cookie =
      absl::StrCat(cookie_name_, "=", id, "; Path=/; HttpOnly; SameSite=Lax",
                   secure_.Secure(request) ? "; Secure" : "");
  return ClientIdentity{std::move(id), std::move(cookie)};
}

std::string CookieClientIdProvider::NewClientId() {
  uint8_t bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

bool CookieClientIdProvider::IsWellFormed(absl::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

std::optional<std::string> FindCookie(absl::string_view cookie_header,
                                      absl::string_view name) {
  for (absl::string_view pair : absl::StrSplit(cookie_header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    if (absl::StripAsciiWhitespace(pair.substr(0, eq)) != name) continue;
    absl::string_view value = absl::StripAsciiWhitespace(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

}  // namespace ssecast
