#include "server/sse/client_script.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "client/browser/ssecast_js.h"

namespace ssecast {
namespace {

// FNV-1a: the ETag only has to change when the bytes do.
const std::string& ScriptEtag() {
  static const std::string* const etag = [] {
    uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : SsecastJs()) {
      hash = (hash ^ c) * 1099511628211ull;
    }
    return new std::string(absl::StrCat("\"", absl::Hex(hash), "\""));
  }();
  return *etag;
}

// Whether If-None-Match (a list of entity tags, or "*") names `etag`.
bool Matches(absl::string_view if_none_match, absl::string_view etag) {
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    absl::ConsumePrefix(&tag, "W/");  // weak comparison, RFC 9110 13.1.2
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

}  // namespace

void ServeClientScript(const httplib::Request& request,
                       httplib::Response& response) {
  const std::string& etag = ScriptEtag();
  response.set_header("ETag", etag);
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Access-Control-Allow-Origin", "*");
  if (request.has_header("If-None-Match") &&
      Matches(request.get_header_value("If-None-Match"), etag)) {
    response.status = 304;
    return;
  }
  const absl::string_view script = SsecastJs();
  response.set_content(script.data(), script.size(),
                       "text/javascript; charset=utf-8");
}

}  // namespace ssecast
