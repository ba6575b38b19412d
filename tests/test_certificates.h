// TestCertificates: a throw-away PKI for tests of the control plane's TLS,
// made with the openssl command-line tool (Debian's `openssl` package) at
// test time, so no key ever sits in the repository.
//
// Create() writes, into a new directory under $TEST_TMPDIR: a CA; a server
// certificate signed by it for DNS:localhost and IP:127.0.0.1; a client
// certificate signed by it; and a second CA with a client certificate of
// its own, which a server trusting only the first CA must refuse. Every
// member is the path of a PEM file. Not thread-safe while being created;
// the paths may be read by any thread afterwards.
#ifndef SSECAST_TESTS_TEST_CERTIFICATES_H_
#define SSECAST_TESTS_TEST_CERTIFICATES_H_

#include <string>

#include "absl/status/statusor.h"

namespace ssecast::test_support {

struct TestCertificates {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
  // Signed by another CA than ca_cert.
  std::string stranger_cert;
  std::string stranger_key;

  // Fails with the openssl command that failed and its output.
  static absl::StatusOr<TestCertificates> Create();
};

}  // namespace ssecast::test_support

#endif  // SSECAST_TESTS_TEST_CERTIFICATES_H_
