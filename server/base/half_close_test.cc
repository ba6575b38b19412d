#include "server/base/half_close.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"
#include "server/base/unique_fd.h"

namespace ssecast {
namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0)
        << std::strerror(errno);
    ours = UniqueFd(fds[0]);
    peer = UniqueFd(fds[1]);
  }
  UniqueFd ours;
  UniqueFd peer;
};

TEST(HalfCloseTest, PeerReadsWhatWasSentThenEndOfStreamAndMayStillSend) {
  SocketPair pair;
  ASSERT_EQ(::write(pair.ours.get(), "bye", 3), 3);
  ASSERT_TRUE(HalfClose(pair.ours.get()));
  char buffer[8];
  ASSERT_EQ(::read(pair.peer.get(), buffer, sizeof(buffer)), 3);
  EXPECT_EQ(::read(pair.peer.get(), buffer, sizeof(buffer)), 0);
  ASSERT_EQ(::write(pair.peer.get(), "late", 4), 4);
  EXPECT_EQ(::read(pair.ours.get(), buffer, sizeof(buffer)), 4);
}

TEST(HalfCloseTest, FailsWhereThereIsNoConnection) {
  const UniqueFd unconnected(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(unconnected.valid()) << std::strerror(errno);
  EXPECT_FALSE(HalfClose(unconnected.get()));
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const UniqueFd read_end(fds[0]);
  const UniqueFd write_end(fds[1]);
  EXPECT_FALSE(HalfClose(write_end.get()));
}

}  // namespace
}  // namespace ssecast
