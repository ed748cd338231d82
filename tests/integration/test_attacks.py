"""The attack classes of docs/security.md applied at the token endpoint: to the user
assertion of a jwt-bearer grant (400 invalid_grant) and to client assertions (401
invalid_client), beyond the one-per-rule cases of test_assertion_rules.py."""

import http.server
import json
import os
import threading
import time
import uuid

import tessera_it as it


class Listener:
    """A local HTTP listener that counts the requests it gets (for jku/x5u: none allowed)."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"keys":[]}')

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class AttacksTest(it.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = it.Tenant(cls.server, cls.admin, cls.work)
        cls.other = it.Tenant(cls.server, cls.admin, cls.work)
        with open(cls.t.keys["cert"], "rb") as f:
            cls.cert_pem = f.read()
        cls.cert_der = it.der_of(cls.t.keys["cert"])

    def grant_rejected(self, assertion, pattern=None, t=None):
        t = t or self.t
        start = time.monotonic()
        r = t.grant(assertion, t.fqs)
        elapsed = time.monotonic() - start
        body = self.assertOAuthError(r, 400, "invalid_grant")
        if pattern:
            self.assertRegex(body["error_description"], pattern)
        for leak in ("sqlite", "SQLITE", "syntax error", "no such table"):
            self.assertNotIn(leak, body["error_description"])
        self.assertLess(elapsed, 5.0, "rejection took %.1f s" % elapsed)
        return body

    def fresh_claims(self, **kw):
        c = it.claims(self.t.client_id, self.t.user_name)
        c.update(kw)
        return c

    # ---- A: algorithms
    def test_a1_a2_none_and_its_spellings(self):
        for alg in ("none", "None", "NONE", "nOnE", "none ", "NoNe\u0000"):
            a = it.make_jwt({"alg": alg, "kid": self.t.alias}, self.fresh_claims())
            self.grant_rejected(a, "header rejected|not allowed")
            # and with a non-empty "signature"
            a = it.make_jwt({"alg": alg, "kid": self.t.alias}, self.fresh_claims(), signature=it.b64url(b"x" * 32))
            self.grant_rejected(a)

    def test_a3_rs256_with_empty_signature(self):
        a = self.t.assertion()
        self.grant_rejected(a[: a.rindex(".") + 1])

    def test_a4_a5_hmac_keyed_with_the_certificate(self):
        pub_pem = it.run(["openssl", "x509", "-in", self.t.keys["cert"], "-pubkey", "-noout"]).encode()
        jwk = json.dumps({"kty": "RSA", "kid": self.t.alias}).encode()
        for secret in (self.cert_pem, self.cert_der, pub_pem, b"\n" + pub_pem, jwk, b""):
            for header in ({"alg": "HS256", "kid": self.t.alias}, {"alg": "HS256", "x5t": it.x5t(self.t.keys["cer"])}):
                self.grant_rejected(it.make_jwt(header, self.fresh_claims(), hmac_key=secret), "HS256|header rejected")

    def test_a6_family_substitution(self):
        # RS256 key, header says RS512 or PS256 (over an RS256 signature).
        for alg in ("RS512", "PS256", "RS384"):
            h, c, s = self.t.assertion().split(".")
            hdr = it.b64url(json.dumps({"alg": alg, "kid": self.t.alias}))
            self.grant_rejected(hdr + "." + c + "." + s, "not allowed|header rejected|signature")

    def test_a8_alg_missing_or_not_a_string(self):
        for header in ('{"kid":"%s"}', '{"alg":null,"kid":"%s"}', '{"alg":["RS256","none"],"kid":"%s"}',
                       '{"alg":{"name":"RS256"},"kid":"%s"}', '{"alg":256,"kid":"%s"}'):
            a = it.make_jwt(header % self.t.alias, self.fresh_claims(), self.t.keys["key"])
            self.grant_rejected(a)

    def test_a9_unknown_or_key_management_algs(self):
        for alg in ("HS1", "RS1", "ES256K", "RSA-OAEP", "A256KW", "rs256"):
            self.grant_rejected(it.make_jwt({"alg": alg, "kid": self.t.alias}, self.fresh_claims(), self.t.keys["key"]))

    # ---- B: signature formats
    def test_b5_signature_of_the_wrong_length(self):
        h, c, s = self.t.assertion().split(".")
        sig = it.b64url_decode(s)
        for bad in (sig[:-1], b"\x00" + sig, sig + b"\x00", b"\x00" * len(sig), b"\x01"):
            self.grant_rejected(h + "." + c + "." + it.b64url(bad), "signature|not a valid JWT")

    def test_b1_b2_ecdsa_signature_forms(self):
        # An app allowed ES256 with a P-256 certificate: the CLI's raw R||S signature is accepted;
        # r = s = 0 ("psychic signature") and the DER form of a valid signature are not.
        alias = it.unique("ec")
        it.run([it.TESSERA, "keys", "generate", "--alias", alias, "--type", "ec", "--out-dir", self.work])
        key, cer = os.path.join(self.work, alias + ".key.pem"), os.path.join(self.work, alias + ".cer")
        self.admin.upload_cert(alias, cer)
        app = self.admin.create_client(scopes=[self.t.fqs], certs=[alias], assertionAlgorithms=["ES256"])
        auth = (app["name"], app["clientSecret"])

        def grant(a):
            return self.server.token([("grant_type", it.JWT_BEARER), ("assertion", a), ("scope", self.t.fqs)], auth=auth)

        good = it.run([it.TESSERA, "assert", "--client-id", app["name"], "--sub", self.t.user_name, "--key", key,
                       "--kid", alias, "--alg", "ES256"]).strip()
        self.assertEqual(len(it.b64url_decode(good.split(".")[2])), 64)
        self.assertTokenOk(grant(good))
        c = it.claims(app["name"], self.t.user_name)
        zero = it.make_jwt({"alg": "ES256", "kid": alias}, c, signature="A" * 86)
        self.assertOAuthError(grant(zero), 400, "invalid_grant", "signature does not verify")
        h = {"alg": "ES256", "kid": alias}
        signing_input = (it.b64url(json.dumps(h)) + "." + it.b64url(json.dumps(c))).encode()
        der = it.rsa_sign(signing_input, key)  # openssl dgst writes ECDSA signatures in DER
        self.assertEqual(der[0], 0x30)
        self.assertOAuthError(grant(signing_input.decode() + "." + it.b64url(der)), 400, "invalid_grant",
                              "signature does not verify")
        # An RS256 assertion for this ES256-only app, and ES384 on a P-256 key (A7).
        rs = it.make_jwt({"alg": "RS256", "kid": self.t.alias}, it.claims(app["name"], self.t.user_name), self.t.keys["key"])
        self.assertOAuthError(grant(rs), 400, "invalid_grant", "alg RS256 is not allowed")
        es384 = it.make_jwt({"alg": "ES384", "kid": alias}, it.claims(app["name"], self.t.user_name), signature="A" * 128)
        self.assertOAuthError(grant(es384), 400, "invalid_grant", "ES384")

    def test_b9_illegal_character_in_a_segment(self):
        h, c, s = self.t.assertion().split(".")
        for bad in (h[:5] + "?" + h[5:] + "." + c + "." + s, h + "." + c.replace("-", "+") + "." + s.replace("-", "+").replace("_", "/"),
                    h + " ." + c + "." + s, h + ".\n" + c + "." + s):
            if bad == h + "." + c + "." + s:
                continue
            self.grant_rejected(bad, "not a valid JWT")

    def test_b10_jwe_five_segments(self):
        jwe = it.b64url('{"alg":"dir","enc":"A256GCM","kid":"%s"}' % self.t.alias) + "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"
        self.grant_rejected(jwe, "not a valid JWT|header rejected")
        jwe2 = it.b64url('{"alg":"RSA-OAEP","enc":"A128GCM"}') + ".AAAA.AAAA.AAAA.AAAA"
        self.grant_rejected(jwe2)

    def test_b_non_canonical_last_character(self):
        h, c, s = self.t.assertion().split(".")
        # 256-byte signature -> 342 chars with 2 spare bits in the last char; flip them.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.index(s[-1])
        self.assertEqual(len(s) % 4, 2)
        noncanon = s[:-1] + alphabet[last | 0x0F] if (last | 0x0F) != last else s[:-1] + alphabet[last ^ 0x01]
        self.grant_rejected(h + "." + c + "." + noncanon, "not a valid JWT|signature")

    # ---- C: key selection and key-carrying headers
    def test_c1_embedded_jwk(self):
        attacker = it.generate_keys(it.unique("attacker"), self.work)
        jwk = {"kty": "RSA", "n": it.b64url(b"\xab" * 256), "e": "AQAB"}
        a = it.make_jwt({"alg": "RS256", "jwk": jwk}, self.fresh_claims(), attacker["key"])
        self.grant_rejected(a, "header rejected")
        a = it.make_jwt({"alg": "RS256", "kid": self.t.alias, "jwk": jwk}, self.fresh_claims(), self.t.keys["key"])
        self.grant_rejected(a, "header rejected")

    def test_c2_c3_jku_and_x5u_make_no_outbound_request(self):
        listener = Listener()
        self.addCleanup(listener.close)
        for member in ("jku", "x5u"):
            a = self.t.assertion(header_extra={member: listener.url + "/" + member})
            self.grant_rejected(a, "header rejected")
            a = self.t.assertion(header={"alg": "RS256", member: listener.url + "/nokid"})
            self.grant_rejected(a, "header rejected")
        time.sleep(0.2)
        self.assertEqual(listener.hits, [])

    def test_c4_x5c_header(self):
        a = self.t.assertion(header_extra={"x5c": [it.cert_b64(self.t.keys["cert"])]})
        self.grant_rejected(a, "header rejected")
        attacker = it.generate_keys(it.unique("attacker"), self.work)
        a = it.make_jwt({"alg": "RS256", "x5c": [it.cert_b64(attacker["cert"])]}, self.fresh_claims(), attacker["key"])
        self.grant_rejected(a, "header rejected")

    def test_c5_c6_c7_kid_injection(self):
        for kid in ("../../../../../../dev/null", "/dev/null", "x' UNION SELECT '1';--", "*)(uid=*", "|sleep 10",
                    "; curl http://127.0.0.1:1/", "%s' OR '1'='1" % self.t.alias, ""):
            self.grant_rejected(it.make_jwt({"alg": "HS256", "kid": kid}, self.fresh_claims(), hmac_key=b""))
            self.grant_rejected(it.make_jwt({"alg": "HS256", "kid": kid}, self.fresh_claims(), hmac_key=b"1"))
            self.grant_rejected(it.make_jwt({"alg": "RS256", "kid": kid}, self.fresh_claims(), self.t.keys["key"]),
                                "matches no certificate|names no key|not a valid JWT|header rejected")
        self.grant_rejected(it.make_jwt('{"alg":"RS256","kid":{"$ne":null}}', self.fresh_claims(), self.t.keys["key"]))

    def test_c8_partner_certificate_and_cross_client(self):
        # A trusted partner certificate verifies assertions for any app (rule 3, second source)...
        alias = it.unique("partner")
        partner = it.generate_keys(alias, self.work)
        self.admin.upload_cert(alias, partner["cer"], partner=True)
        a = it.make_jwt({"alg": "RS256", "kid": alias}, self.fresh_claims(), partner["key"])
        self.assertTokenOk(self.t.grant(a, self.t.fqs))
        # ... but another app's attached certificate does not (F5/C8).
        a = it.make_jwt({"alg": "RS256", "x5t#S256": it.x5t_s256(self.other.keys["cer"])}, self.fresh_claims(),
                        self.other.keys["key"])
        self.grant_rejected(a, "matches no certificate attached to client " + self.t.client_id)

    # ---- D: header semantics
    def test_d2_malformed_crit(self):
        for extra in ({"crit": []}, {"crit": "b64"}, {"crit": ["alg"]}, {"crit": ["exp"]}, {"crit": ["x", "x"], "x": 1},
                      {"crit": ["foo"]}):
            self.grant_rejected(self.t.assertion(header_extra=extra), "header rejected|not a valid JWT")

    def test_d3_unencoded_payload(self):
        self.grant_rejected(self.t.assertion(header_extra={"b64": False, "crit": ["b64"]}), "header rejected")
        self.grant_rejected(self.t.assertion(header_extra={"b64": False}), "header rejected")

    def test_d4_nested_and_compressed(self):
        self.grant_rejected(self.t.assertion(header_extra={"cty": "JWT"}), "header rejected")
        self.grant_rejected(self.t.assertion(header_extra={"zip": "DEF"}), "header rejected")

    def test_d5_explicit_typ(self):
        for typ in ("at+jwt", "application/at+jwt", "dpop+jwt", "oauth-authz-req+jwt", "logout+jwt",
                    "client-authentication+jwt", "JOSE"):
            self.grant_rejected(self.t.assertion(header_extra={"typ": typ}), "header rejected: typ")
        for typ in ("JWT", "jwt", "application/jwt"):
            self.assertTokenOk(self.t.grant(self.t.assertion(header_extra={"typ": typ}), self.t.fqs))
        grant = [("grant_type", "client_credentials"), ("client_assertion_type", it.CLIENT_ASSERTION_TYPE)]
        for typ, ok in (("client-authentication+jwt", True), ("JWT", True), ("at+jwt", False), ("dpop+jwt", False)):
            ca = it.make_jwt({"alg": "RS256", "kid": self.t.alias, "typ": typ},
                             it.claims(self.t.client_id, self.t.client_id), self.t.keys["key"])
            r = self.server.token(grant + [("client_assertion", ca)])
            if ok:
                self.assertTokenOk(r)
            else:
                self.assertClientAuthFailed(r, basic_used=False)

    def test_d6_json_serialization(self):
        h, c, s = self.t.assertion().split(".")
        general = json.dumps({"payload": c, "signatures": [{"protected": h, "signature": s}]})
        flattened = json.dumps({"payload": c, "protected": h, "signature": s})
        for text in (general, flattened):
            self.grant_rejected(text, "not a valid JWT")

    # ---- E: encoding, parsing and limits
    def test_e1_segments(self):
        h, c, sig = self.t.assertion().split(".")
        for bad in (h + "." + c, h + "." + c + "." + sig + "." + sig, h + "." + c + "." + sig + ".", "." + c + "." + sig,
                    h + ".." + sig, "..", ""):
            r = self.t.grant(bad, self.t.fqs)
            self.assertEqual(r.status, 400, r)
            self.assertIn(r.json()["error"], ("invalid_grant", "invalid_request"), r)

    def test_e3_e4_noncanonical_segments(self):
        h, c, sig = self.t.assertion().split(".")
        for bad in (" " + h + "." + c + "." + sig, h + "." + c + "." + sig + "\n", h + "\r\n." + c + "." + sig,
                    h + "." + c + "%2E" + "." + sig, h + "." + c + "." + sig + "A", h + "." + c + "AAAAA." + sig):
            self.grant_rejected(bad, "not a valid JWT|signature")

    def test_e5_e6_e7_not_strict_utf8_json_objects(self):
        hdr = '{"alg":"RS256","kid":"%s"}' % self.t.alias
        good = json.dumps(self.fresh_claims())
        for header, claims_text in (
                (b"\xef\xbb\xbf" + hdr.encode(), good), (hdr, b"\xef\xbb\xbf" + good.encode()),
                (hdr, good[:-1].encode() + b',"n":"\xc0\xaf"}'), (hdr, good[:-1].encode() + b',"n":"\xed\xa0\x80"}'),
                (hdr, good[:-1] + ',"n":"\\ud800"}'), (hdr + "xyz", good), (hdr[:-1] + ",}", good),
                (hdr.replace('"', "'"), good), (hdr, good.replace('"iat": ', '"iat": 00')),
                (hdr, good[:-1] + ',"n":NaN}'), ("/*c*/" + hdr, good), ("[]", good), ('"RS256"', good), ("null", good),
                (hdr, '"' + self.t.assertion() + '"'), (hdr, "[" + good + "]"),
                ('{"alg":"RS256","\\u0061lg":"none","kid":"%s"}' % self.t.alias, good)):
            self.grant_rejected(it.make_jwt(header, claims_text, self.t.keys["key"]), "not a valid JWT|header rejected")

    def test_e9_escaped_and_case_variant_names(self):
        # "\u0061lg" is "alg"; "Exp" is not "exp".
        a = it.make_jwt('{"\\u0061lg":"RS256","kid":"%s"}' % self.t.alias, self.fresh_claims(), self.t.keys["key"])
        self.assertTokenOk(self.t.grant(a, self.t.fqs))
        self.grant_rejected(self.t.assertion(exp=None, Exp=int(time.time()) + 300), '"exp"')
        a = it.make_jwt({"ALG": "none", "alg": "RS256", "kid": self.t.alias}, self.fresh_claims(), self.t.keys["key"])
        self.assertTokenOk(self.t.grant(a, self.t.fqs))  # ALG is just an unknown member

    def test_e10_e11_limits(self):
        self.grant_rejected(self.t.assertion(aud=["https://x%d.example" % i for i in range(1200)]), "not a valid JWT|aud")
        self.grant_rejected(self.t.assertion(header_extra={"pad": "h" * 30000}), "not a valid JWT|header")
        self.grant_rejected(self.t.assertion(header_extra={"kid": "k" * 5000}), "not a valid JWT|header rejected")
        # Many members (within the 32 KiB bound): parsed and refused fast, no quadratic time.
        many = "{" + ",".join('"m%d":1' % i for i in range(2500)) + "}"
        self.grant_rejected(it.make_jwt({"alg": "RS256", "kid": self.t.alias}, many, self.t.keys["key"]))

    # ---- F: issuer and audience comparisons
    def test_f4_iss_compared_exactly(self):
        cid = self.t.client_id
        for iss in (cid.upper() if cid.upper() != cid else cid.lower(), cid + "/", cid + ".evil", " " + cid, cid + "\u0000",
                    cid[:-1]):
            self.grant_rejected(self.t.assertion(iss=iss), "is not the client id")

    def test_f6_audience_variants(self):
        for aud in ("", [], "https://identity.oraclecloud.com.evil/", "https://identity.oraclecloud.com//",
                    "HTTPS://IDENTITY.ORACLECLOUD.COM/", self.server.issuer + "/oauth2/v1/token/", ["https://x.example"],
                    self.server.issuer + ".evil", 5):
            self.grant_rejected(self.t.assertion(aud=aud), "audience|aud")
        self.grant_rejected(self.t.assertion(aud=None), "aud")

    # ---- G: time
    def test_g_times(self):
        now = int(time.time())
        self.grant_rejected(self.t.assertion(iat=now - 300, exp=now - 31), "expired")
        self.grant_rejected(self.t.assertion(nbf=now + 90), "not before")
        self.grant_rejected(self.t.assertion(iat=now + 3600, exp=now + 3700), "issued at")
        self.grant_rejected(self.t.assertion(iat=now, exp=now + 10 * 365 * 86400), "at most 3600 s")
        self.grant_rejected(self.t.assertion(iat=now + 20, exp=now + 10), "exp is before iat")
        self.grant_rejected(self.t.assertion(nbf=now + 25, exp=now + 20), "exp is before nbf")
        self.grant_rejected(self.t.assertion(iat=now - 30 * 86400, exp=now + 60), "at most 3600 s")
        c = json.dumps(self.fresh_claims())
        for raw in ('"exp":1e400', '"exp":null', '"exp":true', '"exp":-5'):
            body = c.replace('"exp": %d' % json.loads(c)["exp"], raw)
            self.assertNotEqual(body, c)
            self.grant_rejected(it.make_jwt({"alg": "RS256", "kid": self.t.alias}, body, self.t.keys["key"]))

    # ---- H: replay
    def test_h3_forged_tokens_do_not_preblock_a_jti(self):
        jti = str(uuid.uuid4())
        forged = it.make_jwt({"alg": "none", "kid": self.t.alias}, self.fresh_claims(jti=jti))
        self.grant_rejected(forged)
        self.grant_rejected(self.t.assertion(jti=jti, key=self.other.keys["key"]), "signature")
        self.assertTokenOk(self.t.grant(self.t.assertion(jti=jti), self.t.fqs))

    def test_h3_huge_jti(self):
        self.grant_rejected(self.t.assertion(jti="j" * 20000), "not a valid JWT|jti")
        status, _ = it.raw_exchange(self.server.base, self.token_request(self.t.assertion(jti="j" * (1 << 20))))
        self.assertEqual(status, 413)

    # ---- I: request level
    def token_request(self, assertion):
        body = it.form([("grant_type", it.JWT_BEARER), ("assertion", assertion), ("scope", self.t.fqs)]).encode()
        u = self.server.base.split("//", 1)[1]
        return (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: " + u.encode() +
                b"\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: " +
                it.basic(*self.t.auth).encode() + b"\r\nContent-Length: " + str(len(body)).encode() +
                b"\r\nConnection: close\r\n\r\n" + body)

    def test_j14_one_megabyte_body_is_413(self):
        # Over the token route's limit (1 MB), and over the server's absolute 1 MiB cap.
        for size in (999000, 1 << 20, 3 << 20):
            start = time.monotonic()
            status, answer = it.raw_exchange(self.server.base, self.token_request("a" * size))
            self.assertEqual(status, 413, (size, answer[:300]))
            self.assertLess(time.monotonic() - start, 10)
        self.assertTokenOk(self.t.grant(self.t.assertion(), self.t.fqs))  # still serving

    def test_j14_deeply_nested_json(self):
        deep = '{"sub":"%s","x":' % self.t.user_name + "[" * 10000 + "]" * 10000 + "}"
        self.grant_rejected(it.make_jwt({"alg": "RS256", "kid": self.t.alias}, deep, self.t.keys["key"]), "not a valid JWT")

    def test_i1_two_jwts_in_the_assertion(self):
        a1, a2 = self.t.assertion(), self.t.assertion()
        for combined in (a1 + " " + a2, a1 + "," + a2, a1 + "." + a2, a1 + a2):
            self.grant_rejected(combined, "not a valid JWT")
        # Neither jti was burned.
        self.assertTokenOk(self.t.grant(a1, self.t.fqs))
        self.assertTokenOk(self.t.grant(a2, self.t.fqs))

    def test_i5_client_assertion_used_as_grant_and_back(self):
        ca = it.run([it.TESSERA, "assert", "--client-id", self.t.client_id, "--client-assertion",
                     "--key", self.t.keys["key"], "--kid", self.t.alias]).strip()
        self.grant_rejected(ca, "is not the userName of any user")
        ua = self.t.assertion()
        r = self.server.token([("grant_type", "client_credentials"), ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                               ("client_assertion", ua)])
        self.assertClientAuthFailed(r, basic_used=False)

    def test_i7_client_assertion_failures_are_generic(self):
        grant = [("grant_type", "client_credentials"), ("scope", self.t.fqs)]
        now = int(time.time())
        bad = [
            it.make_jwt({"alg": "none"}, it.claims(self.t.client_id, self.t.client_id)),
            it.make_jwt({"alg": "RS256", "kid": "nope"}, it.claims(self.t.client_id, self.t.client_id), self.t.keys["key"]),
            it.make_jwt({"alg": "RS256", "kid": self.t.alias, "jku": "http://127.0.0.1:1/"},
                        it.claims(self.t.client_id, self.t.client_id), self.t.keys["key"]),
            it.make_jwt({"alg": "HS256", "kid": self.t.alias}, it.claims(self.t.client_id, self.t.client_id),
                        hmac_key=self.cert_pem),
            it.make_jwt({"alg": "RS256", "kid": self.t.alias},
                        it.claims(self.t.client_id, self.t.client_id, iat=now - 400, exp=now - 100), self.t.keys["key"]),
            it.make_jwt({"alg": "RS256", "kid": self.t.alias},
                        it.claims(self.t.client_id, self.t.client_id, aud="https://evil.example/"), self.t.keys["key"]),
            it.make_jwt({"alg": "RS256", "kid": self.other.alias}, it.claims(self.t.client_id, self.t.client_id),
                        self.other.keys["key"]),
            "garbage",
        ]
        for ca in bad:
            r = self.server.token(grant + [("client_assertion_type", it.CLIENT_ASSERTION_TYPE), ("client_assertion", ca)])
            self.assertClientAuthFailed(r, basic_used=False)
        r = self.server.token(grant + [("client_assertion_type", it.CLIENT_ASSERTION_TYPE), ("client_assertion", bad[1]),
                                       ("client_assertion", bad[1])])
        self.assertOAuthError(r, 400, "invalid_request")


if __name__ == "__main__":
    it.main()
