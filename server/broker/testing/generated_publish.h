// The bytes the generated protobuf code writes for a publish, built field
// by field through wire::Command: the oracle for the codec's hand-written
// publish encoder, shared by its unit test and its fuzzer. It spells out
// the target kinds itself rather than calling the codec's, so that a
// mistake there shows.
#ifndef SSECAST_SERVER_BROKER_TESTING_GENERATED_PUBLISH_H_
#define SSECAST_SERVER_BROKER_TESTING_GENERATED_PUBLISH_H_

#include <string>

#include "server/broker/broker.h"
#include "server/broker/broker_command.pb.h"
#include "server/hub/target.h"

namespace ssecast::test_support {

inline std::string GeneratedPublishBytes(const PublishCommand& publish) {
  broker::wire::Command command;
  broker::wire::Publish* out = command.mutable_publish();
  out->set_id(publish.event.id);
  out->set_type(publish.event.type);
  out->set_data(publish.event.data);
  out->set_retry_ms(publish.event.retry_ms);
  broker::wire::Target* target = out->mutable_target();
  switch (publish.target.kind()) {
    case Target::Kind::kAll:
      target->set_kind(broker::wire::Target::ALL);
      break;
    case Target::Kind::kClients:
      target->set_kind(broker::wire::Target::CLIENTS);
      break;
    case Target::Kind::kGroups:
      target->set_kind(broker::wire::Target::GROUPS);
      break;
  }
  for (const std::string& name : publish.target.names()) {
    target->add_names(name);
  }
  return command.SerializeAsString();
}

}  // namespace ssecast::test_support

#endif  // SSECAST_SERVER_BROKER_TESTING_GENERATED_PUBLISH_H_
