#!/usr/bin/env python3
"""Crash safety: SIGKILL during admin writes loses nothing acknowledged; file modes.

Each test runs its own `tessera serve` on 127.0.0.1 in a temporary directory, stopped and
removed even on failure. Every loop is bounded in count and time.
"""

import os
import shutil
import sqlite3
import stat
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tessera_it as it  # noqa: E402

WRITERS = 2
MAX_USERS_PER_WRITER = 400   # a bound on each writer's loop
WRITE_SECONDS = 60           # and on its time
KILL_AFTER_ACKS = 60         # SIGKILL once this many creations were acknowledged
REPAIR_WORDS = ("repair", "recover", "corrupt", "malformed", "integrity")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class CrashSafetyTest(unittest.TestCase):

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tessera-hard-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.data_dir = os.path.join(self.work, "data")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            try:
                s.stop()
            except Exception:
                pass

    def start(self, extra_args=()):
        s = it.Server(self.data_dir, extra_args)
        self.servers.append(s)
        return s.start()

    def test_sigkill_during_user_creation_keeps_every_acknowledged_user(self):
        server = self.start()
        admin = it.Admin(server)
        admin.token()
        acked = []
        lock = threading.Lock()
        stop = threading.Event()
        errors = []

        def writer(n):
            deadline = time.monotonic() + WRITE_SECONDS
            for i in range(MAX_USERS_PER_WRITER):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                name = "crash-%d-%d-%s" % (n, i, it.uuid.uuid4().hex[:8])
                try:
                    r = admin.call("POST", "/admin/v1/Users", {
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": name, "name": {"givenName": "G", "familyName": "F"},
                        "emails": [{"value": name + "@example.com", "primary": True}],
                        "active": True})
                except (OSError, it.http.client.HTTPException):
                    return  # the server is gone
                if r.status == 201:
                    with lock:
                        acked.append((name, r.json()["id"]))
                elif not stop.is_set():
                    errors.append(r)
                    return

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + WRITE_SECONDS
        while time.monotonic() < deadline:
            with lock:
                if len(acked) >= KILL_AFTER_ACKS:
                    break
            if not any(t.is_alive() for t in threads):
                break
            time.sleep(0.01)
        stop.set()
        server.kill9()  # writers are mid-request
        for t in threads:
            t.join(30)
        self.assertFalse(errors, errors[:3])
        self.assertGreaterEqual(len(acked), KILL_AFTER_ACKS, "writers stalled before the kill")

        server = self.start()
        admin = it.Admin(server)
        for name, uid in list(acked):
            q = urllib.parse.quote('userName eq "%s"' % name)
            body = admin.ok("GET", "/admin/v1/Users?filter=" + q)
            self.assertEqual(body.get("totalResults"), 1, "acknowledged user %s lost: %r" % (name, body))
            self.assertEqual(body["Resources"][0]["id"], uid)
            self.assertEqual(admin.call("GET", "/admin/v1/Users/" + uid).status, 200, name)
        # Still writable after the crash.
        admin.create_user()
        with open(server.log_path, "rb") as f:
            log = f.read().decode(errors="replace").lower()
        for word in REPAIR_WORDS:
            self.assertNotIn(word, log, "the store needed repair after SIGKILL:\n" + log[-3000:])
        server.stop()

        db = os.path.join(self.data_dir, "tessera.db")
        conn = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            self.assertEqual(conn.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        finally:
            conn.close()

    def test_sigkill_during_token_grants_keeps_every_consumed_jti(self):
        """An assertion answered 200 before SIGKILL stays spent after the restart (no replay
        through a crash), and tokens minted before it still authenticate."""
        # A fixed issuer: the default one names the listening port, which changes on restart.
        issuer = ["--issuer", "https://tessera.hardening.test"]
        server = self.start(issuer)
        admin = it.Admin(server)
        old_admin_token = admin.token()
        tenant = it.Tenant(server, admin, self.work)
        assertions = [tenant.assertion() for _ in range(60)]  # bounded: each used once
        pending = list(assertions)
        acked = []
        lock = threading.Lock()
        stop = threading.Event()
        errors = []

        def granter():
            deadline = time.monotonic() + WRITE_SECONDS
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    if not pending:
                        return
                    a = pending.pop()
                try:
                    r = tenant.grant(a, scope=tenant.fqs)
                except (OSError, it.http.client.HTTPException):
                    return
                if r.status == 200:
                    with lock:
                        acked.append(a)
                elif not stop.is_set():
                    errors.append(r)
                    return

        threads = [threading.Thread(target=granter, daemon=True) for _ in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + WRITE_SECONDS
        while time.monotonic() < deadline and any(t.is_alive() for t in threads):
            with lock:
                if len(acked) >= 30:
                    break
            time.sleep(0.005)
        stop.set()
        server.kill9()
        for t in threads:
            t.join(30)
        self.assertFalse(errors, errors[:3])
        self.assertGreaterEqual(len(acked), 30)

        server = self.start(issuer)
        tenant.server = server
        self.assertEqual(server.request("GET", "/admin/v1/Users?count=1", headers={
            "Authorization": "Bearer " + old_admin_token}).status, 200,
            "a token minted before the crash no longer authenticates")
        for a in acked:
            r = tenant.grant(a, scope=tenant.fqs)
            self.assertEqual(r.status, 400, "assertion accepted twice across a crash: %r" % r)
            self.assertEqual(r.json().get("error"), "invalid_grant", r)
            self.assertIn("already used", r.json().get("error_description", ""), r)
        # The unused ones still work: the store is healthy.
        with lock:
            rest = [a for a in pending if a not in acked]
        if rest:
            self.assertEqual(tenant.grant(rest[0], scope=tenant.fqs).status, 200)

    def test_file_modes(self):
        server = self.start(["--demo"])
        self.assertEqual(server.get("/health").status, 200)
        self.assertEqual(mode(self.data_dir), 0o700, "data dir mode %o" % mode(self.data_dir))
        db = os.path.join(self.data_dir, "tessera.db")
        self.assertTrue(os.path.exists(db), os.listdir(self.data_dir))
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(db + suffix):
                self.assertEqual(mode(db + suffix), 0o600,
                                 "tessera.db%s mode %o" % (suffix, mode(db + suffix)))
        demo = os.path.join(self.data_dir, "demo")
        keys = [f for f in os.listdir(demo) if f.endswith((".key.pem", ".p12", ".key"))]
        self.assertTrue(keys, "no demo key file in %r" % os.listdir(demo))
        for f in keys:
            self.assertEqual(mode(os.path.join(demo, f)), 0o600, "%s mode %o" % (f, mode(os.path.join(demo, f))))
        self.assertEqual(mode(demo) & 0o077, 0, "demo dir mode %o" % mode(demo))
        server.stop()
        # A restart with --demo (idempotent) keeps the modes.
        server = self.start(["--demo"])
        self.assertEqual(mode(self.data_dir), 0o700)
        self.assertEqual(mode(db), 0o600)
        for f in keys:
            self.assertEqual(mode(os.path.join(demo, f)), 0o600, f)


if __name__ == "__main__":
    it.main()
