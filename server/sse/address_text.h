#ifndef SSECAST_SERVER_SSE_ADDRESS_TEXT_H_
#define SSECAST_SERVER_SSE_ADDRESS_TEXT_H_

#include <sys/socket.h>

#include <string>
#include <utility>

namespace ssecast {

// The IP address (as inet_ntop prints it) and port of an IPv4 or IPv6
// socket address, as the accept loop and the HTTP library want them; an
// empty address and port 0 for any other family. Thread-safe.
std::pair<std::string, int> AddressText(const sockaddr_storage& address);

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_ADDRESS_TEXT_H_
