"""`tessera doctor` and POST /admin/v1/AssertionChecks end to end: each failed rule is named with
its detail, reason and fix, the exit status is 0 only when every rule passes, and a check never
consumes the assertion's jti."""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

import tessera_it as it


def doctor(base, client_id, secret, assertion, scope=None, json_out=False):
    args = [it.TESSERA, "doctor", "--url", base, "--client-id", client_id, "--client-secret", secret,
            "--assertion", assertion]
    if scope is not None:
        args += ["--scope", scope]
    if json_out:
        args.append("--json")
    p = subprocess.run(args, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class DoctorTest(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)
        cls.other = it.Tenant(cls.server, cls.admin, cls.work)

    # ---- helpers
    def run_doctor(self, assertion, t=None, scope=None, secret=None, client_id=None):
        t = t or self.t
        return doctor(self.server.base, client_id or t.client_id, secret or t.secret, assertion, scope)

    def fails(self, assertion, line_part, reason, t=None, scope=None, fix_part=None):
        """Runs doctor; expects exit != 0, a [FAIL] line holding line_part followed by the reason
        and a non-empty fix."""
        rc, out, err = self.run_doctor(assertion, t=t, scope=scope)
        self.assertNotEqual(rc, 0, out + err)
        self.assertNotIn("All rules pass", out)
        self.assertIn("the assertion would be rejected", err)
        lines = out.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("[FAIL] ") and line_part in line:
                self.assertEqual(lines[i + 1].strip(), "reason: " + reason, out)
                fix = lines[i + 2].strip()
                self.assertTrue(fix.startswith("fix:") and len(fix) > len("fix:") + 3, out)
                if fix_part:
                    self.assertIn(fix_part, fix, out)
                return out
        self.fail("no [FAIL] line with %r in:\n%s\n%s" % (line_part, out, err))

    def cli_error(self, assertion, secret=None, client_id=None):
        rc, out, err = self.run_doctor(assertion, secret=secret, client_id=client_id)
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        return err

    # ---- passing
    def test_passing_assertion_does_not_consume_jti(self):
        a = self.t.assertion()
        rc, out, err = self.run_doctor(a, scope=self.t.fqs)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("All rules pass", out)
        self.assertNotIn("[FAIL]", out)
        self.assertIn("[PASS] rule 7 jti unused", out)
        self.assertIn("[PASS] rule 9 scope: granted: " + self.t.fqs, out)
        # Twice: the check reads the jti, it never records it.
        rc, out, err = self.run_doctor(a, scope=self.t.fqs)
        self.assertEqual(rc, 0, out + err)
        self.assertTokenOk(self.t.grant(a, self.t.fqs))
        # And now the same assertion is reported as used.
        self.fails(a, "assertion jti was already used", "assertion_jti_replayed", scope=self.t.fqs)

    def test_passing_cli_assertion_and_json(self):
        a = self.t.cli_assertion()
        rc, out, err = doctor(self.server.base, self.t.client_id, self.t.secret, a, None, json_out=True)
        self.assertEqual(rc, 0, out + err)
        report = json.loads(out[:out.rindex("}") + 1])
        self.assertTrue(report["passed"])
        self.assertEqual(report["clientId"], self.t.client_id)
        self.assertTrue(all(r["passed"] for r in report["rules"]))
        self.assertIn(9, [r["rule"] for r in report["rules"]])
        self.assertTokenOk(self.t.grant(a, self.t.fqs))

    def test_assertion_from_stdin(self):
        a = self.t.assertion()
        p = subprocess.run([it.TESSERA, "doctor", "--url", self.server.base, "--client-id", self.t.client_id,
                            "--client-secret", self.t.secret, "--assertion", "-"], input=(a + "\n").encode(),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(b"All rules pass", p.stdout)

    # ---- client authentication: the token endpoint's one answer, whatever failed (the precise
    # reason is in the server log with the ecid)
    def test_wrong_client_secret(self):
        err = self.cli_error(self.t.assertion(), secret=self.t.secret + "x")
        self.assertIn("HTTP 401", err)
        self.assertIn(it.AUTH_FAILED, err)
        self.assertNotIn(self.t.client_id, err)

    def test_unknown_client_id(self):
        cid = "no-such-client-" + uuid.uuid4().hex[:8]
        err = self.cli_error(self.t.assertion(), client_id=cid)
        self.assertIn("HTTP 401", err)
        self.assertIn(it.AUTH_FAILED, err)
        self.assertNotIn(cid, err)
        self.assertEqual(err, self.cli_error(self.t.assertion(), secret=self.t.secret + "x"))

    def test_client_checking_another_clients_assertion(self):
        rc, out, err = doctor(self.server.base, self.t.client_id, self.t.secret, self.other.assertion(), None)
        self.assertNotEqual(rc, 0)  # the CLI checks against its own client id: another app's key
        self.assertIn("matches no certificate attached to client " + self.t.client_id, out)
        # Over the API: a client may check only its own assertions.
        r = self.server.request("POST", "/admin/v1/AssertionChecks",
                                json.dumps({"assertion": self.other.assertion(), "clientId": self.other.client_id}),
                                {"Authorization": it.basic(*self.t.auth), "Content-Type": "application/json"})
        self.assertEqual(r.status, 403, r)
        self.assertIn("a client may check only assertions for its own client id", r.json()["detail"], r)

    def test_app_inactive(self):
        t = self.tenant()
        self.admin.activate(t.app["id"], False)
        # The app itself is refused like at the token endpoint...
        err = self.cli_error(t.assertion(), client_id=t.client_id, secret=t.secret)
        self.assertIn("HTTP 401", err)
        self.assertIn(it.AUTH_FAILED, err)
        # ... and an administrator's check says why, with the fix.
        r = self.admin.call("POST", "/admin/v1/AssertionChecks", {"assertion": t.assertion(), "clientId": t.client_id})
        self.assertEqual(r.status, 200, r)
        active = [x for x in r.json()["rules"] if x["name"] == "client active"][0]
        self.assertEqual((active["result"], active["reason"], active["detail"]),
                         ("fail", "client_inactive", "the app is not active"))
        self.assertIn("tessera admin apps activate " + t.app["id"], active["fix"])

    def test_jwt_bearer_grant_not_allowed(self):
        t = self.tenant(grants=("client_credentials",))
        self.fails(t.assertion(), "the app's allowedGrants lack " + it.JWT_BEARER, "grant_not_allowed", t=t,
                   fix_part=it.JWT_BEARER)

    # ---- rule 3: key
    def test_kid_not_an_attached_alias(self):
        out = self.fails(self.t.assertion(header_extra={"kid": "not-an-alias"}),
                         "assertion kid 'not-an-alias' matches no certificate attached to client " + self.t.client_id,
                         "assertion_key_not_found")
        self.assertIn("(aliases: " + self.t.alias + ")", out)

    def test_x5t_matching_no_certificate(self):
        bogus = it.b64url(b"\x02" * 20)
        self.fails(self.t.assertion(header={"alg": "RS256", "x5t": bogus}),
                   "assertion x5t '" + bogus + "' matches no certificate attached to client " + self.t.client_id,
                   "assertion_key_not_found", fix_part="x5t")

    # ---- rule 5: aud
    def test_audience_not_accepted(self):
        out = self.fails(self.t.assertion(aud="https://other-as.example.com/"),
                         "assertion audience \"https://other-as.example.com/\" is not accepted; expected one of",
                         "assertion_audience_rejected")
        line = [l for l in out.splitlines() if "is not accepted" in l][0]
        for accepted in (self.server.issuer, it.ORACLE_AUD):
            self.assertIn(accepted, line)

    # ---- rule 6: times
    def test_exp_as_string(self):
        self.fails(self.t.assertion(exp=str(int(time.time()) + 300)), "must be a JSON number",
                   "assertion_time_claim_invalid", fix_part="JSON numbers")

    def test_exp_in_milliseconds(self):
        now = int(time.time())
        self.fails(self.t.assertion(iat=now, exp=(now + 300) * 1000), "milliseconds",
                   "assertion_time_claim_invalid", fix_part="milliseconds")

    def test_expired(self):
        now = int(time.time())
        self.fails(self.t.assertion(iat=now - 400, exp=now - 100), "assertion expired at ", "assertion_expired")

    def test_not_yet_valid(self):
        self.fails(self.t.assertion(nbf=int(time.time()) + 300), "assertion not before ", "assertion_not_yet_valid")

    def test_issued_in_future(self):
        now = int(time.time())
        self.fails(self.t.assertion(iat=now + 300, exp=now + 600), "assertion issued at ",
                   "assertion_issued_in_future")

    def test_lifetime_too_long(self):
        now = int(time.time())
        self.fails(self.t.assertion(iat=now, exp=now + 7200), "exp - iat is 7200 s; at most 3600 s accepted",
                   "assertion_lifetime_too_long")

    # ---- rule 7: jti
    def test_jti_already_used(self):
        a = self.t.assertion()
        self.assertTokenOk(self.t.grant(a, self.t.fqs))
        self.fails(a, "rule 7 jti unused: assertion jti was already used", "assertion_jti_replayed",
                   fix_part="new jti")

    # ---- rule 8: user
    def test_sub_unknown_user(self):
        name = "nobody-" + uuid.uuid4().hex[:8]
        self.fails(self.t.assertion(sub=name), "assertion sub '%s' is not the userName of any user" % name,
                   "assertion_user_unknown", fix_part="userName")

    def test_sub_inactive_user(self):
        u = self.admin.create_user(active=False)
        self.fails(self.t.assertion(sub=u["userName"]), "user '%s' is not active" % u["userName"],
                   "assertion_user_inactive", fix_part="activate")

    def test_sub_is_the_user_id_not_the_user_name(self):
        self.fails(self.t.assertion(sub=self.t.user["id"]), "is not the userName of any user",
                   "assertion_user_unknown")

    # ---- rule 9: scope
    def test_scope_not_fully_qualified(self):
        self.fails(self.t.assertion(), "is not a fully qualified scope of any resource", "scope_not_allowed",
                   scope=it.SCOPE_VALUE, fix_part="fully qualified")

    def test_scope_not_in_policy(self):
        self.fails(self.t.assertion(), "is not in the token issuance policy of client " + self.t.client_id,
                   "scope_not_allowed", scope=self.other.fqs)

    def test_scope_expiry_out_of_range(self):
        for n in ("59", "31556953"):
            self.fails(self.t.assertion(), "the expiry must be a whole number of seconds from 60 to 31556952",
                       "scope_expiry_invalid", scope=self.t.fqs + " urn:opc:resource:expiry=" + n,
                       fix_part="60 <= N <= 31556952")

    # ---- several failures in one report; nothing consumed
    def test_failed_check_consumes_nothing(self):
        now = int(time.time())
        jti = str(uuid.uuid4())
        bad = self.t.assertion(jti=jti, aud="https://wrong.example/", iat=now, exp=now + 7200)
        rc, out, _ = self.run_doctor(bad)
        self.assertNotEqual(rc, 0)
        self.assertGreaterEqual(out.count("[FAIL]"), 2, out)
        self.assertTokenOk(self.t.grant(self.t.assertion(jti=jti), self.t.fqs))


class DoctorBasicEncodingTest(unittest.TestCase):
    """The bootstrap administrator's secret holds '+' and '%': a Basic header built without
    URL-encoding is diagnosed as such."""

    SECRET = "it+admin%41secret/0123456789"

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tessera-it-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.server = it.Server(os.path.join(cls.work, "data"), admin=(it.ADMIN_ID, cls.SECRET)).start()
        cls.addClassCleanup(cls.server.stop)

    def check(self, authorization):
        body = json.dumps({"assertion": "a.b.c", "clientId": it.ADMIN_ID})
        return self.server.request("POST", "/admin/v1/AssertionChecks", body,
                                   {"Authorization": authorization, "Content-Type": "application/json"})

    def logged(self, r):
        """The server's log line for the request answered by r (found by its ecid)."""
        ecid = r.json()["ecid"]
        for _ in range(50):
            lines = [l for l in self.server.log().splitlines() if "ecid=" + ecid in l]
            if lines:
                return lines[0]
            time.sleep(0.1)
        self.fail("no log line for ecid " + ecid)

    def test_raw_basic_credentials_diagnosed(self):
        raw = "Basic " + base64.b64encode((it.ADMIN_ID + ":" + self.SECRET).encode()).decode()
        r = self.check(raw)
        # The wire gets the token endpoint's uniform answer; the log says what went wrong.
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error_description"], it.AUTH_FAILED)
        self.assertTrue(r.header("WWW-Authenticate"))
        self.assertIn("the Basic credentials were not URL-encoded", self.logged(r))

    def test_encoded_basic_credentials_accepted(self):
        r = self.check(it.basic(it.ADMIN_ID, self.SECRET))
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json()["passed"])  # "a.b.c" is no assertion, but the client is authenticated
        # The CLI encodes: it gets the report, not a 401.
        rc, out, err = doctor(self.server.base, it.ADMIN_ID, self.SECRET, "a.b.c")
        self.assertNotEqual(rc, 0)
        self.assertIn("[FAIL] rule 1 syntax", out)
        self.assertIn("[PASS] rule 0 client", out)

    def test_wrong_secret_is_not_called_an_encoding_error(self):
        raw = "Basic " + base64.b64encode((it.ADMIN_ID + ":" + "it+admin%41secret/wrong").encode()).decode()
        r = self.check(raw)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error_description"], it.AUTH_FAILED)
        line = self.logged(r)
        self.assertIn("wrong client secret for client " + it.ADMIN_ID, line)
        self.assertNotIn("URL-encoded", line)


if __name__ == "__main__":
    it.main()
