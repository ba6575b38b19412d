#ifndef SSECAST_SERVER_BASE_FILE_CONTENTS_H_
#define SSECAST_SERVER_BASE_FILE_CONTENTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ssecast {

// The whole file at `path`, byte for byte, for the small files the server
// and the client are given by name (secrets, token files, config files).
// `what` names the file in errors: opening fails with the errno's code
// (NOT_FOUND, PERMISSION_DENIED, ...) and "cannot open `what` `path`: why";
// a failed read is DATA_LOSS "cannot read `what` `path`". Thread-safe.
absl::StatusOr<std::string> ReadFileContents(absl::string_view path,
                                             absl::string_view what);

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_FILE_CONTENTS_H_
