#ifndef SSECAST_TESTS_SUPPORT_SPAWN_FILE_ACTIONS_H_
#define SSECAST_TESTS_SUPPORT_SPAWN_FILE_ACTIONS_H_

#include <spawn.h>

namespace ssecast::test_support {

// posix_spawn's file-actions object, destroyed on scope exit. Not
// thread-safe; one per spawn.
class SpawnFileActions {
 public:
  SpawnFileActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_SUPPORT_SPAWN_FILE_ACTIONS_H_
