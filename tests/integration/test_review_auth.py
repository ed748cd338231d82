"""Client authentication and admin access under attack, against the real server on loopback:
partner certificates never authenticate a client, AssertionChecks is no enumeration oracle and is
rate-limited, a flood of wrong secrets cannot lock a client out, and the admin API accepts only
client_credentials tokens of an administrator app."""

import concurrent.futures
import http.client
import json
import time
import urllib.parse
import uuid

import tessera_it as it

CHECKS = "/admin/v1/AssertionChecks"


def request_from(base, source, method, path, body=None, headers=None):
    """An HTTP request whose socket is bound to the loopback address `source` (127.0.0.2, ...),
    so that the server sees another client address."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20, source_address=(source, 0))
    try:
        conn.request(method, path, body=body.encode() if isinstance(body, str) else body,
                     headers=headers or {})
        r = conn.getresponse()
        return it.Resp(r.status, r.headers, r.read())
    finally:
        conn.close()


def token_from(server, source, pairs, auth=None):
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth is not None:
        h["Authorization"] = it.basic(*auth)
    return request_from(server.base, source, "POST", "/oauth2/v1/token", it.form(pairs), h)


def check_from(server, source, body, auth=None, bearer=None):
    h = {"Content-Type": "application/json"}
    if auth is not None:
        h["Authorization"] = it.basic(*auth)
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    return request_from(server.base, source, "POST", CHECKS, json.dumps(body), h)


class PartnerCertificateTest(it.ServerTest):
    """Contract section 2 rule 3: partner certificates serve user assertions only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)
        cls.partner_alias = it.unique("partner")
        cls.partner = it.generate_keys(cls.partner_alias, cls.work)
        cls.admin.upload_cert(cls.partner_alias, cls.partner["cer"], partner=True)

    def client_assertion(self, client_id, key, header):
        c = it.claims(client_id, client_id, aud=self.server.issuer)
        return it.make_jwt(dict({"alg": "RS256"}, **header), c, key)

    def partner_headers(self):
        return ({"kid": self.partner_alias}, {"x5t": it.x5t(self.partner["cer"])},
                {"x5t#S256": it.x5t_s256(self.partner["cer"])})

    def test_partner_certificate_does_not_authenticate_the_administrator(self):
        for header in self.partner_headers():
            ca = self.client_assertion(it.ADMIN_ID, self.partner["key"], header)
            r = self.server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES),
                                   ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                                   ("client_assertion", ca)])
            self.assertClientAuthFailed(r, basic_used=False)

    def test_partner_certificate_does_not_authenticate_a_client_for_a_user_token(self):
        user_assertion = it.make_jwt({"alg": "RS256", "kid": self.partner_alias},
                                     it.claims(self.t.client_id, self.t.user_name), self.partner["key"])
        for header in self.partner_headers():
            ca = self.client_assertion(self.t.client_id, self.partner["key"], header)
            r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", user_assertion),
                                   ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                                   ("client_assertion", ca)])
            self.assertClientAuthFailed(r, basic_used=False)

    def test_partner_certificate_still_verifies_user_assertions(self):
        for header in self.partner_headers():
            a = it.make_jwt(dict({"alg": "RS256"}, **header), it.claims(self.t.client_id, self.t.user_name),
                            self.partner["key"])
            self.assertTokenOk(self.t.grant(a, self.t.fqs))

    def test_own_certificate_still_authenticates_the_client(self):
        ca = self.client_assertion(self.t.client_id, self.t.keys["key"], {"kid": self.t.alias})
        r = self.server.token([("grant_type", "client_credentials"), ("scope", self.t.fqs),
                               ("client_assertion_type", it.CLIENT_ASSERTION_TYPE), ("client_assertion", ca)])
        self.assertTokenOk(r)


