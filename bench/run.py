#!/usr/bin/env python3
"""Benchmark driver: runs ssecast and nchan through the same scenarios.

For every measured run it starts a fresh server (ssecast from bazel-bin, or
nginx with the nchan module from a generated config in a temporary
directory, or a Redis-backed ssecast cluster: its own redis-server plus N
ssecast nodes), opens the subscribers with sse_load, publishes with
grpc_publisher, samples the server's memory and CPU from /proc, stops the
server, and prints one table row (Markdown) plus one JSON line per result.

Python 3 standard library only. Everything runs on loopback; every loop and
wait is bounded. See BENCHMARKS.md for the scenarios and how to read the
figures.
"""

import argparse
import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(REPO, "bazel-bin")
SSE_LOAD = os.path.join(BIN, "bench", "sse_load")
PUBLISHER = os.path.join(BIN, "bench", "grpc_publisher")
DISCONNECT = os.path.join(BIN, "bench", "disconnect_latency")
DISCARD = os.path.join(BIN, "bench", "discard_broadcaster")
SSECAST = os.path.join(BIN, "server", "ssecast")
NCHAN_MODULE = "/usr/lib/nginx/modules/ngx_nchan_module.so"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

EVENT_SIZE = 100  # bytes of data per event, as in the earlier measurements
# Lossless search (S3, S4): a step passes when nothing is lost, no
# connection drops, the publisher keeps up and p99 stays within this.
SEARCH_P99_LIMIT_MS = 50.0
SEARCH_GROWTH = 1.5
SEARCH_MAX_STEPS = 14

# How long subscribers may keep receiving after the publisher stopped: with
# a known count, at most DRAIN_GRACE_S; publishing flat out (P1, P2), until
# DRAIN_IDLE_S pass without an event, at most DRAIN_CAP_S.
DRAIN_GRACE_S = 5
DRAIN_IDLE_S = 3
DRAIN_CAP_S = 120

# Below this many connections the MemAvailable drop drowns in the noise of
# everything else on the machine; the column then says n/a.
SYSMEM_MIN_CONNECTIONS = 2000

# A row notes when processes other than the server and the tools used more
# than this much CPU (percent of one core) during the measurement.
OTHER_CPU_NOTE_PERCENT = 15

SCENARIOS = ["S1", "S2", "S3", "S3M", "S4", "P1", "P2", "PR", "C1", "D1"]
# PR repeats P1/P2's no-subscriber rows; it runs only when asked for.
DEFAULT_SCENARIOS = [s for s in SCENARIOS if s != "PR"]

# The issue 8 targets the publish summary checks a Redis system against:
# unary Publish at least this share of one memory node's rate, and one
# PublishStream at least this many events per second.
TARGET_UNARY_SHARE = 0.8
TARGET_STREAM_RATE = 300000

# Systems --system accepts. "ssecast" is one node with its in-memory broker
# and store (the defaults); "ssecast-redisN" is N nodes on one redis-server
# that the driver starts (--broker=redis --no_reconnect_store=redis), with
# the publisher on the first node and the subscribers on the last, so that
# with N >= 2 every delivery crosses Redis.
# "grpc-discard" is no SSE server: bench/discard_broadcaster, which only
# reads and counts what is published, so its PR rows are the ceiling gRPC
# itself sets on the machine; it runs PR only. "grpc-discard-redis" is the
# same server appending each unary Publish to a private redis-server (one
# pipelined XADD) before it answers: the least a publish through Redis costs
# on the machine; it runs PR/unary only.
DISCARD_SYSTEM = "grpc-discard"
DISCARD_REDIS_SYSTEM = "grpc-discard-redis"
DISCARD_SYSTEMS = (DISCARD_SYSTEM, DISCARD_REDIS_SYSTEM)
SYSTEM_ALIASES = {
    "both": ["ssecast", "nchan"],
    "multinode": ["ssecast", "ssecast-redis1", "ssecast-redis2"],
}
MAX_REDIS_NODES = 8
REDIS_SERVER = "redis-server"


def redis_nodes(system):
    """N for "ssecast-redisN", else 0."""
    prefix = "ssecast-redis"
    if system.startswith(prefix) and system[len(prefix):].isdigit():
        return int(system[len(prefix):])
    return 0


def is_ssecast(system):
    return system == "ssecast" or redis_nodes(system) > 0


def parse_systems(spec):
    """The systems named by --system (comma-separated names or aliases), in
    order, without repeats. Raises ValueError on an unknown name."""
    systems = []
    for name in (part.strip() for part in spec.split(",")):
        if not name:
            continue
        expanded = SYSTEM_ALIASES.get(name, [name])
        for system in expanded:
            if system not in ("ssecast", "nchan") + DISCARD_SYSTEMS and not (
                    1 <= redis_nodes(system) <= MAX_REDIS_NODES):
                raise ValueError(
                    f"unknown system {system!r}: use ssecast, nchan, "
                    f"ssecast-redis1..{MAX_REDIS_NODES}, "
                    f"{', '.join(DISCARD_SYSTEMS)}, "
                    "or an alias "
                    f"({', '.join(SYSTEM_ALIASES)})")
            if system not in systems:
                systems.append(system)
    if not systems:
        raise ValueError("no system named")
    return systems


def log(message):
    print(f"[run.py {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr,
          flush=True)


# --------------------------------------------------------------------------
# /proc sampling


def read_rss_kb(pid, field="VmRSS"):
    """A memory field of /proc/PID/status in KB; 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def read_cpu_ticks(pid):
    """utime + stime of one process, in clock ticks; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def child_pids(parent):
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                children.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return children


def machine_busy_ticks():
    """Busy clock ticks of all CPUs together (user..steal, not idle/iowait)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle


def wait_until_idle(max_wait_s, busy_limit_percent=15):
    """Waits (bounded) until other work leaves the cores mostly idle, so that
    a trial does not compete with, say, a compiler. Returns the busy percent
    last seen (of one core)."""
    deadline = time.monotonic() + max_wait_s
    warned = False
    while True:
        before = machine_busy_ticks()
        time.sleep(1.0)
        busy = 100.0 * (machine_busy_ticks() - before) / CLK_TCK
        if busy < busy_limit_percent or time.monotonic() >= deadline:
            return busy
        if not warned:
            log(f"machine busy ({busy:.0f}% of a core); waiting up to "
                f"{max_wait_s:.0f} s for it to calm down")
            warned = True


def meminfo_kb(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def mem_available_kb():
    return meminfo_kb("MemAvailable")


def kernel_memory_kb():
    """Kernel memory that grows with connections: slab objects (sockets,
    files, epoll items), kernel stacks, page tables, and TCP buffer pages
    (/proc/net/sockstat "TCP: ... mem N", in pages)."""
    tcp_pages = 0
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                tcp_pages = int(fields[fields.index("mem") + 1])
    return (meminfo_kb("Slab") + meminfo_kb("KernelStack")
            + meminfo_kb("PageTables") + tcp_pages * PAGE_KB)


class PeakSampler:
    """Samples a server's total RSS every 0.25 s on a thread, keeps the peak."""

    def __init__(self, server):
        self._server = server
        self._stop = threading.Event()
        self.peak_kb = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.25):
            self.peak_kb = max(self.peak_kb, self._server.rss_kb())

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak_kb = max(self.peak_kb, self._server.rss_kb())
        return self.peak_kb


