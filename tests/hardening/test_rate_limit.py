#!/usr/bin/env python3
"""Limits against a flooding client: `--token-rate-limit` answers 429 with Retry-After per client
id without slowing other clients, and `--max-connections-per-client` turns away connections
beyond the cap. Both are off by default (the other suites run without them)."""

import os
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


if __name__ == "__main__":
    it.main()