class AssertionChecksOracleTest(it.ServerTest):
    """POST /admin/v1/AssertionChecks tells an unauthenticated caller nothing, and a client
    checking itself learns nothing past a signature that failed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)
        # A key that belongs to no certificate of the client: rule 3 fails with it.
        cls.stranger = it.generate_keys(it.unique("stranger"), cls.work)

    def check(self, body, auth=None, headers=None):
        h = {"Content-Type": "application/json"}
        if auth is not None:
            h["Authorization"] = it.basic(*auth)
        h.update(headers or {})
        return self.server.request("POST", CHECKS, json.dumps(body), h)

    def assertUniform401(self, r, basic_used):
        self.assertClientAuthFailed(r, basic_used)
        body = r.json()
        self.assertEqual(set(body), {"error", "error_description", "ecid"}, r)
        return body

    def test_unknown_client_and_wrong_secret_answer_alike(self):
        body = {"assertion": self.t.assertion(), "clientId": self.t.client_id}
        unknown = self.check(body, auth=("no-such-" + uuid.uuid4().hex[:8], "whatever-secret"))
        wrong = self.check(body, auth=(self.t.client_id, self.t.secret + "x"))
        no_colon = self.check(body, headers={"Authorization": "Basic bm9jb2xvbg=="})
        for r in (unknown, wrong, no_colon):
            self.assertUniform401(r, basic_used=True)
        self.assertNotIn(self.t.client_id.encode(), wrong.body)
        # Without credentials, or with a bearer token that is not valid: the same 401.
        self.assertUniform401(self.check(body), basic_used=False)
        self.assertUniform401(self.check(body, headers={"Authorization": "Bearer not.a.token"}),
                              basic_used=False)

    def test_inactive_app_is_refused(self):
        t = self.tenant()
        self.admin.activate(t.app["id"], False)
        r = self.check({"assertion": t.assertion(), "clientId": t.client_id}, auth=t.auth)
        self.assertUniform401(r, basic_used=True)

    def test_non_administrator_bearer_is_refused(self):
        tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=self.t.auth))
        r = self.check({"assertion": self.t.assertion(), "clientId": self.t.client_id},
                       headers={"Authorization": "Bearer " + tok["access_token"]})
        self.assertUniform401(r, basic_used=False)

    def self_check(self, sub):
        a = self.t.assertion(key=self.stranger["key"], sub=sub)
        r = self.check({"assertion": a, "clientId": self.t.client_id, "scope": self.t.fqs}, auth=self.t.auth)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_rules_past_a_failed_signature_are_not_checked_for_a_client(self):
        inactive = self.admin.create_user(active=False)["userName"]
        reports = [self.self_check(sub) for sub in (self.t.user_name, "nobody-" + uuid.uuid4().hex[:8], inactive)]
        for report in reports:
            self.assertFalse(report["passed"])
            by_rule = {}
            for r in report["rules"]:
                self.assertIn(r["result"], ("pass", "fail", "not_checked"), r)
                self.assertEqual(r["passed"], r["result"] == "pass", r)
                by_rule.setdefault(r["rule"], []).append(r)
            sig = [r for r in by_rule[3] if r["name"] == "signature"]
            self.assertEqual([r["result"] for r in sig], ["fail"], report)
            for n in (4, 5, 6, 7, 8, 9):
                self.assertTrue(by_rule.get(n), "rule %d missing: %r" % (n, report))
                for r in by_rule[n]:
                    self.assertEqual(r["result"], "not_checked", r)
                    self.assertNotIn("reason", r)
            text = json.dumps(report)
            self.assertNotIn("userName", text)
            self.assertNotIn("is not active", text)
        # Whether the user exists or is active makes no difference to the report.
        self.assertEqual(reports[0]["rules"], reports[1]["rules"])
        self.assertEqual(reports[0]["rules"], reports[2]["rules"])

    def test_doctor_prints_rules_not_checked(self):
        a = self.t.assertion(key=self.stranger["key"])
        p = it.run([it.TESSERA, "doctor", "--url", self.server.base, "--client-id", self.t.client_id,
                    "--client-secret", self.t.secret, "--assertion", a], check=False)
        self.assertIn("[FAIL] rule 3 signature", p)
        self.assertIn("[SKIP] rule 8 user: not checked", p)
        self.assertNotIn("[PASS] rule 8", p)

    def test_administrator_keeps_the_full_report(self):
        name = "nobody-" + uuid.uuid4().hex[:8]
        a = self.t.assertion(key=self.stranger["key"], sub=name)
        r = self.admin.call("POST", CHECKS, {"assertion": a, "clientId": self.t.client_id})
        self.assertEqual(r.status, 200, r)
        rules = r.json()["rules"]
        self.assertNotIn("not_checked", [x["result"] for x in rules])
        user = [x for x in rules if x["rule"] == 8]
        self.assertEqual(user[0]["reason"], "assertion_user_unknown", rules)

    def test_a_client_checks_only_its_own_assertions(self):
        other = self.tenant()
        r = self.check({"assertion": other.assertion(), "clientId": other.client_id}, auth=self.t.auth)
        self.assertEqual(r.status, 403, r)
        self.assertIn("a client may check only assertions for its own client id", r.json()["detail"], r)


class AssertionChecksRateLimitTest(it.ServerTest):
    """AssertionChecks is rate-limited per client and per address, with no flag needed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = it.Tenant(cls.server, cls.admin, cls.work)
        cls.b = it.Tenant(cls.server, cls.admin, cls.work)

    def flood(self, source, make_auth, limit=400):
        """Checks until the first 429 (at most `limit` requests); returns the statuses."""
        statuses = []
        for i in range(limit):
            r = check_from(self.server, source, {"assertion": "a.b.c", "clientId": make_auth(i)[0]},
                           auth=make_auth(i))
            statuses.append(r.status)
            if r.status == 429:
                self.assertOAuthError(r, 429, "temporarily_unavailable")
                self.assertGreaterEqual(int(r.header("Retry-After")), 1, r)
                break
        return statuses

    def test_per_client(self):
        statuses = self.flood("127.0.0.4", lambda i: self.a.auth)
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertEqual(set(statuses[:-1]), {200})
        # The client's budget is spent wherever it comes from; another client is served.
        r = check_from(self.server, "127.0.0.5", {"assertion": "a.b.c", "clientId": self.a.client_id},
                       auth=self.a.auth)
        self.assertOAuthError(r, 429, "temporarily_unavailable")
        r = check_from(self.server, "127.0.0.5", {"assertion": "a.b.c", "clientId": self.b.client_id},
                       auth=self.b.auth)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["rules"], r)

    def test_per_address(self):
        statuses = self.flood("127.0.0.6", lambda i: ("no-such-%d" % i, "secret"))
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertEqual(set(statuses[:-1]), {401})
        # That address is refused even with good credentials; another address is not.
        r = check_from(self.server, "127.0.0.6", {"assertion": "a.b.c", "clientId": self.b.client_id},
                       auth=self.b.auth)
        self.assertOAuthError(r, 429, "temporarily_unavailable")
        r = check_from(self.server, "127.0.0.7", {"assertion": "a.b.c", "clientId": self.b.client_id},
                       auth=self.b.auth)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["rules"], r)


