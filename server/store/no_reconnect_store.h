#ifndef SSECAST_SERVER_STORE_NO_RECONNECT_STORE_H_
#define SSECAST_SERVER_STORE_NO_RECONNECT_STORE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ssecast {

// The set of client ids that must not reconnect. A client disconnected over
// the control plane is added here; while its entry lives, its requests to
// /events are answered 204 No Content, which makes EventSource stop for good.
//
// Every entry expires a fixed time-to-live after it was last added; adding
// an id again restarts its time-to-live. Implementations are thread-safe.
// A failure to reach the backing service is reported as UNAVAILABLE, with a
// message that names the service and what went wrong; nothing is silently
// dropped.
class NoReconnectStore {
 public:
  virtual ~NoReconnectStore() = default;

  // Adds (or refreshes) every id in `client_ids`.
  virtual absl::Status Add(absl::Span<const std::string> client_ids) = 0;

  // Removes every id in `client_ids`; returns how many were present.
  virtual absl::StatusOr<int> Remove(
      absl::Span<const std::string> client_ids) = 0;

  // Whether `client_id` has a live entry.
  virtual absl::StatusOr<bool> Contains(absl::string_view client_id) = 0;

  // OK while the store can be used; the UNAVAILABLE a call would get
  // otherwise. Cheap (one round trip at most), for readiness probes.
  virtual absl::Status Check() = 0;
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_STORE_NO_RECONNECT_STORE_H_
