"""Tokens of a real OpenID provider (oidc-provider, tests/federation/idp/) exchanged at Tessera's
token endpoint (contract section 10), each trust made through the admin API:

- discovery mode (no publicKeyEndpoint): jwt-bearer and RFC 8693 token exchange with the
  provider's JWT access token, the subject mapped by email, the issued token capped at the
  outside token's exp; a key rotation at the provider (a restart with a new key) is followed by
  the running server (unknown kid refetch), and the old key's tokens stop working;
- publicKeyEndpoint mode, ES256: an impersonation rule maps the token to a service user, and the
  issued token carries act (RFC 8693 4.1);
- federated client authentication: the provider's token, as client_assertion, authenticates the
  Tessera app its client_id names (a subjectType App trust).
"""

import time

import fed_it
import tessera_it as it

RESOURCE = "https://tessera.test/"
SECRET = "provider-client-secret-0123456789abcdef"


class ExchangeTest(fed_it.FedServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.admin.create_user()
        cls.email = cls.user["emails"][0]["value"]
        cls.service_user = cls.admin.create_user(it.unique("deploy-bot"))
        cls.workload = cls.admin.create_client(scopes=[cls.fqs], grants=("client_credentials",))
        cls.token_endpoint = cls.server.issuer.rstrip("/") + "/oauth2/v1/token"

        def provider(client_id, claims, alg="RS256", resource=RESOURCE, ttl=120):
            idp = fed_it.Idp(cls.work,
                             [{"client_id": client_id, "client_secret": SECRET, "scope": "deploy"}],
                             {resource: {"scope": "deploy", "ttl": ttl}}, {client_id: claims},
                             kid=it.unique("k"), alg=alg).start()
            cls.addClassCleanup(idp.stop)
            return idp

        cls.ci = it.unique("ci")
        cls.idp_a = provider(cls.ci, {"repository": "acme/deploy", "ref": "refs/heads/main",
                                      "email": cls.email})
        cls.idp_b = provider(cls.ci, {"repository": "acme/deploy"}, alg="ES256")
        cls.idp_c = provider(cls.workload["name"], {}, resource=cls.token_endpoint)
        cls.portal = {"client_id": it.unique("portal"), "client_secret": SECRET,
                      "redirect_uri": "https://portal.example.test/callback"}
        cls.idp_d = fed_it.Idp(cls.work, [], {}, users={
            cls.user["userName"]: {"email": cls.email}}, code_clients=[cls.portal]).start()
        cls.addClassCleanup(cls.idp_d.stop)

    def outside_token(self, idp, client_id=None, resource=RESOURCE):
        return idp.token(client_id or self.ci, SECRET, resource, "deploy")

    def assertIssued(self, r, sub):
        body = self.assertTokenOk(r)
        claims = it.jwt_parts(body["access_token"])[1]
        self.assertEqual(claims["sub"], sub)
        self.assertEqual(claims["iss"], self.server.issuer)
        return body, claims

    def test_discovery_mode_jwt_bearer_and_token_exchange(self):
        trust = self.create_trust(self.idp_a.issuer, audiences=[RESOURCE],
                                  subjectClaimName="email", subjectMappingAttribute="email",
                                  conditions=[{"claim": "repository", "in": ["acme/deploy"]},
                                              {"claim": "ref", "like": "refs/heads/*"}])
        self.assertNotIn("publicKeyEndpoint", trust)

        outside = self.outside_token(self.idp_a)
        outside_exp = it.jwt_parts(outside)[1]["exp"]
        body, claims = self.assertIssued(self.jwt_bearer(outside, scope=self.fqs),
                                         self.user["userName"])
        self.assertEqual(claims["user_id"], self.user["id"])
        self.assertEqual(claims["client_id"], self.broker["name"])
        self.assertLessEqual(claims["exp"], outside_exp)  # never outlives the outside token
        self.assertLessEqual(body["expires_in"], 120)
        self.assertNotIn("act", claims)

        outside = self.outside_token(self.idp_a)
        for token_type in (fed_it.TT_ACCESS_TOKEN, fed_it.TT_JWT):
            r = self.token_exchange(self.outside_token(self.idp_a), token_type, scope=self.fqs)
            body, claims = self.assertIssued(r, self.user["userName"])
            self.assertEqual(body["issued_token_type"], fed_it.TT_ACCESS_TOKEN)
            self.assertLessEqual(claims["exp"], it.jwt_parts(outside)[1]["exp"] + 5)

        # Key rotation at the provider: the running server follows it (unknown kid refetch,
        # at most once per refetch interval), and the old key's tokens stop verifying.
        pid = self.server.proc.pid
        before = self.outside_token(self.idp_a)
        self.idp_a.restart(it.unique("k-rotated"))
        after = self.outside_token(self.idp_a)
        self.assertEqual(it.jwt_parts(after)[0]["kid"], self.idp_a.kid)
        deadline = time.monotonic() + 45
        while True:
            r = self.jwt_bearer(after)
            if r.status == 200 or time.monotonic() > deadline:
                break
            self.assertRefused(r, "the outside token's signing key is not one of the issuer's keys")
            time.sleep(2)
        self.assertIssued(r, self.user["userName"])
        self.assertEqual(self.server.proc.pid, pid)  # no restart of Tessera
        self.assertRefused(self.jwt_bearer(before),
                           "the outside token's signing key is not one of the issuer's keys")

    def test_public_key_endpoint_mode_with_impersonation(self):
        self.create_trust(self.idp_b.issuer, audiences=[RESOURCE],
                          publicKeyEndpoint=self.idp_b.issuer + "/jwks",
                          allowImpersonation=True,
                          impersonationServiceUsers=[{
                              "rule": 'repository eq "acme/deploy" and client_id eq "%s"' % self.ci,
                              "value": self.service_user["id"]}])
        outside = self.outside_token(self.idp_b)
        self.assertEqual(it.jwt_parts(outside)[0]["alg"], "ES256")
        r = self.token_exchange(outside, fed_it.TT_ACCESS_TOKEN, scope=self.fqs)
        body, claims = self.assertIssued(r, self.service_user["userName"])
        self.assertEqual(body["issued_token_type"], fed_it.TT_ACCESS_TOKEN)
        self.assertEqual(claims["act"], {"sub": self.ci, "iss": self.idp_b.issuer})
        self.assertEqual(claims["user_id"], self.service_user["id"])
        # The same token again: its jti is spent (the default policy, required).
        r = self.token_exchange(outside, fed_it.TT_ACCESS_TOKEN, scope=self.fqs)
        self.assertRefused(r, "assertion jti was already used (jti '%s' of issuer %s)" % (
            it.jwt_parts(outside)[1]["jti"], self.idp_b.issuer))

    def test_id_token_exchange(self):
        """An ID token (code flow) names the user by sub; it has no jti, so its trust reuses
        tokens until they expire, and a trust under the default policy refuses it."""
        trust = self.create_trust(self.idp_d.issuer, audiences=[self.portal["client_id"]],
                                  jti="reuse-until-exp")
        self.assertEqual(trust["warnings"], [
            "jti: reuse-until-exp lets the same outside token be exchanged again until it "
            "expires; a copied token is as good as the original until then."])
        id_token = self.idp_d.id_token(self.portal, self.user["userName"])
        self.assertNotIn("jti", it.jwt_parts(id_token)[1])
        for _ in range(2):  # the same token twice: reuse-until-exp
            r = self.token_exchange(id_token, fed_it.TT_ID_TOKEN, scope=self.fqs)
            body, claims = self.assertIssued(r, self.user["userName"])
            self.assertEqual(body["issued_token_type"], fed_it.TT_ACCESS_TOKEN)
            self.assertLessEqual(claims["exp"], it.jwt_parts(id_token)[1]["exp"])
        self.admin.ok("PATCH", fed_it.TRUSTS + "/" + trust["id"], {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "jti", "value": "required"}]})
        # A node reads a changed trust within cache_ttl (5 s by default; docs/configuration.md).
        deadline = time.monotonic() + 10
        while True:
            r = self.token_exchange(id_token, fed_it.TT_ID_TOKEN, scope=self.fqs)
            if r.status != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertRefused(r, "the outside token has no jti")

    def test_federated_client_authentication(self):
        client_id = self.workload["name"]
        self.create_trust(self.idp_c.issuer, audiences=[self.token_endpoint], subjectType="App",
                          oauthClients=None, clientClaimName="client_id",
                          clientClaimValues=[client_id])
        outside = self.outside_token(self.idp_c, client_id, self.token_endpoint)
        r = self.server.token([("grant_type", "client_credentials"), ("scope", self.fqs),
                               ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                               ("client_assertion", outside)])
        _, claims = self.assertIssued(r, client_id)
        self.assertEqual(claims["sub_type"], "client")
        self.assertEqual(claims["client_id"], client_id)
        # The provider's token authenticates only the app it names, and only as a client.
        r = self.server.token([("grant_type", "client_credentials"), ("scope", self.fqs),
                               ("client_id", self.broker["name"]),
                               ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                               ("client_assertion", self.outside_token(
                                   self.idp_c, client_id, self.token_endpoint))])
        self.assertClientAuthFailed(r, basic_used=False)


if __name__ == "__main__":
    it.main()
