#!/usr/bin/env python3
"""Hostile requests with sender-constrained tokens at `tessera gateway` (RFC 9449, RFC 8705).

The test is its own token issuer: an RSA key from `tessera keys generate`, its JWK Set served
from this process, tokens signed RS256 with `openssl dgst`, so it can mint tokens with any
"cnf". Proofs come from `tessera dpop proof`; the mTLS calls use curl with client
certificates. One gateway serves HTTPS with --tls-client-ca (client certificates requested),
in front of an upstream echo server in this process.

  DPoP-bound token (cnf.jkt): admitted with a proof for this method, URL and token; refused as
  Bearer (no downgrade, with the DPoP challenge), without a proof, with a proof lacking ath or
  covering another token, for another URL or method, by another key, and replayed.
  Unbound token: admitted as Bearer, refused under DPoP. A cnf of an unknown method: refused.
  Certificate-bound token (cnf.x5t#S256): refused without a client certificate and with another
  one, admitted with its own.
Exit 0 on success, 1 on the first failure.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_procs import check, start, stop_all  # noqa: E402

ISSUER = "https://issuer.test"
AUDIENCE = "https://api.test"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, timeout=60, **kw)
    check(r.returncode == 0, "%s failed: %s" % (args[:3], r.stderr[-1000:]))
    return r.stdout


class Issuer:
    """Mints RS256 access tokens with the claims a test needs."""

    def __init__(self, tessera, work):
        run([tessera, "keys", "generate", "--alias", "issuer", "--type", "rsa", "--out-dir",
             work])
        self.key = os.path.join(work, "issuer.key.pem")
        self.jwks = run([tessera, "keys", "jwk", os.path.join(work, "issuer.cert.pem"),
                         "--kid", "k1"])  # a JWK Set of the one key
        self.n = 0

    def token(self, cnf=None):
        self.n += 1
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "client_id": "c1",
                  "scope": "read", "iat": now, "exp": now + 300, "jti": "t-%d" % self.n}
        if cnf is not None:
            claims["cnf"] = cnf
        header = {"alg": "RS256", "typ": "JWT", "kid": "k1"}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode())
        return signing_input + "." + b64url(sig)


def serve(handler_factory):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_factory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Curl:
    """HTTPS calls to the gateway with curl (client certificates for the mTLS cases)."""

    def __init__(self, ca):
        self.ca = ca

    def __call__(self, url, method="GET", headers=(), cert=None):
        args = ["curl", "-sS", "--cacert", self.ca, "-X", method, "-D", "-", "-o", "-",
                "--max-time", "10"]
        for h in headers:
            args += ["-H", h]
        if cert:
            args += ["--cert", cert[0], "--key", cert[1]]
        r = subprocess.run(args + [url], capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "curl failed: %s" % r.stderr)
        head, _, body = r.stdout.partition("\n\n")  # text mode: CRLF read as LF
        status = int(head.split()[1])
        fields = {}
        for line in head.split("\n")[1:]:
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
        return status, fields, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    tessera = os.path.abspath(ap.parse_args().tessera)
    for tool in ("openssl", "curl"):
        check(shutil.which(tool) is not None, "the %s command line is needed" % tool)
    work = tempfile.mkdtemp(prefix="tessera-sc-gateway-")
    log = open(os.path.join(work, "processes.log"), "w")
    servers = []
    try:
        issuer = Issuer(tessera, work)

        class Jwks(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(issuer.jwks)))
                self.end_headers()
                self.wfile.write(issuer.jwks)

            def log_message(self, *args):
                pass

        class Echo(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                out = json.dumps({"path": self.path, "subject":
                                  self.headers.get("X-Tessera-Subject")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        jwks, echo = serve(Jwks), serve(Echo)
        servers += [jwks, echo]

        # The gateway's server certificate (for 127.0.0.1) and two client certificates.
        server_key, server_cert = os.path.join(work, "gw.key"), os.path.join(work, "gw.crt")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", server_key, "-out", server_cert, "-days", "1", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        for alias in ("client1", "client2", "dpop", "dpop2"):
            run([tessera, "keys", "generate", "--alias", alias, "--type", "ec", "--out-dir",
                 work])
        cert1 = (os.path.join(work, "client1.cert.pem"), os.path.join(work, "client1.key.pem"))
        cert2 = (os.path.join(work, "client2.cert.pem"), os.path.join(work, "client2.key.pem"))
        clients_ca = os.path.join(work, "clients.pem")
        with open(clients_ca, "w") as out:
            for c in (cert1[0], cert2[0]):
                with open(c) as f:
                    out.write(f.read())

        _, m, _ = start([tessera, "gateway", "--listen", "127.0.0.1:0", "--upstream",
                   "http://127.0.0.1:%d" % echo.server_address[1], "--jwks-url",
                   "http://127.0.0.1:%d/jwks" % jwks.server_address[1], "--issuer", ISSUER,
                   "--audience", AUDIENCE, "--tls-cert", server_cert, "--tls-key", server_key,
                   "--tls-client-ca", clients_ca],
                  r"listening on (https://127\.0\.0\.1:\d+)", log)
        gw = m.group(1)
        curl = Curl(server_cert)
        url = gw + "/api/orders?id=7"

        def proof(key, method, target, token=None):
            args = [tessera, "dpop", "proof", "--key", os.path.join(work, key + ".key.pem"),
                    "--method", method, "--url", target]
            if token:
                args += ["--token", token]
            return run(args).decode().strip()

        def refused(status, fields, _body, code, what):
            challenge = ", ".join(fields.get("www-authenticate", []))
            check(status == 401 and ('error="%s"' % code) in challenge,
                  "%s: expected 401 %s, got %d %r" % (what, code, status, challenge))
            return challenge

        # --- DPoP-bound token --------------------------------------------------------------
        jkt = run([tessera, "dpop", "thumbprint", "--key",
                   os.path.join(work, "dpop.key.pem")]).decode().strip()
        bound = issuer.token({"jkt": jkt})
        good = proof("dpop", "GET", url, bound)
        c = refused(*curl(url, headers=["Authorization: Bearer " + bound]), "invalid_token",
                    "bound token as Bearer")
        check("DPoP" in c and "algs=" in c, "no DPoP challenge next to Bearer: %r" % c)
        refused(*curl(url, headers=["Authorization: Bearer " + bound, "DPoP: " + good]),
                "invalid_token", "bound token as Bearer with a proof")
        refused(*curl(url, headers=["Authorization: DPoP " + bound]), "invalid_dpop_proof",
                "no proof")
        refused(*curl(url, headers=["Authorization: DPoP " + bound,
                                    "DPoP: " + proof("dpop", "GET", url)]),
                "invalid_dpop_proof", "proof without ath")
        refused(*curl(url, headers=["Authorization: DPoP " + bound,
                                    "DPoP: " + proof("dpop", "GET", url, issuer.token())]),
                "invalid_dpop_proof", "proof covering another token")
        refused(*curl(url, headers=["Authorization: DPoP " + bound,
                                    "DPoP: " + proof("dpop", "GET", gw + "/api/other", bound)]),
                "invalid_dpop_proof", "proof for another URL")
        refused(*curl(url, headers=["Authorization: DPoP " + bound,
                                    "DPoP: " + proof("dpop", "POST", url, bound)]),
                "invalid_dpop_proof", "proof for another method")
        refused(*curl(url, headers=["Authorization: DPoP " + bound,
                                    "DPoP: " + proof("dpop2", "GET", url, bound)]),
                "invalid_dpop_proof", "proof by another key")
        refused(*curl(url, headers=["Authorization: DPoP " + bound, "DPoP: " + good,
                                    "DPoP: " + proof("dpop", "GET", url, bound)]),
                "invalid_dpop_proof", "two proofs")
        status, _, body = curl(url, headers=["Authorization: DPoP " + bound, "DPoP: " + good])
        check(status == 200 and json.loads(body)["subject"] == "alice",
              "valid proof: %d %s" % (status, body))
        refused(*curl(url, headers=["Authorization: DPoP " + bound, "DPoP: " + good]),
                "invalid_dpop_proof", "replayed proof")
        print("ok: DPoP-bound token at the gateway")

        # --- unbound and unknown confirmations ---------------------------------------------
        plain = issuer.token()
        status, _, _ = curl(url, headers=["Authorization: Bearer " + plain])
        check(status == 200, "unbound token as Bearer: %d" % status)
        refused(*curl(url, headers=["Authorization: DPoP " + plain,
                                    "DPoP: " + proof("dpop", "GET", url, plain)]),
                "invalid_token", "unbound token under DPoP")
        odd = issuer.token({"kid": "some-key"})
        refused(*curl(url, headers=["Authorization: Bearer " + odd]), "invalid_token",
                "unknown cnf method")
        print("ok: unbound tokens and unknown confirmations")

        # --- certificate-bound token --------------------------------------------------------
        with open(cert1[0]) as f:
            x5t = b64url(hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).digest())
        cert_bound = issuer.token({"x5t#S256": x5t})
        refused(*curl(url, headers=["Authorization: Bearer " + cert_bound]), "invalid_token",
                "certificate-bound token without a certificate")
        refused(*curl(url, headers=["Authorization: Bearer " + cert_bound], cert=cert2),
                "invalid_token", "certificate-bound token with another certificate")
        status, _, body = curl(url, headers=["Authorization: Bearer " + cert_bound], cert=cert1)
        check(status == 200 and json.loads(body)["subject"] == "alice",
              "certificate-bound token with its certificate: %d %s" % (status, body))
        print("ok: certificate-bound token at the gateway")
    except AssertionError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        log.flush()
        with open(os.path.join(work, "processes.log")) as f:
            sys.stderr.write(f.read()[-3000:])
        return 1
    finally:
        stop_all()
        for s in servers:
            s.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
