#include "server/sse/named_value_client_id_provider.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/sse/claimed_client_id.h"

namespace ssecast {

NamedValueClientIdProvider::NamedValueClientIdProvider(Where where,
                                                       std::string name)
    : where_(where),
      name_(std::move(name)),
      source_(absl::StrCat(
          where == Where::kHeader ? "header " : "query parameter ", name_)) {}

absl::StatusOr<ClientIdentity> NamedValueClientIdProvider::Identify(
    const httplib::Request& request) {
  if (where_ == Where::kHeader) {
    return IdentityFromSingleValue(source_,
                                   request.get_header_value_count(name_),
                                   request.get_header_value(name_));
  }
  return IdentityFromSingleValue(source_, request.get_param_value_count(name_),
                                 request.get_param_value(name_));
}

}  // namespace ssecast
