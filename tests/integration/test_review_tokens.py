"""Token lifetime, signing-key revocation, client-secret rotation, inactive resource apps and
tokeninfo's trust-token rules, against a real server: each case an attack that once worked."""

import json
import os
import sqlite3
import subprocess
import time
import urllib.parse
import uuid

import tessera_it as it

ISSUERS = "/admin/v1/TrustTokenIssuers"
REGENERATOR = "/admin/v1/AppClientSecretRegenerator"
REGENERATOR_SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:AppClientSecretRegenerator"
YEAR = 31556952


def cc_token(server, auth, scope):
    return server.token([("grant_type", "client_credentials"), ("scope", scope)], auth=auth)


class ReviewTokensTest(it.ServerTest):

    def setUp(self):
        self.admin._token = None  # a test may have revoked the key that signed it

    # ---- helpers
    def admin_token(self):
        r = cc_token(self.server, (it.ADMIN_ID, it.ADMIN_SECRET), it.MYSCOPES)
        self.assertEqual(r.status, 200, r)
        return r.json()["access_token"]

    def introspect(self, t, token):
        r = self.server.post_form("/oauth2/v1/introspect", [("token", token)], auth=t.auth)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def jwks_kids(self):
        r = self.server.get("/admin/v1/SigningCert/jwk")
        self.assertEqual(r.status, 200, r)
        return [k["kid"] for k in r.json()["keys"]]

    def tokeninfo(self, token):
        return self.server.get("/oauth2/v1/tokeninfo?" + it.form([("id_token", token)]))

    def cli(self, *args):
        argv = [it.TESSERA, "admin", "--url", self.server.base, "--client-id", it.ADMIN_ID,
                "--client-secret", it.ADMIN_SECRET] + list(args)
        p = subprocess.run(argv, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, "%s: %s" % (args, p.stderr.decode(errors="replace")))
        return p.stdout.decode()

    # ---- 1. urn:opc:resource:expiry never lengthens a lifetime
    def test_expiry_scope_cannot_lengthen_the_client_apps_lifetime(self):
        t = self.tenant(accessTokenExpiry=300)
        for scope, want in ((t.fqs + " urn:opc:resource:expiry=%d" % YEAR, 300),
                            (t.fqs + " urn:opc:resource:expiry=86400", 300),
                            (t.fqs + " urn:opc:resource:expiry=120", 120),
                            (t.fqs, 300)):
            body = self.assertTokenOk(cc_token(self.server, t.auth, scope))
            self.assertEqual(body["expires_in"], want, scope)
            _, c = it.jwt_parts(body["access_token"])
            self.assertEqual(c["exp"] - c["iat"], want, scope)
        # The user grant is bound the same way.
        body = self.assertTokenOk(t.grant(t.cli_assertion(), t.fqs + " urn:opc:resource:expiry=%d" % YEAR))
        self.assertEqual(body["expires_in"], 300)
        # Out of range is still invalid_scope.
        self.assertOAuthError(cc_token(self.server, t.auth, t.fqs + " urn:opc:resource:expiry=%d" % (YEAR + 1)),
                              400, "invalid_scope")

    def test_expiry_scope_bound_by_the_resource_and_the_client_whichever_is_lower(self):
        resource = self.admin.create_resource(expiry=200)
        fqs = resource["audience"] + it.SCOPE_VALUE
        app = self.admin.create_client(scopes=[fqs], grants=("client_credentials",), accessTokenExpiry=900)
        auth = (app["name"], app["clientSecret"])
        body = self.assertTokenOk(cc_token(self.server, auth, fqs + " urn:opc:resource:expiry=%d" % YEAR))
        self.assertEqual(body["expires_in"], 200)

    # ---- 4. inactive resource apps grant nothing
    def test_inactive_resource_app_grants_no_scope(self):
        t = self.tenant()
        self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))
        self.admin.activate(t.resource["id"], False)
        self.assertOAuthError(cc_token(self.server, t.auth, t.fqs), 400, "invalid_scope", "not active")
        self.assertOAuthError(t.grant(t.cli_assertion(), t.fqs), 400, "invalid_scope", "not active")
        # No scope parameter: the inactive resource's scope is not granted either.
        body = self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=t.auth))
        self.assertNotIn(t.fqs, body.get("scope", ""))
        _, c = it.jwt_parts(body["access_token"])
        self.assertNotEqual(c["aud"], t.audience)
        self.admin.activate(t.resource["id"], True)
        self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))

    def test_new_resource_app_grants_nothing_until_activated(self):
        resource = self.admin.create_resource(activate=False)
        self.assertFalse(resource["active"])
        fqs = resource["audience"] + it.SCOPE_VALUE
        app = self.admin.create_client(scopes=[fqs], grants=("client_credentials",))
        auth = (app["name"], app["clientSecret"])
        self.assertOAuthError(cc_token(self.server, auth, fqs), 400, "invalid_scope")
        self.admin.activate(resource["id"])
        self.assertTokenOk(cc_token(self.server, auth, fqs))

    # ---- 2. a signing key withdrawn at once
    def test_revoking_the_active_signing_key_withdraws_it_and_issuing_goes_on(self):
        t = self.tenant(allowedOperations=["introspect", "trustToken"])
        admin_token = self.admin_token()
        old_kid = it.jwt_parts(admin_token)[0]["kid"]
        victim = self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))["access_token"]
        self.assertEqual(it.jwt_parts(victim)[0]["kid"], old_kid)
        self.assertTrue(self.introspect(t, victim)["active"])
        trust = self.server.post_form("/oauth2/v1/trusttoken", [("sub", t.user_name)], auth=t.auth)
        self.assertEqual(trust.status, 200, trust)
        trust_token = trust.json()["access_token"]
        self.assertEqual(self.tokeninfo(trust_token).status, 200)

        r = self.admin.call("POST", "/admin/v1/SigningKeys/%s/revoke" % old_kid, token=admin_token)
        self.assertEqual(r.status, 200, r)
        new_kid = r.json()["activeKid"]
        self.assertNotEqual(new_kid, old_kid)
        # Gone from the JWKS, inactive at introspection, refused by the admin API and tokeninfo.
        kids = self.jwks_kids()
        self.assertNotIn(old_kid, kids)
        self.assertIn(new_kid, kids)
        self.assertEqual(self.introspect(t, victim), {"active": False})
        r = self.admin.call("GET", "/admin/v1/Users", token=admin_token)
        self.assertEqual(r.status, 401, r)
        self.assertOAuthError(self.tokeninfo(trust_token), 400, "invalid_token")
        # Issuing goes on, with the new key; the revoked one never signs again.
        fresh = self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))["access_token"]
        self.assertEqual(it.jwt_parts(fresh)[0]["kid"], new_kid)
        self.assertTrue(self.introspect(t, fresh)["active"])
        self.assertEqual(self.server.get("/health/ready").status, 200)
        # The list shows the states.
        self.admin._token = None
        listed = {k["kid"]: k for k in self.admin.ok("GET", "/admin/v1/SigningKeys")["Resources"]}
        self.assertEqual(listed[old_kid]["state"], "revoked")
        self.assertEqual(listed[new_kid]["state"], "active")
        self.assertNotIn("PRIVATE", json.dumps(listed))
        # Again: still revoked, nothing else changes. An unknown kid: 404.
        r = self.admin.call("POST", "/admin/v1/SigningKeys/%s/revoke" % old_kid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["activeKid"], new_kid)
        r = self.admin.call("POST", "/admin/v1/SigningKeys/no-such-kid/revoke")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["schemas"], ["urn:ietf:params:scim:api:messages:2.0:Error"])

    def test_revoking_a_retired_key_keeps_the_active_one(self):
        t = self.tenant(allowedOperations=["introspect"])
        before = self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))["access_token"]
        retired = it.jwt_parts(before)[0]["kid"]
        active = self.admin.ok("POST", "/admin/v1/SigningKeys/rotate")["kid"]
        self.assertIn(retired, self.jwks_kids())  # rotation keeps it published
        self.assertTrue(self.introspect(t, before)["active"])
        r = self.admin.call("POST", "/admin/v1/SigningKeys/%s/revoke" % retired)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["activeKid"], active)
        self.assertNotIn(retired, self.jwks_kids())
        self.assertEqual(self.introspect(t, before), {"active": False})
        after = self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))["access_token"]
        self.assertEqual(it.jwt_parts(after)[0]["kid"], active)

    def test_revocation_needs_an_administrator(self):
        kid = self.jwks_kids()[0]
        r = self.server.request("POST", "/admin/v1/SigningKeys/%s/revoke" % kid)
        self.assertEqual(r.status, 401, r)
        self.assertIn(kid, self.jwks_kids())

    def test_cli_keys_list_and_revoke(self):
        out = self.cli("keys", "list")
        header = out.splitlines()[0].split()
        self.assertEqual(header[:3], ["kid", "alg", "state"])
        active = [l.split()[0] for l in out.splitlines()[1:] if l.split()[2:3] == ["active"]]
        self.assertEqual(len(active), 1, out)
        out = self.cli("keys", "revoke", active[0])
        self.assertIn("state: revoked", out.splitlines())
        self.assertNotIn(active[0], self.jwks_kids())
        self.admin._token = None  # the old admin token was signed by the revoked key
        out = self.cli("keys", "list")
        row = [l for l in out.splitlines() if l.startswith(active[0])]
        self.assertEqual(len(row), 1, out)
        self.assertEqual(row[0].split()[2], "revoked")

    # ---- 3. client secrets can be rotated
    def test_regenerated_secret_replaces_the_old_one_at_once(self):
        t = self.tenant()
        self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))
        r = self.admin.call("POST", REGENERATOR, {"appId": t.app["id"], "schemas": [REGENERATOR_SCHEMA]})
        self.assertEqual(r.status, 201, r)
        body = r.json()
        self.assertEqual(body["appId"], t.app["id"])
        secret = body["clientSecret"]
        self.assertNotEqual(secret, t.secret)
        self.assertRegex(secret, r"^[A-Za-z0-9._~-]{43,}$")
        # The old secret is refused from the very next request; the new one works.
        self.assertClientAuthFailed(cc_token(self.server, t.auth, t.fqs), True)
        self.assertTokenOk(cc_token(self.server, (t.client_id, secret), t.fqs))
        # Shown once: not in the app's view.
        self.assertNotIn(secret, self.admin.call("GET", "/admin/v1/Apps/" + t.app["id"]).body.decode())

    def test_regeneration_refusals(self):
        resource = self.admin.create_resource()
        r = self.admin.call("POST", REGENERATOR, {"appId": resource["id"], "schemas": [REGENERATOR_SCHEMA]})
        self.assertEqual(r.status, 400, r)
        r = self.admin.call("POST", REGENERATOR, {"appId": "no-such-app", "schemas": [REGENERATOR_SCHEMA]})
        self.assertEqual(r.status, 404, r)
        r = self.admin.call("POST", REGENERATOR, {"schemas": [REGENERATOR_SCHEMA]})
        self.assertEqual(r.status, 400, r)
        t = self.tenant()
        r = self.server.request("POST", REGENERATOR, json.dumps({"appId": t.app["id"]}),
                                {"Content-Type": "application/json"})
        self.assertEqual(r.status, 401, r)
        self.assertTokenOk(cc_token(self.server, t.auth, t.fqs))  # unchanged

    def test_cli_regenerate_secret_prints_it_once(self):
        t = self.tenant()
        out = self.cli("apps", "regenerate-secret", t.app["id"])
        lines = [l for l in out.splitlines() if l.startswith("clientSecret: ")]
        self.assertEqual(len(lines), 1, out)
        secret = lines[0].split(": ", 1)[1]
        self.assertClientAuthFailed(cc_token(self.server, t.auth, t.fqs), True)
        self.assertTokenOk(cc_token(self.server, (t.client_id, secret), t.fqs))

    def test_a_new_bootstrap_secret_at_start_replaces_the_stored_one(self):
        data = os.path.join(self.work, it.unique("boot"))
        admin_id = "boot-admin"
        first, second = "first-secret-" + uuid.uuid4().hex, "second-secret-" + uuid.uuid4().hex
        server = it.Server(data, admin=(admin_id, first)).start()
        try:
            self.assertTokenOk(cc_token(server, (admin_id, first), it.MYSCOPES))
        finally:
            server.stop()
        # The operator's secret is stored with Argon2id, never in the clear.
        with sqlite3.connect(os.path.join(data, "tessera.db")) as db:
            (stored,) = db.execute("SELECT secret_hash FROM apps WHERE client_id = ?", (admin_id,)).fetchone()
        self.assertTrue(stored.startswith("$argon2id$"), stored)
        self.assertNotIn(first, stored)
        server = it.Server(data, admin=(admin_id, second)).start()
        try:
            self.assertClientAuthFailed(cc_token(server, (admin_id, first), it.MYSCOPES), True)
            self.assertTokenOk(cc_token(server, (admin_id, second), it.MYSCOPES))
            log = open(server.log_path, errors="replace").read()
            self.assertIn("differs from the stored secret", log)
            self.assertNotIn(second, log)
            self.assertNotIn(first, log)
        finally:
            server.stop()
        # The same secret again: nothing to replace.
        server = it.Server(data, admin=(admin_id, second)).start()
        try:
            self.assertTokenOk(cc_token(server, (admin_id, second), it.MYSCOPES))
            self.assertEqual(open(server.log_path, errors="replace").read().count("differs from the stored secret"), 0)
        finally:
            server.stop()

    # ---- 5. tokeninfo applies the assertion rules to trust tokens
    def trust_issuer(self):
        issuer = "https://fusion-%s.example.com/" % uuid.uuid4().hex[:8]
        secret = ("tt-" + uuid.uuid4().hex + uuid.uuid4().hex).encode()
        self.admin.ok("POST", ISSUERS, {"issuer": issuer, "sharedSecret": secret.decode()}, status=201)
        return issuer, secret

    def hs(self, issuer, secret, header=None, **claims):
        now = int(time.time())
        c = {"iss": issuer, "iat": now, "exp": now + 300}
        c.update(claims)
        return it.make_jwt(header or {"alg": "HS256", "typ": "JWT"}, {k: v for k, v in c.items() if v is not None},
                           hmac_key=secret)

    def test_tokeninfo_refuses_forever_tokens_and_principals_that_are_no_user(self):
        issuer, secret = self.trust_issuer()
        user = self.admin.create_user()
        now = int(time.time())
        # The reviewer's token: exp in year 5138, iat ten years ago, prn no user.
        forever = self.hs(issuer, secret, iat=now - 10 * YEAR, exp=99999999999, prn="nobody-at-all")
        self.assertOAuthError(self.tokeninfo(forever), 400, "invalid_token")
        # Each rule alone.
        self.assertOAuthError(self.tokeninfo(self.hs(issuer, secret, iat=now - 10 * YEAR, exp=99999999999,
                                                     prn=user["userName"])), 400, "invalid_token", "at most 3600")
        self.assertOAuthError(self.tokeninfo(self.hs(issuer, secret, exp=now + 7200, prn=user["userName"])),
                              400, "invalid_token", "at most 3600")
        self.assertOAuthError(self.tokeninfo(self.hs(issuer, secret, prn="nobody-at-all")), 400, "invalid_token",
                              "not a user")
        self.assertOAuthError(self.tokeninfo(self.hs(issuer, secret, prn=None, sub="nobody-at-all")), 400,
                              "invalid_token", "not a user")
        self.assertOAuthError(self.tokeninfo(self.hs(issuer, secret, nbf=now + 600, prn=user["userName"])), 400,
                              "invalid_token", "not yet valid")
        self.assertOAuthError(self.tokeninfo(self.hs(issuer, secret, exp=None, prn=user["userName"])), 400,
                              "invalid_token")
        # A well-formed token for an active user is accepted; once the user is inactive, not.
        good = self.hs(issuer, secret, prn=user["userName"])
        self.assertEqual(self.tokeninfo(good).status, 200, self.tokeninfo(good))
        self.admin.ok("PATCH", "/admin/v1/Users/" + user["id"], {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}]})
        self.assertOAuthError(self.tokeninfo(good), 400, "invalid_token", "not an active user")

    def test_tokeninfo_does_not_tell_which_issuers_exist_or_their_algorithm(self):
        issuer, secret = self.trust_issuer()
        user = self.admin.create_user()
        unknown = self.hs("https://never-registered-%s.example.com/" % uuid.uuid4().hex[:6], secret,
                          prn=user["userName"])
        wrong_key = self.hs(issuer, b"w" * 48, prn=user["userName"])
        wrong_alg = self.hs(issuer, secret, header={"alg": "HS384"}, prn=user["userName"])
        rs_header = self.hs(issuer, secret, header={"alg": "RS256"}, prn=user["userName"])
        descriptions = set()
        for token in (unknown, wrong_key, wrong_alg, rs_header):
            body = self.assertOAuthError(self.tokeninfo(token), 400, "invalid_token")
            descriptions.add(body["error_description"])
        self.assertEqual(len(descriptions), 1, descriptions)
        self.assertNotIn("HS256", descriptions.pop())

    # ---- 7. audit retention is a setting
    def test_audit_retention_setting(self):
        data = os.path.join(self.work, it.unique("retention"))
        server = it.Server(data, extra_args=["--audit-retention", "86400"]).start()
        try:
            self.assertEqual(server.get("/health").status, 200)
        finally:
            server.stop()
        p = subprocess.run([it.TESSERA, "serve", "--listen", "127.0.0.1:0", "--data-dir", data,
                            "--audit-retention", "ninety days"], capture_output=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("audit_retention", p.stderr.decode(errors="replace"))


if __name__ == "__main__":
    it.main()
