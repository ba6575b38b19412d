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
  return IdentityFromSingleValue(absl::StrCat("header ", header_name_),
                                 request.get_header_value_count(header_name_),
                                 request.get_header_value(header_name_));
}

}  // namespace ssecast
