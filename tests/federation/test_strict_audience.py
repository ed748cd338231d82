"""--assertion-audience strict (contract section 10, "Audience profile"; RFC 7523bis): an
assertion whose aud list carries a value beyond the accepted ones is refused, where the default
profile (compat) accepts it."""

import fed_it  # puts tests/integration (tessera_it) on the path
import tessera_it as it

EXTRA = "https://extra.example.test/"


class StrictAudienceTest(it.ServerTest):
    """--assertion-audience strict (RFC 7523bis): a client assertion's aud is the issuer alone;
    a grant assertion's aud the issuer or the token endpoint, and nothing else."""

    server_args = ("--assertion-audience", "strict")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tenant_ = it.Tenant(cls.server, cls.admin, cls.work)

    def client_assertion(self, aud):
        t = self.tenant_
        c = it.claims(t.client_id, t.client_id, aud=aud)
        return it.make_jwt({"alg": "RS256", "typ": "JWT", "kid": t.alias}, c, t.keys["key"])

    def client_auth(self, aud):
        t = self.tenant_
        return self.server.token([("grant_type", "client_credentials"), ("scope", t.fqs),
                                  ("client_id", t.client_id),
                                  ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                                  ("client_assertion", self.client_assertion(aud))])

    def test_client_assertion_audience_is_the_issuer_alone(self):
        issuer = self.server.issuer
        self.assertTokenOk(self.client_auth(issuer))
        self.assertTokenOk(self.client_auth([issuer]))
        endpoint = self.server.base + "/oauth2/v1/token"
        for aud, found in (([issuer, EXTRA], "'%s'" % EXTRA), ([issuer, issuer], "with 2 values"),
                           (endpoint, "'%s'" % endpoint), (it.ORACLE_AUD, "'%s'" % it.ORACLE_AUD)):
            r = self.client_auth(aud)
            self.assertClientAuthFailed(r, basic_used=False)
            # The reason goes to the log only, under the request's ecid (contract section 2).
            reason = ("assertion audience %s is not accepted (strict audience profile, RFC 10070);"
                      " expected '%s' as its only value" % (found, issuer))
            fed_it.assert_logged(self, self.server, r.json()["ecid"], reason)

    def test_grant_assertion_audience_is_the_issuer_or_token_endpoint(self):
        t = self.tenant_
        issuer = self.server.issuer
        endpoint = self.server.base + "/oauth2/v1/token"
        for aud in (issuer, endpoint, [issuer], [endpoint]):
            self.assertTokenOk(t.grant(t.assertion(aud=aud), t.fqs))
        for aud, found in (([issuer, EXTRA], EXTRA), ([endpoint, it.ORACLE_AUD], it.ORACLE_AUD),
                           (it.ORACLE_AUD, it.ORACLE_AUD)):
            r = t.grant(t.assertion(aud=aud), t.fqs)
            body = self.assertInvalidGrant(r, None)
            self.assertEqual(body["error_description"],
                             "assertion audience '%s' is not accepted (strict audience profile, "
                             "RFC 10070); expected only '%s' or '%s'" % (found, issuer, endpoint))


class CompatAudienceTest(StrictAudienceTest):
    """The default profile: the IDCS audiences, and an aud list holding one of them."""

    server_args = ()

    def test_client_assertion_audience_is_the_issuer_alone(self):
        issuer = self.server.issuer
        for aud in (issuer, [issuer, EXTRA], it.ORACLE_AUD, [EXTRA, it.ORACLE_AUD]):
            self.assertTokenOk(self.client_auth(aud))
        self.assertClientAuthFailed(self.client_auth([EXTRA]), basic_used=False)

    def test_grant_assertion_audience_is_the_issuer_or_token_endpoint(self):
        t = self.tenant_
        for aud in ([self.server.issuer, EXTRA], it.ORACLE_AUD, [EXTRA, it.ORACLE_AUD]):
            self.assertTokenOk(t.grant(t.assertion(aud=aud), t.fqs))
        self.assertInvalidGrant(t.grant(t.assertion(aud=EXTRA), t.fqs), "audience")


if __name__ == "__main__":
    it.main()
