#include "server/sse/jwt_parts.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace ssecast {
namespace {

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

absl::Status CheckHeader(const google::protobuf::Struct& header,
                         absl::string_view expected_alg) {
  const auto alg = header.fields().find("alg");
  if (alg == header.fields().end()) {
    return Malformed("header has no alg");
  }
  if (alg->second.kind_case() != google::protobuf::Value::kStringValue) {
    return Malformed("header alg is not a string");
  }
  if (alg->second.string_value() != expected_alg) {
    return absl::UnauthenticatedError(absl::StrCat(
        "unsupported alg \"", absl::CEscape(alg->second.string_value()),
        "\": only ", expected_alg));
  }
  // RFC 7515 section 4.1.11: extensions listed in crit must be understood,
  // and this verifier understands none.
  if (header.fields().contains("crit")) {
    return absl::UnauthenticatedError(
        "token header lists crit extensions; none are supported");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SignedJwt> ParseSignedJwt(absl::string_view token,
                                         absl::string_view alg) {
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
  if (absl::Status status = CheckHeader(*header, alg); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::string> signature = DecodePart(parts[2], "signature");
  if (!signature.ok()) return signature.status();
  SignedJwt jwt;
  jwt.signing_input =
      std::string(token.substr(0, parts[0].size() + 1 + parts[1].size()));
  jwt.signature = *std::move(signature);
  jwt.encoded_payload = std::string(parts[1]);
  return jwt;
}

absl::StatusOr<google::protobuf::Struct> DecodeJwtClaims(const SignedJwt& jwt) {
  absl::StatusOr<std::string> payload_json =
      DecodePart(jwt.encoded_payload, "payload");
  if (!payload_json.ok()) return payload_json.status();
  return ParseJsonObject(*payload_json, "payload");
}

}  // namespace ssecast
