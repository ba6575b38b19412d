// Fuzzes the Cookie header parsing of the default client identity: any
// header either yields a value or none, and only well-formed ids are used.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "httplib.h"
#include "server/sse/cookie_client_id_provider.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string header(reinterpret_cast<const char*>(data), size);
  std::optional<std::string> value = ssecast::FindCookie(header, "ssecast_id");
  if (value && value->size() > header.size()) std::abort();
  ssecast::CookieClientIdProvider provider("ssecast_id");
  httplib::Request request;
  request.headers.emplace("Cookie", header);
  absl::StatusOr<ssecast::ClientIdentity> identity = provider.Identify(request);
  if (!identity.ok() ||
      !ssecast::CookieClientIdProvider::IsWellFormed(identity->client_id)) {
    std::abort();
  }
  return 0;
}
