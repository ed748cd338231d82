"""Seed 000 end to end: a keytool keystore, the certificate uploaded by alias, a confidential
app with both grants and a resource scope, assertions signed from the PKCS#12 and from the
openssl-exported PEM, the token requested as curl does it, then verified against the JWKS."""

import hashlib
import json
import os
import shutil
import subprocess
import time

import tessera_it as it


def keytool_seed(work):
    """The seed's exact commands (plus -dname so that keytool does not prompt)."""
    for tool in ("keytool", "openssl", "curl"):
        if shutil.which(tool) is None:
            raise AssertionError(tool + " is required by seed 000 (install openjdk-17-jdk-headless / openssl / curl)")
    os.chdir(work)
    it.run(["keytool", "-genkey", "-keyalg", "RSA", "-alias", "assert", "-keystore", "sampleKeystore.jks",
            "-storepass", "samplePasswd", "-validity", "365", "-keysize", "2048", "-dname", "CN=assert"])
    it.run(["keytool", "-exportcert", "-alias", "assert", "-file", "assert.cer", "-keystore",
            "sampleKeystore.jks", "-storepass", "samplePasswd"])
    it.run(["keytool", "-importkeystore", "-srckeystore", "sampleKeystore.jks", "-srcstorepass", "samplePasswd",
            "-srckeypass", "samplePasswd", "-srcalias", "assert", "-destalias", "assert", "-destkeystore",
            "assert.p12", "-deststoretype", "PKCS12", "-deststorepass", "samplePasswd", "-destkeypass",
            "samplePasswd"])
    it.run(["openssl", "pkcs12", "-in", "assert.p12", "-nodes", "-nocerts", "-out", "private_key.pem",
            "-passin", "pass:samplePasswd"])


