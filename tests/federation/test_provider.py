"""The outside OpenID provider itself (oidc-provider on Node.js): it installs from the committed
lock file, runs on this machine's Node.js, serves discovery and a JWK Set, and issues RFC 9068
JWT access tokens and (by the code flow) ID tokens that Tessera's own verifier (`tessera jwt verify --jwks-url`) accepts; after a
restart with a new key, the new key's tokens verify and the old key's do not."""

import json
import shutil
import subprocess
import tempfile
import unittest

import fed_it
from tessera_it import TESSERA, http_request, jwt_parts

RESOURCE = "https://api.example.test/"
CLIENT = {"client_id": "ci-runner", "client_secret": "ci-runner-secret-0123456789abcdef",
          "scope": "deploy"}
PORTAL = {"client_id": "portal", "client_secret": "portal-secret-0123456789abcdef0123",
          "redirect_uri": "https://portal.example.test/callback"}


class ProviderTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tessera-fed-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.idp = fed_it.Idp(cls.work, [CLIENT], {RESOURCE: {"scope": "deploy", "ttl": 300}},
                             {"ci-runner": {"repository": "acme/deploy"}},
                             users={"alice": {"email": "alice@example.test"}},
                             code_clients=[PORTAL]).start()
        cls.addClassCleanup(cls.idp.stop)

    def token(self):
        return self.idp.token(CLIENT["client_id"], CLIENT["client_secret"], RESOURCE, "deploy")

    def verify(self, token):
        """(exit status, stdout, stderr) of `tessera jwt verify` against the provider's JWKS."""
        p = subprocess.run([TESSERA, "jwt", "verify", token, "--jwks-url",
                            self.idp.issuer + "/jwks"], capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_node_is_recent_enough(self):
        self.assertGreaterEqual(fed_it.node_major(), fed_it.MIN_NODE_MAJOR)

    def test_discovery_names_issuer_and_jwks(self):
        r = http_request(self.idp.issuer, "GET", "/.well-known/openid-configuration")
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(doc["issuer"], self.idp.issuer)
        self.assertEqual(doc["jwks_uri"], self.idp.issuer + "/jwks")
        self.assertIn("client_credentials", doc["grant_types_supported"])

    def test_id_token_by_the_code_flow(self):
        token = self.idp.id_token(PORTAL, "alice")
        header, claims = jwt_parts(token)
        self.assertEqual(header["alg"], "RS256")
        self.assertEqual(claims["iss"], self.idp.issuer)
        self.assertEqual(claims["aud"], "portal")
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims["email"], "alice@example.test")
        self.assertNotIn("jti", claims)  # an ID token has none: its trust reuses until exp
        status, out, err = self.verify(token)
        self.assertEqual(status, 0, err)
        with self.assertRaisesRegex(AssertionError, "authorization failed|access_denied"):
            self.idp.id_token(PORTAL, "mallory")

    def test_jwt_access_token_and_rotation(self):
        first = self.token()
        header, claims = jwt_parts(first)
        self.assertEqual(header, {"alg": "RS256", "typ": "at+jwt", "kid": self.idp.kid})
        self.assertEqual(claims["iss"], self.idp.issuer)
        self.assertEqual(claims["aud"], RESOURCE)
        self.assertEqual(claims["sub"], "ci-runner")
        self.assertEqual(claims["client_id"], "ci-runner")
        self.assertEqual(claims["repository"], "acme/deploy")
        self.assertTrue(claims["jti"])
        self.assertEqual(claims["exp"] - claims["iat"], 300)
        status, out, err = self.verify(first)
        self.assertEqual(status, 0, err)
        self.assertEqual(json.loads(out)["sub"], "ci-runner")

        old_kid = self.idp.kid
        self.idp.restart("k-rotated")
        second = self.token()
        self.assertEqual(jwt_parts(second)[0]["kid"], "k-rotated")
        self.assertNotEqual(old_kid, "k-rotated")
        status, out, err = self.verify(second)
        self.assertEqual(status, 0, err)
        self.assertEqual(json.loads(out)["jti"], jwt_parts(second)[1]["jti"])
        status, out, err = self.verify(first)  # its key left the issuer's JWK Set
        self.assertEqual(status, 1, out)
        self.assertIn(old_kid, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
