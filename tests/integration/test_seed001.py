"""Seed 001: user assertions naming the certificate by x5t, by kid or by both, the expiry scope,
client_credentials, and the default of all allowed scopes."""

import time
import urllib.parse

import tessera_it as it


class Seed001Test(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)

    def token_claims(self, r):
        body = self.assertTokenOk(r)
        return body, it.jwt_parts(body["access_token"])[1]

    def test_x5t_only(self):
        a = self.t.cli_assertion("--x5t", "--cert", self.t.keys["cer"])
        h = it.jwt_parts(a)[0]
        self.assertEqual(h.get("x5t"), it.x5t(self.t.keys["cer"]))
        self.assertNotIn("kid", h)
        _, c = self.token_claims(self.t.grant(a, self.t.fqs))
        self.assertEqual(c["sub"], self.t.user_name)

    def test_x5t_s256_only(self):
        a = self.t.cli_assertion("--x5t-s256", "--cert", self.t.keys["cer"])
        h = it.jwt_parts(a)[0]
        self.assertEqual(h.get("x5t#S256"), it.x5t_s256(self.t.keys["cer"]))
        self.token_claims(self.t.grant(a, self.t.fqs))

    def test_kid_only(self):
        a = self.t.cli_assertion("--kid", self.t.alias)
        self.assertNotIn("x5t", it.jwt_parts(a)[0])
        self.token_claims(self.t.grant(a, self.t.fqs))

    def test_kid_and_x5t_as_in_the_python_example(self):
        header = {"alg": "RS256", "typ": "JWT", "kid": self.t.alias, "x5t": it.x5t(self.t.keys["cer"])}
        a = self.t.assertion(header=header)
        self.token_claims(self.t.grant(a, self.t.fqs))

    def test_x5t_wins_over_kid(self):
        # Rule 3 order: x5t first. A right x5t with a kid naming nothing still finds the key;
        # a wrong x5t with the right kid does not.
        good_x5t = {"alg": "RS256", "kid": "no-such-alias", "x5t": it.x5t(self.t.keys["cer"])}
        self.token_claims(self.t.grant(self.t.assertion(header=good_x5t), self.t.fqs))
        bad_x5t = {"alg": "RS256", "kid": self.t.alias, "x5t": it.b64url(b"\x01" * 20)}
        self.assertInvalidGrant(self.t.grant(self.t.assertion(header=bad_x5t), self.t.fqs),
                                "matches no certificate")

    def test_numeric_jti_as_in_the_example_header(self):
        # The seed's example carries "jti":12345 (a number): Tessera wants a string (rule 7).
        a = self.t.assertion(jti=12345)
        self.assertInvalidGrant(self.t.grant(a, self.t.fqs), "jti must be a non-empty string")

    def test_expiry_scope_sets_lifetime(self):
        r = self.t.grant(self.t.cli_assertion(), self.t.fqs + " urn:opc:resource:expiry=300")
        body, c = self.token_claims(r)
        self.assertEqual(body["expires_in"], 300)
        self.assertEqual(c["exp"] - c["iat"], 300)
        self.assertEqual(c["scope"], it.SCOPE_VALUE)

    def test_admin_myscopes_with_long_expiry(self):
        # The seed's scope line: __myscopes__ plus an expiry beyond an hour.
        r = self.server.token([("grant_type", "client_credentials"),
                               ("scope", it.MYSCOPES + " urn:opc:resource:expiry=86400")],
                              auth=(it.ADMIN_ID, it.ADMIN_SECRET))
        body, c = self.token_claims(r)
        self.assertEqual(body["expires_in"], 86400)
        self.assertEqual(c["sub_type"], "client")

    def test_python_requests_style_form(self):
        # The seed's Python example posts with requests: spaces as '+', charset in the type.
        body = urllib.parse.urlencode({"grant_type": it.JWT_BEARER,
                                       "scope": self.t.fqs + " urn:opc:resource:expiry=300",
                                       "assertion": self.t.cli_assertion()})
        self.assertIn("+urn", body)
        r = self.server.request("POST", "/oauth2/v1/token", body, {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "Authorization": it.basic(*self.t.auth)})
        body, c = self.token_claims(r)
        self.assertEqual(body["expires_in"], 300)

    def test_client_credentials(self):
        r = self.server.token([("grant_type", "client_credentials"), ("scope", self.t.fqs)], auth=self.t.auth)
        body, c = self.token_claims(r)
        self.assertEqual(body["expires_in"], 3600)
        self.assertEqual(c["sub"], self.t.client_id)
        self.assertEqual(c["sub_type"], "client")
        self.assertEqual(c["gtp"], "cc")
        self.assertEqual(c["aud"], self.t.audience)
        self.assertNotIn("user_id", c)
        self.assertLessEqual(abs(c["iat"] - time.time()), 60)

    def test_client_credentials_with_secret_in_body(self):
        r = self.server.token([("grant_type", "client_credentials"), ("client_id", self.t.client_id),
                               ("client_secret", self.t.secret)])
        self.token_claims(r)

    def test_no_scope_parameter_gives_all_allowed_scopes(self):
        other = self.admin.create_resource(values=("urn:opc:resource:consumer::all", "read"))
        fqs2 = other["audience"] + "read"
        app = self.admin.create_client(scopes=[self.t.fqs, fqs2], certs=[self.t.alias])
        r = self.server.token([("grant_type", "client_credentials")], auth=(app["name"], app["clientSecret"]))
        body, c = self.token_claims(r)
        self.assertEqual(sorted(body["scope"].split()), sorted([self.t.fqs, fqs2]))
        self.assertEqual(sorted(c["scope"].split()), sorted([it.SCOPE_VALUE, "read"]))
        self.assertEqual(sorted(c["aud"]), sorted([self.t.audience, other["audience"]]))
        # The same for a user assertion of that app.
        a = it.run([it.TESSERA, "assert", "--client-id", app["name"], "--sub", self.t.user_name,
                    "--key", self.t.keys["key"], "--kid", self.t.alias]).strip()
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", a)], auth=(app["name"], app["clientSecret"]))
        body, c = self.token_claims(r)
        self.assertEqual(sorted(body["scope"].split()), sorted([self.t.fqs, fqs2]))
        self.assertEqual(c["sub_type"], "user")


if __name__ == "__main__":
    it.main()
