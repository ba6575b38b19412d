// The behaviour every Broker must show, run against each implementation:
// in memory, and on a real redis-server. Then what only the Redis broker
// does: several nodes on one Redis, the shared history, Redis going away.

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/broker/broker.h"
#include "server/broker/broker_command_codec.h"
#include "server/broker/broker_memory.h"
#include "server/broker/broker_redis.h"
#include "server/broker/broker_redis_script.h"
#include "server/redis/redis_connection.h"
#include "server/redis/redis_server_fixture.h"
#include "testing/await_callback.h"
#include "testing/status_assertions.h"
#include "tests/support/redis_server.h"

namespace ssecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Generous, for a loaded 2-core machine: only a broken broker waits this
// long.
constexpr absl::Duration kWaitDeadline = absl::Seconds(20);

std::string Describe(const Target& target) {
  switch (target.kind()) {
    case Target::Kind::kAll:
      return "all";
    case Target::Kind::kClients:
      return absl::StrCat("clients[", absl::StrJoin(target.names(), ","), "]");
    case Target::Kind::kGroups:
      return absl::StrCat("groups[", absl::StrJoin(target.names(), ","), "]");
  }
  return "?";
}

// Every field of a command, so that two descriptions are equal exactly
// when the commands are.
struct Describer {
  std::string operator()(const PublishCommand& publish) const {
    const EventInput& event = publish.event;
    return absl::StrCat("publish id=", event.id, " type=", event.type,
                        " data=", event.data, " retry=", event.retry_ms, " to ",
                        Describe(publish.target));
  }
  std::string operator()(const DisconnectCommand& disconnect) const {
    return absl::StrCat("disconnect ", Describe(disconnect.target));
  }
  std::string operator()(const GroupCommand& group) const {
    return absl::StrCat(group.join ? "join " : "leave ",
                        absl::StrJoin(group.client_ids, ","), " to ",
                        absl::StrJoin(group.groups, ","));
  }
  std::string operator()(const RetryCommand& retry) const {
    return absl::StrCat("retry ", absl::FormatDuration(retry.change.retry),
                        " jitter ", absl::FormatDuration(retry.change.jitter));
  }
};

std::string Describe(const BrokerCommand& command) {
  return std::visit(Describer(), command);
}

BrokerCommand Publish(const std::string& data,
                      const Target& target = Target::All()) {
  return PublishCommand{{.data = data}, target};
}

struct Applied {
  std::string command;  // Describe()d
  Position position;

  friend bool operator==(const Applied& a, const Applied& b) {
    return a.command == b.command && a.position == b.position;
  }
  friend std::ostream& operator<<(std::ostream& os, const Applied& applied) {
    return os << applied.position.ToString() << " " << applied.command;
  }
};

// A BrokerSink that records every call, for a test thread to wait on.
class RecordingSink : public BrokerSink {
 public:
  void StartHistory(const Position& boundary) override {
    absl::MutexLock lock(&mu_);
    boundaries_.push_back(boundary);
  }
  void Apply(const BrokerCommand& command, const Position& position) override {
    absl::MutexLock lock(&mu_);
    if (boundaries_.empty()) applied_before_history_ = true;
    applied_.push_back({Describe(command), position});
    if (hold_) {
      // Blocks the broker's reader, as a node whose connections are behind
      // does; only once.
      hold_ = false;
      held_ = true;
      mu_.Await(absl::Condition(&released_));
    }
  }
  void SetBrokerHealthy(bool healthy) override {
    absl::MutexLock lock(&mu_);
    health_.push_back(healthy);
  }
  void AwaitRoom() override {}
  bool CanApplyNow() override { return true; }
  bool CaughtUp() override { return true; }
  // Recorded among the commands, where it happened.
  void LostHistory(const Position& newest_lost) override {
    absl::MutexLock lock(&mu_);
    applied_.push_back({"lost history", newest_lost});
  }

  // The next Apply() waits for Release() before it returns.
  void HoldNextApply() {
    absl::MutexLock lock(&mu_);
    hold_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  // Waits until an Apply() is held; returns whether one is.
  bool AwaitHeld() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&held_), kWaitDeadline);
  }

  // Waits until `count` commands have arrived (or the deadline passed) and
  // returns all that arrived.
  std::vector<Applied> AwaitApplied(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return applied_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), kWaitDeadline);
    return applied_;
  }
  // Waits until `last` has arrived; returns whether it is the newest.
  bool AwaitLast(const Applied& last) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, &last]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !applied_.empty() && !(applied_.back().position < last.position);
    };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), kWaitDeadline);
    return !applied_.empty() && applied_.back() == last;
  }
  // Waits until the last health report is `healthy`; returns whether it is.
  bool AwaitHealth(bool healthy) {
    absl::MutexLock lock(&mu_);
    auto reported = [this, healthy]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !health_.empty() && health_.back() == healthy;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reported), kWaitDeadline);
  }

  std::vector<Applied> applied() const {
    absl::MutexLock lock(&mu_);
    return applied_;
  }
  std::vector<Position> boundaries() const {
    absl::MutexLock lock(&mu_);
    return boundaries_;
  }
  std::vector<bool> health() const {
    absl::MutexLock lock(&mu_);
    return health_;
  }
  bool applied_before_history() const {
    absl::MutexLock lock(&mu_);
    return applied_before_history_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Position> boundaries_ ABSL_GUARDED_BY(mu_);
  std::vector<Applied> applied_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> health_ ABSL_GUARDED_BY(mu_);
  bool applied_before_history_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

void ExpectStrictlyIncreasing(const std::vector<Applied>& applied) {
  for (size_t i = 1; i < applied.size(); ++i) {
    EXPECT_TRUE(applied[i - 1].position < applied[i].position)
        << "entry " << i << ": " << applied[i - 1] << " then " << applied[i];
  }
}

// Sends `command` and returns what the sink should see for it.
Applied SendExpectingOk(Broker& broker, const BrokerCommand& command) {
  absl::StatusOr<Position> position = broker.Send(command);
  EXPECT_OK(position) << Describe(command);
  return {Describe(command), position.value_or(Position())};
}

// Sends `batch` with SendBatch(); each command with its position, or none
// (and a test failure) when the batch fails or answers with another count.
std::vector<Applied> SendBatchExpectingOk(
    Broker& broker, const std::vector<BrokerCommand>& batch) {
  absl::StatusOr<std::vector<Position>> positions = broker.SendBatch(batch);
  EXPECT_OK(positions);
  if (!positions.ok()) return {};
  EXPECT_EQ(positions->size(), batch.size());
  if (positions->size() != batch.size()) return {};
  std::vector<Applied> sent;
  for (size_t i = 0; i < batch.size(); ++i) {
    sent.push_back({Describe(batch[i]), (*positions)[i]});
  }
  return sent;
}

// Sends `command` with SendAsync() and waits for its outcome.
absl::StatusOr<Position> SendAsyncAndWait(Broker& broker,
                                          const BrokerCommand& command) {
  return test_support::AwaitCallback<Position>([&](Broker::SendDone done) {
    broker.SendAsync(command, std::move(done));
  });
}

// Makes in-memory brokers, which keep no groups: LoadGroups() is always
// empty (the hub's own records are the whole truth on a single node).
class MemoryBrokers {
 public:
  static constexpr bool kKeepsGroups = false;
  absl::StatusOr<std::unique_ptr<Broker>> Make() {
    return std::make_unique<BrokerMemory>();
  }
};

// Makes Redis brokers on a redis-server of their own, which keeps every
// client's groups for LoadGroups().
class RedisBrokers {
 public:
  static constexpr bool kKeepsGroups = true;
  absl::StatusOr<std::unique_ptr<Broker>> Make() {
    if (!server_.ok()) return server_.status();
    BrokerRedis::Options options;
    options.redis.port = (*server_)->port();
    absl::StatusOr<std::unique_ptr<BrokerRedis>> broker =
        BrokerRedis::Create(options);
    if (!broker.ok()) return broker.status();
    return std::unique_ptr<Broker>(*std::move(broker));
  }

 private:
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> server_ =
      RedisServerProcess::Start();
};

template <typename Brokers>
class BrokerContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Broker>> broker = brokers_.Make();
    ASSERT_OK(broker) << "cannot make the broker: ";
    broker_ = *std::move(broker);
    absl::Status started = broker_->Start(&sink_);
    ASSERT_OK(started);
  }

  std::vector<std::string> Groups(const std::string& client_id) {
    absl::StatusOr<std::vector<std::string>> groups =
        broker_->LoadGroups(client_id);
    EXPECT_OK(groups);
    return groups.value_or(std::vector<std::string>{"<error>"});
  }

  // Each outlives the ones declared after it.
  Brokers brokers_;
  RecordingSink sink_;
  std::unique_ptr<Broker> broker_;
};