class Seed000Test(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cwd = os.getcwd()
        cls.addClassCleanup(os.chdir, cls.cwd)
        cls.kdir = os.path.join(cls.work, "keys")
        os.makedirs(cls.kdir)
        keytool_seed(cls.kdir)
        cls.cer = os.path.join(cls.kdir, "assert.cer")
        cls.p12 = os.path.join(cls.kdir, "assert.p12")
        cls.pem_key = os.path.join(cls.kdir, "private_key.pem")
        # "Trusted Client": the .cer uploaded under the alias (base64 of the DER).
        cls.cert = cls.admin.upload_cert("assert", cls.cer)
        cls.resource = cls.admin.create_resource(audience="https://oic-seed000.example.com:443")
        cls.fqs = cls.resource["audience"] + it.SCOPE_VALUE
        cls.user = cls.admin.create_user("seed000.user@example.com")
        cls.app = cls.admin.create_client(scopes=[cls.fqs], certs=["assert"])
        cls.client_id, cls.secret = cls.app["name"], cls.app["clientSecret"]

    def curl_token(self, assertion, scope):
        """The seed's curl command, with -D to see the answer's headers."""
        creds = it.basic(self.client_id, self.secret)
        hdr_file = os.path.join(self.work, "curl-headers.txt")
        out = it.run(["curl", "-s", "-L", "-X", "POST", self.server.base + "/oauth2/v1/token",
                      "-D", hdr_file, "-H", "Content-Type: application/x-www-form-urlencoded",
                      "-H", "Authorization: " + creds,
                      "--data-urlencode", "grant_type=" + it.JWT_BEARER,
                      "--data-urlencode", "assertion=" + assertion,
                      "--data-urlencode", "scope=" + scope], timeout=30)
        with open(hdr_file) as f:
            head = f.read()
        status = int(head.split()[1])
        headers = {}
        for line in head.splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return status, headers, json.loads(out)

    def check_access_token(self, token, assertion_jti=None):
        # Verified against the published JWKS by the CLI.
        out = it.run([it.TESSERA, "jwt", "verify", token, "--jwks-url",
                      self.server.base + "/admin/v1/SigningCert/jwk"])
        verified = json.loads(out)
        header, claims = it.jwt_parts(token)
        self.assertEqual(verified, claims)
        self.assertEqual(claims["iss"], self.server.issuer)
        self.assertEqual(claims["sub"], self.user["userName"])
        self.assertEqual(claims["sub_type"], "user")
        self.assertEqual(claims["aud"], self.resource["audience"])
        self.assertEqual(claims["scope"], it.SCOPE_VALUE)
        self.assertEqual(claims["client_id"], self.client_id)
        self.assertEqual(claims["client_name"], self.app["displayName"])
        self.assertEqual(claims["user_id"], self.user["id"])
        self.assertEqual(claims["tok_type"], "AT")
        self.assertEqual(claims["gtp"], "jwt")
        now = time.time()
        self.assertLessEqual(abs(claims["iat"] - now), 60)
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        self.assertRegex(claims["jti"], r"^[0-9A-Za-z-]{16,}$")
        self.assertNotEqual(claims["jti"], assertion_jti)
        self.assertEqual(header["alg"], "RS256")
        jwks = self.server.get("/admin/v1/SigningCert/jwk").json()
        key = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
        self.assertEqual(len(key), 1, jwks)
        self.assertIn("x5c", key[0], key[0])
        der = it.base64.b64decode(key[0]["x5c"][0])
        self.assertEqual(header["x5t"], it.b64url(hashlib.sha1(der).digest()))
        self.assertEqual(header["x5t#S256"], it.b64url(hashlib.sha256(der).digest()))

    def test_uploaded_certificate_thumbprints(self):
        self.assertEqual(self.cert["certificateAlias"], "assert")
        self.assertEqual(self.cert["x5t"], it.x5t(self.cer))
        self.assertEqual(self.cert["x5t#S256"], it.x5t_s256(self.cer))
        got = self.admin.ok("GET", "/admin/v1/OAuthClientCertificates/assert")
        self.assertEqual(got["x509Base64Certificate"], it.cert_b64(self.cer))

    def test_p12_assertion_with_kid_through_curl(self):
        assertion = it.run([it.TESSERA, "assert", "--client-id", self.client_id, "--sub",
                            self.user["userName"], "--p12", self.p12, "--p12-password", "samplePasswd",
                            "--kid", "assert"]).strip()
        h, c = it.jwt_parts(assertion)
        self.assertEqual((h["alg"], h["kid"], c["aud"]), ("RS256", "assert", it.ORACLE_AUD))
        status, headers, body = self.curl_token(assertion, self.fqs)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3600)
        self.assertNotIn("scope", body)  # same as requested
        self.check_access_token(body["access_token"], c["jti"])

    def test_openssl_exported_pem_assertion(self):
        with open(self.pem_key) as f:
            self.assertTrue(f.read().startswith("Bag Attributes"))
        assertion = it.run([it.TESSERA, "assert", "--client-id", self.client_id, "--sub",
                            self.user["userName"], "--key", self.pem_key, "--kid", "assert"]).strip()
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", assertion), ("scope", self.fqs)],
                              auth=(self.client_id, self.secret))
        body = self.assertTokenOk(r)
        self.check_access_token(body["access_token"])

    def test_python_signed_assertion_with_pem_key(self):
        # The seed's header shape ({"kid":..,"type":"JWT","alg":"RS256"}), signed by openssl.
        c = it.claims(self.client_id, self.user["userName"])
        assertion = it.make_jwt({"kid": "assert", "type": "JWT", "alg": "RS256"}, c, self.pem_key)
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", assertion), ("scope", self.fqs)],
                              auth=(self.client_id, self.secret))
        self.check_access_token(self.assertTokenOk(r)["access_token"])

    def test_certificate_uploaded_as_pem(self):
        pem_cert = self.admin.upload_cert("assert-pem", self.cer, pem=True)
        self.assertEqual(pem_cert["x5t"], it.x5t(self.cer))
        self.assertEqual(pem_cert["x509Base64Certificate"], it.cert_b64(self.cer))
        app = self.admin.create_client(scopes=[self.fqs], certs=["assert-pem"])
        assertion = it.run([it.TESSERA, "assert", "--client-id", app["name"], "--sub", self.user["userName"],
                            "--p12", self.p12, "--p12-password", "samplePasswd", "--kid", "assert-pem"]).strip()
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", assertion), ("scope", self.fqs)],
                              auth=(app["name"], app["clientSecret"]))
        claims = it.jwt_parts(self.assertTokenOk(r)["access_token"])[1]
        self.assertEqual(claims["client_id"], app["name"])

    def test_jwt_verify_rejects_tampered_token(self):
        assertion = it.run([it.TESSERA, "assert", "--client-id", self.client_id, "--sub",
                            self.user["userName"], "--key", self.pem_key, "--kid", "assert"]).strip()
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", assertion), ("scope", self.fqs)],
                              auth=(self.client_id, self.secret))
        token = self.assertTokenOk(r)["access_token"]
        h, c, s = token.split(".")
        claims = json.loads(it.b64url_decode(c))
        claims["sub"] = "someone-else"
        forged = h + "." + it.b64url(json.dumps(claims)) + "." + s
        p = subprocess.run([it.TESSERA, "jwt", "verify", forged, "--jwks-url",
                            self.server.base + "/admin/v1/SigningCert/jwk"], capture_output=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    it.main()
