#include "server/sse/address_text.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(AddressTextTest, Ipv4AndIpv6AndOthers) {
  sockaddr_storage storage{};
  auto& in = reinterpret_cast<sockaddr_in&>(storage);
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  ASSERT_EQ(::inet_pton(AF_INET, "192.0.2.7", &in.sin_addr), 1);
  EXPECT_EQ(AddressText(storage),
            std::make_pair(std::string("192.0.2.7"), 8080));

  storage = {};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  ASSERT_EQ(::inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr), 1);
  EXPECT_EQ(AddressText(storage),
            std::make_pair(std::string("2001:db8::1"), 443));

  storage = {};
  storage.ss_family = AF_UNIX;
  EXPECT_EQ(AddressText(storage), std::make_pair(std::string(), 0));
}

}  // namespace
}  // namespace ssecast