class ImplementationNames {
 public:
  template <typename Brokers>
  static std::string GetName(int) {
    return std::is_same_v<Brokers, MemoryBrokers> ? "Memory" : "Redis";
  }
};

using Implementations = ::testing::Types<MemoryBrokers, RedisBrokers>;
TYPED_TEST_SUITE(BrokerContractTest, Implementations, ImplementationNames);

TYPED_TEST(BrokerContractTest, StartSetsTheHistoryOnceAndReportsHealthy) {
  EXPECT_EQ(this->sink_.boundaries().size(), 1u);
  EXPECT_THAT(this->sink_.health(), ElementsAre(true));
  EXPECT_THAT(this->sink_.applied(), IsEmpty()) << "nothing was sent yet";
}

TYPED_TEST(BrokerContractTest, CommandsComeBackInSendOrderAtTheSentPositions) {
  const std::vector<BrokerCommand> commands = {
      Publish("to everyone"),
      PublishCommand{{"id-1", "news", "two\nlines", 1500},
                     Target::Clients({"bob", "alice"})},
      DisconnectCommand{Target::Groups({"late"})},
      GroupCommand{{"alice", "bob"}, {"g1", "g2"}, true},
      GroupCommand{{"alice"}, {"g1"}, false},
      RetryCommand{{absl::Milliseconds(2500), absl::Milliseconds(300)}},
      DisconnectCommand{Target::Clients({"carol"})},
  };
  std::vector<Applied> sent;
  for (const BrokerCommand& command : commands) {
    sent.push_back(SendExpectingOk(*this->broker_, command));
  }
  EXPECT_EQ(this->sink_.AwaitApplied(sent.size()), sent);
  ExpectStrictlyIncreasing(sent);
  EXPECT_FALSE(this->sink_.applied_before_history());
}

TYPED_TEST(BrokerContractTest, EventBytesArriveUnchanged) {
  const std::string data(
      "line one\r\nline two\n\xc3\xa9t\xc3\xa9 \xf0\x9f\x8e\x89");
  const Applied sent = SendExpectingOk(
      *this->broker_, PublishCommand{{"id:with:colons", "type.x", data, 7},
                                     Target::Groups({"a/b@c"})});
  EXPECT_THAT(this->sink_.AwaitApplied(1), ElementsAre(sent));
}

