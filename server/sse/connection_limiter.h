#ifndef SSECAST_SERVER_SSE_CONNECTION_LIMITER_H_
#define SSECAST_SERVER_SSE_CONNECTION_LIMITER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ssecast {

struct ConnectionLimits {
  // Browser-side connections open at once (derived from RLIMIT_NOFILE by
  // DescriptorBudget); 0 means no cap.
  size_t max_connections = 0;
  // Per client IP address; 0 means no cap.
  size_t max_connections_per_ip = 0;
  // Open event streams per client id; 0 means no cap.
  size_t max_streams_per_client = 100;
};

// Counts the browser side's connections and streams against the caps.
// A connection holds a Hold for as long as its socket is open, a stream a
// StreamHold for as long as it is attached; each gives its place back when
// destroyed. Refusals are counted for a periodic summary instead of being
// logged one by one.
//
// Thread-safe. Holds must not outlive the limiter.
class ConnectionLimiter {
 public:
  enum class Refusal { kTotal, kPerIp, kPerClient };

  // What a place counts against: the total and per-IP caps, or a client
  // id's cap on streams.
  enum class Counted { kConnection, kStream };

  // One connection's place (Hold) or one stream's (StreamHold), given back
  // when destroyed or moved over. Move-only.
  template <Counted kCounted>
  class Place {
   public:
    Place() = default;
    Place(Place&& other) noexcept { *this = std::move(other); }
    Place& operator=(Place&& other) noexcept {
      if (this != &other) {
        Release();
        limiter_ = std::exchange(other.limiter_, nullptr);
        key_ = std::move(other.key_);
      }
      return *this;
    }
    ~Place() { Release(); }

    // A connection's place only. Counts the connection against `ip` instead
    // of its current address (for a client behind a trusted proxy). False,
    // changing nothing, when `ip` is at its cap.
    bool MoveTo(absl::string_view ip) {
      static_assert(kCounted == Counted::kConnection);
      return limiter_ == nullptr || limiter_->MoveIp(ip, &key_);
    }
    // A connection's place only: the address it counts against ("" for
    // none).
    const std::string& ip() const {
      static_assert(kCounted == Counted::kConnection);
      return key_;
    }

   private:
    friend class ConnectionLimiter;
    void Release() {
      if (limiter_ != nullptr) {
        std::exchange(limiter_, nullptr)->GiveBack(kCounted, key_);
      }
    }

    ConnectionLimiter* limiter_ = nullptr;
    // The connection's IP address, or the stream's client id.
    std::string key_;
  };
  using Hold = Place<Counted::kConnection>;
  using StreamHold = Place<Counted::kStream>;

  explicit ConnectionLimiter(const ConnectionLimits& limits)
      : limits_(limits) {}

  const ConnectionLimits& limits() const { return limits_; }

  // A place for a new connection from `ip` ("" when the address is only
  // known once its head is read), or nullopt past a cap.
  std::optional<Hold> Admit(absl::string_view ip);
  // A place for a new stream of `client_id`, or nullopt past its cap.
  std::optional<StreamHold> OpenStream(absl::string_view client_id);

  size_t open_connections() const { return open_.load(); }
  // True when the next connection would be refused.
  bool at_capacity() const {
    return limits_.max_connections != 0 &&
           open_.load() >= limits_.max_connections;
  }

  // Counts a refusal (Admit/OpenStream count theirs themselves).
  void CountRefusal(Refusal refusal);
  struct Refusals {
    uint64_t total = 0;
    uint64_t per_ip = 0;
    uint64_t per_client = 0;
    bool any() const { return total + per_ip + per_client > 0; }
  };
  // The refusals since the last call.
  Refusals TakeRefusals();

 private:
  bool AcquireIp(absl::string_view ip) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseIp(absl::string_view ip) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hold::MoveTo(): `*ip` becomes `to` if `to` is below its cap.
  bool MoveIp(absl::string_view to, std::string* ip);
  // What a Place gives back.
  void GiveBack(Counted counted, const std::string& key);

  const ConnectionLimits limits_;
  std::atomic<size_t> open_{0};
  std::atomic<uint64_t> refused_total_{0};
  std::atomic<uint64_t> refused_per_ip_{0};
  std::atomic<uint64_t> refused_per_client_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, size_t> per_ip_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> per_client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_CONNECTION_LIMITER_H_
