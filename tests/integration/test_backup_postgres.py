"""The PostgreSQL backup procedure of docs/backup.md, followed step by step against real nodes.

Usage: pg_ctl_env python3 test_backup_postgres.py (CTest runs it so; TESSERA_BIN names tessera).

A node on database A accepts a jti and mints tokens (two signing keys, a rotation between);
`pg_dump` copies A while the node runs; the node stops; `pg_restore` loads the dump into a new
database B; a node on B refuses the jti as a replay, publishes the same signing keys, verifies
and introspects the old tokens, and keeps the audit trail. `tessera migrate status --database`
shows every version applied on both, and `tessera backup` points a PostgreSQL user to pg_dump.
"""

import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import tessera_it as it

ISSUER = "http://tessera-pg-backup.test"
REPLAYED = "assertion jti was already used"
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def pg_tool(name):
    """The client of the server's major version when installed beside it, else from PATH."""
    path = os.path.join(PG_BIN, name)
    return path if os.access(path, os.X_OK) else name


def run(args, timeout=120):
    p = subprocess.run(args, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def database_url(base_url, name):
    u = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, ""))


def kids(server):
    r = server.get("/admin/v1/SigningCert/jwk")
    assert r.status == 200, r
    return sorted(k["kid"] for k in r.json()["keys"]), r.body


class PostgresBackupTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.base_url = os.environ.get("TESSERA_TEST_PG_URL")
        if not cls.base_url:
            raise AssertionError("TESSERA_TEST_PG_URL is not set: run through tests/postgres/pg_ctl_env")
        cls.work = tempfile.mkdtemp(prefix="tessera-pg-backup-it-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        suffix = str(os.getpid())
        cls.url_a = database_url(cls.base_url, "tessera_backup_a_" + suffix)
        cls.url_b = database_url(cls.base_url, "tessera_backup_b_" + suffix)
        for url in (cls.url_a, cls.url_b):
            name = urllib.parse.urlsplit(url).path[1:]
            rc, _, err = run([pg_tool("psql"), "-v", "ON_ERROR_STOP=1", "-q", cls.base_url,
                              "-c", 'CREATE DATABASE "%s"' % name])
            assert rc == 0, err
            cls.addClassCleanup(run, [pg_tool("psql"), "-q", cls.base_url, "-c",
                                      'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name])

    def node(self, name, url):
        server = it.Server(os.path.join(self.work, name),
                           ["--database", url, "--issuer", ISSUER]).start()
        self.addCleanup(server.stop)
        return server

    def migrate_status(self, url):
        rc, out, err = run([it.TESSERA, "migrate", "status", "--database", url])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out.splitlines()[0], r"^schema version (\d+) \(this build's: \1\), 0 pending$")
        self.assertNotIn(urllib.parse.urlsplit(url).password, out + err)
        return out

    def test_pg_dump_and_pg_restore_keep_jtis_keys_and_audit(self):
        # Node A: a used jti, and tokens signed by two keys.
        a = self.node("a", self.url_a)
        admin = it.Admin(a)
        t = it.Tenant(a, admin, self.work)
        rs = admin.create_client(grants=["client_credentials"], allowedOperations=["introspect"])
        used = t.assertion()
        r = t.grant(used, t.fqs)
        self.assertEqual(r.status, 200, r)
        tokens = [r.json()["access_token"]]
        admin.ok("POST", "/admin/v1/SigningKeys/rotate")
        r = t.grant(t.assertion(), t.fqs)
        self.assertEqual(r.status, 200, r)
        tokens.append(r.json()["access_token"])
        kids_a, _ = kids(a)
        self.assertEqual(len(kids_a), 2)
        audit_a = {e["id"] for e in admin.ok("GET", "/admin/v1/AuditEvents?count=1000")["Resources"]}
        status_a = self.migrate_status(self.url_a)

        # The procedure: pg_dump while the node runs, then pg_restore into a new database.
        dump = os.path.join(self.work, "tessera.dump")
        rc, _, err = run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                          "--file", dump, self.url_a])
        self.assertEqual(rc, 0, err)
        a.stop()
        rc, _, err = run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                          "--single-transaction", "--dbname", self.url_b, dump])
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.migrate_status(self.url_b), status_a)

        # Node B on the restored database is the same service.
        b = self.node("b", self.url_b)
        r = b.token([("grant_type", it.JWT_BEARER), ("assertion", used), ("scope", t.fqs)],
                    auth=t.auth)
        self.assertEqual(r.status, 400, r)
        self.assertIn(REPLAYED, r.json()["error_description"])
        kids_b, jwks = kids(b)
        self.assertEqual(kids_b, kids_a)
        jwks_file = os.path.join(self.work, "jwks-b.json")
        with open(jwks_file, "wb") as f:
            f.write(jwks)
        for token in tokens:
            rc, _, err = run([it.TESSERA, "jwt", "verify", token, "--jwks", jwks_file, "--iss", ISSUER])
            self.assertEqual(rc, 0, err)
            r = b.post_form("/oauth2/v1/introspect", [("token", token)],
                            auth=(rs["name"], rs["clientSecret"]))
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.json()["active"], r)
        # New tokens and audit events: the identity columns go on after the restored rows.
        r = b.token([("grant_type", it.JWT_BEARER), ("assertion", t.assertion()),
                     ("scope", t.fqs)], auth=t.auth)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(it.jwt_parts(r.json()["access_token"])[0]["kid"],
                         it.jwt_parts(tokens[1])[0]["kid"])
        audit_b = {e["id"] for e in it.Admin(b).ok("GET", "/admin/v1/AuditEvents?count=1000")["Resources"]}
        self.assertLessEqual(audit_a, audit_b)
        self.assertGreater(len(audit_b), len(audit_a))

    def test_backup_and_restore_point_to_pg_dump(self):
        for args in (["backup", "--database", self.url_a, "--out", os.path.join(self.work, "x.db")],
                     ["restore", "--in", os.path.join(self.work, "x.db"), "--database", self.url_a]):
            rc, _, err = run([it.TESSERA] + args)
            self.assertEqual(rc, 1, err)
            self.assertIn("pg_dump", err)
            self.assertNotIn(urllib.parse.urlsplit(self.url_a).password, err)
        self.assertFalse(os.path.exists(os.path.join(self.work, "x.db")))


if __name__ == "__main__":
    it.main()
