#ifndef SSECAST_TESTS_SUPPORT_HTTP_HEADERS_H_
#define SSECAST_TESTS_SUPPORT_HTTP_HEADERS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace ssecast::test_support {

// HTTP header fields in the order they were sent or received. Names keep
// their spelling; every lookup ignores case, as HTTP does.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first field called `name`, if any.
std::optional<std::string> FindHeader(const HttpHeaders& headers,
                                      absl::string_view name);

// The values of every field called `name` (e.g. each Set-Cookie), in order.
std::vector<std::string> FindAllHeaders(const HttpHeaders& headers,
                                        absl::string_view name);

// The value that the Set-Cookie fields among `headers` give the cookie
// `name` (case-sensitive, as cookie names are); the last one wins, as in a
// browser. Attributes such as Path or HttpOnly are not part of the value.
std::optional<std::string> FindSetCookieValue(const HttpHeaders& headers,
                                              absl::string_view name);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_HTTP_HEADERS_H_
