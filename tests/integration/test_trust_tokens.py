"""Fusion trust tokens end to end: issuer registration (HS256 shared secret, RS256 certificate),
validation at /oauth2/v1/tokeninfo (GET and POST), every refusal as invalid_token, and trust
tokens minted by /oauth2/v1/trusttoken."""

import json
import os
import subprocess
import time
import urllib.parse
import uuid

import tessera_it as it

ISSUERS = "/admin/v1/TrustTokenIssuers"


def trust_claims(issuer, principal="fusion.user", ttl=600, **extra):
    now = int(time.time())
    c = {"iss": issuer, "prn": principal, "sub": principal, "iat": now, "exp": now + ttl,
         "jti": str(uuid.uuid4())}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


class TrustTokenTest(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # An HS256 issuer with a 48-byte secret and an RS256 issuer with a certificate.
        cls.hs_issuer = "https://fusion-%s.example.com/hs" % uuid.uuid4().hex[:8]
        cls.hs_secret = "s3cret-" + uuid.uuid4().hex + "-padding!"  # 48 bytes
        cls.admin.ok("POST", ISSUERS, {"issuer": cls.hs_issuer, "sharedSecret": cls.hs_secret}, status=201)
        cls.rs_issuer = "https://fusion-%s.example.com/rs" % uuid.uuid4().hex[:8]
        cls.rs_alias = it.unique("fusion")
        cls.rs_keys = it.generate_keys(cls.rs_alias, cls.work)
        cls.admin.ok("POST", ISSUERS, {"issuer": cls.rs_issuer, "certAlias": cls.rs_alias,
                                       "x509Base64Certificate": it.cert_b64(cls.rs_keys["cer"])}, status=201)
        # A trust token's principal is the userName of an active user of the domain.
        for name in ("fusion.user", "alice.fusion", "bob.fusion", "carol"):
            cls.admin.create_user(name)

    # ---- helpers
    def tokeninfo(self, token, method="GET"):
        if method == "GET":
            return self.server.get("/oauth2/v1/tokeninfo?" + it.form([("id_token", token)]))
        return self.server.post_form("/oauth2/v1/tokeninfo", [("id_token", token)])

    def accepted(self, token):
        for method in ("GET", "POST"):
            r = self.tokeninfo(token, method)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("Cache-Control"), "no-store", r)
        return r.json()

    def refused(self, token, part=None):
        for method in ("GET", "POST"):
            body = self.assertOAuthError(self.tokeninfo(token, method), 400, "invalid_token", part)
            self.assertTrue(body.get("error_description"))
        return body

    def hs(self, claims, secret=None, header=None):
        return it.make_jwt(header or {"alg": "HS256", "typ": "JWT"}, claims,
                           hmac_key=(secret if secret is not None else self.hs_secret.encode()))

    def rs(self, claims, key=None, header=None):
        return it.make_jwt(header or {"alg": "RS256", "typ": "JWT"}, claims, key or self.rs_keys["key"])

    def trust_app(self, operations=("trustToken",)):
        app = self.admin.create_client(grants=("client_credentials",), allowedOperations=list(operations))
        return app["name"], app["clientSecret"]

    # ---- registration
    def test_issuers_listed_without_secrets(self):
        body = self.admin.ok("GET", ISSUERS)
        by_issuer = {r["issuer"]: r for r in body["Resources"]}
        self.assertEqual(by_issuer[self.hs_issuer]["algorithm"], "HS256")
        self.assertEqual(by_issuer[self.rs_issuer]["algorithm"], "RS256")
        self.assertEqual(by_issuer[self.rs_issuer]["certAlias"], self.rs_alias)
        self.assertNotIn(self.hs_secret, self.admin.call("GET", ISSUERS).body.decode())

    def test_short_shared_secret_refused(self):
        r = self.admin.call("POST", ISSUERS, {"issuer": it.unique("short"), "sharedSecret": "x" * 31})
        self.assertEqual(r.status, 400, r)
        self.assertIn("at least 32 bytes", r.body.decode())
        r = self.admin.call("POST", ISSUERS, {"issuer": it.unique("exact"), "sharedSecret": "x" * 32})
        self.assertEqual(r.status, 201, r)

    def test_registration_needs_secret_xor_certificate_and_an_admin(self):
        r = self.admin.call("POST", ISSUERS, {"issuer": it.unique("none")})
        self.assertEqual(r.status, 400, r)
        r = self.admin.call("POST", ISSUERS, {"issuer": it.unique("both"), "sharedSecret": "y" * 40,
                                               "certAlias": "a", "x509Base64Certificate": it.cert_b64(self.rs_keys["cer"])})
        self.assertEqual(r.status, 400, r)
        r = self.admin.call("POST", ISSUERS, {"issuer": self.server.issuer, "sharedSecret": "y" * 40})
        self.assertEqual(r.status, 400, r)
        r = self.admin.call("POST", ISSUERS, {"issuer": self.hs_issuer, "sharedSecret": "z" * 40})
        self.assertEqual(r.status, 409, r)
        r = self.server.request("POST", ISSUERS, '{"issuer":"x","sharedSecret":"%s"}' % ("q" * 40),
                                {"Content-Type": "application/json"})
        self.assertEqual(r.status, 401, r)

    def test_delete_issuer_url_encoded(self):
        issuer = "https://del-%s.example.com/a b?c" % uuid.uuid4().hex[:6]
        secret = b"d" * 40
        self.admin.ok("POST", ISSUERS, {"issuer": issuer, "sharedSecret": secret.decode()}, status=201)
        token = self.hs(trust_claims(issuer), secret=secret)
        self.accepted(token)
        r = self.admin.call("DELETE", ISSUERS + "/" + urllib.parse.quote(issuer, safe=""))
        self.assertEqual(r.status, 204, r)
        self.refused(token, "unknown issuer")
        self.assertNotIn(issuer, [x["issuer"] for x in self.admin.ok("GET", ISSUERS)["Resources"]])
        r = self.admin.call("DELETE", ISSUERS + "/" + urllib.parse.quote(issuer, safe=""))
        self.assertEqual(r.status, 404, r)

    # ---- valid tokens
    def test_valid_hs256_token(self):
        c = trust_claims(self.hs_issuer, principal="alice.fusion", custom="kept")
        got = self.accepted(self.hs(c))
        self.assertEqual(got, c)

    def test_valid_rs256_token(self):
        c = trust_claims(self.rs_issuer, principal="bob.fusion")
        got = self.accepted(self.rs(c))
        self.assertEqual(got, c)
        # x5t/kid in the header change nothing: the key is the registered certificate.
        self.accepted(self.rs(c, header={"alg": "RS256", "kid": "whatever", "x5t": it.x5t(self.rs_keys["cer"])}))

    def test_prn_or_sub_alone_suffices(self):
        self.assertEqual(self.accepted(self.hs(trust_claims(self.hs_issuer, sub=None)))["prn"], "fusion.user")
        self.assertEqual(self.accepted(self.hs(trust_claims(self.hs_issuer, prn=None)))["sub"], "fusion.user")

    # ---- refusals
    def test_tampered_token_refused(self):
        token = self.hs(trust_claims(self.hs_issuer, principal="carol"))
        h, c, s = token.split(".")
        claims = it.jwt_parts(token)[1]
        claims["prn"] = claims["sub"] = "administrator"
        self.refused(h + "." + it.b64url(json.dumps(claims)) + "." + s, "signature")
        rtoken = self.rs(trust_claims(self.rs_issuer))
        h, c, s = rtoken.split(".")
        sig = bytearray(it.b64url_decode(s))
        sig[10] ^= 1
        self.refused(h + "." + c + "." + it.b64url(bytes(sig)), "signature")

    def test_expired_token_refused(self):
        now = int(time.time())
        self.refused(self.hs(trust_claims(self.hs_issuer, iat=now - 4000, exp=now - 600)), "expired")
        self.refused(self.rs(trust_claims(self.rs_issuer, iat=now - 4000, exp=now - 600)), "expired")

    def test_iat_in_future_refused(self):
        now = int(time.time())
        self.refused(self.hs(trust_claims(self.hs_issuer, iat=now + 900, exp=now + 1800)))

    def test_missing_iat_refused(self):
        self.refused(self.hs(trust_claims(self.hs_issuer, iat=None)), "no iat")

    def test_no_principal_refused(self):
        self.refused(self.hs(trust_claims(self.hs_issuer, prn=None, sub=None)), "names no principal")
        self.refused(self.hs(trust_claims(self.hs_issuer, prn="", sub="")), "names no principal")
        self.refused(self.rs(trust_claims(self.rs_issuer, prn=None, sub=None)), "names no principal")

    def test_wrong_secret_refused(self):
        self.refused(self.hs(trust_claims(self.hs_issuer), secret=b"w" * 48), "signature")
        # Signed with another RSA key than the registered certificate's.
        other = it.generate_keys(it.unique("other"), self.work)
        self.refused(self.rs(trust_claims(self.rs_issuer), key=other["key"]), "signature")

    def test_unknown_issuer_refused(self):
        self.refused(self.hs(trust_claims("https://nobody.example.com/")), "unknown issuer")
        self.refused(self.hs(trust_claims(None)), "no iss")

    def test_alg_none_refused(self):
        for issuer in (self.hs_issuer, self.rs_issuer):
            c = trust_claims(issuer)
            self.refused(it.make_jwt({"alg": "none"}, c))
            self.refused(it.make_jwt({"alg": "none"}, c) + "AAAA")
            self.refused(it.make_jwt({"alg": "None", "typ": "JWT"}, c))

    def test_hs256_keyed_with_rs256_issuers_public_key_refused(self):
        with open(self.rs_keys["cert"], "rb") as f:
            cert_pem = f.read()
        cert_der = it.der_of(self.rs_keys["cer"])
        pub_pem = subprocess.run(["openssl", "x509", "-in", self.rs_keys["cert"], "-pubkey", "-noout"],
                                 capture_output=True, check=True, timeout=30).stdout
        pub_der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub_pem,
                                 capture_output=True, check=True, timeout=30).stdout
        self.assertTrue(pub_pem.startswith(b"-----BEGIN PUBLIC KEY-----"))
        c = trust_claims(self.rs_issuer)
        for secret in (pub_pem, pub_pem.strip(), pub_der, cert_pem, cert_der):
            for header in ({"alg": "HS256"}, {"alg": "HS256", "typ": "JWT"}):
                self.refused(self.hs(c, secret=secret, header=header), "signature")

    def test_time_claims_checked(self):
        now = int(time.time())
        self.refused(self.hs(trust_claims(self.hs_issuer, exp=None)), '"exp"')
        self.refused(self.hs(trust_claims(self.hs_issuer, exp=str(now + 300))), "must be a JSON number")
        self.refused(self.hs(trust_claims(self.hs_issuer, iat=now * 1000)), "milliseconds")
        self.refused(self.hs(trust_claims(self.hs_issuer, nbf=now + 600)), "not yet valid")

    def test_principal_must_be_a_string(self):
        self.refused(self.hs(trust_claims(self.hs_issuer, prn=5, sub=None)), "names no principal")

    def test_other_hmac_algorithm_refused(self):
        # The same answer as an unknown issuer: nothing tells the issuer's algorithm.
        self.refused(self.hs(trust_claims(self.hs_issuer), header={"alg": "HS384"}), "signature not verified")
        self.refused(self.hs(trust_claims(self.hs_issuer), header={"alg": "RS256"}))

    def test_expired_issuer_certificate_refused_at_registration(self):
        now = int(time.time())
        _, cert = it.cert_with_dates(self.work, it.unique("old"), it.utc_stamp(now - 10 * 86400),
                                     it.utc_stamp(now - 86400))
        r = self.admin.call("POST", ISSUERS, {"issuer": it.unique("old"), "certAlias": "old",
                                               "x509Base64Certificate": it.cert_b64(cert)})
        self.assertEqual(r.status, 400, r)
        self.assertIn("expired", r.json()["detail"])

    def test_rs256_token_for_hs256_issuer_refused(self):
        self.refused(self.rs(trust_claims(self.hs_issuer)), "signature")

    def test_missing_or_garbage_id_token(self):
        self.assertOAuthError(self.server.get("/oauth2/v1/tokeninfo"), 400, "invalid_token", "id_token is required")
        self.assertOAuthError(self.server.post_form("/oauth2/v1/tokeninfo", []), 400, "invalid_token")
        self.refused("not-a-jwt", "not a valid JWT")
        self.refused("a.b.c", "not a valid JWT")

    def test_tessera_access_token_is_not_a_trust_token(self):
        tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)],
                                                   auth=(it.ADMIN_ID, it.ADMIN_SECRET)))["access_token"]
        self.refused(tok, "not a trust token")

    # ---- minting at /oauth2/v1/trusttoken
    def test_mint_for_active_user_validates_at_tokeninfo(self):
        client_id, secret = self.trust_app()
        user = self.admin.create_user()
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])], auth=(client_id, secret))
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["token_type"], "JWT")
        self.assertEqual(body["expires_in"], 14400)
        self.assertEqual(body["principal"], user["userName"])
        header, c = it.jwt_parts(body["access_token"])
        self.assertEqual(c["tok_type"], "TT")
        self.assertEqual(c["exp"] - c["iat"], 14400)
        got = self.accepted(body["access_token"])
        self.assertEqual(got["iss"], self.server.issuer)
        self.assertEqual(got["sub"], user["userName"])
        self.assertEqual(got["prn"], user["userName"])
        self.assertEqual(got["user_id"], user["id"])
        self.assertEqual(got["client_id"], client_id)
        # Client authentication in the form works too.
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"]), ("client_id", client_id),
                                                           ("client_secret", secret)])
        self.assertEqual(r.status, 200, r)
        # A minted token with one claim changed no longer validates.
        h, _, s = body["access_token"].split(".")
        c["sub"] = c["prn"] = "someone-else"
        self.refused(h + "." + it.b64url(json.dumps(c)) + "." + s, "signature")

    def test_minted_token_survives_key_rotation_and_resists_alg_swaps(self):
        client_id, secret = self.trust_app()
        user = self.admin.create_user()
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])], auth=(client_id, secret))
        self.assertEqual(r.status, 200, r)
        token = r.json()["access_token"]
        header, c = it.jwt_parts(token)
        self.admin.ok("POST", "/admin/v1/SigningKeys/rotate")
        self.accepted(token)  # the old key stays published
        self.refused(it.make_jwt(dict(header, alg="none"), c), "alg none")
        self.refused(it.make_jwt(dict(header, alg="HS256"), c, hmac_key=secret.encode()), "pinned to RS256")
        self.refused(it.make_jwt(dict(header, kid="no-such-kid"), c, hmac_key=b"x" * 40), "unknown signing key")

    def test_minted_token_follows_its_user_and_app(self):
        app = self.admin.create_client(grants=("client_credentials",), allowedOperations=["trustToken"])
        user = self.admin.create_user()
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])],
                                  auth=(app["name"], app["clientSecret"]))
        self.assertEqual(r.status, 200, r)
        token = r.json()["access_token"]
        self.accepted(token)
        patch = lambda active: self.admin.ok("PATCH", "/admin/v1/Users/" + user["id"], {
            "Operations": [{"op": "replace", "path": "active", "value": active}]})
        patch(False)
        self.refused(token, "user '%s' is not active" % user["userName"])
        patch(True)
        self.accepted(token)
        self.admin.activate(app["id"], False)
        self.refused(token, "client %s is not active" % app["name"])
        self.admin.activate(app["id"], True)
        self.accepted(token)
        # Deleted, then created again under the same name: a new user, whom the token does not name.
        self.assertEqual(self.admin.call("DELETE", "/admin/v1/Users/" + user["id"]).status, 204)
        self.refused(token, "no longer exists")
        self.admin.create_user(user["userName"])
        self.refused(token, "no longer exists")

    def test_mint_refused_for_inactive_app(self):
        app = self.admin.create_client(grants=("client_credentials",), allowedOperations=["trustToken"])
        self.admin.activate(app["id"], False)
        user = self.admin.create_user()
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])],
                                  auth=(app["name"], app["clientSecret"]))
        self.assertClientAuthFailed(r, True)

    def test_mint_refused_without_trust_token_operation(self):
        client_id, secret = self.trust_app(operations=())
        user = self.admin.create_user()
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])], auth=(client_id, secret))
        self.assertOAuthError(r, 400, "unauthorized_client", "is not allowed the trustToken operation")
        client_id, secret = self.trust_app(operations=("introspect",))
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])], auth=(client_id, secret))
        self.assertOAuthError(r, 400, "unauthorized_client", "is not allowed the trustToken operation")

    def test_mint_refused_for_unknown_user(self):
        client_id, secret = self.trust_app()
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", "nobody-" + uuid.uuid4().hex)],
                                  auth=(client_id, secret))
        body = self.assertOAuthError(r, 400, "invalid_grant", "no user with userName")
        self.assertNotIn("access_token", body)
        r = self.server.post_form("/oauth2/v1/trusttoken", [], auth=(client_id, secret))
        self.assertOAuthError(r, 400, "invalid_request", "sub (the userName) is required")

    def test_mint_refused_for_inactive_user(self):
        client_id, secret = self.trust_app()
        user = self.admin.create_user(active=False)
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])], auth=(client_id, secret))
        self.assertOAuthError(r, 400, "invalid_grant", "user '%s' is not active" % user["userName"])

    def test_mint_refused_without_client_authentication(self):
        client_id, secret = self.trust_app()
        user = self.admin.create_user()
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])], auth=(client_id, secret + "x"))
        self.assertClientAuthFailed(r, True)
        r = self.server.post_form("/oauth2/v1/trusttoken", [("sub", user["userName"])])
        self.assertEqual(r.status, 401, r)


if __name__ == "__main__":
    it.main()
