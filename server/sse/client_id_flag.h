#ifndef SSECAST_SERVER_SSE_CLIENT_ID_FLAG_H_
#define SSECAST_SERVER_SSE_CLIENT_ID_FLAG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/sse/client_id_provider.h"
#include "server/sse/cookie_secure_policy.h"

namespace ssecast {

// Builds the ClientIdProvider that the server's --client_id flag selects:
//   cookie       ids the server issues in cookie `cookie_name`
//                (--client_id_cookie), `Secure` as `cookie_secure` decides;
//                the default
//   header:NAME  the value of request header NAME, set by a trusted proxy
//   query:NAME   the value of query parameter NAME
//   jwt          the sub claim of a JWT: HS256 under the content of the
//                file `jwt_secret_file` (--jwt_secret_file), less one
//                trailing "\n" or "\r\n"; or RS256/ES256 under the PEM
//                public key in `jwt_public_key_file` (--jwt_public_key_file;
//                the key's type picks the algorithm). Exactly one is given.
// Fails with INVALID_ARGUMENT naming the accepted forms for any other spec,
// or an empty NAME or cookie name; for jwt, with INVALID_ARGUMENT when
// neither or both files are given, the secret file is empty or the key file
// holds no usable public key (public_key_jwt.h), and NOT_FOUND,
// PERMISSION_DENIED etc. naming the path when a file cannot be read. The
// file is read once, here. Thread-safe.
absl::StatusOr<std::unique_ptr<ClientIdProvider>> MakeClientIdProvider(
    absl::string_view spec, const std::string& cookie_name,
    const std::string& jwt_secret_file,
    const std::string& jwt_public_key_file = "",
    const CookieSecurePolicy& cookie_secure = {});

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_CLIENT_ID_FLAG_H_