class TokenRateLimitLockoutTest(it.ServerTest):
    """With --token-rate-limit, failed authentications count against the address that made them,
    and a client's own budget only once its secret checked."""

    # Three a second: a wrong administrator secret is checked with Argon2 (tens of ms) and the
    # rest of a request is slow under a sanitizer, so a sequential flood could fail less often
    # than a higher budget refills; the flood below is also sent from 8 threads at once.
    server_args = ("--token-rate-limit", "3")

    def test_wrong_secret_flood_does_not_lock_out_the_administrator(self):
        pairs = [("grant_type", "client_credentials"), ("scope", it.MYSCOPES)]
        # The class's other test took an administrator token for its tenant; a second of refill
        # gives the administrator its whole burst again, so the counts below are this test's own.
        time.sleep(1.1)

        def wrong(_):
            return token_from(self.server, "127.0.0.2", pairs, auth=(it.ADMIN_ID, "wrong-secret")).status

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(wrong, range(40)))
        self.assertIn(401, statuses)
        # Each thread's next request follows its failure at once: by then the address's budget
        # is spent, and the flooding address is slowed down.
        self.assertIn(429, statuses)
        # The administrator, from its own address, still gets its token at once (twice, then
        # once more below: within its burst of three).
        for _ in range(2):
            self.assertTokenOk(self.server.token(pairs, auth=(it.ADMIN_ID, it.ADMIN_SECRET)))
        # And with client_secret_post the same holds.
        post = pairs + [("client_id", it.ADMIN_ID), ("client_secret", "wrong-secret")]
        for _ in range(40):
            token_from(self.server, "127.0.0.3", post)
        self.assertTokenOk(self.server.token(pairs, auth=(it.ADMIN_ID, it.ADMIN_SECRET)))

    def test_flooding_address_is_refused_before_authentication(self):
        pairs = [("grant_type", "client_credentials")]
        t = self.tenant()
        last = None
        for _ in range(40):
            last = token_from(self.server, "127.0.0.8", pairs, auth=(t.client_id, "wrong"))
            if last.status == 429:
                break
        self.assertEqual(last.status, 429, last)
        self.assertOAuthError(last, 429, "temporarily_unavailable")
        self.assertGreaterEqual(int(last.header("Retry-After")), 1, last)
        # Even the right secret is not tried from that address for now (no guessing at speed).
        r = token_from(self.server, "127.0.0.8", pairs, auth=t.auth)
        self.assertEqual(r.status, 429, r)
        self.assertTokenOk(token_from(self.server, "127.0.0.9", pairs, auth=t.auth))


