#ifndef SSECAST_SERVER_BROKER_BROKER_H_
#define SSECAST_SERVER_BROKER_BROKER_H_

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/hub/event.h"
#include "server/hub/position.h"
#include "server/hub/target.h"

namespace ssecast {

// What the hub asks every node to do. A broker carries these to every node
// (this one included), in one order that is the same on every node.
struct PublishCommand {
  EventInput event;
  Target target;
};
struct DisconnectCommand {
  Target target;  // clients or groups
  // For a group target: every node adds the ids of the members connected to
  // it to the no-reconnect store, since members that joined a group as they
  // connected are known to their node only.
  bool block_reconnect = false;
};
struct GroupCommand {
  std::vector<std::string> client_ids;
  std::vector<std::string> groups;
  bool join;  // false: leave
};
struct RetryCommand {
  RetryChange change;
};
using BrokerCommand =
    std::variant<PublishCommand, DisconnectCommand, GroupCommand, RetryCommand>;

// Where a broker delivers commands: the hub of this node. Calls come from
// one thread at a time, in the broker's order.
class BrokerSink {
 public:
  virtual ~BrokerSink() = default;
  // Every position up to `boundary` is gone from the broker's history;
  // called once, before the first Apply().
  virtual void StartHistory(const Position& boundary) = 0;
  // Blocks until the node can deliver another publish (flow control). A
  // broker that reads commands sent by other nodes calls it before applying
  // a publish, so that it never reads faster than it delivers.
  virtual void AwaitRoom() = 0;
  // Whether AwaitRoom() would return at once. A broker shared by several
  // nodes that is about to wait holds the other nodes' publishers until
  // CaughtUp(): the node's connections caught up well past the point where
  // it had to wait (the hub: half its room is free again).
  virtual bool CanApplyNow() = 0;
  virtual bool CaughtUp() = 0;
  // `position` increases from call to call.
  virtual void Apply(const BrokerCommand& command,
                     const Position& position) = 0;
  // Commands up to `newest_lost` never reached this node: it read them too
  // slowly and the broker's history let them go. The node's connections
  // missed them and must be told (they replay and get a resync notice).
  virtual void LostHistory(const Position& newest_lost) = 0;
  // The broker lost contact (false) or regained it (true).
  virtual void SetBrokerHealthy(bool healthy) = 0;
};

// Carries hub commands between the nodes of one ssecast service: the
// in-memory broker serves a single node; the Redis broker lets any node
// publish to and disconnect clients held by any other. Implementations are
// thread-safe.
class Broker {
 public:
  virtual ~Broker() = default;

  // Starts delivering to `sink` (which must outlive the broker). A broker
  // with a shared history first replays what it holds into the sink, so a
  // new node can serve Last-Event-ID from before it started.
  virtual absl::Status Start(BrokerSink* sink) = 0;

  // Sends `command` to every node. Returns its position once the broker
  // has accepted it (the command may reach nodes, this one included,
  // shortly after), or UNAVAILABLE if it could not be sent: then no node
  // gets it. The in-memory broker applies the command before returning.
  virtual absl::StatusOr<Position> Send(const BrokerCommand& command) = 0;

  // Send() without blocking the caller: `done` gets what Send() would
  // return, at once on this thread or later on a thread of the broker's
  // (then with no lock of the broker held). `done` must be quick and must
  // not block. For callers that must not hold a thread per command (a
  // gRPC handler). The default runs Send() on the calling thread.
  using SendDone = std::function<void(absl::StatusOr<Position> position)>;
  virtual void SendAsync(const BrokerCommand& command, SendDone done) {
    done(Send(command));
  }

  // Sends `commands` in one go, in order, with no command of another caller
  // in between: their positions increase in the order given. All or
  // nothing, as for Send(): on UNAVAILABLE none of them reaches a node
  // (with the same corner as Send() when an answer was lost). For a
  // publisher with many commands at hand (PublishStream), whom one call per
  // command would slow down.
  virtual absl::StatusOr<std::vector<Position>> SendBatch(
      absl::Span<const BrokerCommand> commands) = 0;

  // Group memberships that a client acquired through any node and that
  // outlive its connections; empty when the broker keeps none (the hub's
  // own records then are the whole truth).
  virtual absl::StatusOr<std::vector<std::string>> LoadGroups(
      const std::string& client_id) = 0;

  // Stops delivering; Apply() is not called after this returns.
  virtual void Stop() = 0;

  // Flow control across nodes: another node whose connections are behind
  // (its sink has no room) holds the publishers of this one. A broker that
  // serves one node never holds: these defaults. HasRoom(): none holds now.
  // WaitForRoom(): blocks while one does, for at most `max_wait`, then
  // RESOURCE_EXHAUSTED naming it. WhenRoom(): runs `ready` once none holds
  // (at once, or on a thread of the broker's; it must not block).
  virtual bool HasRoom() { return true; }
  virtual absl::Status WaitForRoom(absl::Duration max_wait) {
    return absl::OkStatus();
  }
  virtual void WhenRoom(std::function<void()> ready) { ready(); }
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_BROKER_BROKER_H_
