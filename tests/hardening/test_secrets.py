#!/usr/bin/env python3
"""Secrets stay secret: no client secret, bootstrap secret, trust-issuer shared secret, private
key, assertion or access token in the server's log, /metrics, the audit events or error bodies.

One `tessera serve --demo` on 127.0.0.1 for the class, exercised through the admin API and the
token endpoint (successes and failures); then every surface is searched for every secret.
"""

import os
import re
import secrets
import string
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tessera_it as it  # noqa: E402


def random_secret(n=40):
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def pem_body_lines(path):
    """The base64 lines of a PEM file (each a secret fragment), and their concatenation."""
    with open(path) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("-----")]
    return lines, "".join(lines)


class SecretsTest(it.ServerTest):
    server_args = ("--demo",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.error_bodies = []   # (what, body text) of every non-2xx answer
        cls.tokens = []         # access tokens minted
        cls.assertions = []     # assertions sent
        cls.exercise()

    @classmethod
    def keep(cls, what, r):
        if not 200 <= r.status < 300:
            cls.error_bodies.append((what, r.body.decode(errors="replace")))
        return r

    @classmethod
    def exercise(cls):
        server, admin = cls.server, cls.admin
        cls.tokens.append(admin.token())

        # A confidential app with a certificate, a resource and a user.
        cls.tenant = it.Tenant(server, admin, cls.work)
        t = cls.tenant
        cls.client_secret = t.secret
        assert cls.client_secret, "no clientSecret in the app's creation answer"

        # A trust-token issuer with a shared secret.
        cls.shared_secret = random_secret(40)
        r = admin.call("POST", "/admin/v1/TrustTokenIssuers",
                       {"issuer": "https://idp.test", "sharedSecret": cls.shared_secret})
        assert r.status in (200, 201), "TrustTokenIssuers POST: %r" % r
        cls.keep("trust issuers list", admin.call("GET", "/admin/v1/TrustTokenIssuers"))

        # Another certificate upload (a partner certificate).
        keys = it.generate_keys(it.unique("partner"), cls.work)
        admin.upload_cert(it.unique("partner"), keys["cer"], partner=True)

        # Tokens with Basic auth: client credentials and a user assertion.
        r = cls.keep("client_credentials", server.token(
            [("grant_type", "client_credentials"), ("scope", t.fqs)], auth=t.auth))
        assert r.status == 200, "client_credentials: %r" % r
        cls.tokens.append(r.json()["access_token"])
        for _ in range(2):
            a = t.cli_assertion()
            cls.assertions.append(a)
            r = cls.keep("jwt-bearer", t.grant(a, scope=t.fqs))
            assert r.status == 200, "jwt-bearer: %r" % r
            cls.tokens.append(r.json()["access_token"])

        # Failures: a wrong secret (Basic and in the body), a replayed assertion, a tampered
        # assertion, a malformed assertion, an assertion from the wrong key.
        cls.wrong_secret = random_secret(32)
        cls.keep("wrong secret basic", server.token(
            [("grant_type", "client_credentials"), ("scope", t.fqs)],
            auth=(t.client_id, cls.wrong_secret)))
        cls.keep("wrong secret body", server.token(
            [("grant_type", "client_credentials"), ("scope", t.fqs),
             ("client_id", t.client_id), ("client_secret", cls.wrong_secret)]))
        cls.keep("wrong admin secret", server.token(
            [("grant_type", "client_credentials"), ("scope", it.MYSCOPES)],
            auth=(it.ADMIN_ID, cls.wrong_secret)))
        cls.keep("replayed assertion", t.grant(cls.assertions[0], scope=t.fqs))
        good = t.assertion()
        tampered = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
        cls.assertions += [good, tampered]
        cls.keep("tampered assertion", t.grant(tampered, scope=t.fqs))
        malformed = good.replace(".", "!", 1) + "." + random_secret(20)
        cls.assertions.append(malformed)
        cls.keep("malformed assertion", t.grant(malformed, scope=t.fqs))
        cls.keep("garbage assertion", t.grant("not-a-jwt-" + random_secret(30), scope=t.fqs))
        other = it.generate_keys(it.unique("other"), cls.work)
        wrong_key = t.assertion(key=other["key"])
        cls.assertions.append(wrong_key)
        cls.keep("wrong key assertion", t.grant(wrong_key, scope=t.fqs))
        # A token presented where it is not accepted, and a forged bearer token.
        cls.keep("user token on admin", admin.call("GET", "/admin/v1/Users", token=cls.tokens[-1]))
        cls.keep("tampered bearer", admin.call("GET", "/admin/v1/Users",
                                               token=cls.tokens[0][:-4] + "AAAA"))
        # Admin errors carrying secrets in the request body.
        cls.keep("duplicate trust issuer", admin.call(
            "POST", "/admin/v1/TrustTokenIssuers",
            {"issuer": "https://idp.test", "sharedSecret": cls.shared_secret}))
        cls.keep("bad json with secret", admin.call(
            "POST", "/admin/v1/TrustTokenIssuers",
            '{"issuer": "https://idp2.test", "sharedSecret": "%s",' % cls.shared_secret))
        cls.keep("assertion check", admin.call(
            "POST", "/admin/v1/AssertionChecks",
            {"assertion": tampered, "clientId": t.client_id, "scope": t.fqs}))

        # The surfaces to search.
        r = server.get("/metrics")
        assert r.status == 200, "metrics: %r" % r
        cls.metrics_text = r.body.decode(errors="replace")
        r = admin.call("GET", "/admin/v1/AuditEvents?count=1000")
        assert r.status == 200, "audit events: %r" % r
        cls.audit_text = r.body.decode(errors="replace")

    # ------------------------------------------------------------ helpers

    def server_log(self):
        with open(self.server.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def surfaces(self):
        out = [("server log", self.server_log()), ("metrics", self.metrics_text),
               ("audit events", self.audit_text)]
        out += [("error body (%s)" % what, body) for what, body in self.error_bodies]
        return out

    def assertAbsent(self, label, needle):
        self.assertTrue(needle)
        for where, text in self.surfaces():
            # JSON may escape '/' as '\/'.
            for hay in (text, text.replace("\\/", "/")):
                if needle in hay:
                    i = hay.index(needle)
                    self.fail("%s found in %s: ...%s..." % (label, where,
                                                           hay[max(0, i - 120):i + 40]))

    # ------------------------------------------------------------ tests

    def test_surfaces_were_collected(self):
        self.assertIn("tessera_", self.metrics_text)
        self.assertTrue(self.audit_text.strip())
        self.assertGreaterEqual(len(self.error_bodies), 8, [w for w, _ in self.error_bodies])
        self.assertTrue(self.server_log().strip())

    def test_no_client_secret(self):
        self.assertAbsent("the client secret", self.client_secret)

    def test_no_wrong_secret(self):
        self.assertAbsent("a rejected client secret", self.wrong_secret)

    def test_no_bootstrap_secret(self):
        self.assertAbsent("the bootstrap secret", it.ADMIN_SECRET)

    def test_no_shared_secret(self):
        self.assertAbsent("the trust-issuer shared secret", self.shared_secret)

    def test_no_demo_private_key(self):
        key = os.path.join(self.data_dir, "demo", "demo.key.pem")
        self.assertTrue(os.path.exists(key), os.listdir(os.path.join(self.data_dir, "demo")))
        lines, body = pem_body_lines(key)
        self.assertTrue(lines)
        self.assertAbsent("the demo private key", body)
        for n, line in enumerate(lines[:-1]):  # the last line may be short
            if len(line) >= 32:
                self.assertAbsent("line %d of the demo private key" % n, line)
        for where, text in self.surfaces():
            self.assertNotIn("PRIVATE KEY-----", text, "a private key PEM in " + where)

    def test_no_access_token(self):
        for n, token in enumerate(self.tokens):
            self.assertAbsent("access token %d" % n, token)

    def test_no_assertion(self):
        for n, assertion in enumerate(self.assertions):
            self.assertAbsent("assertion %d" % n, assertion)

    def test_no_authorization_header_value(self):
        self.assertAbsent("a Basic credential", it.basic(*self.tenant.auth)[6:])
        self.assertAbsent("the admin Basic credential", it.basic(it.ADMIN_ID, it.ADMIN_SECRET)[6:])
        for where, text in self.surfaces():
            self.assertIsNone(re.search(r"Bearer\s+ey[A-Za-z0-9_-]{20,}", text),
                              "a bearer token in " + where)

    def test_admin_reads_do_not_echo_secrets(self):
        """clientSecret is shown only on creation (contract section 6); a shared secret never."""
        t = self.tenant
        for path in ("/admin/v1/Apps/" + t.app["id"], "/admin/v1/Apps?count=1000",
                     "/admin/v1/TrustTokenIssuers"):
            r = self.admin.call("GET", path)
            self.assertEqual(r.status, 200, r)
            text = r.body.decode(errors="replace")
            self.assertNotIn(self.client_secret, text, path)
            self.assertNotIn(self.shared_secret, text, path)
            self.assertNotIn(it.ADMIN_SECRET, text, path)

    def test_client_secrets_not_stored_in_clear(self):
        data = b""
        for name in os.listdir(self.data_dir):
            if name.startswith("tessera.db"):
                with open(os.path.join(self.data_dir, name), "rb") as f:
                    data += f.read()
        self.assertTrue(data, os.listdir(self.data_dir))
        self.assertNotIn(self.client_secret.encode(), data, "client secret stored in clear")
        self.assertNotIn(it.ADMIN_SECRET.encode(), data, "bootstrap secret stored in clear")


class SecretsDebugLogTest(SecretsTest):
    """The same at --log-level debug: debug logs get shipped too."""
    server_args = ("--demo", "--log-level", "debug")


if __name__ == "__main__":
    it.main()