TYPED_TEST(BrokerContractTest, ConcurrentSendsAllArriveInPositionOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<Applied>> sent(kThreads);
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([this, t, &sent] {
      for (int i = 0; i < kPerThread; ++i) {
        sent[t].push_back(SendExpectingOk(
            *this->broker_, Publish(absl::StrCat("thread ", t, " #", i))));
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  std::vector<Applied> all_sent;
  for (const std::vector<Applied>& one : sent) {
    ExpectStrictlyIncreasing(one);
    all_sent.insert(all_sent.end(), one.begin(), one.end());
  }
  std::sort(all_sent.begin(), all_sent.end(),
            [](const Applied& a, const Applied& b) {
              return a.position < b.position;
            });
  EXPECT_EQ(this->sink_.AwaitApplied(all_sent.size()), all_sent);
}

TYPED_TEST(BrokerContractTest, AsyncSendsArriveInSendOrderAtTheirPositions) {
  constexpr size_t kSends = 300;
  absl::Mutex mu;
  std::vector<Applied> answered(kSends);
  size_t answers = 0;
  absl::Notification all_answered;
  for (size_t i = 0; i < kSends; ++i) {
    const BrokerCommand command =
        i % 10 == 9 ? BrokerCommand(GroupCommand{{"alice"}, {"g"}, true})
                    : BrokerCommand(Publish(absl::StrCat("async #", i)));
    this->broker_->SendAsync(command, [&, i, description = Describe(command)](
                                          absl::StatusOr<Position> position) {
      EXPECT_OK(position) << description;
      absl::MutexLock lock(&mu);
      answered[i] = {description, position.value_or(Position())};
      if (++answers == kSends) all_answered.Notify();
    });
  }
  ASSERT_TRUE(all_answered.WaitForNotificationWithTimeout(absl::Seconds(60)));
  absl::MutexLock lock(&mu);
  // Sent from one thread: positions follow the order of the calls.
  ExpectStrictlyIncreasing(answered);
  EXPECT_EQ(this->sink_.AwaitApplied(kSends), answered);
}

TYPED_TEST(BrokerContractTest, BatchArrivesInOrderBetweenSingleSends) {
  const Applied before = SendExpectingOk(*this->broker_, Publish("before"));
  const std::vector<BrokerCommand> batch = {
      Publish("b1"),
      GroupCommand{{"alice"}, {"g1"}, true},
      Publish("b2", Target::Groups({"g1"})),
      DisconnectCommand{Target::Clients({"carol"})},
      RetryCommand{{absl::Seconds(2), absl::Milliseconds(100)}},
      Publish("b3"),
  };
  std::vector<Applied> expected = {before};
  const std::vector<Applied> sent = SendBatchExpectingOk(*this->broker_, batch);
  ASSERT_EQ(sent.size(), batch.size());
  expected.insert(expected.end(), sent.begin(), sent.end());
  expected.push_back(SendExpectingOk(*this->broker_, Publish("after")));
  EXPECT_EQ(this->sink_.AwaitApplied(expected.size()), expected);
  ExpectStrictlyIncreasing(expected);
  if (TypeParam::kKeepsGroups) {
    EXPECT_THAT(this->Groups("alice"), ElementsAre("g1"));
  }
  absl::StatusOr<std::vector<Position>> none = this->broker_->SendBatch({});
  ASSERT_OK(none);
  EXPECT_THAT(*none, IsEmpty());
}

// Batches sent from several threads at once stay whole: no command of
// another batch comes between the commands of one.
TYPED_TEST(BrokerContractTest, ConcurrentBatchesStayWholeAndInOrder) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 20;
  constexpr int kPerBatch = 50;
  std::vector<std::vector<std::vector<Position>>> sent(kThreads);
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([this, t, &sent] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<BrokerCommand> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(Publish(absl::StrCat(t, "/", b, "/", i)));
        }
        absl::StatusOr<std::vector<Position>> positions =
            this->broker_->SendBatch(batch);
        ASSERT_OK(positions);
        sent[t].push_back(*positions);
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  const std::vector<Applied> applied =
      this->sink_.AwaitApplied(kThreads * kBatches * kPerBatch);
  ASSERT_EQ(applied.size(),
            static_cast<size_t>(kThreads * kBatches * kPerBatch));
  ExpectStrictlyIncreasing(applied);
  // Each batch is kPerBatch consecutive commands, at the positions returned.
  for (size_t start = 0; start < applied.size(); start += kPerBatch) {
    const std::string& first = applied[start].command;
    const std::string prefix = first.substr(0, first.rfind('/') + 1);
    for (int i = 0; i < kPerBatch; ++i) {
      EXPECT_THAT(applied[start + i].command,
                  ::testing::HasSubstr(absl::StrCat(prefix, i, " ")))
          << "at " << start + i;
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int b = 0; b < kBatches; ++b) {
      ASSERT_EQ(sent[t][b].size(), static_cast<size_t>(kPerBatch));
    }
  }
}

TYPED_TEST(BrokerContractTest, LoadGroupsReturnsKeptGroupsOnly) {
  SendExpectingOk(*this->broker_,
                  GroupCommand{{"alice", "bob"}, {"g2", "g1"}, true});
  SendExpectingOk(*this->broker_, GroupCommand{{"alice"}, {"g1"}, false});
  this->sink_.AwaitApplied(2);
  if (TypeParam::kKeepsGroups) {
    EXPECT_THAT(this->Groups("alice"), ElementsAre("g2"));
    EXPECT_THAT(this->Groups("bob"), ElementsAre("g1", "g2"));
  } else {
    EXPECT_THAT(this->Groups("alice"), IsEmpty());
    EXPECT_THAT(this->Groups("bob"), IsEmpty());
  }
  EXPECT_THAT(this->Groups("never-grouped"), IsEmpty());
}

// --- What only the Redis broker does. ---

constexpr absl::Duration kShortTimeout = absl::Milliseconds(500);

// One node as the broker sees it: a broker and the sink it delivers to.
struct Node {
  RecordingSink sink;  // declared first: the broker must not outlive it
  std::unique_ptr<BrokerRedis> broker;
};

class RedisBrokerTest : public RedisServerTest {
 protected:
  BrokerRedis::Options Options() const {
    BrokerRedis::Options options;
    options.redis.port = redis_port();
    options.redis.timeout = kShortTimeout;
    options.max_backoff = absl::Milliseconds(500);
    return options;
  }

  // Creates and starts `node`'s broker; fails the test if it cannot.
  void StartNode(Node* node, const BrokerRedis::Options& options) {
    absl::StatusOr<std::unique_ptr<BrokerRedis>> broker =
        BrokerRedis::Create(options);
    ASSERT_OK(broker);
    node->broker = *std::move(broker);
    absl::Status started = node->broker->Start(&node->sink);
    ASSERT_OK(started);
  }
  void StartNode(Node* node) { StartNode(node, Options()); }

  // Appends an entry to `stream` ("events" or "commands") as some other
  // program might.
  void AddRawEntry(const std::string& field, const std::string& value,
                   const std::string& stream = "events") {
    RedisConnection connection(ConnectionOptions());
    absl::StatusOr<RedisReply> added = connection.RunOne(
        {"XADD", Options().key_prefix + stream, "*", field, value});
    ASSERT_OK(added);
  }
};

// How many script calls Redis ran, from INFO commandstats.
int64_t ScriptCalls(RedisConnection& connection) {
  absl::StatusOr<RedisReply> info = connection.RunOne({"INFO", "commandstats"});
  EXPECT_OK(info);
  if (!info.ok() || (*info)->type != REDIS_REPLY_STRING) return -1;
  const std::string text((*info)->str, (*info)->len);
  const std::string field = "cmdstat_evalsha:calls=";
  const size_t at = text.find(field);
  if (at == std::string::npos) return 0;
  return std::stoll(text.substr(at + field.size()));
}

TEST_F(RedisBrokerTest, SendsWhileAScriptCallIsInFlightGoOutAsOneInOrder) {
  BrokerRedis::Options options = Options();
  options.redis.timeout = absl::Seconds(30);  // Redis is frozen for a while
  Node node;
  ASSERT_NO_FATAL_FAILURE(StartNode(&node, options));
  RedisConnection stats(ConnectionOptions());
  const int64_t calls_before = ScriptCalls(stats);
  constexpr size_t kQueued = 20;
  absl::Mutex mu;
  std::vector<Applied> answered(kQueued + 2);
  std::vector<std::vector<Position>> batch_positions(1);
  size_t answers = 0;
  absl::Notification all_answered;
  auto answer = [&](size_t i, const std::string& description) {
    return [&, i, description](absl::StatusOr<Position> position) {
      EXPECT_OK(position);
      absl::MutexLock lock(&mu);
      answered[i] = {description, position.value_or(Position())};
      if (++answers == kQueued + 2) all_answered.Notify();
    };
  };
  // The first call stays in flight while Redis is frozen; every call made
  // meanwhile waits, and they go out together once it is answered.
  redis().Freeze();
  node.broker->SendAsync(Publish("first"),
                         answer(0, Describe(Publish("first"))));
  for (size_t i = 1; i <= kQueued; ++i) {
    const BrokerCommand command =
        i % 5 == 0 ? BrokerCommand(DisconnectCommand{Target::Clients({"bob"})})
                   : BrokerCommand(Publish(absl::StrCat("queued #", i)));
    node.broker->SendAsync(command, answer(i, Describe(command)));
  }
  // A waiting SendBatch() in the same group keeps its commands together.
  const std::vector<BrokerCommand> batch = {Publish("b1"), Publish("b2")};
  std::thread batcher([&] {
    absl::StatusOr<std::vector<Position>> positions =
        node.broker->SendBatch(batch);
    EXPECT_OK(positions);
    absl::MutexLock lock(&mu);
    batch_positions[0] = positions.value_or(std::vector<Position>());
    answered[kQueued + 1] = {"batch", Position()};
    if (++answers == kQueued + 2) all_answered.Notify();
  });
  // Time for the batcher to queue too; if it does not, it goes out on its
  // own afterwards, which the counts below allow.
  absl::SleepFor(absl::Milliseconds(200));
  redis().Thaw();
  ASSERT_TRUE(all_answered.WaitForNotificationWithTimeout(absl::Seconds(60)));
  batcher.join();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(batch_positions[0].size(), 2u);
  std::vector<Applied> expected(answered.begin(),
                                answered.begin() + kQueued + 1);
  ExpectStrictlyIncreasing(expected);
  expected.push_back({Describe(batch[0]), batch_positions[0][0]});
  expected.push_back({Describe(batch[1]), batch_positions[0][1]});
  std::sort(expected.begin(), expected.end(),
            [](const Applied& a, const Applied& b) {
              return a.position < b.position;
            });
  EXPECT_EQ(node.sink.AwaitApplied(expected.size()), expected);
  // The first call, then one for all that waited (the batcher's too, if it
  // queued before the thaw; else one more).
  const int64_t calls = ScriptCalls(stats) - calls_before;
  EXPECT_GE(calls, 2);
  EXPECT_LE(calls, 3);
}

TEST_F(RedisBrokerTest, EveryNodeGetsEveryCommandInTheSameOrder) {
  Node a;
  Node b;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  ASSERT_NO_FATAL_FAILURE(StartNode(&b));

  constexpr int kPerNode = 30;
  auto send_mixed = [](BrokerRedis* broker, const std::string& name) {
    for (int i = 0; i < kPerNode; ++i) {
      const std::string client = absl::StrCat(name, "-client-", i);
      switch (i % 3) {
        case 0:
          SendExpectingOk(*broker, Publish(absl::StrCat(name, " #", i)));
          break;
        case 1:
          SendExpectingOk(*broker, GroupCommand{{client}, {name}, true});
          break;
        default:
          SendExpectingOk(*broker,
                          DisconnectCommand{Target::Clients({client})});
      }
    }
  };
  std::thread via_a(send_mixed, a.broker.get(), "a");
  std::thread via_b(send_mixed, b.broker.get(), "b");
  via_a.join();
  via_b.join();

  const std::vector<Applied> seen_by_a = a.sink.AwaitApplied(2 * kPerNode);
  const std::vector<Applied> seen_by_b = b.sink.AwaitApplied(2 * kPerNode);
  ASSERT_EQ(seen_by_a.size(), 2u * kPerNode);
  EXPECT_EQ(seen_by_a, seen_by_b);
  ExpectStrictlyIncreasing(seen_by_a);
}

TEST_F(RedisBrokerTest, NodeStartedLaterReplaysPublishesButNotOtherCommands) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  const Applied p1 = SendExpectingOk(*a.broker, Publish("p1"));
  SendExpectingOk(*a.broker, DisconnectCommand{Target::Clients({"alice"})});
  SendExpectingOk(*a.broker, GroupCommand{{"bob"}, {"fans"}, true});
  const Applied p2 = SendExpectingOk(*a.broker, Publish("p2"));
  const Applied retry = SendExpectingOk(
      *a.broker, RetryCommand{{absl::Seconds(3), absl::Seconds(1)}});

  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c));
  EXPECT_THAT(c.sink.boundaries(), ElementsAre(Position{0, 0}))
      << "the replay covers the whole stream";
  EXPECT_THAT(c.sink.applied(), ElementsAre(p1, p2, retry));
  absl::StatusOr<std::vector<std::string>> groups = c.broker->LoadGroups("bob");
  ASSERT_OK(groups);
  EXPECT_THAT(*groups, ElementsAre("fans"));

  // Then it follows the stream from where the replay ended.
  const Applied p3 = SendExpectingOk(*a.broker, Publish("p3"));
  EXPECT_THAT(c.sink.AwaitApplied(4), ElementsAre(p1, p2, retry, p3));
}

