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
  return IdentityFromSingleValue(
      absl::StrCat("query parameter ", parameter_name_),
      request.get_param_value_count(parameter_name_),
      request.get_param_value(parameter_name_));
}

}  // namespace ssecast
