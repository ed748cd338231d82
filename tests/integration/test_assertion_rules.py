"""Contract section 2: one rejection per acceptance rule of a user assertion, the client
authentication failures, private_key_jwt, and that a rejected assertion does not burn its jti."""

import json
import time
import uuid

import tessera_it as it


class AssertionRulesTest(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)
        cls.other = it.Tenant(cls.server, cls.admin, cls.work)  # another app, its own key

    def reject(self, assertion, part, scope=None):
        return self.assertInvalidGrant(self.t.grant(assertion, scope or self.t.fqs), part)

    def signed_raw(self, header_json, claims_json):
        return it.make_jwt(header_json, claims_json, self.t.keys["key"])

    # ---- rule 1: syntax
    def test_rule1_not_a_jws(self):
        self.reject("not-a-jwt", "assertion is not a valid JWT")
        self.reject("a.b", "assertion is not a valid JWT")

    def test_rule1_padding(self):
        a = self.t.assertion()
        h, c, s = a.split(".")
        self.assertEqual(len(h) % 4 != 0, True)  # so that '=' padding would be added
        padded = h + "=" * (-len(h) % 4) + "." + c + "." + s
        self.reject(padded, "assertion is not a valid JWT")

    def test_rule1_duplicate_members(self):
        c = it.claims(self.t.client_id, self.t.user_name)
        body = json.dumps(c)[:-1] + ', "sub": "' + self.other.user_name + '"}'
        self.reject(self.signed_raw('{"alg":"RS256","kid":"%s"}' % self.t.alias, body), "assertion is not a valid JWT")
        dup_header = '{"alg":"RS256","kid":"%s","alg":"none"}' % self.t.alias
        self.reject(self.signed_raw(dup_header, json.dumps(c)), "assertion is not a valid JWT")

    def test_rule1_claims_not_an_object(self):
        self.reject(self.signed_raw('{"alg":"RS256","kid":"%s"}' % self.t.alias, '["a"]'), "assertion is not a valid JWT")

    def test_rule1_too_large(self):
        a = self.t.assertion(pad="x" * 40000)  # 32 KiB bound, below the 64 KiB body limit
        self.reject(a, "assertion is not a valid JWT")

    # ---- rule 2: header
    def test_rule2_alg_none(self):
        c = it.claims(self.t.client_id, self.t.user_name)
        r = self.t.grant(it.make_jwt({"alg": "none", "kid": self.t.alias}, c), self.t.fqs)
        self.assertInvalidGrant(r, "assertion header rejected")

    def test_rule2_hs256(self):
        c = it.claims(self.t.client_id, self.t.user_name)
        a = it.make_jwt({"alg": "HS256", "kid": self.t.alias}, c, hmac_key=self.t.secret.encode())
        r = self.t.grant(a, self.t.fqs)
        body = self.assertOAuthError(r, 400, "invalid_grant")
        self.assertRegex(body["error_description"], "alg HS256 is not allowed|header rejected")

    def test_rule2_alg_not_allowed_for_the_app(self):
        a = self.t.cli_assertion("--alg", "PS256")
        self.assertEqual(it.jwt_parts(a)[0]["alg"], "PS256")
        self.reject(a, "assertion alg PS256 is not allowed for client " + self.t.client_id + "; allowed: RS256")

    def test_rule2_alg_allowed_per_app(self):
        t = self.tenant(assertionAlgorithms=["PS256"])
        self.assertTokenOk(t.grant(t.cli_assertion("--alg", "PS256"), t.fqs))
        self.assertInvalidGrant(t.grant(t.cli_assertion("--alg", "RS256"), t.fqs), "alg RS256 is not allowed")

    def test_rule2_jwk_header(self):
        jwk = {"kty": "RSA", "n": it.b64url(b"\xc1" * 256), "e": "AQAB"}
        self.reject(self.t.assertion(header_extra={"jwk": jwk}), "assertion header rejected")

    def test_rule2_unknown_crit(self):
        self.reject(self.t.assertion(header_extra={"crit": ["urn:x"], "urn:x": True}), "assertion header rejected")

    # ---- rule 3: key
    def test_rule3_unknown_kid_lists_aliases(self):
        body = self.reject(self.t.assertion(header_extra={"kid": "nope"}),
                           "assertion kid 'nope' matches no certificate attached to client " + self.t.client_id)
        self.assertIn("(aliases: " + self.t.alias + ")", body["error_description"])

    def test_rule3_no_key_reference(self):
        self.reject(self.t.assertion(header={"alg": "RS256", "typ": "JWT"}), "names no key")

    def test_rule3_x5t_matching_nothing(self):
        self.reject(self.t.assertion(header={"alg": "RS256", "x5t": it.b64url(b"\x02" * 20)}),
                    "matches no certificate attached to client")

    def test_rule3_bad_signature(self):
        # The right kid, signed with another key.
        self.reject(self.t.assertion(key=self.other.keys["key"]), "signature does not verify")
        # A flipped byte of a valid signature.
        h, c, s = self.t.assertion().split(".")
        sig = bytearray(it.b64url_decode(s))
        sig[10] ^= 0x01
        self.reject(h + "." + c + "." + it.b64url(bytes(sig)), "signature does not verify")

    def test_rule3_key_of_another_app(self):
        a = self.t.assertion(header={"alg": "RS256", "kid": self.other.alias}, key=self.other.keys["key"])
        self.reject(a, "kid '" + self.other.alias + "' matches no certificate attached to client " + self.t.client_id)
        a = self.t.assertion(header={"alg": "RS256", "x5t": it.x5t(self.other.keys["cer"])}, key=self.other.keys["key"])
        self.reject(a, "matches no certificate attached to client " + self.t.client_id)

    # ---- rule 4: iss
    def test_rule4_iss_not_the_client(self):
        self.reject(self.t.assertion(iss=self.other.client_id),
                    "assertion iss '" + self.other.client_id + "' is not the client id " + self.t.client_id)
        self.reject(self.t.assertion(iss=None), "assertion iss missing is not the client id")

    # ---- rule 5: aud
    def test_rule5_audience_not_accepted(self):
        body = self.reject(self.t.assertion(aud="https://other-as.example.com/"),
                           "assertion audience \"https://other-as.example.com/\" is not accepted; expected one of")
        for accepted in (self.server.issuer, self.server.issuer + "/oauth2/v1/token", it.ORACLE_AUD):
            self.assertIn(accepted, body["error_description"])

    def test_rule5_accepted_audiences(self):
        for aud in (self.server.issuer, self.server.issuer + "/", self.server.issuer + "/oauth2/v1/token",
                    "https://identity.oraclecloud.com", [self.server.issuer, "https://x.example"]):
            self.assertTokenOk(self.t.grant(self.t.assertion(aud=aud), self.t.fqs))

    # ---- rule 6: times
    def test_rule6_expired(self):
        now = int(time.time())
        self.reject(self.t.assertion(iat=now - 400, exp=now - 100), "assertion expired at ")

    def test_rule6_exp_as_string(self):
        self.reject(self.t.assertion(exp=str(int(time.time()) + 300)), "must be a JSON number")

    def test_rule6_exp_in_milliseconds(self):
        now = int(time.time())
        self.reject(self.t.assertion(iat=now, exp=(now + 300) * 1000), "milliseconds")

    def test_rule6_exp_missing(self):
        self.reject(self.t.assertion(exp=None), '"exp"')

    def test_rule6_nbf_in_the_future(self):
        self.reject(self.t.assertion(nbf=int(time.time()) + 120), "assertion not before ")

    def test_rule6_iat_in_the_future(self):
        now = int(time.time())
        self.reject(self.t.assertion(iat=now + 120, exp=now + 400), "assertion issued at ")

    def test_rule6_lifetime_too_long(self):
        now = int(time.time())
        self.reject(self.t.assertion(iat=now, exp=now + 7200), "exp - iat is 7200 s; at most 3600 s accepted")
        self.reject(self.t.assertion(iat=None, exp=now + 7200), "exp - now is")

    def test_rule6_lifetime_boundary(self):
        now = int(time.time())
        self.assertTokenOk(self.t.grant(self.t.assertion(iat=now, exp=now + 3600), self.t.fqs))
        self.reject(self.t.assertion(iat=now, exp=now + 3601), "exp - iat is 3601 s; at most 3600 s accepted")

    def test_rule6_skew_tolerated(self):
        now = int(time.time())
        self.assertTokenOk(self.t.grant(self.t.assertion(iat=now + 10, nbf=now + 10, exp=now + 300), self.t.fqs))

    # ---- rule 7: jti
    def test_rule7_jti_missing(self):
        self.reject(self.t.assertion(jti=None), "assertion has no jti")

    def test_rule7_jti_too_long(self):
        self.reject(self.t.assertion(jti="j" * 300), "jti must be a non-empty string of at most 256")

    def test_rule7_jti_replayed(self):
        a = self.t.cli_assertion()
        self.assertTokenOk(self.t.grant(a, self.t.fqs))
        self.reject(a, "assertion jti was already used")
        # The same jti in a new assertion is the same (iss, jti): refused too.
        jti = it.jwt_parts(a)[1]["jti"]
        self.reject(self.t.assertion(jti=jti), "assertion jti was already used")

    def test_rule7_same_jti_other_client(self):
        jti = str(uuid.uuid4())
        self.assertTokenOk(self.t.grant(self.t.assertion(jti=jti), self.t.fqs))
        self.assertTokenOk(self.other.grant(self.other.assertion(jti=jti), self.other.fqs))

    def test_rule7_jti_waived_per_app(self):
        t = self.tenant(requireJti=False)
        self.assertTokenOk(t.grant(t.assertion(jti=None), t.fqs))
        self.assertInvalidGrant(self.t.grant(self.t.assertion(jti=None), self.t.fqs), "assertion has no jti")

    # ---- rule 8: user
    def test_rule8_unknown_user(self):
        self.reject(self.t.assertion(sub="nobody-" + uuid.uuid4().hex), "is not the userName of any user")

    def test_rule8_inactive_user(self):
        u = self.admin.create_user(active=False)
        self.reject(self.t.assertion(sub=u["userName"]), "user '" + u["userName"] + "' is not active")

    def test_rule8_prn_instead_of_sub(self):
        self.assertTokenOk(self.t.grant(self.t.assertion(sub=None, prn=self.t.user_name), self.t.fqs))
        self.reject(self.t.assertion(sub=None), "assertion names no user")

    # ---- rule 9: scopes
    def test_rule9_scope_not_in_policy(self):
        r = self.t.grant(self.t.assertion(), self.other.fqs)
        self.assertOAuthError(r, 400, "invalid_scope", "is not in the token issuance policy of client " + self.t.client_id)

    def test_rule9_scope_not_fully_qualified(self):
        r = self.t.grant(self.t.assertion(), it.SCOPE_VALUE)
        self.assertOAuthError(r, 400, "invalid_scope", "is not a fully qualified scope of any resource")

    def test_rule9_expiry_out_of_range(self):
        for n in ("59", "31556953", "abc", "-5"):
            r = self.t.grant(self.t.assertion(), self.t.fqs + " urn:opc:resource:expiry=" + n)
            self.assertOAuthError(r, 400, "invalid_scope", "the expiry must be a whole number of seconds from 60 to 31556952")
        for n, want in (("60", 60), ("31556952", 31556952)):
            r = self.t.grant(self.t.assertion(), self.t.fqs + " urn:opc:resource:expiry=" + n)
            self.assertEqual(self.assertTokenOk(r)["expires_in"], want)

    def test_rule9_resource_expiry_caps_lifetime(self):
        res = self.admin.create_resource(expiry=600)
        fqs = res["audience"] + it.SCOPE_VALUE
        app = self.admin.create_client(scopes=[fqs], certs=[self.t.alias])
        for scope, want in ((fqs, 600), (fqs + " urn:opc:resource:expiry=300", 300),
                            (fqs + " urn:opc:resource:expiry=7200", 600)):
            r = self.server.token([("grant_type", "client_credentials"), ("scope", scope)],
                                  auth=(app["name"], app["clientSecret"]))
            self.assertEqual(self.assertTokenOk(r)["expires_in"], want, scope)

    def test_admin_scope_refused_to_non_admin(self):
        r = self.server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)], auth=self.t.auth)
        self.assertOAuthError(r, 400, "invalid_scope", "without the administrator role")

    # ---- a rejected assertion does not burn its jti
    def test_rejected_assertion_keeps_its_jti(self):
        jti = str(uuid.uuid4())
        self.reject(self.t.assertion(jti=jti, aud="https://wrong.example/"), "is not accepted")
        self.reject(self.t.assertion(jti=jti, key=self.other.keys["key"]), "signature does not verify")
        r = self.t.grant(self.t.assertion(jti=jti), "https://nowhere.example" + it.SCOPE_VALUE)
        self.assertOAuthError(r, 400, "invalid_scope")
        fixed = self.t.assertion(jti=jti)
        self.assertTokenOk(self.t.grant(fixed, self.t.fqs))
        self.reject(fixed, "assertion jti was already used")

    def test_failed_client_authentication_keeps_the_jti(self):
        a = self.t.assertion()
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", a)], auth=(self.t.client_id, "wrong-secret"))
        self.assertClientAuthFailed(r, basic_used=True)
        self.assertTokenOk(self.t.grant(a, self.t.fqs))

    # ---- client authentication
    def test_unknown_client(self):
        r = self.server.token([("grant_type", "client_credentials")], auth=("no-such-client", "whatever-secret"))
        self.assertClientAuthFailed(r, basic_used=True)
        r = self.server.token([("grant_type", "client_credentials"), ("client_id", "no-such-client"),
                               ("client_secret", "x")])
        self.assertClientAuthFailed(r, basic_used=False)

    def test_wrong_secret(self):
        r = self.server.token([("grant_type", "client_credentials")], auth=(self.t.client_id, self.t.secret + "x"))
        self.assertClientAuthFailed(r, basic_used=True)
        r = self.server.token([("grant_type", "client_credentials"), ("client_id", self.t.client_id),
                               ("client_secret", "wrong")])
        self.assertClientAuthFailed(r, basic_used=False)

    def test_inactive_app(self):
        app = self.admin.create_client(scopes=[self.t.fqs], certs=[self.t.alias], activate=False)
        r = self.server.token([("grant_type", "client_credentials")], auth=(app["name"], app["clientSecret"]))
        self.assertClientAuthFailed(r, basic_used=True)
        self.admin.activate(app["id"])
        self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=(app["name"], app["clientSecret"])))
        self.admin.activate(app["id"], False)
        r = self.server.token([("grant_type", "client_credentials")], auth=(app["name"], app["clientSecret"]))
        self.assertClientAuthFailed(r, basic_used=True)

    def test_no_client_authentication(self):
        r = self.server.token([("grant_type", "client_credentials")])
        self.assertOAuthError(r, 401, "invalid_client", it.AUTH_FAILED)

    def test_two_methods_at_once(self):
        r = self.server.token([("grant_type", "client_credentials"), ("client_secret", self.t.secret)], auth=self.t.auth)
        self.assertClientAuthFailed(r, basic_used=True)
        ca = it.run([it.TESSERA, "assert", "--client-id", self.t.client_id, "--client-assertion",
                     "--key", self.t.keys["key"], "--kid", self.t.alias]).strip()
        r = self.server.token([("grant_type", "client_credentials"), ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                               ("client_assertion", ca)], auth=self.t.auth)
        self.assertClientAuthFailed(r, basic_used=True)

    def test_client_id_matching_basic_is_fine(self):
        r = self.server.token([("grant_type", "client_credentials"), ("client_id", self.t.client_id)], auth=self.t.auth)
        self.assertTokenOk(r)

    def test_response_scope_only_when_it_differs(self):
        body = self.assertTokenOk(self.t.grant(self.t.assertion(), self.t.fqs))
        self.assertNotIn("scope", body)
        body = self.assertTokenOk(self.t.grant(self.t.assertion(), self.t.fqs + " urn:opc:resource:expiry=120"))
        self.assertEqual(body["scope"], self.t.fqs)

    def test_two_authorization_headers(self):
        h = it.basic(*self.t.auth)
        r = self.server.request("POST", "/oauth2/v1/token", it.form([("grant_type", "client_credentials")]),
                                [("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", h),
                                 ("Authorization", h)])
        self.assertOAuthError(r, 401, "invalid_client", it.AUTH_FAILED)

    def test_client_id_mismatch(self):
        r = self.server.token([("grant_type", "client_credentials"), ("client_id", self.other.client_id)], auth=self.t.auth)
        self.assertClientAuthFailed(r, basic_used=True)

    def test_repeated_parameter(self):
        r = self.server.token([("grant_type", "client_credentials"), ("grant_type", "client_credentials")], auth=self.t.auth)
        self.assertOAuthError(r, 400, "invalid_request")
        a = self.t.assertion()
        r = self.t.grant(a, self.t.fqs, extra=[("assertion", a)])
        self.assertOAuthError(r, 400, "invalid_request")
        self.assertTokenOk(self.t.grant(a, self.t.fqs))  # the jti was not burned

    def test_not_a_form(self):
        r = self.server.request("POST", "/oauth2/v1/token", '{"grant_type":"client_credentials"}',
                                {"Content-Type": "application/json", "Authorization": it.basic(*self.t.auth)})
        self.assertOAuthError(r, 400, "invalid_request", "application/x-www-form-urlencoded")

    def test_unsupported_grant_type(self):
        r = self.server.token([("grant_type", "password"), ("username", "u"), ("password", "p")], auth=self.t.auth)
        self.assertOAuthError(r, 400, "unsupported_grant_type", "grant_type password is not supported")

    def test_missing_grant_type_and_assertion(self):
        self.assertOAuthError(self.server.token([], auth=self.t.auth), 400, "invalid_request", "grant_type missing")
        r = self.server.token([("grant_type", it.JWT_BEARER)], auth=self.t.auth)
        self.assertOAuthError(r, 400, "invalid_request", "assertion missing")

    def test_grant_not_allowed(self):
        app = self.admin.create_client(scopes=[self.t.fqs], certs=[self.t.alias], grants=["client_credentials"])
        a = it.make_jwt({"alg": "RS256", "kid": self.t.alias}, it.claims(app["name"], self.t.user_name), self.t.keys["key"])
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", a)], auth=(app["name"], app["clientSecret"]))
        self.assertOAuthError(r, 400, "unauthorized_client", "is not among the allowed grants of client " + app["name"])
        app2 = self.admin.create_client(scopes=[self.t.fqs], certs=[self.t.alias], grants=[it.JWT_BEARER])
        r = self.server.token([("grant_type", "client_credentials")], auth=(app2["name"], app2["clientSecret"]))
        self.assertOAuthError(r, 400, "unauthorized_client", "client_credentials is not among the allowed grants")

    # ---- private_key_jwt
    def client_assertion(self, *extra):
        return it.run([it.TESSERA, "assert", "--client-id", self.t.client_id, "--client-assertion",
                       "--key", self.t.keys["key"], "--kid", self.t.alias] + list(extra)).strip()

    def pkjwt(self, ca, grant_pairs, with_client_id=True):
        pairs = list(grant_pairs) + [("client_assertion_type", it.CLIENT_ASSERTION_TYPE), ("client_assertion", ca)]
        if with_client_id:
            pairs.append(("client_id", self.t.client_id))
        return self.server.token(pairs)

    def test_private_key_jwt_success(self):
        r = self.pkjwt(self.client_assertion(), [("grant_type", "client_credentials"), ("scope", self.t.fqs)])
        c = it.jwt_parts(self.assertTokenOk(r)["access_token"])[1]
        self.assertEqual((c["sub"], c["gtp"]), (self.t.client_id, "cc"))
        r = self.pkjwt(self.client_assertion(), [("grant_type", it.JWT_BEARER), ("assertion", self.t.assertion()),
                                                 ("scope", self.t.fqs)], with_client_id=False)
        c = it.jwt_parts(self.assertTokenOk(r)["access_token"])[1]
        self.assertEqual((c["sub"], c["gtp"]), (self.t.user_name, "jwt"))

    def test_private_key_jwt_rejected(self):
        grant = [("grant_type", "client_credentials"), ("scope", self.t.fqs)]
        ca = self.client_assertion()
        self.assertTokenOk(self.pkjwt(ca, grant))
        self.assertClientAuthFailed(self.pkjwt(ca, grant), basic_used=False)  # replayed
        wrong_key = it.make_jwt({"alg": "RS256", "kid": self.t.alias},
                                it.claims(self.t.client_id, self.t.client_id), self.other.keys["key"])
        self.assertClientAuthFailed(self.pkjwt(wrong_key, grant), basic_used=False)
        sub_other = it.make_jwt({"alg": "RS256", "kid": self.t.alias},
                                it.claims(self.t.client_id, self.t.user_name), self.t.keys["key"])
        self.assertClientAuthFailed(self.pkjwt(sub_other, grant), basic_used=False)
        self.assertClientAuthFailed(self.pkjwt(self.client_assertion("--ttl", "7200"), grant), basic_used=False)
        r = self.server.token(grant + [("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"),
                                       ("client_assertion", self.client_assertion())])
        self.assertClientAuthFailed(r, basic_used=False)
        r = self.pkjwt(self.client_assertion(), grant, with_client_id=False)
        self.assertTokenOk(r)
        r = self.server.token(grant + [("client_id", self.other.client_id),
                                       ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                                       ("client_assertion", self.client_assertion())])
        self.assertClientAuthFailed(r, basic_used=False)


class ConfiguredPolicyTest(it.ServerTest):
    """Rules 5 and 6 are configurable: extra audiences, maximum lifetime, clock skew."""

    server_args = ("--audience", "https://gateway.example.com/oauth", "--max-assertion-lifetime", "600",
                   "--clock-skew", "5")

    def test_configured_audience_lifetime_and_skew(self):
        t = self.tenant()
        self.assertTokenOk(t.grant(t.assertion(aud="https://gateway.example.com/oauth"), t.fqs))
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))  # the defaults still hold
        body = self.assertInvalidGrant(t.grant(t.assertion(aud="https://other.example/"), t.fqs), "is not accepted")
        self.assertIn("https://gateway.example.com/oauth", body["error_description"])
        now = int(time.time())
        self.assertInvalidGrant(t.grant(t.assertion(iat=now, exp=now + 601), t.fqs), "at most 600 s accepted")
        self.assertTokenOk(t.grant(t.assertion(iat=now, exp=now + 590), t.fqs))
        self.assertInvalidGrant(t.grant(t.assertion(iat=now + 20, exp=now + 300), t.fqs), "assertion issued at ")


if __name__ == "__main__":
    it.main()