TEST_F(RedisBrokerTest, ReplayTakesTheNewestHistorySizeEvents) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  std::vector<Applied> sent;
  for (int i = 1; i <= 4; ++i) {
    sent.push_back(SendExpectingOk(*a.broker, Publish(absl::StrCat("p", i))));
  }
  SendExpectingOk(*a.broker, DisconnectCommand{Target::Clients({"alice"})});
  sent.push_back(SendExpectingOk(*a.broker, Publish("p5")));

  // The newest 3 events are p3, p4 and p5 (the disconnect is no event); p2
  // is the newest one left out.
  BrokerRedis::Options options = Options();
  options.history_size = 3;
  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c, options));
  EXPECT_THAT(c.sink.boundaries(), ElementsAre(sent[1].position));
  EXPECT_THAT(c.sink.applied(), ElementsAre(sent[2], sent[3], sent[4]));
}

// Makes the streams' radix nodes hold `entries` entries each. Redis trims
// (MAXLEN ~, MINID ~) in whole nodes only; small nodes make a trim exact,
// or start as soon as a stream is over its bound.
absl::Status SetStreamNodeEntries(RedisConnection& admin, int entries) {
  return admin
      .RunOne(
          {"CONFIG", "SET", "stream-node-max-entries", absl::StrCat(entries)})
      .status();
}

