#include "server/sse/hs256_jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace ssecast {
namespace {

constexpr size_t kHs256SignatureBytes = 32;

absl::Status Malformed(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("malformed token: ", why));
}

// Decodes one part of the token: base64url without padding (RFC 7515,
// section 2), so '=', '+', '/' and whitespace are refused.
absl::StatusOr<std::string> DecodePart(absl::string_view part,
                                       absl::string_view name) {
  for (char c : part) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      return Malformed(absl::StrCat(name, " has '", absl::CEscape({&c, 1}),
                                    "', which is not base64url"));
    }
  }
  std::string decoded;
  // A length of 4n+1 cannot encode whole bytes.
  if (part.size() % 4 == 1 || !absl::WebSafeBase64Unescape(part, &decoded)) {
    return Malformed(absl::StrCat(name, " is not valid base64url"));
  }
  return decoded;
}

absl::StatusOr<google::protobuf::Struct> ParseJsonObject(
    const std::string& json, absl::string_view name) {
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(json, &object).ok()) {
    return Malformed(absl::StrCat(name, " is not a JSON object"));
  }
  return object;
}

absl::Status CheckHeader(const google::protobuf::Struct& header) {
  const auto alg = header.fields().find("alg");
  if (alg == header.fields().end()) {
    return Malformed("header has no alg");
  }
  if (alg->second.kind_case() != google::protobuf::Value::kStringValue) {
    return Malformed("header alg is not a string");
  }
  if (alg->second.string_value() != "HS256") {
    return absl::UnauthenticatedError(absl::StrCat(
        "unsupported alg \"", absl::CEscape(alg->second.string_value()),
        "\": only HS256"));
  }
  // RFC 7515 section 4.1.11: extensions listed in crit must be understood,
  // and this verifier understands none.
  if (header.fields().contains("crit")) {
    return absl::UnauthenticatedError(
        "token header lists crit extensions; none are supported");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HmacSha256(absl::string_view key,
                                       absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           mac, &mac_size) == nullptr) {
    return absl::InternalError("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

// Checks `encoded_signature` against the HMAC of `signing_input`, the
// token's "header.payload" text exactly as sent.
absl::Status CheckSignature(absl::string_view signing_input,
                            absl::string_view encoded_signature,
                            absl::string_view secret) {
  absl::StatusOr<std::string> signature =
      DecodePart(encoded_signature, "signature");
  if (!signature.ok()) return signature.status();
  if (signature->size() != kHs256SignatureBytes) {
    return Malformed(absl::StrCat("signature is ", signature->size(),
                                  " bytes; HS256 signatures are ",
                                  kHs256SignatureBytes));
  }
  absl::StatusOr<std::string> expected = HmacSha256(secret, signing_input);
  if (!expected.ok()) return expected.status();
  if (CRYPTO_memcmp(signature->data(), expected->data(),
                    kHs256SignatureBytes) != 0) {
    return absl::UnauthenticatedError("token signature does not match");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<google::protobuf::Struct> VerifyHs256Jwt(
    absl::string_view token, absl::string_view secret) {
  // An empty key would make every signature forgeable.
  if (secret.empty()) {
    return absl::FailedPreconditionError("the HS256 secret is empty");
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Malformed(
        absl::StrCat("expected 3 dot-separated parts, got ", parts.size()));
  }
  absl::StatusOr<std::string> header_json = DecodePart(parts[0], "header");
  if (!header_json.ok()) return header_json.status();
  absl::StatusOr<google::protobuf::Struct> header =
      ParseJsonObject(*header_json, "header");
  if (!header.ok()) return header.status();
  if (absl::Status status = CheckHeader(*header); !status.ok()) return status;

  const absl::string_view signing_input =
      token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (absl::Status status = CheckSignature(signing_input, parts[2], secret);
      !status.ok()) {
    return status;
  }
  absl::StatusOr<std::string> payload_json = DecodePart(parts[1], "payload");
  if (!payload_json.ok()) return payload_json.status();
  return ParseJsonObject(*payload_json, "payload");
}

}  // namespace ssecast
