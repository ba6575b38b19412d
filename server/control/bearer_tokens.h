// BearerTokens: the tokens a backend may present to the control plane
// (`authorization: Bearer <token>`), read from a file so that they stay
// out of the command line and can be rotated: add the new token, move the
// backends over, remove the old one, reload.
//
// File format: one token per line; surrounding spaces and tabs are
// ignored, as are blank lines and lines starting with '#'. A token is 16
// to 4096 visible ASCII characters (no spaces). Errors name the file and
// the line, never a token.
//
// Accepts() compares the presented token with every token, each in time
// that does not depend on where they differ, and never stops early, so
// timing tells an attacker nothing about the tokens' contents.
//
// Thread-safe: Accepts() may run on any gRPC thread while Reload() swaps
// the set in.
#ifndef SSECAST_SERVER_CONTROL_BEARER_TOKENS_H_
#define SSECAST_SERVER_CONTROL_BEARER_TOKENS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ssecast {

class BearerTokens {
 public:
  static constexpr size_t kMinTokenBytes = 16;
  static constexpr size_t kMaxTokenBytes = 4096;

  // The tokens in `text` (the contents of `path`, which only messages
  // name). INVALID_ARGUMENT for a malformed line or a file without tokens.
  static absl::StatusOr<std::vector<std::string>> Parse(absl::string_view text,
                                                        absl::string_view path);

  // Reads and parses the file at `path`.
  static absl::StatusOr<std::unique_ptr<BearerTokens>> Load(std::string path);

  // A fixed set, for tests.
  explicit BearerTokens(std::vector<std::string> tokens, std::string path = "");

  BearerTokens(const BearerTokens&) = delete;
  BearerTokens& operator=(const BearerTokens&) = delete;

  // Reads the file again. On success the new set replaces the old one and
  // the number of tokens is returned; on failure the old set stays.
  absl::StatusOr<size_t> Reload();

  // Whether `token` is one of the set.
  bool Accepts(absl::string_view token) const;

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  mutable absl::Mutex mu_;
  std::vector<std::string> tokens_ ABSL_GUARDED_BY(mu_);
};

// Whether `a` equals `b`, in time that depends on the length of `a` only.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONTROL_BEARER_TOKENS_H_