// The point of two streams: a burst of group changes and disconnects, far
// more than the history holds, leaves the events in the replay window.
TEST_F(RedisBrokerTest, ControlCommandsDoNotEvictEventsFromTheHistory) {
  BrokerRedis::Options options = Options();
  options.history_size = 5;
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a, options));
  RedisConnection admin(ConnectionOptions());
  ASSERT_OK(SetStreamNodeEntries(admin, 2));
  std::vector<Applied> events;
  for (int i = 1; i <= 5; ++i) {
    events.push_back(
        SendExpectingOk(*a.broker, Publish(absl::StrCat("event ", i))));
  }
  for (int i = 0; i < 200; ++i) {
    const std::string client = absl::StrCat("client-", i);
    SendExpectingOk(*a.broker, GroupCommand{{client}, {"g"}, true});
    SendExpectingOk(*a.broker, DisconnectCommand{Target::Clients({client})});
  }
  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c, options));
  EXPECT_THAT(c.sink.boundaries(), ElementsAre(Position{0, 0}))
      << "no event was trimmed";
  EXPECT_EQ(c.sink.applied(), events);
  // Both nodes go on in one order from there.
  const Applied next = SendExpectingOk(*a.broker, Publish("next"));
  EXPECT_TRUE(c.sink.AwaitLast(next));
  EXPECT_TRUE(a.sink.AwaitLast(next));
}

// A node that falls behind the commands stream's trim (its reader held, as
// flow control holds it) loses the disconnects and group changes trimmed
// meanwhile: it is told, once, that everything through the newest lost id
// is lost, and goes on after it with both streams.
TEST_F(RedisBrokerTest, ReaderBehindTheCommandsTrimIsToldWhatItLost) {
  BrokerRedis::Options options = Options();
  options.commands_history_size = 10;
  Node a;
  Node b;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a, options));
  ASSERT_NO_FATAL_FAILURE(StartNode(&b, options));
  RedisConnection admin(ConnectionOptions());
  ASSERT_OK(SetStreamNodeEntries(admin, 2));
  b.sink.HoldNextApply();
  const Applied first =
      SendExpectingOk(*a.broker, GroupCommand{{"alice"}, {"g"}, true});
  ASSERT_TRUE(b.sink.AwaitHeld());
  std::vector<Applied> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back(SendExpectingOk(
        *a.broker, DisconnectCommand{Target::Clients({absl::StrCat("c", i)})}));
  }
  const Applied event = SendExpectingOk(*a.broker, Publish("after the burst"));
  // What the commands stream still holds: the entries after the loss.
  absl::StatusOr<RedisReply> oldest = admin.RunOne(
      {"XRANGE", options.key_prefix + "commands", "-", "+", "COUNT", "1"});
  ASSERT_OK(oldest);
  ASSERT_EQ((*oldest)->elements, 1u);
  const std::string oldest_id((*oldest)->element[0]->element[0]->str,
                              (*oldest)->element[0]->element[0]->len);
  auto kept = std::find_if(sent.begin(), sent.end(), [&](const Applied& a) {
    return a.position.ToString() == oldest_id;
  });
  ASSERT_NE(kept, sent.begin()) << "nothing was trimmed";
  ASSERT_NE(kept, sent.end());
  b.sink.Release();

  std::vector<Applied> expected = {first, {"lost history", kept->position}};
  // The lost id is the one just before the oldest entry left.
  expected[1].position.sequence -= 1;
  if (kept->position.sequence == 0) {
    expected[1].position = {kept->position.epoch - 1, ~uint64_t{0}};
  }
  expected.insert(expected.end(), kept, sent.end());
  expected.push_back(event);
  EXPECT_EQ(b.sink.AwaitApplied(expected.size()), expected);
}

// Longer than one XREVRANGE page, so the replay pages backwards.
TEST_F(RedisBrokerTest, LongReplayIsReadInPagesWithoutGapsOrRepeats) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  constexpr int kSent = 2600;
  constexpr size_t kHistory = 2500;
  std::vector<Applied> sent;
  for (int i = 0; i < kSent; ++i) {
    sent.push_back(SendExpectingOk(*a.broker, Publish(absl::StrCat("#", i))));
  }
  BrokerRedis::Options options = Options();
  options.history_size = kHistory;
  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c, options));
  const size_t first_replayed = sent.size() - kHistory;
  EXPECT_THAT(c.sink.boundaries(),
              ElementsAre(sent[first_replayed - 1].position));
  EXPECT_EQ(c.sink.applied(),
            std::vector<Applied>(sent.begin() + first_replayed, sent.end()));
}

// What `length_command` (XLEN of a stream, LLEN of a list) answers for
// `key`; -1 when it fails.
int64_t Length(RedisConnection& connection, const char* length_command,
               const std::string& key) {
  absl::StatusOr<RedisReply> length = connection.RunOne({length_command, key});
  EXPECT_OK(length);
  if (!length.ok() || (*length)->type != REDIS_REPLY_INTEGER) return -1;
  return (*length)->integer;
}

