#ifndef SSECAST_SERVER_BASE_HALF_CLOSE_H_
#define SSECAST_SERVER_BASE_HALF_CLOSE_H_

namespace ssecast {

// Ends the sending side of the TCP connection on `fd` (shutdown SHUT_WR):
// the peer reads what was sent, then end of stream, and may still send.
// Returns false when the connection is already gone (the peer reset it) or
// `fd` is no connected socket: there is then nothing left to linger for.
// Does not close `fd`. Thread-compatible (one call per descriptor at a time).
bool HalfClose(int fd);

}  // namespace ssecast

#endif  // SSECAST_SERVER_BASE_HALF_CLOSE_H_
