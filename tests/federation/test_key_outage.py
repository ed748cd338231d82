"""An outside issuer's keys while the issuer fails (contract section 10, "Key fetching";
docs/federation.md, "Keys"): the last good JWK Set keeps serving past its freshness while
refreshes fail (within the stale bound, an hour), and an issuer never fetched is 503
temporarily_unavailable with Retry-After, never a token, until it answers again. Its own CTest
entry, since it waits for a set's freshness to run out (max-age=0 is raised to the 60-second
minimum)."""

import time
import uuid

import fed_it
import tessera_it as it

AUD = "https://tessera.test/"
FRESHNESS = 60  # the minimum freshness a max-age is raised to


class KeyOutageTest(fed_it.FedServerTest):

    def issuer(self, keys, kid):
        """A loopback issuer serving one new key, its trust, and a token maker for a user."""
        key, pub = keys.make(kid)
        issuer = fed_it.FakeIssuer()
        self.addCleanup(issuer.down)
        issuer.jwks = {"keys": [fed_it.Keys.jwk(pub, kid)]}
        user = self.admin.create_user()
        name = "https://ci-%s.example.test" % uuid.uuid4().hex[:8]
        self.create_trust(name, publicKeyEndpoint=issuer.jwks_url)

        def token():
            c = fed_it.outside_claims(name, user["userName"], AUD)
            return fed_it.sign_jwt({"alg": "RS256", "typ": "JWT", "kid": kid}, c, key_pem=key)
        return issuer, token, user

    def test_outages(self):
        """Two issuers on one timeline (one wait for both): A's set was fetched, then A fails;
        B failed from the start."""
        keys = fed_it.Keys(self.work)
        a, a_token, a_user = self.issuer(keys, "a1")
        b, b_token, _ = self.issuer(keys, "b1")
        a.cache_control = "max-age=0"
        b.fail_status = 500

        self.assertTokenOk(self.jwt_bearer(a_token()))
        fetched_at = time.monotonic()
        self.assertEqual(a.fetches(), 1)
        a.fail_status = 500
        self.assertTokenOk(self.jwt_bearer(a_token()))  # fresh: no fetch at all
        self.assertEqual(len(a.hits), 1)

        # B: no keys were ever fetched: 503, for both grants, never a token.
        held = b_token()
        self.assertUnavailable(self.jwt_bearer(held), b.jwks_url)
        self.assertUnavailable(self.token_exchange(held), b.jwks_url)
        self.assertGreaterEqual(len(b.hits), 1)

        time.sleep(max(0.0, fetched_at + FRESHNESS + 2 - time.monotonic()))

        # A: past its freshness the refresh fails, and the stale set still serves.
        before = len(a.hits)
        body = self.assertTokenOk(self.jwt_bearer(a_token()))
        self.assertGreater(len(a.hits), before, "no refresh of the stale set")
        self.assertEqual(it.jwt_parts(body["access_token"])[1]["sub"], a_user["userName"])
        a.down()
        self.assertTokenOk(self.jwt_bearer(a_token()))

        # B answers again (the refetch interval is over): the same token is accepted, since a
        # refused request spends no jti.
        b.fail_status = None
        self.assertTokenOk(self.jwt_bearer(held))


if __name__ == "__main__":
    it.main()
