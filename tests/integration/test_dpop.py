"""DPoP at the token endpoint (RFC 9449; contract section 11) against the real server.

Proofs are made here: a P-256 key by the openssl command line, ES256 signatures by `openssl dgst`
turned from DER into the raw R||S of RFC 7518 3.4, the JWK and its RFC 7638 thumbprint computed
from the public key's bytes. Covered: a valid proof binds the token of both grants (cnf.jkt,
token_type DPoP), every refused proof (method, URL, stale and future iat, replay, private jwk
members, alg none and HS256, a signature by another key, two DPoP headers) is 400
invalid_dpop_proof naming the rule, introspection, discovery, and server nonces
(--dpop-nonce on: use_dpop_nonce with a DPoP-Nonce header, then success).
"""

import hashlib
import json
import os
import subprocess
import time
import uuid

import tessera_it as it

TOKEN_PATH = "/oauth2/v1/token"


def run_bytes(args, input=None):
    """Runs a command; returns its stdout bytes, raising with stderr on failure."""
    p = subprocess.run(args, capture_output=True, timeout=30, input=input)
    if p.returncode != 0:
        raise AssertionError("%s failed: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


def _der_len(data, i):
    n = data[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(data[i + 1:i + 1 + k], "big"), i + 1 + k


def ecdsa_der_to_raw(der, size=32):
    """RFC 7518 3.4: the JWS form of an ECDSA signature is R||S, each `size` bytes."""
    assert der[0] == 0x30
    _, i = _der_len(der, 1)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n, i = _der_len(der, i + 1)
        out += der[i:i + n].lstrip(b"\x00").rjust(size, b"\x00")
        i += n
    return out


class EcKey:
    """A P-256 key pair made by openssl, signing ES256."""

    def __init__(self, work_dir):
        self.pem = os.path.join(work_dir, "dpop-%s.key.pem" % uuid.uuid4().hex[:8])
        it.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", self.pem])
        spki = run_bytes(["openssl", "pkey", "-in", self.pem, "-pubout", "-outform", "DER"])
        point = spki[-65:]  # the uncompressed point 04 || x || y ends the SubjectPublicKeyInfo
        assert point[0] == 4
        self.jwk = {"crv": "P-256", "kty": "EC", "x": it.b64url(point[1:33]),
                    "y": it.b64url(point[33:])}
        self.private_d = it.b64url(b"\x01" * 32)

    def thumbprint(self):
        """RFC 7638: SHA-256 of the required members in lexicographic order, no whitespace."""
        canonical = json.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")},
                               separators=(",", ":"), sort_keys=True)
        return it.b64url(hashlib.sha256(canonical.encode()).digest())

    def sign(self, signing_input):
        der = run_bytes(["openssl", "dgst", "-sha256", "-sign", self.pem], input=signing_input)
        return ecdsa_der_to_raw(der)


def proof(key, url, method="POST", iat=None, jti=None, header=None, claims=None, signer=None,
          alg="ES256", hmac_key=None):
    """A DPoP proof JWT by `key` (or signed by `signer`, or HS256 with hmac_key, or unsigned
    with alg none) for `method` at `url`; `header` and `claims` add or replace members."""
    h = {"typ": "dpop+jwt", "alg": alg, "jwk": dict(key.jwk)}
    h.update(header or {})
    c = {"jti": jti or str(uuid.uuid4()), "htm": method, "htu": url,
         "iat": int(time.time()) if iat is None else iat}
    c.update(claims or {})
    if alg == "none":
        return it.make_jwt(h, c, signature="")
    if hmac_key is not None:
        return it.make_jwt(h, c, hmac_key=hmac_key)
    signing_input = (it._segment(h) + "." + it._segment(c)).encode()
    return signing_input.decode() + "." + it.b64url((signer or key).sign(signing_input))


class DpopTokenEndpointTest(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = EcKey(cls.work)
        cls.other = EcKey(cls.work)
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)
        cls.url = cls.server.issuer + TOKEN_PATH

    def cc(self, proofs, scope=None):
        pairs = [("grant_type", "client_credentials")]
        if scope:
            pairs.append(("scope", scope))
        headers = [("Content-Type", "application/x-www-form-urlencoded"),
                   ("Authorization", it.basic(*self.t.auth))]
        headers += [("DPoP", p) for p in proofs]
        return self.server.request("POST", TOKEN_PATH, it.form(pairs), headers)

    def assertDpopToken(self, r):
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["token_type"], "DPoP")
        _, claims = it.jwt_parts(body["access_token"])
        self.assertEqual(claims["cnf"], {"jkt": self.key.thumbprint()})
        return body

    def assertBadProof(self, r, description):
        body = self.assertOAuthError(r, 400, "invalid_dpop_proof")
        self.assertEqual(body["error_description"], description, r)
        return body

    def test_valid_proof_binds_client_credentials_and_jwt_bearer_tokens(self):
        self.assertDpopToken(self.cc([proof(self.key, self.url)]))
        r = self.server.request(
            "POST", TOKEN_PATH,
            it.form([("grant_type", it.JWT_BEARER), ("assertion", self.t.cli_assertion())]),
            {"Content-Type": "application/x-www-form-urlencoded",
             "Authorization": it.basic(*self.t.auth), "DPoP": proof(self.key, self.url)})
        body = self.assertDpopToken(r)
        self.assertEqual(it.jwt_parts(body["access_token"])[1]["sub"], self.t.user_name)
        # Without a proof: a Bearer token, no cnf.
        plain = self.assertTokenOk(self.cc([]))
        self.assertNotIn("cnf", it.jwt_parts(plain["access_token"])[1])

    def test_proof_for_another_method_or_url(self):
        self.assertBadProof(self.cc([proof(self.key, self.url, method="GET")]),
                            "DPoP proof htm does not match the request method")
        self.assertBadProof(self.cc([proof(self.key, "http://127.0.0.1:1" + TOKEN_PATH)]),
                            "DPoP proof htu does not match the request URI")
        self.assertBadProof(self.cc([proof(self.key, self.server.issuer + "/oauth2/v1/revoke")]),
                            "DPoP proof htu does not match the request URI")
        # Query and fragment are no part of the comparison (RFC 9449 4.3 item 9).
        self.assertDpopToken(self.cc([proof(self.key, self.url + "?a=b#frag")]))

    def test_stale_and_future_iat(self):
        now = int(time.time())
        self.assertBadProof(self.cc([proof(self.key, self.url, iat=now - 120)]),
                            "DPoP proof iat too old")
        self.assertBadProof(self.cc([proof(self.key, self.url, iat=now + 120)]),
                            "DPoP proof iat in the future")

    def test_replayed_proof(self):
        p = proof(self.key, self.url)
        self.assertDpopToken(self.cc([p]))
        self.assertBadProof(self.cc([p]), "DPoP proof already used")
        # A proof refused for another reason first does not spend its jti.
        q = proof(self.key, self.url)
        self.assertOAuthError(self.cc([q], scope="https://nowhere.example/x"), 400,
                              "invalid_scope")
        self.assertDpopToken(self.cc([q]))

    def test_jwk_with_private_members(self):
        p = proof(self.key, self.url, header={"jwk": dict(self.key.jwk, d=self.key.private_d)})
        self.assertBadProof(self.cc([p]), "DPoP proof jwk contains a private key")

    def test_alg_none_and_hs256(self):
        for p in (proof(self.key, self.url, alg="none"),
                  proof(self.key, self.url, alg="HS256", hmac_key=b"k" * 32)):
            body = self.assertOAuthError(self.cc([p]), 400, "invalid_dpop_proof")
            self.assertIn("alg", body["error_description"])

    def test_signature_by_another_key_than_the_jwk(self):
        self.assertBadProof(self.cc([proof(self.key, self.url, signer=self.other)]),
                            "DPoP proof signature does not verify")

    def test_two_dpop_headers(self):
        self.assertBadProof(self.cc([proof(self.key, self.url), proof(self.key, self.url)]),
                            "more than one DPoP proof")

    def test_introspection_and_revocation_of_a_bound_token(self):
        token = self.assertDpopToken(self.cc([proof(self.key, self.url)]))["access_token"]
        r = self.server.post_form("/oauth2/v1/introspect", [("token", token)], auth=self.t.auth)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertTrue(body["active"])
        self.assertEqual(body["token_type"], "DPoP")
        self.assertEqual(body["cnf"], {"jkt": self.key.thumbprint()})
        r = self.server.post_form("/oauth2/v1/revoke", [("token", token)], auth=self.t.auth)
        self.assertEqual(r.status, 200, r)
        r = self.server.post_form("/oauth2/v1/introspect", [("token", token)], auth=self.t.auth)
        self.assertEqual(r.json(), {"active": False})

    def test_discovery_lists_the_proof_algorithms(self):
        for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
            body = self.server.get(path).json()
            self.assertEqual(body["dpop_signing_alg_values_supported"],
                             ["RS256", "PS256", "ES256", "EdDSA"])

    def test_without_nonces_a_proof_needs_none(self):
        self.assertIsNone(self.cc([proof(self.key, self.url)]).header("DPoP-Nonce"))


class DpopNonceTest(it.ServerTest):
    server_args = ("--dpop-nonce", "on")

    def test_use_dpop_nonce_then_success(self):
        key = EcKey(self.work)
        t = self.tenant()
        url = self.server.issuer + TOKEN_PATH

        def ask(p):
            return self.server.request(
                "POST", TOKEN_PATH, it.form([("grant_type", "client_credentials")]),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": it.basic(*t.auth), "DPoP": p})

        r = ask(proof(key, url))
        body = self.assertOAuthError(r, 400, "use_dpop_nonce")
        self.assertEqual(body["error_description"], "DPoP proof nonce required")
        nonce = r.header("DPoP-Nonce")
        self.assertTrue(nonce)
        r = ask(proof(key, url, claims={"nonce": "not-one-of-ours"}))
        self.assertOAuthError(r, 400, "use_dpop_nonce")
        self.assertTrue(r.header("DPoP-Nonce"))
        r = ask(proof(key, url, claims={"nonce": nonce}))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["token_type"], "DPoP")
        self.assertEqual(it.jwt_parts(r.json()["access_token"])[1]["cnf"]["jkt"], key.thumbprint())


if __name__ == "__main__":
    it.main()
