#!/usr/bin/env python3
"""Limits against a flooding client: `--token-rate-limit` answers 429 with Retry-After per client
id without slowing other clients (off by default), and `--max-connections-per-client` turns away
connections beyond the cap (256 by default). Against silent connections: the first byte of a
request has `--idle-timeout` seconds (10 by default), and at `--max-connections` the connection
that has waited longest for a request is closed to admit a new one."""

import os
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tessera_it as it  # noqa: E402


class TokenRateLimitTest(it.ServerTest):
    server_args = ("--token-rate-limit", "5")

    def test_flooding_client_gets_429_and_others_do_not(self):
        flood = self.tenant()
        other = self.tenant()
        statuses = []
        for _ in range(12):  # well over a burst of 5 within a second
            r = self.server.token([("grant_type", "client_credentials")], auth=flood.auth)
            statuses.append(r.status)
            if r.status == 429:
                body = self.assertOAuthError(r, 429, "temporarily_unavailable", "too many token requests")
                self.assertTrue(int(r.header("Retry-After")) >= 1, r)
                self.assertNotIn(flood.secret, str(body))
        self.assertIn(429, statuses)
        self.assertGreaterEqual(statuses.count(200), 5)
        # Another client id has its own bucket.
        self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=other.auth))
        # The flooding client is served again once its bucket refills.
        deadline = time.time() + 5
        while time.time() < deadline:
            r = self.server.token([("grant_type", "client_credentials")], auth=flood.auth)
            if r.status == 200:
                break
            time.sleep(0.3)
        self.assertEqual(r.status, 200, r)
        self.assertIn('reason="rate_limited"', self.server.get("/metrics").body.decode())


class ConnectionCapTest(it.ServerTest):
    server_args = ("--max-connections-per-client", "4")

    def test_connections_beyond_the_cap_are_closed(self):
        host, port = "127.0.0.1", int(self.server.base.rsplit(":", 1)[1])
        held = [socket.create_connection((host, port), timeout=5) for _ in range(4)]
        try:
            time.sleep(0.2)
            extra = socket.create_connection((host, port), timeout=5)
            extra.settimeout(5)
            try:
                extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                data = extra.recv(1024)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            finally:
                extra.close()
            self.assertEqual(data, b"", "a fifth connection from one address was served")
        finally:
            for s in held:
                s.close()
        # Slots come back when connections close.
        deadline = time.time() + 5
        ok = False
        while time.time() < deadline and not ok:
            try:
                ok = self.server.get("/health").status == 200
            except (ConnectionResetError, BrokenPipeError):
                # The server has not yet seen the held connections close: still over the cap.
                ok = False
            if not ok:
                time.sleep(0.1)
        self.assertTrue(ok)


def port_of(server):
    return int(server.base.rsplit(":", 1)[1])


def connect_from(source, port):
    """A connection to the server from loopback address `source` (any of 127.0.0.0/8 is this
    host), so one test can be several clients."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_by_server(socks, wait=2.0):
    """The indexes of `socks` the server has closed (EOF or reset) within `wait` seconds."""
    closed = set()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        pending = [s for i, s in enumerate(socks) if i not in closed]
        if not pending:
            break
        readable, _, _ = select.select(pending, [], [], 0.2)
        for s in readable:
            try:
                data = s.recv(1024)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                closed.add(socks.index(s))
    return closed


class DefaultConnectionCapTest(it.ServerTest):
    """With default settings, one address holding idle connections cannot lock others out."""

    DEFAULT_CAP = 256

    def test_silent_connections_beyond_the_default_cap_are_closed_and_health_answers(self):
        port = port_of(self.server)
        socks = []
        try:
            for _ in range(self.DEFAULT_CAP + 44):
                socks.append(connect_from("127.0.0.2", port))
            closed = closed_by_server(socks)
            self.assertEqual(len(closed), 44, "connections past the default per-address cap")
            self.assertEqual(min(closed), self.DEFAULT_CAP, "the first 256 are the ones kept")
            t0 = time.monotonic()
            r = self.server.request("GET", "/health", timeout=5)
            self.assertEqual(r.status, 200, r)
            self.assertLess(time.monotonic() - t0, 1.0)
        finally:
            for s in socks:
                s.close()


class IdleConnectionEvictionTest(it.ServerTest):
    """At the global cap (20 here), silent connections give way to new ones, oldest first."""

    server_args = ("--max-connections", "20", "--idle-timeout", "30")

    def test_oldest_idle_connections_make_room_for_new_ones(self):
        port = port_of(self.server)
        silent, newcomers = [], []
        try:
            for _ in range(20):
                silent.append(connect_from("127.0.0.2", port))
                time.sleep(0.01)  # a clear order of age
            time.sleep(0.2)
            for _ in range(3):
                newcomers.append(connect_from("127.0.0.3", port))
                time.sleep(0.05)
            r = self.server.request("GET", "/health", timeout=5)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(closed_by_server(silent), {0, 1, 2, 3},
                             "the four oldest silent connections are the ones closed")
            self.assertEqual(closed_by_server(newcomers, wait=0.5), set())
        finally:
            for s in silent + newcomers:
                s.close()


class IdleTimeoutTest(it.ServerTest):
    """The first byte of a request has --idle-timeout (1 s here); the rest of the header has
    the 30 s request deadline."""

    server_args = ("--idle-timeout", "1")

    def test_silent_and_idle_keep_alive_connections_are_closed_at_the_idle_timeout(self):
        port = port_of(self.server)
        silent = connect_from("127.0.0.1", port)
        started = connect_from("127.0.0.1", port)
        kept = connect_from("127.0.0.1", port)
        try:
            started.sendall(b"GET /health HTTP/1.1\r\n")  # a request begun, not finished
            kept.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += kept.recv(4096)
            self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:200])
            t0 = time.monotonic()
            self.assertEqual(closed_by_server([silent, kept], wait=3.0), {0, 1})
            self.assertLess(time.monotonic() - t0, 2.5)
            self.assertEqual(closed_by_server([started], wait=0.5), set(),
                             "a request under way keeps the request deadline")
        finally:
            for s in (silent, started, kept):
                s.close()


if __name__ == "__main__":
    it.main()
