"""Tests of bench/run.py's pieces that decide what is measured and how it is
summarised: the --system names, the publish-target summary, and the private
redis-server a Redis system runs on (a real redis-server process)."""

import os
import shutil
import socket
import unittest

import run


class ParseSystemsTest(unittest.TestCase):

    def test_aliases_expand_in_order_without_repeats(self):
        self.assertEqual(run.parse_systems("both"), ["ssecast", "nchan"])
        self.assertEqual(run.parse_systems("multinode"),
                         ["ssecast", "ssecast-redis1", "ssecast-redis2"])
        self.assertEqual(run.parse_systems("ssecast-redis2, ssecast,both"),
                         ["ssecast-redis2", "ssecast", "nchan"])
        self.assertEqual(run.parse_systems("grpc-discard,ssecast"),
                         ["grpc-discard", "ssecast"])
        self.assertEqual(run.parse_systems("grpc-discard-redis"),
                         ["grpc-discard-redis"])

    def test_unknown_names_are_refused(self):
        for spec in ("", ",", "redis", "ssecast-redis0", "ssecast-redis9",
                     "ssecast-redisx", "ssecast-redis"):
            with self.assertRaises(ValueError, msg=spec):
                run.parse_systems(spec)

    def test_redis_nodes_and_is_ssecast(self):
        self.assertEqual(run.redis_nodes("ssecast-redis3"), 3)
        self.assertEqual(run.redis_nodes("ssecast"), 0)
        self.assertEqual(run.redis_nodes("nchan"), 0)
        self.assertTrue(run.is_ssecast("ssecast"))
        self.assertTrue(run.is_ssecast("ssecast-redis2"))
        self.assertFalse(run.is_ssecast("nchan"))
        self.assertFalse(run.is_ssecast("grpc-discard"))
        self.assertFalse(run.is_ssecast("grpc-discard-redis"))


def publish_row(system, scenario, rate, failed=0):
    return run.Row(system, scenario,
                   publish={"achieved_rate": rate, "failed": failed})


class PublishSummaryTest(unittest.TestCase):

    def test_no_publish_rows_no_summary(self):
        self.assertEqual(run.publish_summary([run.Row("ssecast", "S1")]), [])

    def test_medians_shares_and_targets(self):
        rows = [
            publish_row("ssecast", "PR/unary", 20000),
            publish_row("ssecast", "PR/unary", 10000),
            publish_row("ssecast", "P1/0 subs", 30000),  # median 20k
            publish_row("ssecast", "PR/stream", 400000),
            publish_row("ssecast-redis1", "PR/unary", 16000),  # 80%: met
            publish_row("ssecast-redis1", "PR/stream", 300000),  # met
            publish_row("ssecast-redis2", "PR/unary", 15000),  # 75%
            publish_row("ssecast-redis2", "P2/0 subs", 299000),
            publish_row("ssecast-redis2", "P1/100 subs", 1e6),  # not counted
            publish_row("ssecast-redis2", "PR/unary", 1e6, failed=3),  # nor
        ]
        lines = run.publish_summary(rows)
        by_system = {line.split("|")[1].strip(): line for line in lines
                     if line.startswith("| ssecast")}
        self.assertIn("| 20k (20k, 10k, 30k) | 100% | 400k (400k) | n/a |",
                      by_system["ssecast"])
        self.assertIn("| 16k (16k) | 80% |", by_system["ssecast-redis1"])
        self.assertIn("unary >= 80% of memory: yes; stream >= 300k/s: yes",
                      by_system["ssecast-redis1"])
        self.assertIn("| 15k (15k) | 75% | 299k (299k) |",
                      by_system["ssecast-redis2"])
        self.assertIn("unary >= 80% of memory: no; stream >= 300k/s: no",
                      by_system["ssecast-redis2"])

    def test_without_memory_node_no_share(self):
        lines = run.publish_summary(
            [publish_row("ssecast-redis2", "PR/unary", 5000)])
        self.assertIn("| ssecast-redis2 | 5000 (5000) | n/a | n/a | n/a |",
                      lines)


