#!/usr/bin/env python3
"""TLS certificate reload on SIGHUP, without dropping connections.

A real `tessera serve --tls-cert F --tls-key K` on 127.0.0.1:0. The certificate and key files
are overwritten and the server sent SIGHUP: new handshakes must present the new certificate,
a keep-alive connection opened before must go on answering, a pair that fails to load must
leave the server serving the certificate it had, and SIGHUP must never stop the server.
Loopback only; every socket operation and every wait has a timeout.
"""

import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import time
import unittest
import urllib.parse
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tessera_it as it  # noqa: E402

IO_TIMEOUT = 10      # seconds, for every connect, handshake, read and write
LOG_TIMEOUT = 15     # seconds to wait for the server's log line after a SIGHUP
GARBAGE = "this is not a private key 5f3a9c"


def make_pair(out_dir, cn):
    cert = os.path.join(out_dir, cn + ".crt")
    key = os.path.join(out_dir, cn + ".key")
    it.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
            "-out", cert, "-days", "1", "-subj", "/CN=" + cn])
    return cert, key


def client_context(version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1, offered on purpose
            ctx.minimum_version = version
            ctx.maximum_version = version
    return ctx


class TlsConnection:
    """One keep-alive HTTPS connection with blocking, time-bounded reads."""

    def __init__(self, port, ctx=None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        try:
            self.sock = (ctx or client_context()).wrap_socket(raw, server_hostname="localhost")
        except BaseException:
            raw.close()
            raise
        self.sock.settimeout(IO_TIMEOUT)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def peer_der(self):
        return self.sock.getpeercert(binary_form=True)

    def _read_more(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.buffer += data

    def get(self, path):
        """GET `path` on this connection, keeping it open; returns (status, headers, body)."""
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
        deadline = time.monotonic() + IO_TIMEOUT
        while b"\r\n\r\n" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no response header")
            self._read_more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            if time.monotonic() > deadline:
                raise TimeoutError("incomplete response body")
            self._read_more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body


class TlsReloadTest(unittest.TestCase):

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tessera-tls-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.one = make_pair(self.work, "one")
        self.two = make_pair(self.work, "two")
        self.cert = os.path.join(self.work, "served.crt")
        self.key = os.path.join(self.work, "served.key")
        self.install(self.one)
        self.server = None
        self.connections = []

    def tearDown(self):
        for c in self.connections:
            try:
                c.close()
            except OSError:
                pass
        if self.server is not None:
            self.server.stop()

    def install(self, pair):
        # Overwritten in place, as an operator (or certbot's deploy hook) would.
        shutil.copyfile(pair[0], self.cert)
        shutil.copyfile(pair[1], self.key)

    def start(self, tls=True):
        args = ["--tls-cert", self.cert, "--tls-key", self.key] if tls else []
        self.server = it.Server(os.path.join(self.work, "data"), args, threads=2).start()
        self.port = urllib.parse.urlsplit(self.server.base).port
        return self.server

    def connect(self, ctx=None):
        c = TlsConnection(self.port, ctx)
        self.connections.append(c)
        return c

    def full_log(self):
        # Server.log() is only the tail; counting lines needs all of it.
        with open(self.server.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def hangup_and_wait_for(self, text):
        """SIGHUP the server and wait for the `text` log line that SIGHUP caused."""
        before = self.full_log().count(text)
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + LOG_TIMEOUT
        while time.monotonic() < deadline:
            if self.full_log().count(text) > before:
                return
            self.assertIsNone(self.server.proc.poll(), "server exited on SIGHUP:\n" +
                              self.server.log())
            time.sleep(0.05)
        self.fail("no %r in the log within %d s:\n%s" % (text, LOG_TIMEOUT, self.server.log()))

    def assertHealthy(self, conn):
        status, _, _ = conn.get("/health")
        self.assertEqual(status, 200)

    def assertServes(self, pair):
        c = self.connect()
        self.assertEqual(c.peer_der(), it.der_of(pair[0]))
        self.assertHealthy(c)
        return c

    def test_reload_swaps_certificate_and_keeps_connections(self):
        self.start()
        old = self.connect()
        self.assertEqual(old.peer_der(), it.der_of(self.one[0]))
        self.assertHealthy(old)

        self.install(self.two)
        self.hangup_and_wait_for("TLS certificate reloaded")
        self.assertIn("CN=two", self.full_log())
        # The connection from before the reload keeps going, on its own certificate.
        self.assertHealthy(old)
        self.assertEqual(old.peer_der(), it.der_of(self.one[0]))
        # A new connection gets the new certificate.
        self.assertServes(self.two)

        # A garbage key: refused, logged without the file's contents, the second pair stays.
        with open(self.key, "w") as f:
            f.write(GARBAGE + "\n")
        self.hangup_and_wait_for("TLS reload failed")
        self.assertNotIn(GARBAGE, self.full_log())
        self.assertIsNone(self.server.proc.poll())
        self.assertServes(self.two)
        self.assertHealthy(old)

        # A valid key of another certificate: refused as a mismatch.
        shutil.copyfile(self.one[1], self.key)
        self.hangup_and_wait_for("does not match")
        self.assertServes(self.two)

        # A missing certificate file: refused too.
        os.remove(self.cert)
        self.hangup_and_wait_for("TLS reload failed")
        self.assertServes(self.two)

        # A good pair again is taken.
        self.install(self.one)
        self.hangup_and_wait_for("TLS certificate reloaded")
        self.assertServes(self.one)
        self.assertHealthy(old)

        # SIGTERM still stops the server gracefully.
        self.server.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.proc.wait(IO_TIMEOUT + 20), 0, self.server.log())

    def test_reloaded_context_keeps_protocol_versions(self):
        self.start()
        self.install(self.two)
        self.hangup_and_wait_for("TLS certificate reloaded")
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            c = self.connect(client_context(version))
            self.assertEqual(c.peer_der(), it.der_of(self.two[0]))
            self.assertEqual(c.sock.version(), version.name.replace("v1_", "v1."))
            self.assertHealthy(c)

        # TLS 1.1 must be refused by the server (a protocol_version alert), not merely not
        # offered by this client: skip when the local OpenSSL cannot offer it at all.
        ctx = client_context(ssl.TLSVersion.TLSv1_1)
        try:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        except ssl.SSLError:
            self.skipTest("this OpenSSL cannot offer TLS 1.1")
        try:
            c = self.connect(ctx)
        except ssl.SSLError as e:
            if "NO_PROTOCOLS_AVAILABLE" in str(e) or "NO_CIPHERS_AVAILABLE" in str(e):
                self.skipTest("this OpenSSL cannot offer TLS 1.1: %s" % e)
            self.assertIn("PROTOCOL_VERSION", str(e).upper())
        except (ConnectionError, socket.timeout) as e:
            self.fail("TLS 1.1 should end in a protocol_version alert, got %r" % e)
        else:
            self.fail("TLS 1.1 was accepted: %s" % c.sock.version())

    def test_sighup_without_tls_is_harmless(self):
        server = self.start(tls=False)
        self.hangup_and_wait_for("nothing to reload")
        self.hangup_and_wait_for("nothing to reload")
        self.assertIsNone(server.proc.poll())
        self.assertEqual(server.get("/health").status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
