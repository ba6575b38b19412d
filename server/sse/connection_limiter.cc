#include "server/sse/connection_limiter.h"

#include <utility>

namespace ssecast {

void ConnectionLimiter::GiveBack(Counted counted, const std::string& key) {
  if (counted == Counted::kStream) {
    absl::MutexLock lock(&mu_);
    auto it = per_client_.find(key);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
    return;
  }
  if (!key.empty()) {
    absl::MutexLock lock(&mu_);
    ReleaseIp(key);
  }
  open_.fetch_sub(1);
}

bool ConnectionLimiter::MoveIp(absl::string_view to, std::string* ip) {
  if (to == *ip) return true;
  absl::MutexLock lock(&mu_);
  if (!AcquireIp(to)) {
    refused_per_ip_.fetch_add(1);
    return false;
  }
  if (!ip->empty()) ReleaseIp(*ip);
  *ip = std::string(to);
  return true;
}

bool ConnectionLimiter::AcquireIp(absl::string_view ip) {
  if (limits_.max_connections_per_ip == 0 || ip.empty()) return true;
  size_t& count = per_ip_[ip];
  if (count >= limits_.max_connections_per_ip) {
    if (count == 0) per_ip_.erase(ip);
    return false;
  }
  ++count;
  return true;
}

void ConnectionLimiter::ReleaseIp(absl::string_view ip) {
  if (limits_.max_connections_per_ip == 0 || ip.empty()) return;
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

std::optional<ConnectionLimiter::Hold> ConnectionLimiter::Admit(
    absl::string_view ip) {
  if (limits_.max_connections != 0) {
    size_t open = open_.load();
    do {
      if (open >= limits_.max_connections) {
        refused_total_.fetch_add(1);
        return std::nullopt;
      }
    } while (!open_.compare_exchange_weak(open, open + 1));
  } else {
    open_.fetch_add(1);
  }
  Hold hold;
  hold.limiter_ = this;
  if (limits_.max_connections_per_ip != 0 && !ip.empty()) {
    absl::MutexLock lock(&mu_);
    if (!AcquireIp(ip)) {
      refused_per_ip_.fetch_add(1);
      hold.limiter_ = nullptr;
      open_.fetch_sub(1);
      return std::nullopt;
    }
    hold.key_ = std::string(ip);
  }
  return hold;
}

std::optional<ConnectionLimiter::StreamHold> ConnectionLimiter::OpenStream(
    absl::string_view client_id) {
  StreamHold hold;
  if (limits_.max_streams_per_client == 0) return hold;
  absl::MutexLock lock(&mu_);
  size_t& count = per_client_[client_id];
  if (count >= limits_.max_streams_per_client) {
    refused_per_client_.fetch_add(1);
    return std::nullopt;
  }
  ++count;
  hold.limiter_ = this;
  hold.key_ = std::string(client_id);
  return hold;
}

void ConnectionLimiter::CountRefusal(Refusal refusal) {
  switch (refusal) {
    case Refusal::kTotal:
      refused_total_.fetch_add(1);
      break;
    case Refusal::kPerIp:
      refused_per_ip_.fetch_add(1);
      break;
    case Refusal::kPerClient:
      refused_per_client_.fetch_add(1);
      break;
  }
}

ConnectionLimiter::Refusals ConnectionLimiter::TakeRefusals() {
  Refusals refusals;
  refusals.total = refused_total_.exchange(0);
  refusals.per_ip = refused_per_ip_.exchange(0);
  refusals.per_client = refused_per_client_.exchange(0);
  return refusals;
}

}  // namespace ssecast
