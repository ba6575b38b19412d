#!/usr/bin/env python3
"""Attacks an ssecast binary's HTTP front the way issue 11 describes and
prints what it costs the server: /healthz latency under 500 slowloris plus
500 idle connections, resident memory after a huge header line, and how
long SIGTERM takes with the attackers still connected.

    python3 bench/front_attack.py --binary bazel-bin/server/ssecast

Standard library only; starts and stops the server itself.
"""
import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1


def healthz_ms(port, timeout):
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            reply = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        status = reply.split(b" ", 2)[1].decode() if reply else "none"
    except OSError as error:
        status = type(error).__name__
    return (time.monotonic() - start) * 1000, status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--slow", type=int, default=500)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--header_mib", type=int, default=256)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    server = subprocess.Popen(
        [args.binary, "--http_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0",
         "--shutdown_grace=1s",
         # The time from SIGTERM to exit measured here is the front's; the
         # drain delay (for load balancers) would only come on top.
         "--drain_delay=0s"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    port = int(line.split("http=")[1].split()[0].rsplit(":", 1)[1])
    time.sleep(0.5)
    print(f"baseline: RSS {rss_mib(server.pid):.1f} MiB, /healthz "
          f"{healthz_ms(port, 30)[0]:.1f} ms")

    # A header line without LF, as large as asked; the server's RSS is read
    # while the sender is still going.
    big = socket.create_connection(("127.0.0.1", port))
    big.setblocking(False)
    sent = 0
    chunk = b"GET /events HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20)
    peak = rss_mib(server.pid)
    deadline = time.monotonic() + 30
    while sent < args.header_mib << 20 and time.monotonic() < deadline:
        try:
            sent += big.send(chunk if sent == 0 else b"a" * (1 << 20))
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
        peak = max(peak, rss_mib(server.pid))
    peak = max(peak, rss_mib(server.pid))
    big.close()
    time.sleep(1)
    print(f"{args.header_mib} MiB header line: server took {sent >> 20} MiB, "
          f"peak RSS {peak:.1f} MiB, after {rss_mib(server.pid):.1f} MiB")

    attackers = []
    for _ in range(args.slow):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        s.send(b"GET /events HTTP/1.1\r\nHost: t\r\n")
        attackers.append(s)
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.idle)]
    times = []
    statuses = set()
    for i in range(args.samples):
        for s in attackers:
            try:
                s.send(f"X-{i}: a\r\n".encode())
            except OSError:
                pass
        ms, status = healthz_ms(port, 30)
        times.append(ms)
        statuses.add(status)
        time.sleep(0.5)
    print(f"{args.slow} slowloris + {args.idle} idle: /healthz median "
          f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms, "
          f"statuses {sorted(statuses)}, RSS {rss_mib(server.pid):.1f} MiB")

    start = time.monotonic()
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
        print(f"SIGTERM with the attackers connected: exited {server.returncode} "
              f"after {time.monotonic() - start:.2f} s")
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        print("SIGTERM with the attackers connected: still running after 30 s "
              "(killed)")
    for s in attackers + idle:
        s.close()


if __name__ == "__main__":
    main()
