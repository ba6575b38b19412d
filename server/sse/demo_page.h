#ifndef SSECAST_SERVER_SSE_DEMO_PAGE_H_
#define SSECAST_SERVER_SSE_DEMO_PAGE_H_

#include "absl/strings/string_view.h"

namespace ssecast {

// A self-contained HTML page, served at / unless --demo_page=false, that
// opens an EventSource on /events and shows each event as it arrives, so a
// new user sees ssecast work before writing any code.
absl::string_view DemoPageHtml();

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_DEMO_PAGE_H_
