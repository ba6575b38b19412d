#include "server/sse/connection_limiter.h"

#include <utility>

namespace ssecast {

ConnectionLimiter::Hold& ConnectionLimiter::Hold::operator=(
    Hold&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = std::exchange(other.limiter_, nullptr);
    ip_ = std::move(other.ip_);
  }
  return *this;
}

void ConnectionLimiter::Hold::Release() {
  if (limiter_ == nullptr) return;
  if (!ip_.empty()) {
    absl::MutexLock lock(&limiter_->mu_);
    limiter_->ReleaseIp(ip_);
  }
  limiter_->open_.fetch_sub(1);
  limiter_ = nullptr;
}

bool ConnectionLimiter::Hold::MoveTo(absl::string_view ip) {
  if (limiter_ == nullptr || ip == ip_) return true;
  absl::MutexLock lock(&limiter_->mu_);
  if (!limiter_->AcquireIp(ip)) {
    limiter_->refused_per_ip_.fetch_add(1);
    return false;
  }
  if (!ip_.empty()) limiter_->ReleaseIp(ip_);
  ip_ = std::string(ip);
  return true;
}

ConnectionLimiter::StreamHold& ConnectionLimiter::StreamHold::operator=(
    StreamHold&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = std::exchange(other.limiter_, nullptr);
    client_id_ = std::move(other.client_id_);
  }
  return *this;
}

void ConnectionLimiter::StreamHold::Release() {
  if (limiter_ == nullptr) return;
  absl::MutexLock lock(&limiter_->mu_);
  auto it = limiter_->per_client_.find(client_id_);
  if (it != limiter_->per_client_.end() && --it->second == 0) {
    limiter_->per_client_.erase(it);
  }
  limiter_ = nullptr;
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
    hold.ip_ = std::string(ip);
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
  hold.client_id_ = std::string(client_id);
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
