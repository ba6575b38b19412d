#ifndef SSECAST_SERVER_SSE_CLIENT_SCRIPT_H_
#define SSECAST_SERVER_SSE_CLIENT_SCRIPT_H_

#include "httplib.h"

namespace ssecast {

// Answers GET /ssecast.js with the browser client (client/browser/
// ssecast.js, embedded at build time) as text/javascript. The answer carries
// a strong ETag (a hash of the bytes) and "Cache-Control: no-cache", so a
// browser keeps the script but asks again on every use and gets a
// 304 Not Modified until the server runs a different version; a page thus
// never runs a client older than its server. "Access-Control-Allow-Origin: *"
// lets pages of any origin load it with crossorigin (it is public and sends
// no credentials). Stateless; thread-safe.
void ServeClientScript(const httplib::Request& request,
                       httplib::Response& response);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_CLIENT_SCRIPT_H_
