#!/usr/bin/env python3
"""Interop: panva's oauth4webapi (a DPoP client nobody here wrote) against Tessera.

Starts, on 127.0.0.1 with free ports: `tessera serve --demo --dpop-nonce on`, an upstream echo
server (in this process), and `tessera gateway` in front of it. Installs the pinned
oauth4webapi (package-lock.json) with `npm ci` into --work-dir, then runs client.mjs with Node.js:
it gets a DPoP-bound token with client_credentials (a use_dpop_nonce round trip first) and calls
the upstream through the gateway with it. Checks: one nonce retry, token_type DPoP and a
cnf.jkt in the token, 200 from the upstream with X-Tessera-Subject set, and the same token
refused as Bearer. Then the same chain with `tessera token --dpop-key` and `tessera dpop proof`.
Exit 0 on success, 1 on the first failure.
"""
import argparse
import base64
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e"))
from e2e_procs import DEADLINE_S, check, b64url_json, start, stop_all  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        out = json.dumps({"path": self.path,
                          "headers": [[k.lower(), v] for k, v in self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--work-dir", required=True, help="where node_modules is installed")
    args = ap.parse_args()
    tessera = os.path.abspath(args.tessera)
    node, npm = shutil.which("node"), shutil.which("npm")
    check(node is not None and npm is not None, "Node.js and npm are needed (scripts/setup)")
    os.makedirs(args.work_dir, exist_ok=True)
    for name in ("package.json", "package-lock.json", "client.mjs"):
        shutil.copy(os.path.join(HERE, name), args.work_dir)
    r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=args.work_dir,
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "npm ci failed: %s" % r.stderr[-2000:])

    work = tempfile.mkdtemp(prefix="tessera-dpop-interop-")
    log = open(os.path.join(work, "processes.log"), "w")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        # The issuer is the URL the client addresses: the token endpoint checks the proof's htu
        # against it (RFC 9449 4.3 item 9). So the port is chosen here, before the start.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        issuer = "http://127.0.0.1:%d" % port
        _, m, lines = start([tessera, "serve", "--listen", "127.0.0.1:%d" % port, "--demo",
                          "--dpop-nonce", "on", "--data-dir", os.path.join(work, "data"),
                          "--issuer", issuer], r"listening on (http://127\.0\.0\.1:\d+)", log)
        base = m.group(1)
        end = time.monotonic() + DEADLINE_S
        while not any("Signing keys:" in l for l in lines) and time.monotonic() < end:
            time.sleep(0.05)
        demo = "".join(lines)
        cid, secret = re.search(r"-u '([^':]+):([^']+)'", demo).groups()
        scope_fqs = re.search(r"scope=(\S+?)'", demo).group(1)
        audience = "https://demo.example.com:443"
        up = "http://127.0.0.1:%d" % upstream.server_address[1]
        _, m, _ = start([tessera, "gateway", "--listen", "127.0.0.1:0", "--upstream", up,
                      "--jwks-url", base + "/admin/v1/SigningCert/jwk", "--issuer", issuer,
                      "--audience", audience], r"listening on (http://127\.0\.0\.1:\d+)", log)
        gw = m.group(1)

        resource = gw + "/api/orders?id=7"
        r = subprocess.run([node, "client.mjs", issuer, base + "/oauth2/v1/token", cid, secret,
                            scope_fqs, resource], cwd=args.work_dir, capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 0, "oauth4webapi client failed: %s %s" % (r.stdout, r.stderr))
        out = json.loads(r.stdout.strip().splitlines()[-1])
        check(out["nonce_retries"] == 1, "expected one use_dpop_nonce round trip: %r" % out)
        check(out["token_type"].lower() == "dpop", "token_type %r" % out["token_type"])
        claims = b64url_json(out["access_token"].split(".")[1])
        check(isinstance(claims.get("cnf", {}).get("jkt"), str), "no cnf.jkt: %r" % claims)
        check(out["status"] == 200, "resource call: %d %s" % (out["status"], out["body"]))
        seen = json.loads(out["body"])
        headers = dict(seen["headers"])
        check(headers.get("x-tessera-subject") == cid, "subject %r" % headers)
        check(headers.get("authorization", "").startswith("DPoP "), "scheme %r" % headers)
        check(seen["path"] == "/api/orders?id=7", "path %r" % seen["path"])
        print("ok: oauth4webapi obtained a DPoP token (nonce round trip) and called the gateway")

        # The same token without its proof, as Bearer: refused (RFC 9449 7.2).
        req = urllib.request.Request(resource, headers={
            "Authorization": "Bearer " + out["access_token"]})
        try:
            urllib.request.urlopen(req, timeout=10)
            check(False, "a DPoP token was admitted as Bearer")
        except urllib.error.HTTPError as e:
            check(e.code == 401 and 'error="invalid_token"' in e.headers.get(
                "WWW-Authenticate", ""), "as Bearer: %d %s" % (e.code, e.headers))
        print("ok: the same token as Bearer is refused")

        # The same chain with the command line: `tessera token --dpop-key` (the nonce round
        # trip inside), then `tessera dpop proof` for the call through the gateway.
        subprocess.run([tessera, "keys", "generate", "--alias", "cli-dpop", "--type", "ec",
                        "--out-dir", work], check=True, capture_output=True, timeout=60)
        key = os.path.join(work, "cli-dpop.key.pem")
        r = subprocess.run([tessera, "token", "--url", base, "--client-id", cid,
                            "--client-secret", secret, "--scope", scope_fqs, "--dpop-key", key],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "tessera token --dpop-key: %s" % r.stderr)
        answer = json.loads(r.stdout)
        check(answer["token_type"] == "DPoP", "token_type %r" % answer)
        jkt = subprocess.run([tessera, "dpop", "thumbprint", "--key", key], capture_output=True,
                             text=True, timeout=60).stdout.strip()
        check(b64url_json(answer["access_token"].split(".")[1])["cnf"] == {"jkt": jkt},
              "the token is not bound to the CLI's key")
        proof = subprocess.run([tessera, "dpop", "proof", "--key", key, "--method", "GET",
                                "--url", resource, "--token", answer["access_token"]],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        req = urllib.request.Request(resource, headers={
            "Authorization": "DPoP " + answer["access_token"], "DPoP": proof})
        with urllib.request.urlopen(req, timeout=10) as resp:
            check(resp.status == 200, "CLI token through the gateway: %d" % resp.status)
        print("ok: tessera token --dpop-key and tessera dpop proof through the gateway")
    except AssertionError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        log.flush()
        with open(os.path.join(work, "processes.log")) as f:
            sys.stderr.write(f.read()[-3000:])
        return 1
    finally:
        stop_all()
        upstream.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
