// The client-id cookie as end-to-end tests see it: ssecast issues
// `ssecast_id=<32 lowercase hex digits>` to a browser without a valid one,
// and a browser sends it back on every reconnect.
//
// Free functions; thread-safe.
#ifndef SSECAST_TESTS_CLIENT_COOKIE_H_
#define SSECAST_TESTS_CLIENT_COOKIE_H_

#include <optional>
#include <string>

#include "tests/support/http_headers.h"
#include "tests/support/sse_test_client.h"

namespace ssecast::test_support {

// The server's default --client_id_cookie.
inline constexpr char kClientIdCookie[] = "ssecast_id";

// A `Cookie` header field that presents `client_id` as a browser would.
HttpHeaders ClientIdCookieHeader(const std::string& client_id);

// A well-formed client id (32 lowercase hex digits) that the server has
// never issued: random, so tests cannot collide with each other.
std::string UnissuedClientId();

// The client id a response's Set-Cookie issued, if it issued one.
std::optional<std::string> IssuedClientId(const SseTestClient& response);

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_CLIENT_COOKIE_H_
