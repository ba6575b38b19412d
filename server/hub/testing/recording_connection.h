// RecordingConnection, a Connection without a socket for tests that play
// the SSE front against a Hub: it counts how often the Hub closed it. And
// AttachAdmitted, which attaches one and expects the Hub to admit it.
// Thread-safe: the Hub may close a connection on any thread.
#ifndef SSECAST_SERVER_HUB_TESTING_RECORDING_CONNECTION_H_
#define SSECAST_SERVER_HUB_TESTING_RECORDING_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/hub/connection.h"
#include "server/hub/hub.h"

namespace ssecast {

class RecordingConnection final : public Connection {
 public:
  RecordingConnection(uint64_t id, std::string client_id,
                      std::string peer = "127.0.0.1:1",
                      absl::Time connected_at = absl::Now())
      : Connection(id, std::move(client_id), std::move(peer), connected_at) {}

  void OnClose() override { closes_.fetch_add(1); }

  // How often the Hub closed the connection so far.
  int closes() const { return closes_.load(); }
  bool closed() const { return closes() > 0; }

 private:
  std::atomic<int> closes_{0};
};

// Attaches `connection` to `hub` and adds a test failure unless the Hub
// admitted it, so callers that only need the connection attached may ignore
// the result. Returns what the Hub answered; a default (not admitted)
// AttachResult when it answered an error.
Hub::AttachResult AttachAdmitted(Hub& hub,
                                 std::shared_ptr<Connection> connection,
                                 const Hub::AttachRequest& request = {});

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_TESTING_RECORDING_CONNECTION_H_
