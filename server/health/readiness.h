#ifndef SSECAST_SERVER_HEALTH_READINESS_H_
#define SSECAST_SERVER_HEALTH_READINESS_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace ssecast {

// Whether this node should be sent new browsers: the answer of GET /readyz,
// as opposed to /healthz, which only says the process is alive. A node is
// not ready while it would refuse browsers (its store or broker is
// unreachable, it is at its connection cap) or while it drains before
// shutting down; a load balancer or Kubernetes then sends browsers
// elsewhere, and nobody restarts the node for it.
//
// The conditions are checks added by whoever knows them. Every method is
// thread-safe; a check must be too, and cheap (it runs on each probe).
class Readiness {
 public:
  // OK while the condition holds; otherwise a status whose message is the
  // reason, for operators (it is shown on /readyz).
  using Check = std::function<absl::Status()>;

  void AddCheck(Check check);

  // From now on the node is not ready ("draining"); there is no way back.
  void StartDraining();
  bool draining() const { return draining_.load(); }

  // Why the node is not ready, one reason per failing check; empty when it
  // is ready.
  std::vector<std::string> NotReadyReasons() const;

 private:
  std::atomic<bool> draining_{false};
  mutable absl::Mutex mu_;
  std::vector<Check> checks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HEALTH_READINESS_H_