// The point of packs: a batch of small events costs Redis a few entries,
// not one each, yet every event keeps a position of its own, in order, on
// every node and in the replay of a node started later.
TEST_F(RedisBrokerTest, SmallEventsOfABatchSharePacksYetKeepTheirPositions) {
  Node a;
  Node b;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  ASSERT_NO_FATAL_FAILURE(StartNode(&b));
  constexpr size_t kEvents = 3000;
  std::vector<BrokerCommand> batch;
  for (size_t i = 0; i < kEvents; ++i) {
    batch.push_back(Publish(absl::StrCat("#", i)));
  }
  const std::vector<Applied> sent = SendBatchExpectingOk(*a.broker, batch);
  ASSERT_EQ(sent.size(), kEvents);
  ExpectStrictlyIncreasing(sent);
  EXPECT_EQ(b.sink.AwaitApplied(kEvents), sent);
  EXPECT_EQ(a.sink.AwaitApplied(kEvents), sent);
  RedisConnection admin(ConnectionOptions());
  // 1,024 commands a pack at most: 1024 + 1024 + 952.
  EXPECT_EQ(Length(admin, "XLEN", Options().key_prefix + "events"), 3);

  // The replay counts events, not entries, in whole packs: the newest 1,500
  // events lie in the two newest packs (1,976 events); the first pack is
  // left out, and its last event is the boundary.
  BrokerRedis::Options options = Options();
  options.history_size = 1500;
  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c, options));
  EXPECT_THAT(c.sink.boundaries(), ElementsAre(sent[1023].position));
  EXPECT_EQ(c.sink.applied(),
            std::vector<Applied>(sent.begin() + 1024, sent.end()));
}

TEST_F(RedisBrokerTest, LargeEventsOfABatchTakeAnEntryEach) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  // Two of these pass a pack's 64 KiB; the last is larger on its own.
  const std::vector<BrokerCommand> batch = {
      Publish(std::string(40 * 1024, 'a')),
      Publish(std::string(40 * 1024, 'b')), Publish("small"),
      Publish(std::string(70 * 1024, 'c'))};
  const std::vector<Applied> sent = SendBatchExpectingOk(*a.broker, batch);
  ASSERT_EQ(sent.size(), batch.size());
  EXPECT_EQ(a.sink.AwaitApplied(batch.size()), sent);
  RedisConnection admin(ConnectionOptions());
  // "b" and "small" share one.
  EXPECT_EQ(Length(admin, "XLEN", Options().key_prefix + "events"), 3);
}

// A bound in entries would let packs of small events keep up to 1,024 times
// the history: the events stream keeps about `history_size` events however
// they came, and its index no more items than it has entries.
TEST_F(RedisBrokerTest, EventsStreamKeepsAboutHistorySizeEventsNotEntries) {
  BrokerRedis::Options options = Options();
  options.history_size = 100;
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a, options));
  RedisConnection admin(ConnectionOptions());
  ASSERT_OK(SetStreamNodeEntries(admin, 1));
  const std::string events = options.key_prefix + "events";
  const std::string index = options.key_prefix + "events-index";
  std::vector<Applied> sent;
  for (int b = 0; b < 20; ++b) {
    std::vector<BrokerCommand> batch;
    for (int i = 0; i < 40; ++i) {
      batch.push_back(Publish(absl::StrCat("pack ", b, " #", i)));
    }
    const std::vector<Applied> part = SendBatchExpectingOk(*a.broker, batch);
    sent.insert(sent.end(), part.begin(), part.end());
  }
  ASSERT_EQ(sent.size(), 800u);
  // The newest 100 events lie in the 3 newest packs of 40; the one before
  // them stays as the newest left out.
  EXPECT_EQ(Length(admin, "XLEN", events), 4);
  EXPECT_EQ(Length(admin, "LLEN", index), 4);
  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c, options));
  EXPECT_THAT(c.sink.boundaries(), ElementsAre(sent[679].position));
  EXPECT_EQ(c.sink.applied(),
            std::vector<Applied>(sent.begin() + 680, sent.end()));

  // Single publishes after them: the newest 100 events are 90 of those
  // and the newest pack, and the pack before it stays.
  for (int i = 0; i < 90; ++i) {
    sent.push_back(SendExpectingOk(*a.broker, Publish(absl::StrCat("#", i))));
  }
  EXPECT_EQ(Length(admin, "XLEN", events), 92);
  EXPECT_EQ(Length(admin, "LLEN", index), 92);
}

// A node with a smaller history (a restart with a lower --history_size)
// trims what the others kept down to it, from its first publish on, in
// steps of at most 100 entries a call here (the LIMIT of XTRIM ~ is 100
// times stream-node-max-entries, 1 in this test).
TEST_F(RedisBrokerTest, SmallerHistoryTrimsTheStreamOnTheNextPublish) {
  RedisConnection admin(ConnectionOptions());
  ASSERT_OK(SetStreamNodeEntries(admin, 1));
  BrokerRedis::Options large = Options();
  large.history_size = 1000;
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a, large));
  for (int i = 0; i < 600; ++i) {
    SendExpectingOk(*a.broker, Publish(absl::StrCat("#", i)));
  }
  const std::string events = large.key_prefix + "events";
  ASSERT_EQ(Length(admin, "XLEN", events), 600);
  BrokerRedis::Options small = Options();
  small.history_size = 10;
  Node b;
  ASSERT_NO_FATAL_FAILURE(StartNode(&b, small));
  SendExpectingOk(*b.broker, Publish("from the smaller node"));
  EXPECT_EQ(Length(admin, "XLEN", events), 501);
  // The index is down to the newest 10 events and the entry before them
  // at once; the stream follows.
  EXPECT_EQ(Length(admin, "LLEN", small.key_prefix + "events-index"), 11);
  for (int i = 0; i < 5; ++i) {
    SendExpectingOk(*b.broker, Publish(absl::StrCat("next ", i)));
  }
  EXPECT_EQ(Length(admin, "XLEN", events), 11);
}

// Entries that something else wrote (an older version, which trims by
// entries) have no index items; the first trim after them takes them.
TEST_F(RedisBrokerTest, EntriesWrittenWithoutTheIndexGoWithTheFirstTrim) {
  BrokerRedis::Options options = Options();
  options.history_size = 3;
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a, options));
  RedisConnection admin(ConnectionOptions());
  ASSERT_OK(SetStreamNodeEntries(admin, 1));
  const std::string events = options.key_prefix + "events";
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(admin.RunOne(
        {"XADD", events, "*", "c",
         EncodeBrokerCommand(Publish(absl::StrCat("unindexed ", i)))}));
  }
  ASSERT_EQ(Length(admin, "XLEN", events), 5);
  std::vector<Applied> sent;
  for (int i = 0; i < 4; ++i) {
    sent.push_back(SendExpectingOk(*a.broker, Publish(absl::StrCat("#", i))));
  }
  // The newest 3 events need 3 entries, and the oldest indexed one stays
  // as the newest left out: nothing is trimmed yet.
  EXPECT_EQ(Length(admin, "XLEN", events), 9);
  sent.push_back(SendExpectingOk(*a.broker, Publish("#4")));
  EXPECT_EQ(Length(admin, "XLEN", events), 4);
  EXPECT_EQ(Length(admin, "LLEN", options.key_prefix + "events-index"), 4);
  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c, options));
  EXPECT_THAT(c.sink.boundaries(), ElementsAre(sent[1].position));
  EXPECT_EQ(c.sink.applied(),
            std::vector<Applied>(sent.begin() + 2, sent.end()));
}

