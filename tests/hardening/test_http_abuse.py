#!/usr/bin/env python3
"""HTTP abuse: slowloris connections, oversized headers and bodies, malformed framing.

One `tessera serve` on 127.0.0.1 for the class. Every loop is bounded in count and time; every
socket is closed, the server stopped and its directory removed even on failure.
"""

import os
import re
import socket
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tessera_it as it  # noqa: E402

SLOW_CONNECTIONS = 200
SLOW_SECONDS = 4.0          # how long the slow clients trickle
SLOW_MAX_BYTES = 6          # bytes each slow client sends at most
NORMAL_DEADLINE = 1.0       # seconds for a normal request while the slow clients hold on
RSS_LIMIT_KB = 200 * 1024
FD_LIMIT = 64              # descriptors the server may hold once every client is gone


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


class HttpAbuseTest(it.ServerTest):

    def addr(self):
        u = urllib.parse.urlsplit(self.server.base)
        return u.hostname, u.port

    def timed(self, fn):
        t0 = time.monotonic()
        r = fn()
        return r, time.monotonic() - t0

    def health(self):
        return self.server.request("GET", "/health", timeout=10)

    def admin_token(self):
        return self.server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)],
                                 auth=(it.ADMIN_ID, it.ADMIN_SECRET))

    def assertServes(self):
        r, took = self.timed(self.health)
        self.assertEqual(r.status, 200, r)
        r, took_token = self.timed(self.admin_token)
        self.assertEqual(r.status, 200, r)
        self.assertIn("access_token", r.json())
        return took, took_token

    def raw(self, data, timeout=10):
        """Sends raw bytes; returns (status, answer, closed): closed is whether the server ended
        the connection after its answer (EOF or reset within the timeout)."""
        with socket.create_connection(self.addr(), timeout=timeout) as s:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            buf = b""
            closed = False
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    b = s.recv(65536)
                except ConnectionResetError:
                    closed = True
                    break
                except socket.timeout:
                    break
                if not b:
                    closed = True
                    break
                buf += b
        status = int(buf[9:12]) if buf.startswith(b"HTTP/1.") and len(buf) >= 12 else None
        return status, buf, closed

    # ------------------------------------------------------------ slowloris

    def test_slowloris_does_not_starve_normal_clients(self):
        self.assertServes()  # warm: the admin token's first issuance is not what is measured
        prefix = b"GET /health HTTP/1.1\r\nHost: x\r\n"[:SLOW_MAX_BYTES]
        socks = []
        try:
            for _ in range(SLOW_CONNECTIONS):
                s = socket.create_connection(self.addr(), timeout=5)
                s.setblocking(False)
                socks.append(s)
            self.assertEqual(len(socks), SLOW_CONNECTIONS)
            timings = []
            start = time.monotonic()
            step = SLOW_SECONDS / SLOW_MAX_BYTES
            for i in range(SLOW_MAX_BYTES):
                for s in socks:
                    try:
                        s.send(prefix[i:i + 1])
                    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                        pass
                # A normal client in the middle of the trickle.
                timings.append(self.assertServes())
                rest = start + step * (i + 1) - time.monotonic()
                if rest > 0:
                    time.sleep(rest)
            for took_health, took_token in timings:
                self.assertLess(took_health, NORMAL_DEADLINE, "GET /health took %.3fs" % took_health)
                self.assertLess(took_token, NORMAL_DEADLINE, "token request took %.3fs" % took_token)
            # None of the slow connections got an answer to its incomplete request.
            for s in socks:
                try:
                    data = s.recv(1024)
                except (BlockingIOError, ConnectionResetError):
                    continue
                self.assertFalse(data.startswith(b"HTTP/1.1 200"), data[:200])
        finally:
            for s in socks:
                s.close()
        self.assertServes()

    def test_abrupt_resets_mid_request(self):
        """Clients that reset the connection mid-header or mid-body leave nothing behind."""
        partials = (b"GET /hea", b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n",
                    b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab",
                    b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                    b"\r\n\r\n10\r\nabc")
        for i in range(SLOW_CONNECTIONS):
            s = socket.create_connection(self.addr(), timeout=5)
            try:
                s.sendall(partials[i % len(partials)])
                # SO_LINGER 0: close sends RST.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            finally:
                s.close()
        self.assertServes()

    def test_half_closed_clients_get_their_answer(self):
        for _ in range(20):
            with socket.create_connection(self.addr(), timeout=5) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                s.shutdown(socket.SHUT_WR)
                buf = b""
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    b = s.recv(4096)
                    if not b:
                        break
                    buf += b
            self.assertTrue(buf.startswith(b"HTTP/1.1 200"), buf[:200])

    def test_metrics_labels_stay_bounded(self):
        """Random paths and methods cannot grow the metrics without bound (label cardinality):
        a second round of fresh paths and methods adds no series."""
        def series():
            r = self.server.request("GET", "/metrics", timeout=10)
            self.assertEqual(r.status, 200, r)
            return set(l.rsplit(" ", 1)[0] for l in r.body.decode().splitlines()
                       if l.startswith("tessera_http_"))

        def round_of(tag):
            for i in range(80):
                method = ("GET", "POST", "FOO%s%d" % (tag, i), "DELETE")[i % 4]
                status, _, _ = self.raw(("%s /admin/v1/Users/%s/x%d?q=%d HTTP/1.1\r\nHost: x\r\n"
                                         "Content-Length: 0\r\nConnection: close\r\n\r\n"
                                         % (method, it.uuid.uuid4().hex, i, i)).encode(), timeout=5)
                self.assertIsNotNone(status)
                status, _, _ = self.raw(("GET /%s-%d HTTP/1.1\r\nHost: x\r\nConnection: close"
                                         "\r\n\r\n" % (it.uuid.uuid4().hex, i)).encode(), timeout=5)
                self.assertIsNotNone(status)

        series()  # /metrics counts itself after answering: its own series exist from now on
        round_of("A")
        before = series()
        round_of("B")
        added = series() - before
        self.assertFalse(added, "fresh paths and methods added metrics series:\n" +
                         "\n".join(sorted(added)[:20]))

    # ------------------------------------------------------------ limits

    def test_header_over_16k_is_431(self):
        data = (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (20 * 1024) +
                b"\r\n\r\n")
        status, answer, closed = self.raw(data)
        self.assertEqual(status, 431, answer[:300])
        self.assertTrue(closed, "connection left open after 431")
        self.assertServes()

    def test_declared_10mb_token_body_is_413_at_once(self):
        head = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 10000000\r\n\r\n")
        with socket.create_connection(self.addr(), timeout=10) as s:
            t0 = time.monotonic()
            s.sendall(head)  # the body is never sent
            buf = b""
            while b"\r\n\r\n" not in buf and time.monotonic() - t0 < 5:
                b = s.recv(4096)
                if not b:
                    break
                buf += b
            took = time.monotonic() - t0
        self.assertTrue(buf.startswith(b"HTTP/1.1 413"), buf[:300])
        self.assertLess(took, 1.0, "413 took %.3fs" % took)
        self.assertServes()

    def test_declared_2mb_admin_body_is_413(self):
        head = (b"POST /admin/v1/Users HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/scim+json\r\n"
                b"Content-Length: 2000000\r\n\r\n")
        status, answer, closed = self.raw(head, timeout=5)
        self.assertEqual(status, 413, answer[:300])
        self.assertServes()

    def test_chunked_token_body_over_limit_is_413(self):
        chunk = b"a" * 8192
        data = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" +
                (b"2000\r\n" + chunk + b"\r\n") * 10 + b"0\r\n\r\n")
        status, answer, closed = self.raw(data)
        self.assertEqual(status, 413, answer[:300])
        self.assertServes()

    # ------------------------------------------------------------ malformed framing

    def test_malformed_request_line_is_400_and_closed(self):
        for line in (b"THIS IS NOT HTTP\r\n\r\n", b"GET /health HTTP/9.Z\r\n\r\n",
                     b"G@T /health HTTP/1.1\r\nHost: x\r\n\r\n"):
            with self.subTest(line=line):
                status, answer, closed = self.raw(line)
                self.assertEqual(status, 400, answer[:300])
                self.assertTrue(closed, "connection left open after 400")
        self.assertServes()

    def test_conflicting_content_length_is_400(self):
        data = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 5\r\nContent-Length: 12\r\n\r\nhello")
        status, answer, closed = self.raw(data)
        self.assertEqual(status, 400, answer[:300])
        self.assertTrue(closed)
        self.assertServes()

    def test_bad_chunked_encoding_is_400(self):
        for body in (b"zz\r\nhello\r\n0\r\n\r\n",          # not a hex size
                     b"5\r\nhelloXX0\r\n\r\n",              # no CRLF after the chunk
                     b"-5\r\nhello\r\n0\r\n\r\n"):          # negative size
            with self.subTest(body=body):
                data = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" + body)
                status, answer, closed = self.raw(data)
                self.assertEqual(status, 400, answer[:300])
                self.assertTrue(closed)
        self.assertServes()

    def test_transfer_encoding_not_chunked_is_400(self):
        data = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: gzip\r\n\r\nabc")
        status, answer, closed = self.raw(data)
        self.assertEqual(status, 400, answer[:300])
        self.assertServes()

    def test_smuggling_and_framing_edge_cases_are_400(self):
        token = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n")
        cases = {
            # Content-Length and Transfer-Encoding together (RFC 9112 6.1): never two requests.
            "cl and te": token + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
            "chunked twice": token + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
            "negative length": token + b"Content-Length: -1\r\n\r\n",
            "overflowing length": token + b"Content-Length: 99999999999999999999999\r\n\r\n",
            "space before colon": token + b"Content-Length : 5\r\n\r\nhello",
            "nul in a field": b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
            "bare LF": b"GET /health HTTP/1.1\nHost: x\n\n",
        }
        for name, data in cases.items():
            with self.subTest(case=name):
                status, answer, closed = self.raw(data)
                self.assertEqual(status, 400, answer[:300])
                self.assertEqual(answer.count(b"HTTP/1.1 "), 1, answer[:600])
                self.assertTrue(closed)
        # An overflowing chunk size: refused, 400 or 413, never read.
        status, answer, closed = self.raw(token + b"Transfer-Encoding: chunked\r\n\r\n"
                                          b"ffffffffffffffffffff\r\n")
        self.assertIn(status, (400, 413), answer[:300])
        self.assertServes()

    def test_rfc9112_framing_and_host_rules(self):
        """RFC 9112 3.2 and 6.1: no Host in HTTP/1.1, two Hosts, Transfer-Encoding in HTTP/1.0 or
        with another coding are answered (400, or 501 for a coding before chunked) and closed,
        and what follows on the connection is never taken as a request."""
        smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        token = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n")
        cases = {
            "no host": (b"GET /health HTTP/1.1\r\n\r\n", 400),
            "two hosts": (b"GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
            "two equal hosts": (b"GET /health HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", 400),
            "invalid host": (b"GET /health HTTP/1.1\r\nHost: x y@z\r\n\r\n", 400),
            "te in http/1.0": (b"POST /oauth2/v1/token HTTP/1.0\r\nHost: x\r\n"
                               b"Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"0\r\n\r\n" + smuggled, 400),
            "gzip, chunked": (token + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" +
                              smuggled, 501),
            "chunked, gzip": (token + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" +
                              smuggled, 400),
            "te then cl": (token + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                           b"0\r\n\r\n" + smuggled, 400),
        }
        for name, (data, expected) in cases.items():
            with self.subTest(case=name):
                status, answer, closed = self.raw(data, timeout=5)
                self.assertEqual(status, expected, answer[:300])
                self.assertEqual(len(re.findall(rb"(?:^|\r\n)HTTP/1\.[01] \d{3} ", answer)), 1,
                                 answer[:600])
                self.assertTrue(closed, "connection left open")
        # HTTP/1.0 may leave Host out.
        status, answer, _ = self.raw(b"GET /health HTTP/1.0\r\n\r\n", timeout=5)
        self.assertEqual(status, 200, answer[:300])
        self.assertServes()

    def test_pipelined_requests_are_answered_in_order(self):
        data = (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /nope-404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, answer, closed = self.raw(data)
        self.assertEqual(status, 200, answer[:300])
        self.assertEqual(answer.count(b"HTTP/1.1 "), 2, answer[:600])
        self.assertIn(b"HTTP/1.1 404", answer)
        self.assertTrue(closed)

    # ------------------------------------------------------------ afterwards (runs last)

    def test_zz_still_serves_with_bounded_memory(self):
        took_health, took_token = self.assertServes()
        self.assertLess(took_health, NORMAL_DEADLINE)
        self.assertLess(took_token, NORMAL_DEADLINE)
        self.assertIsNone(self.server.proc.poll(), "server exited:\n" + self.server.log())
        kb = rss_kb(self.server.proc.pid)
        # AddressSanitizer keeps freed memory in quarantine (256 MB by default) and maps shadow
        # memory: its builds get a bound that allows for that, not for leaks.
        with open("/proc/%d/maps" % self.server.proc.pid) as maps:
            sanitized = "libasan" in maps.read()
        limit = RSS_LIMIT_KB + (512 * 1024 if sanitized else 0)
        self.assertLess(kb, limit, "server RSS %d kB" % kb)
        # Every abusive connection was closed by its client: the server holds none of them.
        fd_dir = "/proc/%d/fd" % self.server.proc.pid
        deadline = time.monotonic() + 5
        while len(os.listdir(fd_dir)) >= FD_LIMIT and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertLess(len(os.listdir(fd_dir)), FD_LIMIT, "server descriptors leak")


if __name__ == "__main__":
    it.main()