# --------------------------------------------------------------------------
# Processes


class LineReader:
    """Reads a process's stdout lines on a thread into a queue."""

    def __init__(self, proc):
        self.lines = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(proc,),
                                        daemon=True)
        self._thread.start()

    def _run(self, proc):
        for line in proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, predicate, timeout):
        """The first line satisfying predicate, or None at EOF / timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            if predicate(line):
                return line

    def json_line(self, tool, timeout):
        line = self.wait_for(
            lambda l: l.startswith("{") and f'"tool":"{tool}"' in l, timeout)
        return json.loads(line) if line else None


def stop_process_group(proc, grace_s=10):
    """SIGTERM the group we started for proc, SIGKILL after grace_s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        log(f"pid {proc.pid} ignored SIGTERM for {grace_s}s; SIGKILL")
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snapshot_ssecast():
    """Copies the ssecast binary aside, so that a rebuild during the run
    (others share bazel-bin) cannot change what is measured halfway.
    Returns the copy's path and a short hash identifying the build."""
    directory = tempfile.mkdtemp(prefix="ssecast-bin-")
    copy = os.path.join(directory, "ssecast")
    shutil.copy2(SSECAST, copy)
    with open(copy, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return copy, digest


class GrpcProcess:
    """One server process measured by itself: started by a subclass with its
    stderr in self._dir/stderr.log and its gRPC address in self.grpc."""

    def _start(self, prefix, argv):
        self._dir = tempfile.mkdtemp(prefix=prefix)
        self._stderr = open(os.path.join(self._dir, "stderr.log"), "w")
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            start_new_session=True)

    def pids(self):
        return [self.proc.pid] if self.proc.poll() is None else []

    def rss_kb(self):
        return sum(read_rss_kb(p) for p in self.pids())

    def cpu_ticks(self):
        return sum(read_cpu_ticks(p) for p in self.pids())

    def cpu_parts(self):
        """CPU ticks per component of a cluster; none for one process."""
        return {}

    def publisher_args(self, stream=False):
        mode = "stream" if stream else "unary"
        return [f"--mode={mode}", f"--target={self.grpc}"]

    def stderr_tail(self, lines=20):
        self._stderr.flush()
        with open(os.path.join(self._dir, "stderr.log")) as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        stop_process_group(self.proc)
        self._stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)


class SsecastServer(GrpcProcess):
    name = "ssecast"
    sub_path = "/events"
    binary = SSECAST  # replaced by a snapshot in main()
    build_id = ""

    def __init__(self, extra_args):
        self._extra_args = extra_args
        # Every listener on port 0: several nodes run side by side, and
        # nothing else on the machine may hold a fixed port (the metrics
        # listener defaults to 9477).
        self._start("ssecast-bench-",
                    [SsecastServer.binary, "--http_address=127.0.0.1:0",
                     "--grpc_address=127.0.0.1:0",
                     "--admin_address=127.0.0.1:0"] + extra_args)
        self._reader = LineReader(self.proc)
        line = self._reader.wait_for(
            lambda l: l.startswith("ssecast listening "), 30)
        if line is None:
            self.stop()
            raise RuntimeError("ssecast did not print its listening line "
                               f"within 30 s; stderr:\n{self.stderr_tail()}")
        fields = dict(part.split("=", 1) for part in line.split()[2:])
        self.http = fields["http"]
        self.grpc = fields["grpc"]
        self.port = int(self.http.rsplit(":", 1)[1])



NGINX_CONF = """\
load_module {module};
{user}
worker_processes {workers};
worker_rlimit_nofile 20000;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
  worker_connections 20000;
  multi_accept on;
}}
http {{
  access_log off;
  client_body_temp_path {dir}/client_body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  nchan_shared_memory_size 256M;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /pub {{
      nchan_publisher;
      nchan_channel_id bench;
      nchan_message_buffer_length 1000;
      nchan_message_timeout 60s;
    }}
    location = /sub {{
      nchan_subscriber eventsource;
      nchan_channel_id bench;
      nchan_subscriber_first_message newest;
    }}
  }}
}}
"""


class NchanServer:
    name = "nchan"
    sub_path = "/sub"

    def __init__(self, workers):
        self._dir = tempfile.mkdtemp(prefix="nchan-bench-")
        self.port = free_port()
        conf = os.path.join(self._dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(
                module=NCHAN_MODULE, dir=self._dir, port=self.port,
                workers=workers,
                # As root, workers would otherwise drop to "nobody" and
                # could not use the temporary directory.
                user="user root;" if os.geteuid() == 0 else ""))
        self._stderr = open(os.path.join(self._dir, "stderr.log"), "w")
        self.proc = subprocess.Popen(
            ["nginx", "-p", self._dir, "-c", conf, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=self._stderr,
            start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5):
                    if child_pids(self.proc.pid):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        tail = self.stderr_tail()
        self.stop()
        raise RuntimeError(f"nginx did not come up on port {self.port}:\n"
                           f"{tail}")

    def workers(self):
        return child_pids(self.proc.pid) if self.proc.poll() is None else []

    def cpu_parts(self):
        return {}

    def rss_kb(self):
        # The workers hold the connections; the master stays the same size.
        return sum(read_rss_kb(p) for p in self.workers())

    def cpu_ticks(self):
        pids = self.workers() + ([self.proc.pid] if self.proc.poll() is None
                                 else [])
        return sum(read_cpu_ticks(p) for p in pids)

    def publisher_args(self, stream=False):
        assert not stream, "nchan has no streaming publish"
        return ["--mode=nchan_http",
                f"--nchan_url=http://127.0.0.1:{self.port}/pub"]

    def stderr_tail(self, lines=20):
        out = []
        for name in ("stderr.log", "error.log"):
            path = os.path.join(self._dir, name)
            if os.path.exists(path):
                with open(path) as f:
                    out += f.readlines()[-lines:]
        return "".join(out)

    def stop(self):
        # SIGQUIT would wait for the streams; SIGTERM is nginx's fast stop.
        stop_process_group(self.proc)
        self._stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)


