#ifndef SSECAST_SERVER_SSE_UNAMBIGUOUS_REQUEST_H_
#define SSECAST_SERVER_SSE_UNAMBIGUOUS_REQUEST_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "httplib.h"

namespace ssecast {

// Refuses requests that cpp-httplib would read differently from what the
// client (or a proxy in front) meant, before any identity is taken from
// them:
// - a header with a NUL byte, which the library's accessors cut short
//   ("X-User-Id: alice\0bob" would read as alice);
// - a query pair with more than one unescaped '=' ("uid=alice=bob" would
//   read as bob) or without a name;
// - the same query pair twice, which the library silently merges (so
//   "uid=a&uid=a" would pass a check that a parameter appears once).
// INVALID_ARGUMENT says which rule was broken; names the client sent are
// shown only if short and plain. Pure, thread-safe.
absl::Status CheckUnambiguous(const httplib::Request& request);

// The query-string part of the rule, for the raw request target
// ("/events?a=1&b=2"; no '?' means no query).
absl::Status CheckQueryUnambiguous(absl::string_view target);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_UNAMBIGUOUS_REQUEST_H_
