#ifndef SSECAST_SERVER_HUB_POSITION_H_
#define SSECAST_SERVER_HUB_POSITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "absl/strings/string_view.h"

namespace ssecast {

// Where an event stands in the history, written "<epoch>-<sequence>" in
// decimal. Positions of one history compare in publishing order. The epoch
// changes when a history starts afresh (a restart of a node with an
// in-memory history), so a client never mistakes a position of an older
// history for one of the current history.
struct Position {
  uint64_t epoch = 0;
  uint64_t sequence = 0;

  std::string ToString() const;
  // Parses "<epoch>-<sequence>"; nullopt for anything else.
  static std::optional<Position> Parse(absl::string_view text);

  friend bool operator<(const Position& a, const Position& b) {
    return std::tie(a.epoch, a.sequence) < std::tie(b.epoch, b.sequence);
  }
  friend bool operator==(const Position& a, const Position& b) {
    return a.epoch == b.epoch && a.sequence == b.sequence;
  }
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_HUB_POSITION_H_
