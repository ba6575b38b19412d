// Turning the benchmark tools' host/port flags into IPv4 socket addresses,
// and the blocking TCP connect the probes and the HTTP publisher use. The
// tools only ever target this machine (loopback).
#ifndef SSECAST_BENCH_SOCKET_ADDRESS_H_
#define SSECAST_BENCH_SOCKET_ADDRESS_H_

#include <netinet/in.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/base/unique_fd.h"

namespace ssecast::bench {

// Resolves `host` (a dotted quad or a name such as "localhost") to IPv4.
absl::StatusOr<sockaddr_in> ResolveIpv4(const std::string& host, int port);

// A connected blocking TCP socket with TCP_NODELAY and `io_timeout` applied
// to every send and receive.
absl::StatusOr<UniqueFd> ConnectBlocking(const sockaddr_in& address,
                                         absl::Duration io_timeout);

// Sends all of `bytes` on a blocking socket.
absl::Status SendAll(int fd, absl::string_view bytes);

// Raises this process's RLIMIT_NOFILE soft limit to its hard limit, since
// each connection is a descriptor; returns the new limit.
absl::StatusOr<uint64_t> RaiseFdLimitToHard();

}  // namespace ssecast::bench

#endif  // SSECAST_BENCH_SOCKET_ADDRESS_H_
