"""Backup, verify and restore of the embedded store against the real server, and schema upgrades
(`tessera migrate status|up`): contract section 8.

A backup is taken while a server answers a load of token requests; the server is stopped, the
backup restored into a new data directory and a server started on it: it refuses the jtis used
before the backup, publishes the same signing keys, verifies and introspects the tokens minted
before, and keeps the audit trail.
"""

import glob
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
import unittest

import tessera_it as it

ISSUER = "http://tessera-backup.test"  # fixed, so that the restored server is the same issuer
REPLAYED = "assertion jti was already used"
MIGRATIONS = os.path.join(it.HERE, "..", "..", "src", "store", "sqlite", "migrations")


def tessera(*args, timeout=60):
    """Runs the tessera command line; returns (exit status, stdout, stderr)."""
    p = subprocess.run([it.TESSERA] + list(args), capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def kids(server):
    r = server.get("/admin/v1/SigningCert/jwk")
    assert r.status == 200, r
    return sorted(k["kid"] for k in r.json()["keys"]), r.body


class BackupTest(unittest.TestCase):
    """One server, a backup taken under load, then restores of that backup."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tessera-backup-it-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.old_dir = os.path.join(cls.work, "old")
        server = it.Server(cls.old_dir, ["--issuer", ISSUER]).start()
        cls.addClassCleanup(server.stop)
        admin = it.Admin(server)
        t = it.Tenant(server, admin, cls.work)
        cls.tenant_client = (t.client_id, t.secret, t.fqs)
        cls.rs = admin.create_client(grants=["client_credentials"], allowedOperations=["introspect"])

        # Tokens minted before the backup, by two signing keys (a rotation in between).
        cls.used = t.assertion()
        r = t.grant(cls.used, t.fqs)
        assert r.status == 200, r
        cls.token_before_rotation = r.json()["access_token"]
        admin.ok("POST", "/admin/v1/SigningKeys/rotate")
        r = t.grant(t.assertion(), t.fqs)
        assert r.status == 200, r
        cls.token = r.json()["access_token"]
        cls.kids, cls.jwks = kids(server)
        assert len(cls.kids) == 2, cls.kids

        # The load: workers send fresh assertions, each once, until all are sent.
        assertions = [t.assertion() for _ in range(120)]
        results = {}
        lock = threading.Lock()
        next_index = [0]

        def worker():
            while True:
                with lock:
                    i = next_index[0]
                    if i >= len(assertions):
                        return
                    next_index[0] += 1
                started = time.monotonic()
                try:
                    r = t.grant(assertions[i], t.fqs)
                    status = r.status
                except OSError:
                    status = None
                with lock:
                    results[i] = (started, time.monotonic(), status)

        workers = [threading.Thread(target=worker) for _ in range(4)]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 60
        while len(results) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        cls.audit_before = {e["id"] for e in admin.ok(
            "GET", "/admin/v1/AuditEvents?count=1000")["Resources"]}
        cls.backup = os.path.join(cls.work, "backups", "tessera-backup.db")
        os.makedirs(os.path.dirname(cls.backup))
        backup_started = time.monotonic()
        cls.backup_result = tessera("backup", "--data-dir", cls.old_dir, "--out", cls.backup)
        backup_done = time.monotonic()
        for w in workers:
            w.join(120)
        with lock:
            cls.load = dict(results)
        # Accepted before the backup began: in it. Sent after it ended: not in it.
        cls.accepted_before = [assertions[i] for i, (_, end, status) in cls.load.items()
                               if status == 200 and end < backup_started]
        cls.after = [assertions[i] for i, (start, _, status) in cls.load.items()
                     if status == 200 and start > backup_done]
        extra = [t.assertion() for _ in range(3)]
        for a in extra:
            r = t.grant(a, t.fqs)
            assert r.status == 200, r
        cls.after += extra
        server.stop()

    def restore_and_start(self, name):
        data_dir = os.path.join(self.work, name)
        rc, out, err = tessera("restore", "--in", self.backup, "--data-dir", data_dir)
        self.assertEqual(rc, 0, err)
        self.assertIn("now holds backup", out)
        server = it.Server(data_dir, ["--issuer", ISSUER]).start()
        self.addCleanup(server.stop)
        return data_dir, server

    def grant(self, server, assertion):
        client_id, secret, fqs = self.tenant_client
        return server.token([("grant_type", it.JWT_BEARER), ("assertion", assertion),
                             ("scope", fqs)], auth=(client_id, secret))

    def test_the_backup_was_taken_under_load_and_is_owner_only(self):
        rc, out, err = self.backup_result
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^backup .*tessera-backup\.db: written from .*, schema version \d+")
        self.assertEqual(mode_of(self.backup), 0o600)
        self.assertEqual(os.listdir(os.path.dirname(self.backup)), ["tessera-backup.db"])
        self.assertEqual(len(self.load), 120)
        self.assertTrue(all(s == 200 for _, _, s in self.load.values()),
                        sorted(s for _, _, s in self.load.values() if s != 200))
        self.assertGreaterEqual(len(self.accepted_before), 20)
        rc, out, err = tessera("backup", "verify", self.backup)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^backup .*: ok, schema version (\d+) \(this build's: \1\), "
                              r"2 signing keys, \d+ used jtis, \d+ audit events")

    def test_a_restored_server_is_the_same_service(self):
        data_dir, server = self.restore_and_start("restored")
        self.assertEqual(mode_of(data_dir), 0o700)
        self.assertEqual(mode_of(os.path.join(data_dir, "tessera.db")), 0o600)

        # The jtis used before the backup are replays; those used only after it are not.
        r = self.grant(server, self.used)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"], "invalid_grant")
        self.assertIn(REPLAYED, r.json()["error_description"])
        for a in self.accepted_before[-10:]:
            r = self.grant(server, a)
            self.assertEqual(r.status, 400, r)
            self.assertIn(REPLAYED, r.json()["error_description"])
        for a in self.after[-3:]:
            self.assertEqual(self.grant(server, a).status, 200)

        # The same signing keys: the JWKS lists the same kids and verifies the old tokens.
        self.assertEqual(kids(server)[0], self.kids)
        jwks_file = os.path.join(self.work, "restored-jwks.json")
        with open(jwks_file, "wb") as f:
            f.write(kids(server)[1])
        for token in (self.token_before_rotation, self.token):
            rc, _, err = tessera("jwt", "verify", token, "--jwks", jwks_file, "--iss", ISSUER)
            self.assertEqual(rc, 0, err)
            r = server.post_form("/oauth2/v1/introspect", [("token", token)],
                                 auth=(self.rs["name"], self.rs["clientSecret"]))
            self.assertEqual(r.status, 200, r)
            info = r.json()
            self.assertTrue(info["active"], info)
            self.assertEqual(info["jti"], it.jwt_parts(token)[1]["jti"])
        # And it signs new tokens with the key that was active.
        client_id, secret, fqs = self.tenant_client
        r = server.token([("grant_type", "client_credentials"), ("scope", fqs)],
                         auth=(client_id, secret))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(it.jwt_parts(r.json()["access_token"])[0]["kid"],
                         it.jwt_parts(self.token)[0]["kid"])

        # The audit trail travelled with it.
        admin = it.Admin(server)
        after = {e["id"] for e in admin.ok("GET", "/admin/v1/AuditEvents?count=1000")["Resources"]}
        self.assertTrue(self.audit_before, "no audit events before the backup")
        self.assertLessEqual(self.audit_before, after)

    def test_restore_refuses_a_store_in_use_and_an_existing_store(self):
        data_dir, server = self.restore_and_start("in-use")
        db = os.path.join(data_dir, "tessera.db")
        for force in ([], ["--force"]):
            rc, _, err = tessera("restore", "--in", self.backup, "--data-dir", data_dir, *force)
            self.assertNotEqual(rc, 0)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            if force:
                self.assertIn("in use", err)
            else:
                self.assertIn("already exists", err)
            self.assertIn(db, err)
        self.assertEqual(server.get("/ready").status, 200)
        server.stop()
        rc, _, err = tessera("restore", "--in", self.backup, "--data-dir", data_dir)
        self.assertNotEqual(rc, 0)
        self.assertIn("--force", err)
        rc, _, err = tessera("restore", "--in", self.backup, "--data-dir", data_dir, "--force")
        self.assertEqual(rc, 0, err)
        self.assertEqual(glob.glob(os.path.join(data_dir, ".tessera.db*")), [])

    def test_files_that_are_not_backups_are_refused(self):
        bad_dir = os.path.join(self.work, "bad")
        os.makedirs(bad_dir, exist_ok=True)
        with open(self.backup, "rb") as f:
            good = f.read()
        foreign = os.path.join(bad_dir, "foreign.db")
        with sqlite3.connect(foreign) as db:
            db.execute("CREATE TABLE notes (text TEXT)")
        future = os.path.join(bad_dir, "future.db")
        with open(future, "wb") as f:
            f.write(good)
        with sqlite3.connect(future) as db:
            db.execute("INSERT INTO schema_version (version, name, applied_at)"
                       " SELECT max(version) + 1, 'from_the_future.sql', 0 FROM schema_version")
        cases = {"random.db": (os.urandom(8192), "not a SQLite database"),
                 "empty.db": (b"", "empty"),
                 "truncated.db": (good[:len(good) // 2], "truncated"),
                 "foreign.db": (None, "not a Tessera store"),
                 "future.db": (None, "is newer than this build")}
        for name, (data, problem) in cases.items():
            path = os.path.join(bad_dir, name)
            if data is not None:
                with open(path, "wb") as f:
                    f.write(data)
            rc, out, err = tessera("backup", "verify", path)
            self.assertNotEqual(rc, 0, name)
            self.assertEqual(out, "", name)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn(path, err)
            self.assertIn(problem, err)
            # Restore makes the same checks before it touches anything.
            target = os.path.join(self.work, "never-" + name)
            rc, _, err = tessera("restore", "--in", path, "--data-dir", target)
            self.assertNotEqual(rc, 0, name)
            self.assertIn(problem, err)
            self.assertFalse(os.path.exists(os.path.join(target, "tessera.db")), name)
        rc, _, err = tessera("backup", "verify", os.path.join(bad_dir, "missing.db"))
        self.assertNotEqual(rc, 0)
        self.assertIn("missing.db", err)

    def test_backup_never_replaces_a_file_unasked(self):
        out = os.path.join(self.work, "existing.db")
        with open(out, "w") as f:
            f.write("keep me")
        rc, _, err = tessera("backup", "--data-dir", self.old_dir, "--out", out)
        self.assertNotEqual(rc, 0)
        self.assertIn("already exists", err)
        with open(out) as f:
            self.assertEqual(f.read(), "keep me")
        rc, _, err = tessera("backup", "--data-dir", self.old_dir, "--out", out, "--force")
        self.assertEqual(rc, 0, err)
        self.assertEqual(tessera("backup", "verify", out)[0], 0)
        rc, _, err = tessera("backup", "--data-dir", os.path.join(self.work, "none"), "--out",
                             os.path.join(self.work, "x.db"))
        self.assertNotEqual(rc, 0)
        self.assertIn("no store at", err)


def make_older_store(path, version):
    """The store a build that knew only migrations 1..version made: the real migration files,
    recorded in schema_version the way the server records them."""
    files = sorted(glob.glob(os.path.join(MIGRATIONS, "[0-9][0-9][0-9]_*.sql")))
    assert len(files) > version, files
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL,"
               " name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
    for number, name in enumerate(files[:version], start=1):
        with open(name) as f:
            db.executescript("BEGIN;" + f.read() + ";COMMIT;")
        db.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                   (number, os.path.basename(name), int(time.time())))
    db.execute("INSERT INTO used_jtis (issuer, jti, expires_at) VALUES ('old-client', 'old-jti', ?)",
               (int(time.time()) + 3600,))
    db.close()
    return [os.path.basename(f) for f in files]


STATUS_LINE = re.compile(r"^\s+(\d+)\s+(\S+)\s+(applied \S+|pending)")


def parse_status(out):
    lines = out.splitlines()
    head = re.match(r"^schema version (\d+) \(this build's: (\d+)\), (\d+) pending$", lines[0])
    assert head, out
    rows = [STATUS_LINE.match(l).groups() for l in lines[1:]]
    return tuple(int(x) for x in head.groups()), [(int(v), n, s.split()[0]) for v, n, s in rows]


class MigrateTest(unittest.TestCase):
    """`tessera migrate status|up` on a store of the previous schema version."""

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tessera-migrate-it-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def older_store(self, name):
        data_dir = os.path.join(self.work, name)
        os.makedirs(data_dir)
        db = os.path.join(data_dir, "tessera.db")
        files = make_older_store(db, len(glob.glob(os.path.join(MIGRATIONS, "*.sql"))) - 1)
        return data_dir, db, files

    def status(self, *where):
        rc, out, err = tessera("migrate", "status", *where)
        self.assertEqual(rc, 0, err)
        return parse_status(out)

    def test_status_shows_the_pending_version_and_the_server_applies_it(self):
        data_dir, db, files = self.older_store("data")
        latest = len(files)
        head, rows = self.status("--data-dir", data_dir)
        self.assertEqual(head, (latest - 1, latest, 1))
        self.assertEqual(rows, [(i + 1, f, "applied" if i + 1 < latest else "pending")
                                for i, f in enumerate(files)])
        self.assertEqual(self.status("--database", "sqlite://" + db), (head, rows))
        # The backup check accepts the older version (a server upgrades it).
        rc, out, err = tessera("backup", "verify", db)
        self.assertEqual(rc, 0, err)
        self.assertIn("schema version %d (this build's: %d)" % (latest - 1, latest), out)

        # Applied when a server starts on it; the data is kept.
        server = it.Server(data_dir).start()
        self.addCleanup(server.stop)
        self.assertEqual(server.get("/ready").status, 200)
        head, rows = self.status("--data-dir", data_dir)  # while it runs
        self.assertEqual(head, (latest, latest, 0))
        self.assertTrue(all(s == "applied" for _, _, s in rows), rows)
        server.stop()
        with sqlite3.connect(db) as conn:
            self.assertEqual(conn.execute("SELECT count(*) FROM used_jtis WHERE jti = 'old-jti'")
                             .fetchone()[0], 1)

    def test_migrate_up_applies_without_a_server(self):
        data_dir, db, files = self.older_store("data")
        rc, out, err = tessera("migrate", "up", "--data-dir", data_dir)
        self.assertEqual(rc, 0, err)
        head, rows = parse_status(out)
        self.assertEqual(head, (len(files), len(files), 0))
        self.assertEqual(self.status("--data-dir", data_dir)[0], head)
        rc, _, err = tessera("migrate", "up", "--data-dir", os.path.join(self.work, "none"))
        self.assertNotEqual(rc, 0)
        self.assertIn("no store at", err)
        self.assertFalse(os.path.exists(os.path.join(self.work, "none")))
        rc, _, err = tessera("migrate", "status")
        self.assertEqual(rc, 2, err)


if __name__ == "__main__":
    it.main()
