#ifndef SSECAST_SERVER_SSE_DEMO_PAGE_H_
#define SSECAST_SERVER_SSE_DEMO_PAGE_H_

#include "absl/strings/string_view.h"

namespace ssecast {

// An HTML page, served at / unless --demo_page=false, that reads /events
// with the browser client (/ssecast.js) and shows each event as it arrives,
// whatever its type, with the resync notice and the stream's state, so a new
// user sees ssecast work before writing any code.
absl::string_view DemoPageHtml();

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_DEMO_PAGE_H_