class AdminApiUserTokenTest(it.ServerTest):
    """Contract section 6: only client_credentials tokens of an administrator app open the admin
    API, even once the administrator app may use the jwt-bearer grant."""

    def test_user_token_of_the_admin_app_is_refused(self):
        alias = it.unique("adm-key")
        keys = it.generate_keys(alias, self.work)
        self.admin.upload_cert(alias, keys["cer"])
        apps = self.admin.ok("GET", "/admin/v1/Apps?filter=" + urllib.parse.quote('name eq "%s"' % it.ADMIN_ID))
        app_id = apps["Resources"][0]["id"]
        self.admin.ok("PATCH", "/admin/v1/Apps/" + app_id, {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "allowedGrants",
                            "value": ["client_credentials", it.JWT_BEARER]},
                           {"op": "replace", "path": "certificates", "value": [{"certAlias": alias}]}]})
        alice = self.admin.create_user(it.unique("alice"))
        a = it.make_jwt({"alg": "RS256", "kid": alias}, it.claims(it.ADMIN_ID, alice["userName"]), keys["key"])
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", a), ("scope", it.MYSCOPES)],
                              auth=(it.ADMIN_ID, it.ADMIN_SECRET))
        user_token = self.assertTokenOk(r)["access_token"]
        _, c = it.jwt_parts(user_token)
        self.assertEqual((c["gtp"], c["sub"]), ("jwt", alice["userName"]))
        for method, path in (("GET", "/admin/v1/Users"), ("GET", "/admin/v1/Apps")):
            r = self.admin.call(method, path, token=user_token)
            self.assertIn(r.status, (401, 403), r)
            body = r.json()
            self.assertEqual(body["schemas"], ["urn:ietf:params:scim:api:messages:2.0:Error"], r)
            self.assertEqual(body["status"], str(r.status))
            self.assertIn("client_credentials", body["detail"])
        # A user token is no way into AssertionChecks either.
        r = self.admin.call("POST", CHECKS, {"assertion": a, "clientId": it.ADMIN_ID}, token=user_token)
        self.assertIn(r.status, (401, 403), r)
        # The administrator's own client_credentials token still works.
        self.assertEqual(self.admin.call("GET", "/admin/v1/Users").status, 200)


if __name__ == "__main__":
    it.main()
