#include "server/sse/header_client_id_provider.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/sse/claimed_client_id.h"

namespace ssecast {

HeaderClientIdProvider::HeaderClientIdProvider(std::string header_name)
    : header_name_(std::move(header_name)) {}

absl::StatusOr<ClientIdentity> HeaderClientIdProvider::Identify(
    const httplib::Request& request) {
  const size_t count = request.get_header_value_count(header_name_);
  if (count == 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("missing header ", header_name_));
  }
  // Two values mean the proxy appended to a header the client sent; trusting
  // either one could let the client choose its id.
  if (count > 1) {
    return absl::UnauthenticatedError(absl::StrCat(
        "header ", header_name_, " appears ", count, " times; expected once"));
  }
  return IdentityFromClaimedId(absl::StrCat("header ", header_name_),
                               request.get_header_value(header_name_));
}

}  // namespace ssecast
