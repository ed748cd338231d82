"""Contract sections 1 and 5: introspection, revocation, discovery, health, readiness, metrics."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import tessera_it as it


class EndpointsTest(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)
        # A resource server allowed to introspect every token.
        cls.rs = cls.admin.create_client(grants=["client_credentials"], allowedOperations=["introspect"])
        cls.rs_auth = (cls.rs["name"], cls.rs["clientSecret"])

    def user_token(self):
        return self.assertTokenOk(self.t.grant(self.t.assertion(), self.t.fqs))["access_token"]

    def introspect(self, token, auth=None):
        r = self.server.post_form("/oauth2/v1/introspect", [("token", token)], auth=auth or self.t.auth)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        return r.json()

    def test_introspect_live_token(self):
        token = self.user_token()
        claims = it.jwt_parts(token)[1]
        for auth in (self.t.auth, self.rs_auth):
            info = self.introspect(token, auth)
            self.assertIs(info["active"], True)
            self.assertEqual(info["token_type"], "Bearer")
            for k in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti"):
                self.assertEqual(info[k], claims[k], k)
            self.assertEqual((info["sub"], info["client_id"], info["iss"]),
                             (self.t.user_name, self.t.client_id, self.server.issuer))

    def test_introspect_inactive_tokens(self):
        for garbage in ("garbage", "a.b.c", it.make_jwt({"alg": "none"}, {"sub": "x"}), ""):
            self.assertEqual(self.introspect(garbage), {"active": False}, garbage)
        # A token signed by someone else (the tenant's key, a kid the server never issued).
        h, c, s = self.user_token().split(".")
        forged = it.make_jwt({"alg": "RS256", "kid": it.jwt_parts(h + "." + c + "." + s)[0]["kid"]},
                             it.jwt_parts(h + "." + c + "." + s)[1], self.t.keys["key"])
        self.assertEqual(self.introspect(forged), {"active": False})
        # Another app's token is not disclosed to a client without the introspect operation.
        other = self.admin.create_client(grants=["client_credentials"])
        self.assertEqual(self.introspect(self.user_token(), (other["name"], other["clientSecret"])), {"active": False})

    def set_user_active(self, user, active):
        self.admin.ok("PATCH", "/admin/v1/Users/" + user["id"],
                      {"Operations": [{"op": "replace", "path": "active", "value": active}]})

    def test_introspect_follows_the_user_and_the_client(self):
        # RFC 7662 2.2: a token whose user or client is deactivated or deleted is not active.
        t = it.Tenant(self.server, self.admin, self.work)
        token = self.assertTokenOk(t.grant(t.assertion(), t.fqs))["access_token"]
        self.assertIs(self.introspect(token, self.rs_auth)["active"], True)
        self.set_user_active(t.user, False)
        self.assertEqual(self.introspect(token, self.rs_auth), {"active": False})
        self.assertEqual(self.introspect(token, t.auth), {"active": False})
        self.set_user_active(t.user, True)  # not revoked: active again with its user
        self.assertIs(self.introspect(token, self.rs_auth)["active"], True)
        self.admin.activate(t.app["id"], False)
        self.assertEqual(self.introspect(token, self.rs_auth), {"active": False})
        self.admin.activate(t.app["id"], True)
        self.assertIs(self.introspect(token, self.rs_auth)["active"], True)
        # A user deleted and created again under the same name does not inherit the old tokens.
        self.assertEqual(self.admin.call("DELETE", "/admin/v1/Users/" + t.user["id"]).status, 204)
        self.assertEqual(self.introspect(token, self.rs_auth), {"active": False})
        self.admin.create_user(t.user_name)
        self.assertEqual(self.introspect(token, self.rs_auth), {"active": False})
        # The client's own client_credentials token follows the client alone.
        cc = self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=t.auth))
        self.assertIs(self.introspect(cc["access_token"], self.rs_auth)["active"], True)
        self.admin.activate(t.app["id"], False)
        self.assertEqual(self.introspect(cc["access_token"], self.rs_auth), {"active": False})

    def test_introspect_requires_client_authentication(self):
        r = self.server.post_form("/oauth2/v1/introspect", [("token", self.user_token())])
        self.assertOAuthError(r, 401, "invalid_client", it.AUTH_FAILED)
        r = self.server.post_form("/oauth2/v1/introspect", [("token", self.user_token())], auth=(self.t.client_id, "bad"))
        self.assertClientAuthFailed(r, basic_used=True)

    def test_revocation(self):
        token = self.user_token()
        other = self.user_token()
        r = self.server.post_form("/oauth2/v1/revoke", [("token", token)], auth=self.t.auth)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.introspect(token), {"active": False})
        self.assertEqual(self.introspect(token, self.rs_auth), {"active": False})
        self.assertIs(self.introspect(other)["active"], True)
        # RFC 7009 2.2: unknown tokens are answered 200 too; another client cannot revoke ours.
        self.assertEqual(self.server.post_form("/oauth2/v1/revoke", [("token", "garbage")], auth=self.t.auth).status, 200)
        r = self.server.post_form("/oauth2/v1/revoke", [("token", other)], auth=self.rs_auth)
        self.assertEqual(r.status, 200)
        self.assertIs(self.introspect(other)["active"], True)
        r = self.server.post_form("/oauth2/v1/revoke", [("token", other)], auth=(self.t.client_id, "bad"))
        self.assertClientAuthFailed(r, basic_used=True)

    def test_discovery_documents(self):
        base = self.server.base
        self.assertEqual(self.server.issuer, base)  # port 0: the issuer is the port bound
        for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
            r = self.server.get(path)
            self.assertEqual(r.status, 200, r)
            d = r.json()
            self.assertEqual(d["issuer"], self.server.issuer)
            self.assertEqual(d["token_endpoint"], base + "/oauth2/v1/token")
            self.assertEqual(d["jwks_uri"], base + "/admin/v1/SigningCert/jwk")
            self.assertEqual(d["introspection_endpoint"], base + "/oauth2/v1/introspect")
            self.assertEqual(d["revocation_endpoint"], base + "/oauth2/v1/revoke")
            self.assertEqual(set(d["grant_types_supported"]),
                             {"client_credentials", it.JWT_BEARER,
                              "urn:ietf:params:oauth:grant-type:token-exchange"})
            self.assertTrue({"client_secret_basic", "client_secret_post", "private_key_jwt"}
                            <= set(d["token_endpoint_auth_methods_supported"]))
            algs = d["token_endpoint_auth_signing_alg_values_supported"]
            self.assertIn("RS256", algs)
            self.assertFalse([a for a in algs if a == "none" or a.startswith("HS")], algs)
            self.assertIn(it.MYSCOPES, d["scopes_supported"])
        # The advertised endpoints work.
        jwks = self.server.get("/admin/v1/SigningCert/jwk").json()
        self.assertTrue(jwks["keys"])
        for k in jwks["keys"]:
            self.assertNotIn("d", k)
        token = self.user_token()
        self.assertEqual(it.jwt_parts(token)[1]["iss"], self.server.issuer)
        # The token endpoint URL is an accepted assertion audience.
        self.assertTokenOk(self.t.grant(self.t.assertion(aud=base + "/oauth2/v1/token"), self.t.fqs))

    def test_health_and_ready(self):
        for path in ("/health", "/health/live", "/ready", "/health/ready"):
            r = self.server.get(path)
            self.assertEqual(r.status, 200, (path, r))
            self.assertEqual(r.json()["status"], "UP")

    def test_metrics(self):
        self.user_token()
        self.t.grant(self.t.assertion(aud="https://nope.example/"), self.t.fqs)
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/plain"), r.header("Content-Type"))
        text = r.body.decode()
        names = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", text, re.M))
        self.assertTrue(names)
        self.assertEqual([n for n in names if not n.startswith("tessera_")], [], names)
        self.assertIn("# TYPE tessera_oauth_requests_total counter", text)
        self.assertRegex(text, r'tessera_oauth_requests_total\{[^}]*endpoint="token"[^}]*outcome="ok"[^}]*\} [1-9]')
        self.assertRegex(text, r'tessera_oauth_requests_total\{[^}]*reason="assertion_audience_rejected"[^}]*\} [1-9]')
        self.assertRegex(text, r"tessera_oauth_duration_seconds(_bucket|_sum|_count)")
        for line in text.splitlines():
            if line.startswith("# TYPE") and line.split()[3] == "counter":
                self.assertTrue(line.split()[2].endswith("_total"), line)

    def test_bootstrap_secret_too_short_is_refused(self):
        d = os.path.join(self.work, "short-secret")
        env = dict(os.environ, TESSERA_ADMIN_CLIENT_ID="other-admin", TESSERA_ADMIN_CLIENT_SECRET="short")
        p = subprocess.run([it.TESSERA, "serve", "--listen", "127.0.0.1:0", "--data-dir", d], env=env,
                           capture_output=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("at least 16 characters", p.stderr.decode())

    def test_unknown_route_and_method(self):
        r = self.server.get("/oauth2/v1/nothing")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"], "not_found", r)
        # The path exists for POST only: 405 with the methods it has (RFC 9110 15.5.6).
        r = self.server.get("/oauth2/v1/token")
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.json()["error"], "method_not_allowed", r)
        self.assertEqual(r.header("Allow"), "POST", r)


class SpecialCredentialsTest(unittest.TestCase):
    """RFC 6749 2.3.1 / contract section 2: Basic carries urlencode(id):urlencode(secret)."""

    def test_basic_credentials_are_url_decoded(self):
        work = tempfile.mkdtemp(prefix="tessera-it-")
        self.addCleanup(shutil.rmtree, work, True)
        cid, secret = "ops admin+1", "s3cret with space:colon&amp%25+plus"
        server = it.Server(os.path.join(work, "data"), admin=(cid, secret)).start()
        self.addCleanup(server.stop)
        pairs = [("grant_type", "client_credentials"), ("scope", it.MYSCOPES)]
        r = server.token(pairs, auth=(cid, secret))  # urlencoded, as the contract says
        self.assertEqual(r.status, 200, r)
        self.assertEqual(it.jwt_parts(r.json()["access_token"])[1]["sub"], cid, r)
        r = server.token(pairs + [("client_id", cid), ("client_secret", secret)])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(it.jwt_parts(r.json()["access_token"])[1]["sub"], cid, r)
        r = server.token(pairs, auth=(cid, secret[:-1]))
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error"], "invalid_client", r)


if __name__ == "__main__":
    it.main()
