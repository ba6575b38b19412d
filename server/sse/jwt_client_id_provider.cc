#include "server/sse/jwt_client_id_provider.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "server/sse/claimed_client_id.h"
#include "server/sse/group_join_policy.h"
#include "server/sse/hs256_jwt.h"

namespace ssecast {
namespace {

constexpr absl::string_view kBearerPrefix = "bearer ";
constexpr char kTokenParameter[] = "access_token";

// The token of "Authorization: Bearer <token>" (the scheme is
// case-insensitive, RFC 7235), or else of the access_token query parameter.
absl::StatusOr<std::string> FindToken(const httplib::Request& request) {
  const std::string authorization = request.get_header_value("Authorization");
  if (absl::StartsWithIgnoreCase(authorization, kBearerPrefix)) {
    return std::string(absl::StripAsciiWhitespace(
        absl::string_view(authorization).substr(kBearerPrefix.size())));
  }
  if (request.has_param(kTokenParameter)) {
    return request.get_param_value(kTokenParameter);
  }
  return absl::UnauthenticatedError(
      "missing token: send \"Authorization: Bearer <token>\" or the "
      "access_token query parameter");
}

std::string FormatNumericDate(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
}

// Reads NumericDate claim `name` (RFC 7519: seconds since the epoch, possibly
// fractional); nullopt if the token does not have it.
absl::StatusOr<std::optional<absl::Time>> NumericDateClaim(
    const google::protobuf::Struct& claims, const std::string& name) {
  const auto claim = claims.fields().find(name);
  if (claim == claims.fields().end()) return std::nullopt;
  if (claim->second.kind_case() != google::protobuf::Value::kNumberValue) {
    return absl::UnauthenticatedError(
        absl::StrCat("token ", name, " claim is not a number"));
  }
  return absl::UnixEpoch() + absl::Seconds(claim->second.number_value());
}

// Checks exp and nbf at `now`; returns exp.
absl::StatusOr<absl::Time> CheckValidityPeriod(
    const google::protobuf::Struct& claims, absl::Time now) {
  absl::StatusOr<std::optional<absl::Time>> expires =
      NumericDateClaim(claims, "exp");
  if (!expires.ok()) return expires.status();
  if (!expires->has_value()) {
    return absl::UnauthenticatedError("token has no exp claim");
  }
  if (now >= **expires) {
    return absl::UnauthenticatedError(
        absl::StrCat("token expired at ", FormatNumericDate(**expires)));
  }
  absl::StatusOr<std::optional<absl::Time>> not_before =
      NumericDateClaim(claims, "nbf");
  if (!not_before.ok()) return not_before.status();
  if (not_before->has_value() && now < **not_before) {
    return absl::UnauthenticatedError(absl::StrCat(
        "token is not valid before ", FormatNumericDate(**not_before)));
  }
  return **expires;
}

absl::StatusOr<ClientIdentity> IdentityFromSubject(
    const google::protobuf::Struct& claims) {
  const auto subject = claims.fields().find("sub");
  if (subject == claims.fields().end()) {
    return absl::UnauthenticatedError("token has no sub claim");
  }
  if (subject->second.kind_case() != google::protobuf::Value::kStringValue) {
    return absl::UnauthenticatedError("token sub claim is not a string");
  }
  return IdentityFromClaimedId("token sub claim",
                               subject->second.string_value());
}

// The patterns of the optional `groups` claim: a list of group names or
// prefixes ending in `*` (see group_join_policy.h).
absl::StatusOr<std::vector<std::string>> JoinableGroups(
    const google::protobuf::Struct& claims) {
  constexpr int kMaxPatterns = 256;
  const auto claim = claims.fields().find("groups");
  if (claim == claims.fields().end()) return std::vector<std::string>();
  if (claim->second.kind_case() != google::protobuf::Value::kListValue) {
    return absl::UnauthenticatedError(
        "token groups claim is not a list of strings");
  }
  const auto& values = claim->second.list_value().values();
  if (values.size() > kMaxPatterns) {
    return absl::UnauthenticatedError(
        absl::StrCat("token groups claim has ", values.size(),
                     " entries; at most ", kMaxPatterns));
  }
  std::vector<std::string> patterns;
  for (const google::protobuf::Value& value : values) {
    if (value.kind_case() != google::protobuf::Value::kStringValue) {
      return absl::UnauthenticatedError(
          "token groups claim is not a list of strings");
    }
    if (absl::Status valid = ValidateGroupPattern(value.string_value());
        !valid.ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("token groups claim: ", valid.message()));
    }
    patterns.push_back(value.string_value());
  }
  return patterns;
}

}  // namespace

JwtClientIdProvider::JwtClientIdProvider(std::string secret,
                                         std::function<absl::Time()> now)
    : verify_([secret = std::move(secret)](absl::string_view token) {
        return VerifyHs256Jwt(token, secret);
      }),
      now_(std::move(now)) {}

JwtClientIdProvider::JwtClientIdProvider(Verifier verify,
                                         std::function<absl::Time()> now)
    : verify_(std::move(verify)), now_(std::move(now)) {}

absl::StatusOr<ClientIdentity> JwtClientIdProvider::Identify(
    const httplib::Request& request) {
  absl::StatusOr<std::string> token = FindToken(request);
  if (!token.ok()) return token.status();
  absl::StatusOr<google::protobuf::Struct> claims = verify_(*token);
  if (!claims.ok()) return claims.status();
  absl::StatusOr<absl::Time> expires = CheckValidityPeriod(*claims, now_());
  if (!expires.ok()) return expires.status();
  absl::StatusOr<ClientIdentity> identity = IdentityFromSubject(*claims);
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::vector<std::string>> groups = JoinableGroups(*claims);
  if (!groups.ok()) return groups.status();
  identity->joinable_groups = *std::move(groups);
  identity->expires = *expires;
  return identity;
}

}  // namespace ssecast