// A pack is checked command by command, as single entries are: one that
// does not decode is skipped alone, at its own position. A pack whose
// positions would reach back to the entry before it (a writer that did not
// reserve them) is skipped whole, so positions only ever increase.
TEST_F(RedisBrokerTest,
       PackedCommandsAreCheckedOneByOneAndAgainstTheEntryBefore) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  const Applied before = SendExpectingOk(*a.broker, Publish("before"));
  const std::string key = Options().key_prefix + "events";
  RedisConnection admin(ConnectionOptions());
  const Position reserved_end = {before.position.epoch,
                                 before.position.sequence + 3};
  ASSERT_OK(admin.RunOne(
      {"XADD", key, reserved_end.ToString(), "p",
       PackBrokerCommands({EncodeBrokerCommand(Publish("first")),
                           "\xff\xfe not a command",
                           EncodeBrokerCommand(Publish("third"))})}));
  const Applied after = SendExpectingOk(*a.broker, Publish("after"));
  // A single entry well above `after`, then a pack of three right above it
  // whose first two positions would lie at or below it.
  const Position tenth = {after.position.epoch, after.position.sequence + 10};
  ASSERT_OK(admin.RunOne({"XADD", key, tenth.ToString(), "c",
                          EncodeBrokerCommand(Publish("tenth"))}));
  const std::vector<std::string> xyz = {EncodeBrokerCommand(Publish("x")),
                                        EncodeBrokerCommand(Publish("y")),
                                        EncodeBrokerCommand(Publish("z"))};
  const Position overlapping = {tenth.epoch, tenth.sequence + 1};
  ASSERT_OK(admin.RunOne(
      {"XADD", key, overlapping.ToString(), "p", PackBrokerCommands(xyz)}));
  // A pack of three at sequence 1, which has no two sequence numbers below.
  const Position too_low = {tenth.epoch + 1, 1};
  ASSERT_OK(admin.RunOne(
      {"XADD", key, too_low.ToString(), "p", PackBrokerCommands(xyz)}));
  ASSERT_OK(admin.RunOne({"XADD", key, "*", "p", "\xff not a pack"}));
  const Applied last = SendExpectingOk(*a.broker, Publish("last"));
  const std::vector<Applied> expected = {
      before,
      {Describe(Publish("first")),
       {before.position.epoch, before.position.sequence + 1}},
      {Describe(Publish("third")), reserved_end},
      after,
      {Describe(Publish("tenth")), tenth},
      last};
  EXPECT_EQ(a.sink.AwaitApplied(expected.size()), expected);

  // A node started later replays the same from the history.
  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c));
  EXPECT_EQ(c.sink.applied(), expected);
}

// The script keeps the newest id it wrote in a key of its own instead of
// asking XINFO on every call; an entry another program wrote after it, in
// either stream, and a key that is gone, still give the next id above all.
TEST_F(RedisBrokerTest, NextIdIsAboveEntriesWrittenAroundTheScript) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  RedisConnection admin(ConnectionOptions());
  const std::string newest_key = Options().key_prefix + "newest-id";
  const Applied first = SendExpectingOk(*a.broker, Publish("first"));
  absl::StatusOr<RedisReply> newest = admin.RunOne({"GET", newest_key});
  ASSERT_OK(newest);
  ASSERT_EQ((*newest)->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string((*newest)->str, (*newest)->len),
            first.position.ToString());

  Position last = first.position;
  for (const char* stream : {"commands", "events"}) {
    SCOPED_TRACE(stream);
    // An hour ahead of the newest id, as another writer might add it.
    const Position ahead = {last.epoch + 3'600'000, 7};
    ASSERT_OK(admin.RunOne({"XADD", Options().key_prefix + stream,
                            ahead.ToString(), "c", "not a command"}));
    last = SendExpectingOk(*a.broker, Publish("next")).position;
    EXPECT_TRUE(ahead < last)
        << last.ToString() << " is not after " << ahead.ToString();
  }
  // Without the key the script asks the streams again.
  ASSERT_OK(admin.RunOne({"DEL", newest_key}));
  const Position after_loss = SendExpectingOk(*a.broker, Publish("x")).position;
  EXPECT_TRUE(last < after_loss)
      << after_loss.ToString() << " is not after " << last.ToString();

  // An entry written and deleted again leaves the stream's last id above
  // the key with nothing after it: one send fails, the next one recovers.
  const Position deleted = {after_loss.epoch + 3'600'000, 3};
  const std::string events = Options().key_prefix + "events";
  ASSERT_OK(
      admin.RunOne({"XADD", events, deleted.ToString(), "c", "not a command"}));
  ASSERT_OK(admin.RunOne({"XDEL", events, deleted.ToString()}));
  EXPECT_FALSE(a.broker->Send(Publish("refused")).ok());
  const Position recovered =
      SendExpectingOk(*a.broker, Publish("recovered")).position;
  EXPECT_TRUE(deleted < recovered)
      << recovered.ToString() << " is not after " << deleted.ToString();
}

TEST_F(RedisBrokerTest, EntriesThatDoNotDecodeAreSkipped) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  ASSERT_NO_FATAL_FAILURE(AddRawEntry("c", "\xff\xfe not a command"));
  ASSERT_NO_FATAL_FAILURE(AddRawEntry("other", "no command field"));
  const Applied after = SendExpectingOk(*a.broker, Publish("after the junk"));
  EXPECT_THAT(a.sink.AwaitApplied(1), ElementsAre(after));

  Node c;
  ASSERT_NO_FATAL_FAILURE(StartNode(&c));
  EXPECT_THAT(c.sink.applied(), ElementsAre(after));
}

TEST_F(RedisBrokerTest, StoppedNodeGetsNothingMore) {
  Node a;
  Node b;
  ASSERT_NO_FATAL_FAILURE(StartNode(&a));
  ASSERT_NO_FATAL_FAILURE(StartNode(&b));
  const Applied before = SendExpectingOk(*a.broker, Publish("before"));
  EXPECT_THAT(b.sink.AwaitApplied(1), ElementsAre(before));
  b.broker->Stop();
  const Applied after = SendExpectingOk(*a.broker, Publish("after"));
  EXPECT_THAT(a.sink.AwaitApplied(2), ElementsAre(before, after));
  EXPECT_THAT(b.sink.applied(), ElementsAre(before));
}

