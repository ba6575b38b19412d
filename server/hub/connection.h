#ifndef SSECAST_SERVER_HUB_CONNECTION_H_
#define SSECAST_SERVER_HUB_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "server/hub/client_record.h"

namespace ssecast {

// One live event stream to one browser tab, as the hub sees it. The SSE
// front creates it and owns its socket; the hub indexes it by client id so
// the control plane can count, list and close it. Shared by both through
// std::shared_ptr. The accessors and Close() are thread-safe.
class Connection {
 public:
  Connection(uint64_t id, std::string client_id, std::string remote_address,
             absl::Time connected_since)
      : id_(id),
        client_id_(std::move(client_id)),
        remote_address_(std::move(remote_address)),
        connected_since_(connected_since) {}
  virtual ~Connection() = default;

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  const std::string& client_id() const { return client_id_; }
  const std::string& remote_address() const { return remote_address_; }
  absl::Time connected_since() const { return connected_since_; }
  uint64_t events_sent() const {
    return events_sent_.load(std::memory_order_relaxed);
  }

  // The client's record, shared by all its connections. Set by the hub when
  // the connection is attached, before the front starts delivering.
  const ClientRecord& client() const { return *client_; }
  void set_client(std::shared_ptr<ClientRecord> client) {
    client_ = std::move(client);
  }

  // Asks the stream to end cleanly: the event log's entries before
  // `end_sequence` are still delivered, then the response is terminated.
  // Only the first call counts.
  void Close(uint64_t end_sequence) {
    uint64_t none = 0;
    if (close_before_.compare_exchange_strong(none, end_sequence)) OnClose();
  }
  // The `end_sequence` of the first Close(), or 0 if none came yet.
  uint64_t close_before() const { return close_before_.load(); }

 protected:
  // Tells whoever delivers this connection's events that it must end;
  // called once, on the thread of the first Close().
  virtual void OnClose() = 0;

  // Written only by the thread that delivers this connection's events.
  std::atomic<uint64_t> events_sent_{0};

 private:
  const uint64_t id_;
  const std::string client_id_;
  const std::string remote_address_;
  const absl::Time connected_since_;
  std::shared_ptr<ClientRecord> client_;
  std::atomic<uint64_t> close_before_{0};
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_CONNECTION_H_
