"""Hostile outside tokens at the token endpoint (contract section 10; docs/federation.md, "The
checks in order"): tokens crafted and signed here with keys made here, whose issuer's JWK Set and
discovery document a loopback server in this process serves. Each refusal is asserted with its
status, error and exact error_description, and without a token."""

import uuid

import fed_it
import tessera_it as it

AUD = "https://tessera.test/"


class HostileTest(fed_it.FedServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keys = fed_it.Keys(cls.work)
        cls.rsa_key, cls.rsa_pub = cls.keys.make("rsa1")
        cls.ec_key, cls.ec_pub = cls.keys.make("ec1", kind="ec")
        cls.other_key, _ = cls.keys.make("rsa-other")
        cls.jwks = fed_it.FakeIssuer()
        cls.addClassCleanup(cls.jwks.down)
        cls.jwks.jwks = {"keys": [fed_it.Keys.jwk(cls.rsa_pub, "rsa1"),
                                  fed_it.Keys.jwk(cls.ec_pub, "ec1")]}
        cls.user = cls.admin.create_user()

    def trust(self, **fields):
        """An active trust of a new issuer whose keys are the shared JWK Set; (issuer, trust)."""
        issuer = "https://ci-%s.example.test" % uuid.uuid4().hex[:8]
        fields.setdefault("publicKeyEndpoint", self.jwks.jwks_url)
        return issuer, self.create_trust(issuer, **fields)

    def token(self, issuer, header=None, key=None, sub=None, **claims):
        c = fed_it.outside_claims(issuer, self.user["userName"] if sub is None else sub, AUD,
                                  **claims)
        h = header or {"alg": "RS256", "typ": "JWT", "kid": "rsa1"}
        return fed_it.sign_jwt(h, c, key_pem=key or self.rsa_key, ec=h["alg"].startswith("ES"))

    def test_a_good_token_is_exchanged(self):
        """The baseline the hostile cases depart from: RS256 and ES256 tokens of the trust."""
        issuer, _ = self.trust()
        for t in (self.token(issuer),
                  self.token(issuer, {"alg": "ES256", "kid": "ec1"}, key=self.ec_key)):
            body = self.assertTokenOk(self.jwt_bearer(t))
            self.assertEqual(it.jwt_parts(body["access_token"])[1]["sub"], self.user["userName"])

    # ------------------------------------------------------------ algorithm confusion

    def test_hs256_keyed_with_the_rsa_public_key(self):
        """Refused by the form rules before any key is looked up: as a subject_token with the
        federation rule; as an assertion (whose issuer is then not read) by the assertion rules,
        which allow the client RS256 only."""
        issuer, _ = self.trust()
        with open(self.rsa_pub, "rb") as f:
            public_pem = f.read()
        c = fed_it.outside_claims(issuer, self.user["userName"], AUD)
        t = fed_it.sign_jwt({"alg": "HS256", "typ": "JWT", "kid": "rsa1"}, c, hmac_secret=public_pem)
        self.assertRefused(self.token_exchange(t), "subject_token: the outside token's algorithm "
                                                   "is not accepted: HS256 (HMAC) is never accepted")
        self.assertRefused(self.jwt_bearer(t), "assertion alg HS256 is not allowed for client %s; "
                                               "allowed: RS256" % self.broker["name"])

    def test_alg_none(self):
        issuer, _ = self.trust()
        c = fed_it.outside_claims(issuer, self.user["userName"], AUD)
        for alg in ("none", "None", "NONE"):
            t = fed_it.sign_jwt({"alg": alg, "kid": "rsa1"}, c, signature="")
            self.assertRefused(self.token_exchange(t), ("subject_token: the outside token's "
                                                        "algorithm is not accepted: ",))
            self.assertRefused(self.jwt_bearer(t), ("assertion header rejected: ",))

    def test_rs256_header_on_the_ec_key(self):
        issuer, _ = self.trust()
        t = self.token(issuer, {"alg": "RS256", "kid": "ec1"}, key=self.rsa_key)
        self.assertRefused(self.jwt_bearer(t), "the outside token's algorithm is not the key's "
                                               "algorithm: RS256 with a key pinned to ES256")

    def test_key_material_in_the_header_is_refused(self):
        issuer, _ = self.trust()
        jwk = fed_it.Keys.jwk(self.rsa_pub, "rsa1")
        for name, value in (("jwk", jwk), ("jku", self.jwks.jwks_url), ("x5u", self.jwks.jwks_url)):
            t = self.token(issuer, {"alg": "RS256", "kid": "rsa1", name: value})
            self.assertRefused(self.token_exchange(t), ("subject_token: the outside token header "
                                                        "is not accepted: ",))
            self.assertRefused(self.jwt_bearer(t), "assertion header rejected: key-carrying header"
                                                   " not accepted: \"%s\" (keys come only from "
                                                   "the server's store)" % name)

    # ------------------------------------------------------------ keys and issuers

    def test_kid_not_in_the_jwks(self):
        issuer, _ = self.trust()
        self.assertTokenOk(self.jwt_bearer(self.token(issuer)))  # the set is cached
        before = self.jwks.fetches()
        for i in range(5):  # a flood of made-up kids: at most one refetch per interval
            t = self.token(issuer, {"alg": "RS256", "kid": "made-up-%d" % i}, key=self.other_key)
            self.assertRefused(self.jwt_bearer(t),
                               "the outside token's signing key is not one of the issuer's keys")
        self.assertLessEqual(self.jwks.fetches() - before, 1)

    def test_key_of_another_issuer_under_a_known_kid(self):
        issuer, _ = self.trust()
        t = self.token(issuer, key=self.other_key)  # kid rsa1, signed by another key
        self.assertRefused(self.jwt_bearer(t), "the outside token's signature is invalid")

    def test_discovery_document_naming_another_issuer(self):
        liar = fed_it.FakeIssuer()
        self.addCleanup(liar.down)
        liar.jwks = self.jwks.jwks
        liar.discovery = {"issuer": liar.url + "/tenant-b", "jwks_uri": liar.jwks_url}
        self.create_trust(liar.url)  # discovery mode: no publicKeyEndpoint, no certificate
        r = self.jwt_bearer(self.token(liar.url))
        self.assertUnavailable(r, 'the issuer\'s signing keys are unavailable: %s/.well-known/'
                                  'openid-configuration: \\"issuer\\" is not \\"%s\\"'
                                  % (liar.url, liar.url))  # (quotes escaped in the log)
        self.assertEqual(liar.fetches(), 0)  # the JWK Set of a lying document is never read

    def test_token_issuer_is_not_the_trusts(self):
        """An issuer is compared exactly: a trailing slash or another case is another issuer,
        which no trust serves (as a subject_token), or an ordinary assertion (jwt-bearer), whose
        iss must then be the client."""
        issuer, _ = self.trust()
        for other in (issuer + "/", issuer.upper(), "https://unknown.example.test"):
            t = self.token(other)
            self.assertRefused(self.token_exchange(t), "the subject_token's issuer is not the "
                                                       "issuer of any federation trust")
            self.assertRefused(self.jwt_bearer(t), ("assertion ",))

    def test_unreachable_jwks_without_cached_keys(self):
        dead = fed_it.FakeIssuer()
        url = dead.jwks_url
        dead.down()
        issuer, _ = self.trust(publicKeyEndpoint=url)
        for grant in (self.jwt_bearer, self.token_exchange):
            self.assertUnavailable(grant(self.token(issuer)), url)

    def test_unreachable_jwks_with_cached_keys(self):
        flaky = fed_it.FakeIssuer()
        self.addCleanup(flaky.down)
        flaky.jwks = self.jwks.jwks
        issuer, _ = self.trust(publicKeyEndpoint=flaky.jwks_url)
        self.assertTokenOk(self.jwt_bearer(self.token(issuer)))
        flaky.down()
        # The cached set serves known keys while the issuer is down (within the stale bound).
        self.assertTokenOk(self.jwt_bearer(self.token(issuer)))
        self.assertTokenOk(self.token_exchange(self.token(issuer, {"alg": "ES256", "kid": "ec1"},
                                                          key=self.ec_key)))
        # An unknown kid cannot be fetched: refused as unknown, never served by a guess.
        t = self.token(issuer, {"alg": "RS256", "kid": "rotated"}, key=self.other_key)
        self.assertRefused(self.jwt_bearer(t),
                           "the outside token's signing key is not one of the issuer's keys")

    # ------------------------------------------------------------ claims

    def test_condition_bypass_by_type_confusion(self):
        issuer, _ = self.trust(conditions=[{"claim": "repository", "in": ["acme/deploy"]},
                                           {"claim": "ref", "like": "refs/heads/*"}])
        ok = self.token(issuer, repository="acme/deploy", ref="refs/heads/main")
        self.assertTokenOk(self.jwt_bearer(ok))
        for repository in ({"name": "acme/deploy"}, [{"name": "acme/deploy"}], None, 0, False,
                           ["acme/deploy-evil"], "acme/deploy ", "ACME/deploy"):
            t = self.token(issuer, repository=repository, ref="refs/heads/main")
            expected = ("condition on claim 'repository' not satisfied: the claim is missing"
                        if repository is None else
                        "condition on claim 'repository' not satisfied")
            self.assertRefused(self.jwt_bearer(t), expected)
        for ref in ({"refs/heads/main": True}, [["refs/heads/main"]], "refs/tags/v1", 1.5):
            t = self.token(issuer, repository="acme/deploy", ref=ref)
            self.assertRefused(self.jwt_bearer(t), "condition on claim 'ref' not satisfied")

    def test_subject_and_client_claims_must_be_strings(self):
        issuer, _ = self.trust(clientClaimName="azp", clientClaimValues=["ci-runner"])
        self.assertTokenOk(self.jwt_bearer(self.token(issuer, azp="ci-runner")))
        for azp in (["ci-runner"], {"id": "ci-runner"}, None):
            self.assertRefused(self.jwt_bearer(self.token(issuer, azp=azp)),
                               "client claim 'azp' is missing")
        self.assertRefused(self.jwt_bearer(self.token(issuer, azp="ci-runner2")),
                           "client claim 'azp' holds a value not in clientClaimValues")
        for sub in ([self.user["userName"]], {"userName": self.user["userName"]}, ""):
            self.assertRefused(self.jwt_bearer(self.token(issuer, azp="ci-runner", sub=sub)),
                               "subject claim 'sub' is missing, empty or not a string")

    # ------------------------------------------------------------ replay and trust state

    def test_replay_under_jti_required(self):
        issuer, _ = self.trust()
        t = self.token(issuer)
        self.assertTokenOk(self.jwt_bearer(t))
        replayed = "assertion jti was already used (jti '%s' of issuer %s)" % (
            it.jwt_parts(t)[1]["jti"], issuer)
        self.assertRefused(self.jwt_bearer(t), replayed)
        self.assertRefused(self.token_exchange(t), replayed)  # one replay store for both grants
        self.assertRefused(self.jwt_bearer(self.token(issuer, jti=None)),
                           "the outside token has no jti")

    def test_reuse_until_exp_accepts_the_same_token_twice(self):
        issuer, _ = self.trust(jti="reuse-until-exp")
        t = self.token(issuer)
        self.assertTokenOk(self.jwt_bearer(t))
        self.assertTokenOk(self.jwt_bearer(t))
        self.assertTokenOk(self.token_exchange(t))
        self.assertTokenOk(self.jwt_bearer(self.token(issuer, jti=None)))  # no jti at all

    def test_inactive_trust(self):
        issuer, trust = self.trust(active=False)
        self.assertRefused(self.jwt_bearer(self.token(issuer)),
                           'the trust is not active: trust "%s"' % trust["name"])

    def test_client_not_in_oauth_clients(self):
        issuer, trust = self.trust()
        other = self.admin.create_client(scopes=[self.fqs], grants=(it.JWT_BEARER,
                                                                    fed_it.TOKEN_EXCHANGE))
        r = self.jwt_bearer(self.token(issuer), auth=(other["name"], other["clientSecret"]))
        self.assertRefused(r, 'the client may not present tokens of this trust: client "%s" is '
                              'not in oauthClients of trust "%s"' % (other["name"], trust["name"]))


if __name__ == "__main__":
    it.main()