TEST_F(RedisBrokerTest, DeadRedisFailsSendsAndReaderRecoversAfterRestart) {
  Node node;
  ASSERT_NO_FATAL_FAILURE(StartNode(&node));
  const Applied before = SendExpectingOk(*node.broker, Publish("before"));
  EXPECT_THAT(node.sink.AwaitApplied(1), ElementsAre(before));

  redis().Kill();
  absl::StatusOr<Position> sent = node.broker->Send(Publish("while down"));
  EXPECT_THAT(sent, StatusIs(absl::StatusCode::kUnavailable,
                             HasSubstr(RedisErrorPrefix())));
  absl::StatusOr<Position> sent_async =
      SendAsyncAndWait(*node.broker, Publish("while down, async"));
  EXPECT_THAT(sent_async, StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr(RedisErrorPrefix())));
  absl::Status loaded = node.broker->LoadGroups("alice").status();
  EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr(RedisErrorPrefix())));
  EXPECT_TRUE(node.sink.AwaitHealth(false));

  ASSERT_OK(redis().Restart());
  EXPECT_TRUE(node.sink.AwaitHealth(true));
  EXPECT_THAT(node.sink.health(), ElementsAre(true, false, true));
  const Applied after = SendExpectingOk(*node.broker, Publish("after"));
  EXPECT_THAT(node.sink.AwaitApplied(2), ElementsAre(before, after))
      << "the failed send must not arrive";
}

TEST_F(RedisBrokerTest, HungRedisTimesOutAndReaderRecoversAfterThaw) {
  Node node;
  ASSERT_NO_FATAL_FAILURE(StartNode(&node));
  redis().Freeze();
  absl::StatusOr<Position> sent = node.broker->Send(Publish("while hung"));
  EXPECT_THAT(sent, StatusIs(absl::StatusCode::kUnavailable,
                             HasSubstr("no answer within")));
  EXPECT_TRUE(node.sink.AwaitHealth(false));
  redis().Thaw();
  EXPECT_TRUE(node.sink.AwaitHealth(true));
  // The command that timed out may have reached Redis after all; only the
  // next one is known to be the last.
  const Applied after = SendExpectingOk(*node.broker, Publish("after"));
  EXPECT_TRUE(node.sink.AwaitLast(after))
      << "applied: " << ::testing::PrintToString(node.sink.applied());
}

TEST_F(RedisBrokerTest, CreateFailsClearlyWhenNothingListens) {
  redis().Kill();
  absl::Status created = BrokerRedis::Create(Options()).status();
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kUnavailable,
                                RedisErrorPrefix() + "Connection refused"));
}

TEST_F(RedisBrokerTest, CreateRejectsBadOptions) {
  BrokerRedis::Options no_history = Options();
  no_history.history_size = 0;
  EXPECT_THAT(BrokerRedis::Create(no_history),
              StatusIs(absl::StatusCode::kInvalidArgument));
  BrokerRedis::Options no_retention = Options();
  no_retention.group_retention = absl::ZeroDuration();
  EXPECT_THAT(BrokerRedis::Create(no_retention),
              StatusIs(absl::StatusCode::kInvalidArgument));
  BrokerRedis::Options bad_port = Options();
  bad_port.redis.port = 0;
  EXPECT_THAT(BrokerRedis::Create(bad_port),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RedisBrokerTest, SendFailsWhenTooFewReplicasConfirm) {
  BrokerRedis::Options options = Options();
  options.wait_replicas = 1;  // this Redis has none
  options.wait_timeout = absl::Milliseconds(100);
  Node node;
  ASSERT_NO_FATAL_FAILURE(StartNode(&node, options));
  absl::StatusOr<Position> sent = node.broker->Send(Publish("unconfirmed"));
  EXPECT_THAT(
      sent,
      StatusIs(absl::StatusCode::kUnavailable,
               ::testing::StartsWith(
                   RedisErrorPrefix() +
                   "only 0 of 1 replicas (--redis_wait_replicas) confirmed "
                   "command ")));
  absl::StatusOr<Position> sent_async =
      SendAsyncAndWait(*node.broker, Publish("unconfirmed, async"));
  EXPECT_THAT(sent_async, StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("only 0 of 1 replicas")));
  // Group changes wait too; their transaction's answer is read first.
  absl::StatusOr<Position> grouped =
      node.broker->Send(GroupCommand{{"alice"}, {"g"}, true});
  EXPECT_THAT(std::string(grouped.status().message()),
              ::testing::HasSubstr("only 0 of 1 replicas"));
  // Zero replicas asked for: WAIT answers at once.
  options.wait_replicas = 0;
  Node plain;
  ASSERT_NO_FATAL_FAILURE(StartNode(&plain, options));
  SendExpectingOk(*plain.broker, Publish("fine"));
}

TEST_F(RedisBrokerTest, CreateRejectsBadWaitOptions) {
  BrokerRedis::Options negative = Options();
  negative.wait_replicas = -1;
  EXPECT_EQ(BrokerRedis::Create(negative).status().message(),
            "replicas to wait for (-1) must not be negative");
  BrokerRedis::Options forever = Options();
  forever.wait_replicas = 1;
  forever.wait_timeout = absl::ZeroDuration();
  EXPECT_EQ(BrokerRedis::Create(forever).status().message(),
            "the wait for replicas (0) must be at least 1ms");
}

TEST_F(RedisBrokerTest, GroupsExpireAfterTheRetention) {
  BrokerRedis::Options options = Options();
  options.group_retention = absl::Seconds(3);
  Node node;
  ASSERT_NO_FATAL_FAILURE(StartNode(&node, options));
  SendExpectingOk(*node.broker, GroupCommand{{"alice"}, {"g"}, true});
  absl::StatusOr<std::vector<std::string>> groups =
      node.broker->LoadGroups("alice");
  ASSERT_OK(groups);
  EXPECT_THAT(*groups, ElementsAre("g"));
  const absl::Time deadline = absl::Now() + kWaitDeadline;
  while (groups.ok() && !groups->empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    groups = node.broker->LoadGroups("alice");
  }
  ASSERT_OK(groups);
  EXPECT_THAT(*groups, IsEmpty());
}

}  // namespace
}  // namespace ssecast
