#!/usr/bin/env python3
"""The client side of sender-constrained tokens from the command line.

  - `tessera dpop proof` prints a proof whose header is {typ dpop+jwt, alg, public jwk} and whose
    claims are htm, htu (without query), iat, a fresh jti, ath = SHA-256 of --token and nonce;
    `tessera dpop thumbprint` prints the RFC 7638 thumbprint of the same jwk;
  - `tessera token --dpop-key` against a token endpoint (in this process) that answers the first
    request 400 use_dpop_nonce with a DPoP-Nonce: the command sends a proof for POST to the token
    URL, sends it again with the nonce, and prints the answer (token_type DPoP);
  - `tessera token --tls-client-cert --tls-client-key --ca-file` against an https token endpoint
    (in this process) requiring a client certificate: the certificate reaches the server; without
    it the TLS handshake fails.
Keys come from `tessera keys generate` (EC) and the openssl command line. Exit 0 on success.
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


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def jwk_thumbprint(jwk):
    members = {k: jwk[k] for k in ("crv", "kty", "x", "y") if k in jwk}
    text = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(text.encode()).digest())


def run(tessera, *args, ok=True):
    r = subprocess.run([tessera, *args], capture_output=True, text=True, timeout=60)
    if ok:
        check(r.returncode == 0, "%s failed: %s" % (args[:2], r.stderr))
    return r


class TokenEndpoint(http.server.BaseHTTPRequestHandler):
    """Records each request's DPoP header and client certificate; the first DPoP request is
    answered 400 use_dpop_nonce."""
    seen = []
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        cert = None
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert(binary_form=True)
        with self.lock:
            self.seen.append({"dpop": self.headers.get_all("DPoP") or [], "cert": cert,
                              "path": self.path})
            first = len([s for s in self.seen if s["dpop"]]) == 1
        dpop = self.headers.get("DPoP")
        if dpop and first:
            body = b'{"error":"use_dpop_nonce","error_description":"a nonce is required"}'
            self.send_response(400)
            self.send_header("DPoP-Nonce", "nonce-1")
        else:
            answer = {"access_token": "t-%d" % len(self.seen),
                      "token_type": "DPoP" if dpop else "Bearer", "expires_in": 300}
            body = json.dumps(answer).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_dpop_proof(tessera, work):
    key = os.path.join(work, "dpop.key.pem")
    jkt = run(tessera, "dpop", "thumbprint", "--key", key).stdout.strip()
    proof = run(tessera, "dpop", "proof", "--key", key, "--method", "GET", "--url",
                "https://api.example.com/orders?id=7#frag", "--token", "tok-1",
                "--nonce", "n-1").stdout.strip()
    parts = proof.split(".")
    check(len(parts) == 3, "not a compact JWS: %r" % proof)
    header, claims = b64url_json(parts[0]), b64url_json(parts[1])
    check(header["typ"] == "dpop+jwt" and header["alg"] == "ES256", "header %r" % header)
    check("d" not in header["jwk"], "the proof carries the private key")
    check(jwk_thumbprint(header["jwk"]) == jkt, "thumbprint %s is not the jwk's" % jkt)
    check(claims["htm"] == "GET", "htm %r" % claims)
    check(claims["htu"] == "https://api.example.com/orders", "htu %r" % claims)
    check(claims["ath"] == b64url(hashlib.sha256(b"tok-1").digest()), "ath %r" % claims)
    check(claims["nonce"] == "n-1", "nonce %r" % claims)
    other = run(tessera, "dpop", "proof", "--key", key, "--method", "POST", "--url",
                "https://as.example.com/token").stdout.strip()
    other_claims = b64url_json(other.split(".")[1])
    check("ath" not in other_claims and "nonce" not in other_claims, "%r" % other_claims)
    check(other_claims["jti"] != claims["jti"], "a jti was reused")
    bad = run(tessera, "dpop", "proof", "--key", key, "--method", "GET", "--url", "ftp://x",
              ok=False)
    check(bad.returncode == 1 and "URL" in bad.stderr, "ftp URL: %r" % bad.stderr)
    print("ok: tessera dpop proof and thumbprint")


def test_token_dpop(tessera, work):
    TokenEndpoint.seen = []
    server = serve()
    url = "http://127.0.0.1:%d" % server.server_address[1]
    key = os.path.join(work, "dpop.key.pem")
    jkt = run(tessera, "dpop", "thumbprint", "--key", key).stdout.strip()
    r = run(tessera, "token", "--url", url, "--client-id", "c", "--client-secret", "s",
            "--dpop-key", key)
    answer = json.loads(r.stdout)
    check(answer["token_type"] == "DPoP", "token_type %r" % answer)
    seen = TokenEndpoint.seen
    check(len(seen) == 2, "expected the nonce round trip, got %d requests" % len(seen))
    proofs = []
    for s in seen:
        check(len(s["dpop"]) == 1, "one DPoP header per request: %r" % s["dpop"])
        header, claims = (b64url_json(p) for p in s["dpop"][0].split(".")[:2])
        check(jwk_thumbprint(header["jwk"]) == jkt, "a proof of another key")
        check(claims["htm"] == "POST", "htm %r" % claims)
        check(claims["htu"] == url + "/oauth2/v1/token", "htu %r" % claims)
        check("ath" not in claims, "ath at the token endpoint")
        proofs.append(claims)
    check("nonce" not in proofs[0], "the first proof has a nonce it was never given")
    check(proofs[1].get("nonce") == "nonce-1", "the retry lacks the server's nonce")
    check(proofs[0]["jti"] != proofs[1]["jti"], "the retry reused the jti")
    server.shutdown()
    print("ok: tessera token --dpop-key with a nonce round trip")


def test_token_mtls(tessera, work):
    openssl = shutil.which("openssl")
    check(openssl is not None, "the openssl command line is needed")
    server_key = os.path.join(work, "server.key")
    server_cert = os.path.join(work, "server.crt")
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", server_key, "-out",
                    server_cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    client_key = os.path.join(work, "mtls.key.pem")
    client_cert = os.path.join(work, "mtls.cert.pem")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert, server_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(client_cert)  # the self-signed client certificate itself
    TokenEndpoint.seen = []
    server = serve(context)
    url = "https://127.0.0.1:%d" % server.server_address[1]
    r = run(tessera, "token", "--url", url, "--client-id", "c", "--client-secret", "s",
            "--ca-file", server_cert, "--tls-client-cert", client_cert, "--tls-client-key",
            client_key, "--attempts", "1")
    check(json.loads(r.stdout)["token_type"] == "Bearer", r.stdout)
    with open(client_cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    check(len(TokenEndpoint.seen) == 1 and TokenEndpoint.seen[0]["cert"] == der,
          "the server did not get the client certificate")
    # Without the certificate the server refuses the handshake: a transport error.
    r = run(tessera, "token", "--url", url, "--client-id", "c", "--client-secret", "s",
            "--ca-file", server_cert, "--attempts", "1", ok=False)
    check(r.returncode == 1 and len(TokenEndpoint.seen) == 1, "no certificate: %r" % r.stderr)
    # The two flags go together.
    r = run(tessera, "token", "--url", url, "--client-id", "c", "--client-secret", "s",
            "--tls-client-cert", client_cert, ok=False)
    check(r.returncode == 1 and "--tls-client-key" in r.stderr, r.stderr)
    server.shutdown()
    print("ok: tessera token --tls-client-cert/--tls-client-key")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-sc-cli-")
    try:
        run(args.tessera, "keys", "generate", "--alias", "dpop", "--type", "ec",
            "--out-dir", work)
        run(args.tessera, "keys", "generate", "--alias", "mtls", "--type", "ec",
            "--out-dir", work)
        test_dpop_proof(args.tessera, work)
        test_token_dpop(args.tessera, work)
        test_token_mtls(args.tessera, work)
    except AssertionError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
