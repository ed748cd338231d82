"""Federation at the token endpoint (contract section 10) against the real server: outside tokens
from an issuer whose JWK Set this test serves itself on 127.0.0.1, presented as a jwt-bearer
assertion, as an RFC 8693 subject_token and as a client assertion; the refusals name the rule,
and an issuer whose keys cannot be fetched is answered 503, never a token.
"""

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tessera_it as it  # noqa: E402

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
TRUSTS = "/admin/v1/IdentityPropagationTrusts"
OUTSIDE_AUD = "https://tessera.example.test"


def public_jwk(key_pem, kid):
    """The RSA public key of a PEM private key as a JWK (openssl prints the modulus in hex)."""
    out = it.run(["openssl", "rsa", "-in", key_pem, "-noout", "-modulus"]).strip()
    modulus = bytes.fromhex(out.split("=", 1)[1])
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": it.b64url(modulus), "e": "AQAB"}


class JwksServer:
    """A loopback JWK Set endpoint: GET /jwks answers the current set."""

    def __init__(self):
        self.jwks = {"keys": []}
        self.hits = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server API)
                owner.hits += 1
                body = json.dumps(owner.jwks).encode()
                self.send_response(200 if self.path == "/jwks" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/jwks" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FederationGrantsTest(it.ServerTest):
    # Trusts changed through the admin API are seen at once by the node that changed them (the
    # default cache bound is 5 s): each test creates its trust right before using it.

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jwks_server = JwksServer()
        cls.addClassCleanup(cls.jwks_server.close)
        cls.issuer_key = it.generate_keys("issuer", cls.work)["key"]
        cls.stranger_key = it.generate_keys("stranger", cls.work)["key"]
        cls.jwks_server.jwks = {"keys": [public_jwk(cls.issuer_key, "ci-1")]}

    def setUp(self):
        self.issuer = "https://%s.ci.example.test" % uuid.uuid4().hex[:8]

    def trust(self, **fields):
        body = {"schemas": ["urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust"],
                "name": it.unique("trust"), "type": "JWT", "issuer": self.issuer,
                "active": True, "publicKeyEndpoint": self.jwks_server.url,
                "audiences": [OUTSIDE_AUD], "subjectClaimName": "sub",
                "subjectMappingAttribute": "userName", "subjectType": "User"}
        body.update(fields)
        return self.admin.ok("POST", TRUSTS, body)

    def outside(self, sub, key=None, kid="ci-1", ttl=300, **extra):
        now = int(time.time())
        c = {"iss": self.issuer, "sub": sub, "aud": OUTSIDE_AUD, "iat": now, "exp": now + ttl,
             "jti": str(uuid.uuid4()), "repository": "acme/deploy"}
        c.update(extra)
        c = {k: v for k, v in c.items() if v is not None}
        return it.make_jwt({"alg": "RS256", "typ": "JWT", "kid": kid}, c,
                           key or self.issuer_key)

    def tenant_with_exchange(self):
        t = self.tenant(grants=("client_credentials", it.JWT_BEARER, TOKEN_EXCHANGE))
        return t

    def test_jwt_bearer_with_an_outside_token(self):
        t = self.tenant_with_exchange()
        self.trust(oauthClients=[t.client_id],
                   conditions=[{"claim": "repository", "in": ["acme/deploy"]}])
        token = self.outside(t.user_name, ttl=200)
        body = self.assertTokenOk(t.grant(token))
        claims = json.loads(it.b64url_decode(body["access_token"].split(".")[1]))
        self.assertEqual(claims["sub"], t.user_name)
        self.assertLessEqual(body["expires_in"], 200)  # never past the outside token's exp
        # jti "required": the same outside token twice is a replay.
        self.assertInvalidGrant(t.grant(token), "jti was already used")
        # A condition that does not hold names its claim.
        self.assertInvalidGrant(t.grant(self.outside(t.user_name, repository="acme/other")),
                                "repository")
        # A key the issuer never published.
        self.assertInvalidGrant(t.grant(self.outside(t.user_name, kid="ci-9")), "key")
        self.assertInvalidGrant(t.grant(self.outside(t.user_name, key=self.stranger_key)),
                                "signature")
        # An unknown user.
        self.assertInvalidGrant(t.grant(self.outside("nobody-" + uuid.uuid4().hex)), "no user")
        # The client's own assertions still go through the assertion rules.
        self.assertTokenOk(t.grant(t.cli_assertion()))

    def test_a_client_not_in_oauth_clients_is_refused(self):
        t = self.tenant()
        other = self.tenant()
        self.trust(oauthClients=[other.client_id])
        self.assertInvalidGrant(t.grant(self.outside(t.user_name)), "")

    def test_token_exchange(self):
        t = self.tenant_with_exchange()
        self.trust(oauthClients=[t.client_id])
        pairs = [("grant_type", TOKEN_EXCHANGE), ("subject_token", self.outside(t.user_name)),
                 ("subject_token_type", JWT_TYPE)]
        body = self.assertTokenOk(self.server.token(pairs, auth=t.auth))
        self.assertEqual(body["issued_token_type"], ACCESS_TOKEN_TYPE)
        r = self.server.token([("grant_type", TOKEN_EXCHANGE),
                               ("subject_token", self.outside(t.user_name)),
                               ("subject_token_type", "urn:ietf:params:oauth:token-type:saml2")],
                              auth=t.auth)
        self.assertOAuthError(r, 400, "invalid_request", "subject_token_type")
        # The grant must be allowed for the app.
        plain = self.tenant()
        self.trust(oauthClients=[plain.client_id])
        r = self.server.token([("grant_type", TOKEN_EXCHANGE),
                               ("subject_token", self.outside(plain.user_name)),
                               ("subject_token_type", JWT_TYPE)], auth=plain.auth)
        self.assertOAuthError(r, 400, "unauthorized_client")

    def test_federated_client_authentication(self):
        t = self.tenant()
        self.trust(subjectType="App", clientClaimName="azp", clientClaimValues=[t.client_id])
        pairs = [("grant_type", "client_credentials"),
                 ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                 ("client_assertion", self.outside("system:serviceaccount:ci:deployer",
                                                   azp=t.client_id))]
        body = self.assertTokenOk(self.server.token(pairs))
        claims = json.loads(it.b64url_decode(body["access_token"].split(".")[1]))
        self.assertEqual(claims["sub"], t.client_id)
        pairs[-1] = ("client_assertion", self.outside("x", azp="someone-else"))
        self.assertClientAuthFailed(self.server.token(pairs), basic_used=False)

    def test_assertion_checks_and_doctor_explain_an_outside_token(self):
        t = self.tenant()
        trust = self.trust(oauthClients=[t.client_id],
                           conditions=[{"claim": "repository", "in": ["acme/deploy"]}])
        report = self.admin.ok("POST", "/admin/v1/AssertionChecks",
                               {"assertion": self.outside(t.user_name, repository="acme/other"),
                                "clientId": t.client_id}, status=200)
        self.assertFalse(report["passed"], report)
        self.assertEqual(report["trust"]["id"], trust["id"])
        by_name = {r["name"]: r for r in report["rules"]}
        self.assertEqual(by_name["condition on claim 'repository'"]["result"], "fail", report)
        # tessera doctor prints the same rules, with the client's own credentials.
        p = subprocess.run([it.TESSERA, "doctor", "--url", self.server.base, "--client-id",
                            t.client_id, "--client-secret-file", "-", "--assertion",
                            self.outside(t.user_name)],
                           input=t.secret.encode(), capture_output=True, timeout=60)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        self.assertIn("rule 1 trust", out)
        self.assertIn("condition on claim 'repository'", out)
        self.assertIn("mapping", out)

    def test_keys_unavailable_is_503(self):
        t = self.tenant()
        # A loopback port nothing listens on: bound, then closed.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.trust(oauthClients=[t.client_id],
                   publicKeyEndpoint="http://127.0.0.1:%d/jwks" % port)
        r = t.grant(self.outside(t.user_name))
        self.assertOAuthError(r, 503, "temporarily_unavailable")
        self.assertTrue(r.header("Retry-After"), r)
        self.assertNotIn("access_token", r.json())


class StrictAudienceTest(it.ServerTest):
    server_args = ("--assertion-audience", "strict")

    def test_client_assertion_audience_is_the_issuer_alone(self):
        t = self.tenant()
        issuer = self.server.issuer

        def client_auth(aud):
            c = it.claims(t.client_id, t.client_id, aud=aud)
            a = it.make_jwt({"alg": "RS256", "typ": "JWT", "kid": t.alias}, c, t.keys["key"])
            return self.server.token([("grant_type", "client_credentials"),
                                      ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                                      ("client_assertion", a)])

        self.assertTokenOk(client_auth(issuer))
        self.assertTokenOk(client_auth([issuer]))
        self.assertClientAuthFailed(client_auth([issuer, issuer + "/oauth2/v1/token"]), False)
        self.assertClientAuthFailed(client_auth(it.ORACLE_AUD), False)
        # A grant assertion: the issuer or the token endpoint, nothing else.
        self.assertTokenOk(t.grant(t.assertion(aud=issuer + "/oauth2/v1/token")))
        self.assertInvalidGrant(t.grant(t.assertion(aud=it.ORACLE_AUD)), "strict")


if __name__ == "__main__":
    it.main()