class DiscardSystemTest(unittest.TestCase):

    def test_runs_pr_only(self):
        for system in run.DISCARD_SYSTEMS:
            row, = run.run_scenario(system, "S1", None)
            self.assertEqual(row.data["achieved"], "n/a")
            self.assertIn("PR only", row.data["notes"])

    def start(self, server_class):
        """server_class() running the discard_broadcaster of the runfiles
        (beside run.py under Bazel, not in bazel-bin)."""
        binary = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "discard_broadcaster")
        self.assertTrue(os.path.exists(binary), binary)
        real = run.DISCARD
        run.DISCARD = binary
        try:
            return server_class()
        finally:
            run.DISCARD = real

    def test_serves_grpc_and_stops_on_sigterm(self):
        server = self.start(run.DiscardServer)
        pid = server.proc.pid
        try:
            host, port = server.grpc.rsplit(":", 1)
            self.assertEqual(host, "127.0.0.1")
            with socket.create_connection((host, int(port)), 5):
                pass
            self.assertEqual(server.pids(), [pid])
            self.assertEqual(server.publisher_args(stream=True),
                             ["--mode=stream", f"--target={server.grpc}"])
        finally:
            server.stop()
        self.assertEqual(server.pids(), [])
        self.assertEqual(server.proc.returncode, 0)

    @unittest.skipUnless(shutil.which(run.REDIS_SERVER), "no redis-server")
    def test_redis_floor_runs_its_own_redis_and_stops_both(self):
        server = self.start(run.DiscardRedisServer)
        pids = [server.proc.pid, server.redis.proc.pid]
        try:
            self.assertEqual(server.name, "grpc-discard-redis")
            host, port = server.grpc.rsplit(":", 1)
            with socket.create_connection((host, int(port)), 5):
                pass
            self.assertEqual(server.pids(), pids)
            self.assertEqual(set(server.cpu_parts()), {"server", "redis"})
            self.assertIn(server.redis.address, " ".join(server.proc.args))
        finally:
            server.stop()
        self.assertEqual(server.pids(), [])
        self.assertEqual(server.proc.returncode, 0)
        self.assertIsNotNone(server.redis.proc.poll())


@unittest.skipUnless(shutil.which(run.REDIS_SERVER), "no redis-server")
class RedisServerTest(unittest.TestCase):

    def test_answers_on_loopback_and_goes_away_on_stop(self):
        redis = run.RedisServer()
        pid, directory = redis.proc.pid, redis._dir
        try:
            self.assertEqual(redis.address, f"127.0.0.1:{redis.port}")
            with socket.create_connection(("127.0.0.1", redis.port), 5) as c:
                c.settimeout(5)
                c.sendall(b"CONFIG GET save\r\n")
                reply = b""
                while reply.count(b"\r\n") < 5:  # array, 2 bulk strings
                    chunk = c.recv(256)
                    if not chunk:
                        break
                    reply += chunk
                # No persistence: "save" is empty.
                self.assertEqual(reply, b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n")
            self.assertEqual(redis.pids(), [pid])
        finally:
            redis.stop()
        self.assertEqual(redis.pids(), [])
        self.assertIsNotNone(redis.proc.returncode)
        self.assertFalse(os.path.exists(directory))

    def test_used_memory_follows_what_redis_holds(self):
        redis = run.RedisServer()
        try:
            empty = redis.used_memory_kb()
            self.assertGreater(empty, 0)
            with socket.create_connection(("127.0.0.1", redis.port), 5) as c:
                c.settimeout(5)
                value = b"x" * (8 << 20)
                c.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s\r\n"
                          % (len(value), value))
                reply = b""
                while not reply.endswith(b"\r\n"):
                    chunk = c.recv(16)
                    if not chunk:
                        break
                    reply += chunk
                self.assertEqual(reply, b"+OK\r\n")
            self.assertGreaterEqual(redis.used_memory_kb() - empty, 8 << 10)
        finally:
            redis.stop()

    def test_does_not_take_another_redis_on_its_port_for_its_own(self):
        other = run.RedisServer()
        ports = [other.port]  # the first "free" port is taken by `other`
        real_free_port = run.free_port
        run.free_port = lambda: ports.pop() if ports else real_free_port()
        try:
            redis = run.RedisServer()
        finally:
            run.free_port = real_free_port
        try:
            self.assertNotEqual(redis.port, other.port)
            self.assertEqual(redis.address, f"127.0.0.1:{redis.port}")
            self.assertEqual(len(redis.pids()), 1)
        finally:
            redis.stop()
            other.stop()


if __name__ == "__main__":
    unittest.main()
