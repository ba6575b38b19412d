#include "server/base/half_close.h"

#include <sys/socket.h>

namespace ssecast {

bool HalfClose(int fd) { return ::shutdown(fd, SHUT_WR) == 0; }

}  // namespace ssecast
