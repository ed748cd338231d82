#!/usr/bin/env python3
"""Console operators and sessions (contract section 9) against the real server.

Bootstrap by TESSERA_CONSOLE_USER / TESSERA_CONSOLE_PASSWORD, sign-in and its one refusal,
throttling, the exact cookie, the admin API with the session cookie (X-Tessera-CSRF and Origin
rules), sign-out ending the session on the server, the idle timeout, operators through the admin
API, and a session honoured by a second node sharing the SQLite file.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_it import TESSERA, Admin, Server, ServerTest  # noqa: E402

USER = "root.operator"
PASSWORD = "console password 0123"
COOKIE = "__Host-tessera_session"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFUSAL = {"error": "invalid_credentials", "detail": "The user name or password is not correct."}


def console_env(user=USER, password=PASSWORD):
    os.environ["TESSERA_CONSOLE_USER"] = user
    os.environ["TESSERA_CONSOLE_PASSWORD"] = password


def login_form(server, user, password, headers=None):
    import urllib.parse
    h = dict(FORM)
    h.update(headers or {})
    body = urllib.parse.urlencode({"username": user, "password": password})
    return server.request("POST", "/console/login", body, h)


def session_cookie(resp):
    """The session token of a Set-Cookie answer."""
    value = resp.header("Set-Cookie")
    assert value and value.startswith(COOKIE + "="), resp
    return value[len(COOKIE) + 1:].split(";")[0]


def with_cookie(token, extra=None):
    h = {"Cookie": "theme=dark; %s=%s" % (COOKIE, token)}
    h.update(extra or {})
    return h


class ConsoleAuthTest(ServerTest):
    @classmethod
    def setUpClass(cls):
        console_env()
        super().setUpClass()

    def sign_in(self, user=USER, password=PASSWORD):
        r = login_form(self.server, user, password)
        self.assertEqual(r.status, 303, r)
        return session_cookie(r)

    def test_bootstrap_operator_signs_in_with_the_exact_cookie(self):
        r = login_form(self.server, USER, PASSWORD)
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.header("Location"), "/console/")
        cookie = r.header("Set-Cookie")
        token = session_cookie(r)
        self.assertRegex(token, r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(cookie, "%s=%s; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=43200"
                         % (COOKIE, token))
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertIn("default-src 'none'", r.header("Content-Security-Policy"))
        self.assertIn("frame-ancestors 'none'", r.header("Content-Security-Policy"))
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("Referrer-Policy"), "no-referrer")
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        who = self.server.get("/console/api/session", with_cookie(token))
        self.assertEqual(who.status, 200, who)
        self.assertEqual(who.json()["userName"], USER)
        self.assertEqual(who.json()["role"], "administrator")
        # The token is not what the server stores: the log never shows it either.
        self.assertNotIn(token, self.server.log())

    def test_json_sign_in_answers_200(self):
        r = self.server.request("POST", "/console/login",
                                json.dumps({"username": USER, "password": PASSWORD}),
                                {"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["userName"], USER)
        self.assertTrue(r.header("Set-Cookie").startswith(COOKIE + "="))

    def test_unknown_user_and_wrong_password_get_the_same_answer(self):
        wrong = login_form(self.server, USER, "not the password at all")
        unknown = login_form(self.server, "no.such.operator", PASSWORD)
        for r in (wrong, unknown):
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.json(), REFUSAL)
            self.assertIsNone(r.header("Set-Cookie"))
        self.assertEqual(wrong.body, unknown.body)
        no_session = self.server.get("/console/api/session")
        self.assertEqual(no_session.status, 401, no_session)

    def test_failures_are_throttled_per_user_name(self):
        admin = self.admin
        admin.ok("POST", "/admin/v1/Operators", {"userName": "throttled", "password": PASSWORD})
        for _ in range(5):
            self.assertEqual(login_form(self.server, "throttled", "wrong password!!").status, 401)
        r = login_form(self.server, "throttled", PASSWORD)  # right, but the budget is spent
        self.assertEqual(r.status, 429, r)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertIsNone(r.header("Set-Cookie"))
        # Another operator from the same address is unaffected.
        self.sign_in()

    def test_admin_api_with_the_cookie(self):
        token = self.sign_in()
        users = self.server.get("/admin/v1/Users", with_cookie(token))
        self.assertEqual(users.status, 200, users)
        self.assertIsNone(users.header("Access-Control-Allow-Origin"))
        body = json.dumps({"userName": "made.by.console"})
        json_type = {"Content-Type": "application/scim+json"}
        no_csrf = self.server.request("POST", "/admin/v1/Users", body, with_cookie(token, json_type))
        self.assertEqual(no_csrf.status, 403, no_csrf)
        wrong_csrf = self.server.request("POST", "/admin/v1/Users", body, with_cookie(
            token, dict(json_type, **{"X-Tessera-CSRF": "0"})))
        self.assertEqual(wrong_csrf.status, 403, wrong_csrf)
        foreign = self.server.request("POST", "/admin/v1/Users", body, with_cookie(
            token, dict(json_type, **{"X-Tessera-CSRF": "1", "Origin": "https://evil.example"})))
        self.assertEqual(foreign.status, 403, foreign)
        foreign_get = self.server.get("/admin/v1/Users",
                                      with_cookie(token, {"Origin": "https://evil.example"}))
        self.assertEqual(foreign_get.status, 403, foreign_get)
        ok = self.server.request("POST", "/admin/v1/Users", body, with_cookie(
            token, dict(json_type, **{"X-Tessera-CSRF": "1", "Origin": self.server.issuer})))
        self.assertEqual(ok.status, 201, ok)
        no_origin = self.server.request("DELETE", "/admin/v1/Users/" + ok.json()["id"], None,
                                        with_cookie(token, {"X-Tessera-CSRF": "1"}))
        self.assertEqual(no_origin.status, 204, no_origin)
        # The audit trail names the operator.
        for _ in range(50):  # the audit trail is written off the request path
            audit = self.admin.ok("GET", "/admin/v1/AuditEvents?clientId=operator:" + USER)
            outcomes = [e["outcome"] for e in audit["Resources"]]
            if "user.delete" in outcomes:
                break
            time.sleep(0.1)
        self.assertIn("user.create", outcomes, audit)
        self.assertIn("user.delete", outcomes, audit)
        # A bad cookie is no session.
        bad = self.server.get("/admin/v1/Users", with_cookie("x" * 43))
        self.assertEqual(bad.status, 401, bad)

    def test_assertion_checks_with_the_cookie(self):
        """The Lab's check: the session stands in for the bearer token under the same CSRF and
        Origin rules, refused in the SCIM shape of every admin route; and it consumes no jti."""
        t = self.tenant()
        assertion = t.assertion()
        body = json.dumps({"assertion": assertion, "clientId": t.client_id})
        token = self.sign_in()
        json_type = {"Content-Type": "application/json"}
        no_csrf = self.server.request("POST", "/admin/v1/AssertionChecks", body,
                                      with_cookie(token, json_type))
        self.assertEqual(no_csrf.status, 403, no_csrf)
        self.assertIn("X-Tessera-CSRF", no_csrf.json()["detail"], no_csrf)
        foreign = self.server.request("POST", "/admin/v1/AssertionChecks", body, with_cookie(
            token, dict(json_type, **{"X-Tessera-CSRF": "1", "Origin": "https://evil.example"})))
        self.assertEqual(foreign.status, 403, foreign)
        ended = self.server.request("POST", "/admin/v1/AssertionChecks", body,
                                    with_cookie("x" * 43, dict(json_type, **{"X-Tessera-CSRF": "1"})))
        self.assertEqual(ended.status, 401, ended)
        self.assertIn("detail", ended.json(), ended)
        ok = self.server.request("POST", "/admin/v1/AssertionChecks", body, with_cookie(
            token, dict(json_type, **{"X-Tessera-CSRF": "1", "Origin": self.server.issuer})))
        self.assertEqual(ok.status, 200, ok)
        report = ok.json()
        self.assertTrue(report["passed"], report)
        self.assertEqual([r["result"] for r in report["rules"]], ["pass"] * len(report["rules"]))
        self.assertIn("jti unused", [r["name"] for r in report["rules"]], report)
        # Nothing consumed: the same assertion still buys a token.
        self.assertTokenOk(t.grant(assertion))

    def test_sign_out_ends_the_session_on_the_server(self):
        token = self.sign_in()
        self.assertEqual(self.server.get("/console/api/session", with_cookie(token)).status, 200)
        out = self.server.request("POST", "/console/logout", "", with_cookie(token))
        self.assertEqual(out.status, 303, out)
        self.assertEqual(out.header("Location"), "/console/login")
        self.assertEqual(out.header("Set-Cookie"),
                         COOKIE + "=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
        # Replaying the old cookie fails everywhere.
        self.assertEqual(self.server.get("/console/api/session", with_cookie(token)).status, 401)
        self.assertEqual(self.server.get("/admin/v1/Users", with_cookie(token)).status, 401)

    def test_operators_through_the_admin_api(self):
        created = self.admin.ok("POST", "/admin/v1/Operators",
                                {"userName": "second.op", "password": PASSWORD})
        self.assertEqual(created["userName"], "second.op")
        self.assertEqual(created["role"], "administrator")
        self.assertNotIn("password", created)
        self.assertNotIn(PASSWORD, json.dumps(created))
        self.assertNotIn("argon2", json.dumps(created))
        short = self.admin.call("POST", "/admin/v1/Operators",
                                {"userName": "short.op", "password": "elevenchars"})
        self.assertEqual(short.status, 400, short)
        dup = self.admin.call("POST", "/admin/v1/Operators",
                              {"userName": "second.op", "password": PASSWORD})
        self.assertEqual(dup.status, 409, dup)
        listed = self.admin.ok("GET", "/admin/v1/Operators")
        self.assertIn("second.op", [o["userName"] for o in listed["Resources"]])
        token = self.sign_in("second.op", PASSWORD)
        reset = self.admin.call("PUT", "/admin/v1/OperatorPasswordChanger/" + created["id"],
                                {"password": "a new password 42"})
        self.assertEqual(reset.status, 204, reset)
        self.assertEqual(self.server.get("/console/api/session", with_cookie(token)).status, 401)
        token = self.sign_in("second.op", "a new password 42")
        # The operator changes their own password: the current one is required.
        change = {"currentPassword": "wrong current pw", "newPassword": "yet another password"}
        h = with_cookie(token, {"Content-Type": "application/json", "X-Tessera-CSRF": "1"})
        self.assertEqual(self.server.request("POST", "/console/api/password", json.dumps(change),
                                             h).status, 401)
        change["currentPassword"] = "a new password 42"
        r = self.server.request("POST", "/console/api/password", json.dumps(change), h)
        self.assertEqual(r.status, 204, r)
        self.sign_in("second.op", "yet another password")
        gone = self.admin.call("DELETE", "/admin/v1/Operators/" + created["id"])
        self.assertEqual(gone.status, 204, gone)
        self.assertEqual(self.server.get("/console/api/session", with_cookie(token)).status, 401)
        self.assertEqual(login_form(self.server, "second.op", "yet another password").status, 401)


class ConsoleTimeoutAndNodesTest(unittest.TestCase):
    def setUp(self):
        console_env()
        self.work = tempfile.mkdtemp(prefix="tessera-console-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def test_idle_timeout_ends_a_session(self):
        server = Server(os.path.join(self.work, "idle"),
                        ["--console-idle-timeout", "2"]).start()
        self.addCleanup(server.stop)
        r = login_form(server, USER, PASSWORD)
        self.assertEqual(r.status, 303, r)
        token = session_cookie(r)
        for _ in range(3):  # activity keeps it alive past the idle timeout
            time.sleep(1)
            self.assertEqual(server.get("/console/api/session", with_cookie(token)).status, 200)
        time.sleep(3.5)
        self.assertEqual(server.get("/console/api/session", with_cookie(token)).status, 401)

    def test_a_session_is_valid_on_a_second_node_sharing_the_store(self):
        data = os.path.join(self.work, "shared")
        a = Server(data).start()
        self.addCleanup(a.stop)
        b = Server(data).start()
        self.addCleanup(b.stop)
        r = login_form(a, USER, PASSWORD)
        self.assertEqual(r.status, 303, r)
        token = session_cookie(r)
        on_b = b.get("/console/api/session", with_cookie(token))
        self.assertEqual(on_b.status, 200, on_b)
        self.assertEqual(on_b.json()["userName"], USER)
        # Signed out on B: refused on A.
        self.assertEqual(b.request("POST", "/console/logout", "",
                                   with_cookie(token, {"Accept": "application/json"})).status, 204)
        self.assertEqual(a.get("/console/api/session", with_cookie(token)).status, 401)

    @unittest.skipUnless(os.environ.get("TESSERA_TEST_PG_URL"),
                         "needs PostgreSQL (tests/postgres/pg_ctl_env sets TESSERA_TEST_PG_URL)")
    def test_a_session_is_valid_on_a_second_node_sharing_postgresql(self):
        database = ["--database", os.environ["TESSERA_TEST_PG_URL"]]
        a = Server(os.path.join(self.work, "pg-a"), database).start()
        self.addCleanup(a.stop)
        b = Server(os.path.join(self.work, "pg-b"), database).start()
        self.addCleanup(b.stop)
        r = login_form(b, USER, PASSWORD)
        self.assertEqual(r.status, 303, r)
        token = session_cookie(r)
        on_a = a.get("/console/api/session", with_cookie(token))
        self.assertEqual(on_a.status, 200, on_a)
        self.assertEqual(on_a.json()["userName"], USER)
        self.assertEqual(a.request("POST", "/console/logout", "", with_cookie(token)).status, 303)
        self.assertEqual(b.get("/console/api/session", with_cookie(token)).status, 401)

    def test_a_short_bootstrap_password_stops_the_start(self):
        env = dict(os.environ, TESSERA_CONSOLE_USER="op", TESSERA_CONSOLE_PASSWORD="elevenchars")
        p = subprocess.run([TESSERA, "serve", "--listen", "127.0.0.1:0", "--data-dir",
                            os.path.join(self.work, "short")], env=env, capture_output=True,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr.decode()
        self.assertIn("TESSERA_CONSOLE_PASSWORD", err)
        self.assertIn("at least 12 characters", err)
        self.assertNotIn("elevenchars", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
