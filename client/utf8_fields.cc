#include "client/utf8_fields.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"

namespace ssecast {

absl::Status CheckUtf8(absl::string_view field, absl::string_view value) {
  if (google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                          value.size())) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
}

absl::Status CheckUtf8(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  for (int i = 0; i < values.size(); ++i) {
    absl::Status status =
        CheckUtf8(absl::StrCat(field, "[", i, "]"), values[i]);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status CheckUtf8(const v1::PublishRequest& request) {
  const v1::Event& event = request.event();
  const v1::Target& target = request.target();
  for (const absl::Status& status :
       {CheckUtf8("event.id", event.id()),
        CheckUtf8("event.type", event.type()),
        CheckUtf8("event.data", event.data()),
        CheckUtf8("target.clients.ids", target.clients().ids()),
        CheckUtf8("target.groups.names", target.groups().names())}) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace ssecast
