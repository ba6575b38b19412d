#include "server/redis/redis_target.h"

#include <utility>

namespace ssecast {

RedisConnection::Options RedisTarget::ConnectionOptions(
    std::string user) const {
  RedisConnection::Options options =
      RedisConnection::WithTimeout(host, port, password, timeout);
  options.sentinels = sentinels;
  options.master_name = master_name;
  options.user = std::move(user);
  return options;
}

}  // namespace ssecast
