#include "server/sse/client_id_flag.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/config/secret_file.h"
#include "server/sse/cookie_client_id_provider.h"
#include "server/sse/jwt_client_id_provider.h"
#include "server/sse/named_value_client_id_provider.h"
#include "server/sse/public_key_jwt.h"

namespace ssecast {
namespace {

constexpr absl::string_view kAcceptedForms =
    "cookie, header:NAME, query:NAME or jwt";

// Whether `name` is an RFC 9110 token, the only thing a header name can be.
bool IsHeaderName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("!#$%&'*+-.^_`|~", c)) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<ClientIdProvider>> MakeJwtProvider(
    const std::string& secret_file, const std::string& public_key_file) {
  if (secret_file.empty() == public_key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--client_id=jwt needs ",
        secret_file.empty() ? "either" : "only one of",
        " --jwt_secret_file, the file holding the HS256 secret, or "
        "--jwt_public_key_file, the PEM public key for RS256/ES256"));
  }
  if (!secret_file.empty()) {
    absl::StatusOr<std::string> secret =
        ReadSecretFile(secret_file, "--jwt_secret_file");
    if (!secret.ok()) return secret.status();
    return std::make_unique<JwtClientIdProvider>(*std::move(secret));
  }
  // Not secret, but read the same way: the whole file, or a clear error.
  absl::StatusOr<std::string> pem =
      ReadSecretFile(public_key_file, "--jwt_public_key_file");
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::unique_ptr<PublicKeyJwtVerifier>> verifier =
      PublicKeyJwtVerifier::FromPem(*pem);
  if (!verifier.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jwt_public_key_file ", public_key_file, ": ",
                     verifier.status().message()));
  }
  std::shared_ptr<const PublicKeyJwtVerifier> shared = *std::move(verifier);
  return std::make_unique<JwtClientIdProvider>(
      [shared](absl::string_view token) { return shared->Verify(token); },
      &absl::Now);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientIdProvider>> MakeClientIdProvider(
    absl::string_view spec, const std::string& cookie_name,
    const std::string& jwt_secret_file, const std::string& jwt_public_key_file,
    const CookieSecurePolicy& cookie_secure) {
  if (spec == "cookie") {
    if (cookie_name.empty()) {
      return absl::InvalidArgumentError("--client_id_cookie is empty");
    }
    return std::make_unique<CookieClientIdProvider>(cookie_name, cookie_secure);
  }
  if (absl::ConsumePrefix(&spec, "header:")) {
    if (!IsHeaderName(spec)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--client_id=header:NAME needs a header name (an RFC 9110 "
          "token), got \"",
          absl::CEscape(spec), "\""));
    }
    return std::make_unique<NamedValueClientIdProvider>(
        NamedValueClientIdProvider::Where::kHeader, std::string(spec));
  }
  if (absl::ConsumePrefix(&spec, "query:")) {
    if (spec.empty()) {
      return absl::InvalidArgumentError(
          "--client_id=query:NAME needs a parameter name");
    }
    return std::make_unique<NamedValueClientIdProvider>(
        NamedValueClientIdProvider::Where::kQueryParameter, std::string(spec));
  }
  if (spec == "jwt") {
    return MakeJwtProvider(jwt_secret_file, jwt_public_key_file);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--client_id=\"", absl::CEscape(spec),
                   "\" is none of the accepted forms: ", kAcceptedForms));
}

}  // namespace ssecast
