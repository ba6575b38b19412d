#include "tests/client_cookie.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace ssecast::test_support {

HttpHeaders ClientIdCookieHeader(const std::string& client_id) {
  return {{"Cookie", absl::StrCat(kClientIdCookie, "=", client_id)}};
}

std::string UnissuedClientId() {
  static absl::BitGen* const random = new absl::BitGen();
  static absl::Mutex* const mutex = new absl::Mutex();
  absl::MutexLock lock(mutex);
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(*random),
                         absl::Uniform<uint64_t>(*random));
}

std::optional<std::string> IssuedClientId(const SseTestClient& response) {
  return response.CookieValue(kClientIdCookie);
}

}  // namespace ssecast::test_support
