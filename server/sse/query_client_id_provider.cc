#include "server/sse/query_client_id_provider.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/sse/claimed_client_id.h"

namespace ssecast {

QueryClientIdProvider::QueryClientIdProvider(std::string parameter_name)
    : parameter_name_(std::move(parameter_name)) {}

absl::StatusOr<ClientIdentity> QueryClientIdProvider::Identify(
    const httplib::Request& request) {
  const size_t count = request.get_param_value_count(parameter_name_);
  if (count == 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("missing query parameter ", parameter_name_));
  }
  // With two values, which one a proxy or the page meant is a guess.
  if (count > 1) {
    return absl::UnauthenticatedError(
        absl::StrCat("query parameter ", parameter_name_, " appears ", count,
                     " times; expected once"));
  }
  return IdentityFromClaimedId(
      absl::StrCat("query parameter ", parameter_name_),
      request.get_param_value(parameter_name_));
}

}  // namespace ssecast