class RedisServer:
    """A private redis-server for one trial: loopback, a free port, no
    persistence, its files in a temporary directory removed on stop()."""

    def __init__(self):
        self._dir = tempfile.mkdtemp(prefix="redis-bench-")
        self._log = os.path.join(self._dir, "redis.log")
        last_error = ""
        for _ in range(3):  # the free port may be taken before redis binds
            self.port = free_port()
            self.proc = subprocess.Popen(
                [REDIS_SERVER, "--bind", "127.0.0.1", "--port",
                 str(self.port), "--save", "", "--appendonly", "no",
                 "--dir", self._dir, "--logfile", self._log,
                 "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
            if self._wait_until_ours_answers(15):
                self.address = f"127.0.0.1:{self.port}"
                return
            last_error = self.log_tail()
            stop_process_group(self.proc)
        shutil.rmtree(self._dir, ignore_errors=True)
        raise RuntimeError(f"redis-server did not come up:\n{last_error}")

    def _info(self, section, connect_timeout_s=5):
        """The text of INFO `section`, read whole (a RESP bulk string)."""
        with socket.create_connection(("127.0.0.1", self.port),
                                      connect_timeout_s) as conn:
            conn.settimeout(5)
            conn.sendall(f"INFO {section}\r\n".encode())
            reply = b""
            while b"\r\n" not in reply:
                chunk = conn.recv(4096)
                if not chunk:
                    raise OSError("redis-server closed the connection")
                reply += chunk
            header, body = reply.split(b"\r\n", 1)
            if not header.startswith(b"$"):
                raise OSError(f"INFO {section} answered {header!r}")
            size = int(header[1:])
            while len(body) < size:
                chunk = conn.recv(65536)
                if not chunk:
                    raise OSError("redis-server closed the connection")
                body += chunk
            return body[:size].decode()

    def _wait_until_ours_answers(self, timeout_s):
        """True once a redis-server answers on the port and says it is the
        process we started (another one may have taken the port first)."""
        ours = f"process_id:{self.proc.pid}\r\n"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if ours in self._info("server", connect_timeout_s=0.5):
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def pids(self):
        return [self.proc.pid] if self.proc.poll() is None else []

    def used_memory_kb(self):
        """What Redis says it holds (INFO memory's used_memory), in KB: the
        data the trial left in it, which its RSS (freed pages kept by the
        allocator) does not show."""
        for line in self._info("memory").splitlines():
            if line.startswith("used_memory:"):
                return int(line.split(":", 1)[1]) // 1024
        raise RuntimeError("INFO memory has no used_memory line")

    def log_tail(self, lines=20):
        try:
            with open(self._log) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        stop_process_group(self.proc)
        shutil.rmtree(self._dir, ignore_errors=True)


class SsecastCluster:
    """N ssecast nodes sharing one private Redis (broker and no-reconnect
    store). Publishers talk to the first node, subscribers (and D1's
    browser) to the last one: with two nodes or more, every event reaches
    its subscribers through Redis. Memory and CPU are those of all nodes
    and redis-server together."""

    sub_path = SsecastServer.sub_path

    def __init__(self, nodes, extra_args):
        self.name = f"ssecast-redis{nodes}"
        self.redis = RedisServer()
        self.nodes = []
        try:
            for _ in range(nodes):
                self.nodes.append(SsecastServer(
                    ["--broker=redis", "--no_reconnect_store=redis",
                     f"--redis_address={self.redis.address}"] + extra_args))
        except RuntimeError:
            self.stop()
            raise
        publisher, subscriber = self.nodes[0], self.nodes[-1]
        self.grpc = publisher.grpc
        self.http = subscriber.http
        self.port = subscriber.port

    def _processes(self):
        """(label, pids) per component: node A, node B, ..., redis."""
        parts = [(f"node {chr(ord('A') + i)}", node.pids())
                 for i, node in enumerate(self.nodes)]
        return parts + [("redis", self.redis.pids())]

    def pids(self):
        return [p for _, pids in self._processes() for p in pids]

    def rss_kb(self):
        return sum(read_rss_kb(p) for p in self.pids())

    def cpu_ticks(self):
        return sum(read_cpu_ticks(p) for p in self.pids())

    def cpu_parts(self):
        return {label: sum(read_cpu_ticks(p) for p in pids)
                for label, pids in self._processes()}

    def publisher_args(self, stream=False):
        return self.nodes[0].publisher_args(stream)

    def stderr_tail(self, lines=20):
        return "".join(f"--- node {chr(ord('A') + i)}:\n"
                       + node.stderr_tail(lines)
                       for i, node in enumerate(self.nodes)) + (
                           "--- redis:\n" + self.redis.log_tail(lines))

    def stop(self):
        for node in self.nodes:
            node.stop()
        self.redis.stop()


class DiscardServer(GrpcProcess):
    """bench/discard_broadcaster on a free loopback port: gRPC's ceiling,
    with nothing of ssecast's behind it. Publishers only; no HTTP side."""

    name = DISCARD_SYSTEM
    port = None

    def __init__(self, extra_args=()):
        self._start("discard-bench-",
                    [DISCARD, "--address=127.0.0.1:0"] + list(extra_args))
        prefix = "discard_broadcaster listening grpc="
        line = LineReader(self.proc).wait_for(
            lambda l: l.startswith(prefix), 30)
        if line is None:
            tail = self.stderr_tail()
            self.stop()
            raise RuntimeError("discard_broadcaster did not print its "
                               f"listening line within 30 s; stderr:\n{tail}")
        self.grpc = line[len(prefix):]


class DiscardRedisServer(DiscardServer):
    """DiscardServer appending each unary Publish to a private redis-server
    before it answers. Memory and CPU are those of both processes."""

    name = DISCARD_REDIS_SYSTEM

    def __init__(self):
        self.redis = RedisServer()
        try:
            super().__init__(["--append_to_redis",
                              f"--redis_address={self.redis.address}"])
        except BaseException:
            self.redis.stop()  # stopping twice does no harm
            raise

    def pids(self):
        return super().pids() + self.redis.pids()

    def cpu_parts(self):
        return {"server": sum(read_cpu_ticks(p) for p in super().pids()),
                "redis": sum(read_cpu_ticks(p) for p in self.redis.pids())}

    def stderr_tail(self, lines=20):
        return (super().stderr_tail(lines) + "--- redis:\n"
                + self.redis.log_tail(lines))

    def stop(self):
        super().stop()
        self.redis.stop()



def start_server(system, args):
    if system == DISCARD_SYSTEM:
        return DiscardServer()
    if system == DISCARD_REDIS_SYSTEM:
        return DiscardRedisServer()
    if system == "ssecast":
        return SsecastServer(args.ssecast_arg)
    if redis_nodes(system):
        return SsecastCluster(redis_nodes(system), args.ssecast_arg)
    return NchanServer(args.nginx_workers)


# --------------------------------------------------------------------------
# One measured run: subscribers + publisher against a fresh server


def run_tool(cmd, tool, timeout):
    """Runs a tool to completion; returns its JSON result line."""
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{tool} did not finish within {timeout:.0f} s")
    for line in done.stdout.splitlines():
        if line.startswith("{") and f'"tool":"{tool}"' in line:
            return json.loads(line)
    raise RuntimeError(f"{tool} exited {done.returncode} without a result: "
                       f"{done.stderr.strip()[-500:]}")


class Trial:
    """The outcome of one subscribers+publisher run."""

    def __init__(self):
        self.load = None        # sse_load JSON
        self.publish = None     # grpc_publisher JSON
        self.rss_base_kb = 0
        self.rss_ready_kb = 0
        self.rss_peak_kb = 0
        self.sysmem_per_conn_kb = None   # MemAvailable drop
        self.kernel_per_conn_kb = None   # slab + stacks + TCP pages
        self.cpu_percent = 0.0
        self.cpu_parts = {}  # component -> percent, for clusters
        self.redis_used_kb = None  # what a cluster's Redis holds at the end
        self.tools_cpu_percent = 0.0
        self.other_cpu_percent = 0.0  # everything but server and tools
        self.error = None

    def open_connections(self):
        return self.load["open_at_ready"] if self.load else 0

    def lost(self):
        if not self.load or not self.publish:
            return None
        published = self.publish["ok"]
        if "stream" in self.publish:  # what the server says it accepted
            published = self.publish["stream"]["accepted"]
        expected = published * self.open_connections()
        unique = self.load["events"] - self.load["duplicates"]
        return max(0, expected - unique)

    def rss_per_conn_kb(self):
        n = self.open_connections()
        return (self.rss_ready_kb - self.rss_base_kb) / n if n else None


def load_command(server, args, clients, count, duration, connect_only):
    cmd = [SSE_LOAD, "--host=127.0.0.1", f"--port={server.port}",
           f"--path={server.sub_path}", f"--connections={clients}",
           f"--max_connecting={args.max_connecting}", "--report_interval=0"]
    if connect_only:
        return cmd + ["--duration=0"]
    if count > 0:
        # Stops as soon as everything arrived; the grace bounds the wait.
        return cmd + [f"--duration={duration + DRAIN_GRACE_S}",
                      f"--expect_events={count}"]
    # Publishing flat out, count unknown: wait until the backlog has
    # drained, however long that takes, up to a cap.
    return cmd + [f"--duration={duration + DRAIN_CAP_S}",
                  f"--idle_stop={DRAIN_IDLE_S}"]


def publisher_command(server, rate, count, duration, inflight, stream):
    cmd = [PUBLISHER] + server.publisher_args(stream) + [
        f"--rate={rate}", f"--inflight={inflight}", f"--size={EVENT_SIZE}"]
    if count:
        return cmd + [f"--count={count}", f"--duration={duration * 2}"]
    return cmd + [f"--duration={duration}"]


class CpuClock:
    """CPU ticks of the server and of the whole machine since a start."""

    def __init__(self, server):
        self._server = server
        self._server_start = server.cpu_ticks()
        self._parts_start = server.cpu_parts()
        self._machine_start = machine_busy_ticks()
        self._wall_start = time.monotonic()

    def parts(self):
        """Percent of one core per server component (node A, node B, redis)
        since the start; empty for a one-process server."""
        wall = time.monotonic() - self._wall_start
        if wall <= 0:
            return {}
        now = self._server.cpu_parts()
        return {label: 100.0 * (now.get(label, 0) - start) / CLK_TCK / wall
                for label, start in self._parts_start.items()}

    def read(self):
        """(server percent, machine percent, wall seconds) since the start."""
        wall = time.monotonic() - self._wall_start
        if wall <= 0:
            return 0.0, 0.0, 0.0
        server = self._server.cpu_ticks() - self._server_start
        machine = machine_busy_ticks() - self._machine_start
        return (100.0 * server / CLK_TCK / wall,
                100.0 * machine / CLK_TCK / wall, wall)


def open_subscribers(server, args, trial, clients, count, duration,
                     connect_only):
    """Starts sse_load, waits for READY and records memory then. Returns the
    process, its line reader, and the server's CPU percent while
    connecting."""
    avail_before_kb = mem_available_kb()
    kernel_before_kb = kernel_memory_kb()
    clock = CpuClock(server)
    proc = subprocess.Popen(
        load_command(server, args, clients, count, duration, connect_only),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    reader = LineReader(proc)
    ready = reader.wait_for(lambda l: l.startswith("READY"),
                            30 + clients / 500)
    if ready is None:
        stop_process_group(proc, grace_s=5)
        raise RuntimeError("sse_load never became READY: "
                           + proc.stderr.read()[-500:])
    connect_cpu, _, _ = clock.read()
    trial.rss_ready_kb = server.rss_kb()
    # Only the loader's anonymous memory is new; its code pages were in the
    # page cache, which MemAvailable counts as available.
    load_anon_kb = read_rss_kb(proc.pid, "RssAnon")
    avail_ready_kb = mem_available_kb()
    kernel_ready_kb = kernel_memory_kb()
    opened = int(ready.split("open=")[1].split()[0])
    if opened >= SYSMEM_MIN_CONNECTIONS:
        trial.sysmem_per_conn_kb = (
            avail_before_kb - avail_ready_kb - load_anon_kb) / opened
        trial.kernel_per_conn_kb = (kernel_ready_kb - kernel_before_kb) / opened
    return proc, reader, connect_cpu


def run_trial(system, args, clients, rate, duration, inflight,
              publish=True, connect_only=False, stream=False):
    """Fresh server; `clients` subscribers; publish `rate` ev/s (0 = max).
    Repeats (up to --busy_retries times) a trial during which other
    processes took a noticeable share of the CPU."""
    for attempt in range(args.busy_retries + 1):
        trial = run_trial_once(system, args, clients, rate, duration,
                               inflight, publish, connect_only, stream)
        if trial.error or trial.other_cpu_percent <= OTHER_CPU_NOTE_PERCENT:
            return trial
        if attempt < args.busy_retries:
            log(f"other processes used {trial.other_cpu_percent:.0f}% CPU "
                "during the trial; running it again")
    return trial


def run_trial_once(system, args, clients, rate, duration, inflight,
                   publish, connect_only, stream):
    trial = Trial()
    wait_until_idle(args.wait_idle)
    server = start_server(system, args)
    sampler = PeakSampler(server)
    load_proc = None
    try:
        time.sleep(0.5)  # let the server settle before the baseline
        trial.rss_base_kb = server.rss_kb()
        count = int(round(rate * duration)) if rate > 0 else 0
        whole = CpuClock(server)
        if clients > 0:
            load_proc, reader, connect_cpu = open_subscribers(
                server, args, trial, clients, count, duration, connect_only)
        publishing = CpuClock(server)
        if publish:
            # A stream ends only when the server has applied every event
            # it accepted; through a slow broker that tail can be long.
            trial.publish = run_tool(
                publisher_command(server, rate, count, duration, inflight,
                                  stream),
                "grpc_publisher",
                duration + DRAIN_CAP_S + 30 if stream else duration * 3 + 30)
        if load_proc is not None:
            trial.load = reader.json_line("sse_load",
                                          duration + DRAIN_CAP_S + 30)
            if trial.load is None:
                raise RuntimeError("sse_load printed no result")
        # C1 reports the server's CPU while connecting, the rest while
        # publishing and delivering.
        trial.cpu_percent = (connect_cpu if connect_only
                             else publishing.read()[0])
        if not connect_only:
            trial.cpu_parts = publishing.parts()
        if isinstance(server, SsecastCluster):
            trial.redis_used_kb = server.redis.used_memory_kb()
        server_all, machine_all, wall = whole.read()
        tools_cpu_s = sum(r["cpu_s"] for r in (trial.load, trial.publish)
                          if r)
        trial.tools_cpu_percent = 100.0 * tools_cpu_s / wall if wall else 0
        trial.other_cpu_percent = max(
            0.0, machine_all - server_all - trial.tools_cpu_percent)
    except RuntimeError as e:
        trial.error = str(e)
        log(f"{system}: {e}")
    finally:
        if load_proc is not None:
            if trial.load is not None:
                # It is closing its sockets with RST; killing it now would
                # leave thousands of client ports in TIME_WAIT.
                try:
                    load_proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            stop_process_group(load_proc, grace_s=5)
        trial.rss_peak_kb = sampler.stop()
        server.stop()
    return trial


# --------------------------------------------------------------------------
# Rows


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def human_rate(value):
    if value is None:
        return "n/a"
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


class Row:
    COLUMNS = ["system", "scenario", "clients", "offered", "achieved",
               "p50 ms", "p99 ms", "p99.9 ms", "max ms", "lost", "dup",
               "server CPU %", "tools CPU %", "RSS KB/conn",
               "kernel KB/conn", "notes"]

    def __init__(self, system, scenario, **values):
        self.data = {"system": system, "scenario": scenario}
        self.data.update(values)

    def markdown(self):
        d = self.data
        cells = [d["system"], d["scenario"], fmt(d.get("clients")),
                 d.get("offered", ""), d.get("achieved", ""),
                 fmt(d.get("p50")), fmt(d.get("p99")), fmt(d.get("p999")),
                 fmt(d.get("max")), fmt(d.get("lost")), fmt(d.get("dup")),
                 fmt(d.get("cpu"), 0), fmt(d.get("tools_cpu"), 0),
                 fmt(d.get("rss_per_conn_kb")),
                 fmt(d.get("kernel_per_conn_kb")), d.get("notes", "")]
        return "| " + " | ".join(str(c) for c in cells) + " |"

    def json(self):
        return json.dumps(self.data, sort_keys=True)


def cpu_parts_note(trial):
    """"server CPU: node A 40%, node B 30%, redis 20%" for a cluster."""
    if not trial.cpu_parts:
        return ""
    return "server CPU: " + ", ".join(
        f"{label} {percent:.0f}%" for label, percent in trial.cpu_parts.items())


def na_row(system, scenario, why):
    return Row(system, scenario, offered="n/a", achieved="n/a", notes=why)


def delivery_row(system, scenario, trial, clients, rate, notes=""):
    if trial.error or not trial.load:
        return Row(system, scenario, clients=clients,
                   offered=f"{rate:g} ev/s", achieved="error",
                   notes=trial.error or "no result")
    load, pub = trial.load, trial.publish
    lat = load["latency_ms"]
    # sse_load divides by first-to-last event, which at low rates is one
    # publish interval short; never count faster than the nominal duration.
    nominal_s = load["expect_events"] / rate if rate > 0 else 0
    window_s = max(load["window_s"], nominal_s)
    deliveries = load["events"] / window_s if window_s > 0 else 0
    extra = []
    if load["failed"]:
        extra.append(f"{load['failed']} connects failed "
                     f"{json.dumps(load['failures'])}")
    if load["closed_by_server"]:
        extra.append(f"{load['closed_by_server']} streams closed by server")
    if trial.other_cpu_percent > OTHER_CPU_NOTE_PERCENT:
        extra.append(f"other processes used {trial.other_cpu_percent:.0f}% "
                     "CPU meanwhile")
    if load["late"]:
        extra.append(f"{load['late']} events more than 2048 seqs late")
    if pub and pub["failed"]:
        extra.append(f"{pub['failed']} publishes failed "
                     f"{json.dumps(pub['outcomes'])}")
    if notes:
        extra.append(notes)
    if trial.cpu_parts:
        extra.append(cpu_parts_note(trial))
    return Row(system, scenario, clients=trial.open_connections(),
               offered=f"{rate:g} ev/s",
               achieved=f"{human_rate(deliveries)} del/s",
               p50=lat["p50"], p99=lat["p99"], p999=lat["p999"],
               max=lat["max"], lost=trial.lost(), dup=load["duplicates"],
               cpu=trial.cpu_percent, tools_cpu=trial.tools_cpu_percent,
               rss_per_conn_kb=trial.rss_per_conn_kb(),
               sysmem_per_conn_kb=trial.sysmem_per_conn_kb,
               kernel_per_conn_kb=trial.kernel_per_conn_kb,
               publish_rate=pub["achieved_rate"] if pub else None,
               cpu_parts=trial.cpu_parts,
               rss_peak_kb=trial.rss_peak_kb, load=load, publish=pub,
               other_cpu=trial.other_cpu_percent,
               notes="; ".join(extra))


def trial_passes(trial, rate):
    if trial.error or not trial.load or not trial.publish:
        return False, trial.error or "no result"
    load, pub = trial.load, trial.publish
    if pub["failed"]:
        return False, f"publish failures {pub['outcomes']}"
    if pub["achieved_rate"] < 0.95 * rate:
        return False, f"publisher reached {pub['achieved_rate']:.0f} ev/s"
    if load["failed"] or load["closed_by_server"]:
        return False, "connections failed or closed"
    if trial.lost() or load["duplicates"] or load["gaps"]:
        return False, f"lost {trial.lost()} dup {load['duplicates']}"
    if load["latency_ms"]["p99"] > SEARCH_P99_LIMIT_MS:
        return False, f"p99 {load['latency_ms']['p99']:.1f} ms"
    return True, "ok"


# --------------------------------------------------------------------------
# Scenarios


def scenario_fixed(system, args, name, clients, rate, duration):
    log(f"{system} {name}: {clients} clients x {rate} ev/s for {duration} s")
    trial = run_trial(system, args, clients, rate, duration, args.inflight)
    return [delivery_row(system, name, trial, clients, rate)]


def scenario_search(system, args, name, clients, start_rate, step_s,
                    max_steps):
    """Raises the publish rate by SEARCH_GROWTH until a step fails."""
    best = None
    rate = start_rate
    reason = "step limit reached"
    for _ in range(max_steps):
        log(f"{system} {name}: {clients} clients, step {rate:g} ev/s")
        trial = run_trial(system, args, clients, rate, step_s, args.inflight)
        ok, why = trial_passes(trial, rate)
        log(f"{system} {name}: {rate:g} ev/s -> {why}")
        if not ok:
            reason = f"failed at {rate:g} ev/s: {why}"
            break
        best = (trial, rate)
        rate = round(rate * SEARCH_GROWTH)
    if best is None:
        return [Row(system, name, clients=clients, offered="search",
                    achieved="none lossless", notes=reason)]
    trial, rate = best
    return [delivery_row(system, name, trial, clients, rate,
                         notes=f"best lossless step; next {reason}")]


def scenario_flood(system, args, name, clients, duration):
    """Publishes as fast as the server lets the publisher (rate 0) to
    `clients` subscribers: what flow control delivers, and what it loses."""
    log(f"{system} {name}: {clients} clients, maximum publish rate")
    trial = run_trial(system, args, clients, 0, duration, args.inflight)
    row = delivery_row(system, name, trial, clients, 0)
    row.data["offered"] = "max"
    if trial.publish:
        row.data["notes"] = "; ".join(
            n for n in [f"publisher achieved "
                        f"{human_rate(trial.publish['achieved_rate'])} pub/s",
                        row.data.get("notes", "")] if n)
    return [row]


def scenario_publish_max(system, args, name, duration, stream=False,
                         subscriber_counts=(0, 100), label_format="{name}/"
                         "{subscribers} subs"):
    """Publishes as fast as possible with each number of subscribers (by
    default 0, then 100)."""
    rows = []
    for subscribers in subscriber_counts:
        log(f"{system} {name}: max publish rate, {subscribers} subscribers")
        trial = run_trial(system, args, subscribers, 0, duration,
                          args.p1_inflight, stream=stream)
        label = label_format.format(name=name, subscribers=subscribers)
        if trial.error or not trial.publish:
            rows.append(Row(system, label, clients=subscribers, offered="max",
                            achieved="error", notes=trial.error or ""))
            continue
        pub = trial.publish
        lat = pub["call_latency_ms"]
        notes = ["one PublishStream" if stream
                 else f"{args.p1_inflight} calls in flight"]
        if pub["failed"]:
            notes.append(f"{pub['failed']} failed {json.dumps(pub['outcomes'])}")
        if stream:
            notes.append(f"server accepted {pub['stream']['accepted']}, "
                         f"rejected {pub['stream']['rejected']}, stream "
                         f"ended {pub['stream']['stream_status']}")
        if trial.load and trial.load["failed"]:
            notes.append(f"{trial.load['failed']} subscribers failed")
        if trial.load and trial.load["closed_by_server"]:
            notes.append(f"{trial.load['closed_by_server']} streams closed "
                         "by the server")
        if trial.load:
            notes.append(f"subscriber latency p99 "
                         f"{trial.load['latency_ms']['p99']:.0f} ms, max "
                         f"{trial.load['latency_ms']['max']:.0f} ms")
        if trial.other_cpu_percent > OTHER_CPU_NOTE_PERCENT:
            notes.append(f"other processes used "
                         f"{trial.other_cpu_percent:.0f}% CPU meanwhile")
        if trial.cpu_parts:
            notes.append(cpu_parts_note(trial))
        if trial.redis_used_kb is not None:
            notes.append(f"Redis holds {trial.redis_used_kb / 1024:.1f} MB "
                         "at the end")
        rows.append(Row(
            system, label, clients=subscribers, offered="max",
            achieved=f"{human_rate(pub['achieved_rate'])} pub/s",
            p50=lat["p50"], p99=lat["p99"], p999=lat["p999"], max=lat["max"],
            lost=trial.lost() if subscribers else None,
            dup=trial.load["duplicates"] if trial.load else None,
            cpu=trial.cpu_percent, tools_cpu=trial.tools_cpu_percent,
            cpu_parts=trial.cpu_parts, publish=pub, load=trial.load,
            notes="; ".join(notes) + ("; latency = one Write on the stream"
                                      if stream else
                                      "; latency = publish call")))
    return rows


def publisher_has_stream_mode():
    modes = subprocess.run([PUBLISHER, "--print_modes"], stdout=subprocess.PIPE,
                           text=True, timeout=30).stdout.split()
    return "stream" in modes


def scenario_p2(system, args, duration):
    if system == "nchan":
        return [na_row(system, "P2", "nchan has no streaming publish")]
    if not publisher_has_stream_mode():
        return [na_row(system, "P2", "this grpc_publisher build has no "
                       "stream mode")]
    return scenario_publish_max(system, args, "P2", duration, stream=True)


def scenario_pr(system, args, duration):
    """Publish rate alone, no subscribers: unary Publish (as P1) and one
    PublishStream (as P2), back to back on fresh servers. With --repeat and
    several systems this is the side-by-side comparison that
    print_publish_summary() condenses."""
    rows = scenario_publish_max(system, args, "PR", duration,
                                subscriber_counts=(0,),
                                label_format="PR/unary")
    if system == "nchan":
        return rows + [na_row(system, "PR/stream",
                              "nchan has no streaming publish")]
    if system == DISCARD_REDIS_SYSTEM:
        return rows + [na_row(system, "PR/stream",
                              "only its unary Publish goes through Redis")]
    if not publisher_has_stream_mode():
        return rows + [na_row(system, "PR/stream", "this grpc_publisher "
                              "build has no stream mode")]
    return rows + scenario_publish_max(system, args, "PR", duration,
                                       stream=True, subscriber_counts=(0,),
                                       label_format="PR/stream")


def scenario_c1(system, args, clients):
    log(f"{system} C1: open {clients} connections as fast as possible")
    trial = run_trial(system, args, clients, 0, 0, args.inflight,
                      publish=False, connect_only=True)
    if trial.error or not trial.load:
        return [Row(system, "C1", clients=clients, offered="max",
                    achieved="error", notes=trial.error or "")]
    load = trial.load
    lat = load["connect"]["latency_ms"]
    notes = [f"{load['connect']['seconds']:.2f} s to open all; "
             f"max {args.max_connecting} connecting; latency = connect to "
             "response head"]
    if load["failed"]:
        notes.append(f"{load['failed']} failed {json.dumps(load['failures'])}")
    return [Row(system, "C1", clients=load["open_at_ready"], offered="max",
                achieved=f"{human_rate(load['connect']['rate_per_s'])} conn/s",
                p50=lat["p50"], p99=lat["p99"], p999=lat["p999"],
                max=lat["max"], cpu=trial.cpu_percent,
                tools_cpu=trial.tools_cpu_percent,
                rss_per_conn_kb=trial.rss_per_conn_kb(),
                sysmem_per_conn_kb=trial.sysmem_per_conn_kb,
                kernel_per_conn_kb=trial.kernel_per_conn_kb, load=load,
                notes="; ".join(notes))]


def scenario_d1(system, args, iterations):
    if system == "nchan":
        return [na_row(system, "D1",
                       "nchan has no per-client disconnect with 204")]
    log(f"{system} D1: {iterations} disconnects")
    wait_until_idle(args.wait_idle)
    # In a cluster the Disconnect goes to the first node, the browser to
    # the last.
    server = start_server(system, args)
    try:
        result = run_tool([DISCONNECT, f"--http={server.http}",
                           f"--grpc={server.grpc}",
                           f"--iterations={iterations}"],
                          "disconnect_latency", 30 + iterations)
    except RuntimeError as e:
        return [Row(system, "D1", achieved="error", notes=str(e))]
    finally:
        server.stop()
    end = result["stream_end_after_call_ms"]
    after_return = result["stream_end_after_return_ms"]
    notes = (f"latency = Disconnect call -> client sees stream end; "
             f"{result['ended_before_return']}/{result['ok']} ended before "
             f"the RPC returned (after return: p99 "
             f"{after_return['p99']:.2f} ms, max {after_return['max']:.2f} "
             f"ms); RPC p50/p99 {result['disconnect_rpc_ms']['p50']:.2f}/"
             f"{result['disconnect_rpc_ms']['p99']:.2f} ms; reconnect->204 "
             f"p50/p99 {result['reconnect_204_ms']['p50']:.2f}/"
             f"{result['reconnect_204_ms']['p99']:.2f} ms")
    if result["failures"]:
        notes += f"; failures {json.dumps(result['failures'])}"
    return [Row(system, "D1", offered=f"{iterations} disconnects",
                achieved=f"{result['ok']} ok", p50=end["p50"], p99=end["p99"],
                p999=end["p999"], max=end["max"], result=result, notes=notes)]


def run_scenario(system, scenario, args):
    if system in DISCARD_SYSTEMS and scenario != "PR":
        return [na_row(system, scenario, "gRPC discard server: PR only")]
    quick = args.quick
    if scenario == "S1":
        return scenario_fixed(system, args, "S1", 1000, 10, 5 if quick else 20)
    if scenario == "S2":
        return scenario_fixed(system, args, "S2", 2000 if quick else 10000, 1,
                              5 if quick else 20)
    if scenario == "S3":
        return scenario_search(system, args, "S3", 1000, 100,
                               2 if quick else 5, 4 if quick else
                               SEARCH_MAX_STEPS)
    if scenario == "S3M":
        return scenario_flood(system, args, "S3M", 1000, 3 if quick else 10)
    if scenario == "S4":
        return scenario_search(system, args, "S4", 100, 1000,
                               2 if quick else 5, 4 if quick else
                               SEARCH_MAX_STEPS)
    if scenario == "P1":
        return scenario_publish_max(system, args, "P1", 3 if quick else 10)
    if scenario == "P2":
        return scenario_p2(system, args, 3 if quick else 10)
    if scenario == "PR":
        return scenario_pr(system, args, 3 if quick else 10)
    if scenario == "C1":
        return scenario_c1(system, args, 2000 if quick else 10000)
    if scenario == "D1":
        return scenario_d1(system, args, 20 if quick else 200)
    raise ValueError(scenario)


# --------------------------------------------------------------------------


def build(systems):
    targets = ["//bench:sse_load", "//bench:grpc_publisher",
               "//bench:disconnect_latency"]
    if any(is_ssecast(s) for s in systems):
        targets.append("//server:ssecast")
    if any(s in DISCARD_SYSTEMS for s in systems):
        targets.append("//bench:discard_broadcaster")
    log("bazel build " + " ".join(targets))
    subprocess.run(["bazel", "build"] + targets, cwd=REPO, check=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    what = parser.add_argument_group("what to run")
    what.add_argument("--system", default="both",
                      help="comma-separated: ssecast (one node, memory), "
                      "nchan, ssecast-redisN (N nodes on a private Redis, "
                      "publishing to the first, subscribers on the last), "
                      f"{DISCARD_SYSTEM} (a gRPC server that discards what "
                      "is published: gRPC's ceiling; PR only), "
                      f"{DISCARD_REDIS_SYSTEM} (the same appending each "
                      "unary Publish to a private Redis before answering: "
                      "the floor of a publish through Redis; PR/unary only), "
                      "both (= ssecast,nchan), multinode (= ssecast,"
                      "ssecast-redis1,ssecast-redis2)")
    what.add_argument("--scenario", default=",".join(DEFAULT_SCENARIOS),
                      help="comma-separated, from " + ",".join(SCENARIOS)
                      + " (default: all but PR)")
    what.add_argument("--repeat", type=int, default=1,
                      help="run each scenario this many times, the "
                      "systems taking turns within each round")
    what.add_argument("--pr_rounds", type=int, default=3,
                      help="rounds of PR (times --repeat), the systems "
                      "taking turns; the summary shows the median")
    what.add_argument("--quick", action="store_true",
                      help="short smoke run: fewer clients, seconds, steps")

    load = parser.add_argument_group("load and servers")
    load.add_argument("--inflight", type=int, default=16,
                      help="publish calls in flight for S1-S4 (gRPC calls "
                      "for ssecast, keep-alive connections for nchan)")
    load.add_argument("--p1_inflight", type=int, default=32,
                      help="calls in flight for P1")
    load.add_argument("--max_connecting", type=int, default=256,
                      help="sse_load's cap on connections being opened")
    load.add_argument("--nginx_workers", default="auto",
                      help="nginx worker_processes for nchan")
    load.add_argument("--ssecast_arg", action="append", default=[],
                      help="extra ssecast flag, repeatable")

    shared = parser.add_argument_group("on a machine shared with other work")
    shared.add_argument("--wait_idle", type=float, default=120,
                        help="before each trial, wait up to this many "
                        "seconds for other processes to leave the cores "
                        "idle")
    shared.add_argument("--busy_retries", type=int, default=2,
                        help="run a trial again (this many times at most) "
                        "when other processes used more than "
                        f"{OTHER_CPU_NOTE_PERCENT}%% of a core during it")
    shared.add_argument("--nice", type=int, default=0,
                        help="scheduling niceness for the driver, servers "
                        "and tools (negative needs root): on a machine "
                        "shared with builds, -10 keeps them from skewing "
                        "results")

    io = parser.add_argument_group("build and output")
    io.add_argument("--no_build", action="store_true",
                    help="use the binaries already in bazel-bin")
    io.add_argument("--json_out", default="",
                    help="also append the JSON lines to this file")
    args = parser.parse_args()
    args.scenarios = [s.strip().upper() for s in args.scenario.split(",")
                      if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}")
    try:
        args.systems = parse_systems(args.system)
    except ValueError as e:
        parser.error(str(e))
    if args.repeat < 1 or args.pr_rounds < 1:
        parser.error("--repeat and --pr_rounds must be at least 1")
    return args


def main():
    args = parse_args()
    systems = args.systems
    if "nchan" in systems and not os.path.exists(NCHAN_MODULE):
        sys.exit("nchan is not installed: run bench/setup.sh")
    if any(redis_nodes(s) for s in systems) and not shutil.which(REDIS_SERVER):
        sys.exit("redis-server is not installed: run bazel/setup.sh")
    if not args.no_build:
        build(systems)
    snapshot_dir = None
    if any(is_ssecast(s) for s in systems):
        SsecastServer.binary, SsecastServer.build_id = snapshot_ssecast()
        snapshot_dir = os.path.dirname(SsecastServer.binary)
        log(f"measuring ssecast build {SsecastServer.build_id}")
    if args.nice:
        # Children inherit it: every server and tool of every trial.
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
    rows = []
    try:
        run_all(args, systems, rows)
    finally:
        if snapshot_dir:
            shutil.rmtree(snapshot_dir, ignore_errors=True)
    print()
    print("| " + " | ".join(Row.COLUMNS) + " |")
    print("|" + "---|" * len(Row.COLUMNS))
    for row in rows:
        print(row.markdown())
    summary = publish_summary(rows)
    if summary:
        print()
        print("\n".join(summary))


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def publish_summary(rows):
    """Markdown lines comparing the no-subscriber publish rates (PR, and
    P1/P2 with 0 subscribers: the same measurement) of each system with
    one memory node's, against the issue 8 targets. Empty without such
    rows."""
    unary, stream = {}, {}
    for row in rows:
        d = row.data
        pub = d.get("publish")
        if not pub or pub.get("failed"):
            continue
        if d["scenario"] in ("PR/unary", "P1/0 subs"):
            unary.setdefault(d["system"], []).append(pub["achieved_rate"])
        elif d["scenario"] in ("PR/stream", "P2/0 subs"):
            stream.setdefault(d["system"], []).append(pub["achieved_rate"])
    systems = [s for s in dict.fromkeys(r.data["system"] for r in rows)
               if s in unary or s in stream]
    if not systems:
        return []
    memory_unary = median(unary["ssecast"]) if "ssecast" in unary else None

    def runs(values):
        if not values:
            return "n/a"
        listed = ", ".join(human_rate(v) for v in values)
        return f"{human_rate(median(values))} ({listed})"

    lines = ["Publish rate, no subscribers (median of the runs, each run "
             "in brackets):", "",
             "| system | unary pub/s | unary vs 1 memory node | "
             "stream ev/s | targets (Redis) |", "|---|---|---|---|---|"]
    for system in systems:
        u, st = unary.get(system, []), stream.get(system, [])
        share = (f"{100 * median(u) / memory_unary:.0f}%"
                 if u and memory_unary else "n/a")
        targets = []
        if redis_nodes(system):
            if u and memory_unary:
                met = median(u) >= TARGET_UNARY_SHARE * memory_unary
                targets.append(f"unary >= {TARGET_UNARY_SHARE:.0%} of "
                               f"memory: {'yes' if met else 'no'}")
            if st:
                met = median(st) >= TARGET_STREAM_RATE
                targets.append(f"stream >= {human_rate(TARGET_STREAM_RATE)}"
                               f"/s: {'yes' if met else 'no'}")
        lines.append(f"| {system} | {runs(u)} | {share} | {runs(st)} | "
                     f"{'; '.join(targets) or 'n/a'} |")
    return lines


def run_all(args, systems, rows):
    for scenario in args.scenarios:
        rounds = args.repeat * (args.pr_rounds if scenario == "PR" else 1)
        for _ in range(rounds):
            for system in systems:
                run_one(args, system, scenario, rows)


def run_one(args, system, scenario, rows):
    for row in run_scenario(system, scenario, args):
        if is_ssecast(system):
            row.data["ssecast_build"] = SsecastServer.build_id
        rows.append(row)
        print(row.markdown(), flush=True)
        print(row.json(), flush=True)
        if args.json_out:
            with open(args.json_out, "a") as f:
                f.write(row.json() + "\n")


if __name__ == "__main__":
    main()
