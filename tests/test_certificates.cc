#include "tests/test_certificates.h"

#include <stdlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "tests/completed_process.h"

namespace ssecast::test_support {
namespace {

constexpr char kOpenssl[] = "/usr/bin/openssl";

absl::Status Openssl(std::vector<std::string> args) {
  args.insert(args.begin(), kOpenssl);
  absl::StatusOr<CompletedProcess> run =
      RunToCompletion(args, absl::Seconds(60));
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return absl::InternalError(absl::StrCat("`", absl::StrJoin(args, " "),
                                            "` exited with ", run->exit_code,
                                            ": ", run->stderr_text));
  }
  return absl::OkStatus();
}

// A self-signed CA named `name` in dir/name.pem and dir/name.key.
absl::Status MakeCa(const std::string& dir, const std::string& name) {
  return Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                  absl::StrCat(dir, "/", name, ".key"), "-out",
                  absl::StrCat(dir, "/", name, ".pem"), "-days", "2", "-subj",
                  absl::StrCat("/CN=ssecast test ", name), "-addext",
                  "basicConstraints=critical,CA:TRUE", "-addext",
                  "keyUsage=critical,keyCertSign,cRLSign"});
}

// A certificate for `name`, signed by the CA `ca`, with the extensions in
// `extensions` (openssl x509v3 config lines).
absl::Status MakeLeaf(const std::string& dir, const std::string& ca,
                      const std::string& name, const std::string& subject,
                      const std::string& extensions) {
  const std::string base = absl::StrCat(dir, "/", name);
  std::ofstream(base + ".ext") << extensions;
  if (absl::Status status =
          Openssl({"req", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                   base + ".key", "-out", base + ".csr", "-subj", subject});
      !status.ok()) {
    return status;
  }
  return Openssl({"x509", "-req", "-in", base + ".csr", "-CA",
                  absl::StrCat(dir, "/", ca, ".pem"), "-CAkey",
                  absl::StrCat(dir, "/", ca, ".key"), "-CAcreateserial", "-out",
                  base + ".pem", "-days", "2", "-extfile", base + ".ext"});
}

}  // namespace

absl::StatusOr<TestCertificates> TestCertificates::Create() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/pki.XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed for the test certificates");
  }
  for (absl::Status status : {
           MakeCa(dir, "ca"),
           MakeCa(dir, "other-ca"),
           MakeLeaf(dir, "ca", "server", "/CN=localhost",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                    "extendedKeyUsage=serverAuth\n"),
           MakeLeaf(dir, "ca", "client", "/CN=backend",
                    "extendedKeyUsage=clientAuth\n"),
           MakeLeaf(dir, "other-ca", "stranger", "/CN=stranger",
                    "extendedKeyUsage=clientAuth\n"),
       }) {
    if (!status.ok()) return status;
  }
  auto file = [&](absl::string_view name) {
    return absl::StrCat(dir, "/", name);
  };
  TestCertificates certificates;
  certificates.ca_cert = file("ca.pem");
  certificates.server_cert = file("server.pem");
  certificates.server_key = file("server.key");
  certificates.client_cert = file("client.pem");
  certificates.client_key = file("client.key");
  certificates.stranger_cert = file("stranger.pem");
  certificates.stranger_key = file("stranger.key");
  return certificates;
}

}  // namespace ssecast::test_support
