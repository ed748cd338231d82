#!/usr/bin/env python3
"""End-to-end: `tessera token` and `tessera gateway` against a real `tessera serve`.

Starts, on 127.0.0.1 with free ports: `tessera serve --demo` (with a bootstrap administrator),
an upstream echo server (in this process) that answers with the request it received, and two
gateways in front of it (one requiring the demo scope, one requiring a scope no token has).
Then checks:
  - `tessera token` with a client secret (client credentials), with private_key_jwt, and with a
    user assertion (--sub); a wrong secret fails with the server's error on one stderr line;
  - through the gateway: no token 401; a valid token 200 with X-Tessera-Subject and
    X-Tessera-Scope set and a client-sent X-Tessera-Subject stripped; 12 requests held by a slow
    upstream at once are all in flight together (the default upstream threads); a tampered token 401
    invalid_token; a token for another audience 401; a missing scope 403 insufficient_scope;
  - after POST /admin/v1/SigningKeys/rotate, tokens signed with the new key are admitted by the
    running gateway (it refetches the JWK Set on the unknown kid), and older tokens still are.
Every process is stopped on exit, also on failure. Exit 0 on success, 1 on the first failure.
"""
import argparse
import base64
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_procs import DEADLINE_S, check, b64url_json, start, stop_all  # noqa: E402

def request(url, method="GET", headers=None, body=None, timeout=10):
    """Returns (status, headers dict lower-cased (last wins), body bytes)."""
    req = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


HELD = 12  # requests the upstream holds until all of them have arrived (see "/held")


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers every request with JSON of what it received. A request for /held... is answered
    only once HELD of them are waiting at once (503 if that has not happened within 20 s)."""

    held = threading.Barrier(HELD, timeout=20)

    def _answer(self):
        if self.path.startswith("/held"):
            try:
                Echo.held.wait()
            except threading.BrokenBarrierError:
                self.send_error(503, "not all held requests arrived")
                return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        out = json.dumps({
            "method": self.command, "path": self.path, "body": body,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


def run_tessera(tessera, args, timeout=30):
    return subprocess.run([tessera] + args, capture_output=True, text=True, timeout=timeout)


def token(tessera, args):
    r = run_tessera(tessera, ["token"] + args)
    check(r.returncode == 0, "tessera token %s failed: %s" % (args, r.stderr))
    answer = json.loads(r.stdout)
    check(answer.get("token_type") == "Bearer" and answer.get("access_token"),
          "not a token answer: %s" % r.stdout)
    return answer["access_token"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    tessera = os.path.abspath(ap.parse_args().tessera)
    work = tempfile.mkdtemp(prefix="tessera-e2e-")
    log = open(os.path.join(work, "processes.log"), "w")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        issuer = "http://tessera.test"
        env = dict(os.environ, TESSERA_ADMIN_CLIENT_ID="e2e-admin",
                   TESSERA_ADMIN_CLIENT_SECRET="e2e-admin-secret-0123456789")
        _, m, lines = start([tessera, "serve", "--listen", "127.0.0.1:0", "--demo",
                             "--data-dir", os.path.join(work, "data"), "--issuer", issuer],
                            r"listening on (http://127\.0\.0\.1:\d+)", env=env, log=log)
        base = m.group(1)
        end = time.monotonic() + DEADLINE_S
        while not any("Signing keys:" in l for l in lines) and time.monotonic() < end:
            time.sleep(0.05)
        demo = "".join(lines)
        cid, secret = re.search(r"-u '([^':]+):([^']+)'", demo).groups()
        key = re.search(r"--key '([^']+)'", demo).group(1)
        kid = re.search(r"--kid ([A-Za-z0-9_.-]+)", demo).group(1)
        scope_fqs = re.search(r"scope=(\S+?)'", demo).group(1)
        audience = "https://demo.example.com:443"
        scope = scope_fqs[len(audience):]

        # --- tessera token -------------------------------------------------------------
        cc = token(tessera, ["--url", base, "--client-id", cid, "--client-secret", secret])
        check(b64url_json(cc.split(".")[1])["sub"] == cid, "client token sub")
        pkj = token(tessera, ["--url", base, "--client-id", cid, "--client-key", key,
                              "--client-kid", kid])
        check(b64url_json(pkj.split(".")[1])["sub"] == cid, "private_key_jwt token sub")
        user_args = ["--url", base, "--client-id", cid, "--client-secret", secret,
                     "--sub", "demo.user", "--key", key, "--kid", kid, "--scope", scope_fqs]
        user = token(tessera, user_args)
        claims = b64url_json(user.split(".")[1])
        check(claims["sub"] == "demo.user" and claims["aud"] == audience, "user token claims")
        # With a certificate and no --kid, the certificate's thumbprint names the key (as in
        # `tessera assert`).
        cert = os.path.join(os.path.dirname(key), "demo.cert.pem")
        by_x5t = token(tessera, user_args[:user_args.index("--kid")] + ["--cert", cert, "--scope", scope_fqs])
        check(b64url_json(by_x5t.split(".")[1])["sub"] == "demo.user", "user token by x5t")
        bad = run_tessera(tessera, ["token", "--url", base, "--client-id", cid,
                                    "--client-secret", "wrong-secret"])
        check(bad.returncode != 0, "a wrong secret must fail")
        check(bad.stderr.count("\n") == 1 and "invalid_client" in bad.stderr and
              "Client authentication failed." in bad.stderr, "one-line error: %r" % bad.stderr)
        bad = run_tessera(tessera, ["token"] + user_args[:-2] + ["--scope", "urn:nope"])
        check(bad.returncode != 0 and "invalid_scope" in bad.stderr, "scope error: %r" % bad.stderr)

        # --- tessera gateway -----------------------------------------------------------
        up = "http://127.0.0.1:%d" % upstream.server_address[1]
        jwks = base + "/admin/v1/SigningCert/jwk"
        gw_args = ["gateway", "--listen", "127.0.0.1:0", "--upstream", up, "--jwks-url", jwks,
                   "--issuer", issuer, "--audience", audience, "--jwks-refetch-interval", "1"]
        _, m, _ = start([tessera] + gw_args + ["--scope", scope],
                        r"listening on (http://127\.0\.0\.1:\d+)", log=log)
        gw = m.group(1)
        _, m, _ = start([tessera] + gw_args + ["--scope", "urn:opc:resource:consumer::write"],
                        r"listening on (http://127\.0\.0\.1:\d+)", log=log)
        gw_write = m.group(1)

        status, headers, _ = request(gw + "/api/items?x=1")
        check(status == 401, "no token: %d" % status)
        check(headers.get("www-authenticate", "").startswith("Bearer") and
              'error="invalid_token"' in headers["www-authenticate"],
              "no token challenge: %s" % headers.get("www-authenticate"))

        status, headers, body = request(
            gw + "/api/items?x=1&y=a%20b", method="POST", body=b"payload=1",
            headers={"Authorization": "Bearer " + user, "X-Tessera-Subject": "admin",
                     "X_Tessera_Subject": "admin", "x_tessera_scope": "everything",
                     "Forwarded": "for=6.6.6.6", "X_Forwarded_For": "6.6.6.6",
                     "x-tessera-scope": "everything", "Content-Type": "text/plain"})
        check(status == 200, "valid token: %d %s" % (status, body[:300]))
        check(headers.get("x-upstream") == "echo", "upstream headers come back")
        check(headers.get("content-type") == "application/json",
              "the upstream's content type comes back: %s" % headers.get("content-type"))
        echo = json.loads(body)
        got = {}
        for k, v in echo["headers"]:
            got.setdefault(k, []).append(v)
        check(got.get("x-tessera-subject") == ["demo.user"],
              "subject header: %s" % got.get("x-tessera-subject"))
        check(got.get("x-tessera-scope") == [scope], "scope header: %s" % got.get("x-tessera-scope"))
        check(echo["method"] == "POST" and echo["path"] == "/api/items?x=1&y=a%20b" and
              echo["body"] == "payload=1", "forwarded request: %s" % echo)
        check(got.get("content-type") == ["text/plain"], "content-type forwarded")
        # A CGI/WSGI upstream reads '_' as '-': no spelling of an owned header gets through.
        cgi = {}
        for k, v in echo["headers"]:
            cgi.setdefault(k.replace("_", "-"), []).append(v)
        check(cgi.get("x-tessera-subject") == ["demo.user"], "forged subject: %s" % echo["headers"])
        check(cgi.get("x-tessera-scope") == [scope], "forged scope: %s" % echo["headers"])
        check("forwarded" not in cgi and cgi.get("x-forwarded-for") == ["127.0.0.1"],
              "forged forwarding headers: %s" % echo["headers"])

        # Dot segments, encoded or not, never leave the upstream's path.
        for path in ("/api/../../internal", "/%2e%2e/internal", "/api/..%2F..%2Finternal"):
            status, _, body = request(gw + path, headers={"Authorization": "Bearer " + user})
            check(status == 400, "traversal %s: %d %s" % (path, status, body[:200]))

        # A slow upstream holds one of the gateway's upstream threads per request, never the
        # others' turn: the default 64 keep HELD requests in flight at once, however few the cores.
        statuses = []

        def held(i):
            status, _, _ = request(gw + "/held/%d" % i, headers={"Authorization": "Bearer " + user},
                                   timeout=40)
            statuses.append(status)

        clients = [threading.Thread(target=held, args=(i,)) for i in range(HELD)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        check(statuses == [200] * HELD, "requests held upstream at once: %s" % statuses)

        head, payload, sig = user.split(".")
        tampered = head + "." + payload + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
        forged_claims = dict(claims, sub="admin")
        forged = head + "." + base64.urlsafe_b64encode(
            json.dumps(forged_claims).encode()).decode().rstrip("=") + "." + sig
        for bad_token, what in ((tampered, "tampered signature"), (forged, "forged claims"),
                                ("not-a-jwt", "garbage")):
            status, headers, _ = request(gw + "/api", headers={"Authorization": "Bearer " + bad_token})
            check(status == 401, "%s: %d" % (what, status))
            check('error="invalid_token"' in headers.get("www-authenticate", ""),
                  "%s challenge: %s" % (what, headers.get("www-authenticate")))

        # A valid token of the same issuer for another audience: the administrator's.
        status, _, body = request(
            base + "/oauth2/v1/token", method="POST",
            body=b"grant_type=client_credentials&scope=urn:opc:idm:__myscopes__",
            headers={"Authorization": "Basic " + base64.b64encode(
                b"e2e-admin:e2e-admin-secret-0123456789").decode(),
                "Content-Type": "application/x-www-form-urlencoded"})
        check(status == 200, "admin token: %d %s" % (status, body))
        admin = json.loads(body)["access_token"]
        check(b64url_json(admin.split(".")[1])["aud"] != audience, "admin aud differs")
        status, headers, body = request(gw + "/api", headers={"Authorization": "Bearer " + admin})
        check(status == 401 and 'error="invalid_token"' in headers.get("www-authenticate", ""),
              "wrong audience: %d %s" % (status, headers.get("www-authenticate")))
        check(b"audience" in body, "wrong audience named: %s" % body)

        status, headers, _ = request(gw_write + "/api", headers={"Authorization": "Bearer " + user})
        check(status == 403, "missing scope: %d" % status)
        check('error="insufficient_scope"' in headers.get("www-authenticate", ""),
              "insufficient_scope challenge: %s" % headers.get("www-authenticate"))

        # --- key rotation --------------------------------------------------------------
        old_kid = b64url_json(user.split(".")[0])["kid"]
        status, _, body = request(base + "/admin/v1/SigningKeys/rotate", method="POST", body=b"{}",
                                  headers={"Authorization": "Bearer " + admin,
                                           "Content-Type": "application/json"})
        check(status in (200, 201), "rotate: %d %s" % (status, body))
        time.sleep(1.1)  # past the gateway's refetch interval
        new = None
        end = time.monotonic() + 20  # the server's caches may serve the old key a few seconds
        while time.monotonic() < end:
            t = token(tessera, user_args)
            if b64url_json(t.split(".")[0])["kid"] != old_kid:
                new = t
                break
            time.sleep(0.5)
        check(new is not None, "no token with a new kid after rotation")
        status, _, body = request(gw + "/api/after-rotation",
                                  headers={"Authorization": "Bearer " + new})
        check(status == 200, "new-key token after rotation: %d %s" % (status, body[:300]))
        status, _, _ = request(gw + "/api", headers={"Authorization": "Bearer " + user})
        check(status == 200, "old-key token after rotation: %d" % status)
        print("e2e: token and gateway: all checks passed")
        return 0
    except AssertionError as e:
        print("e2e: FAILED: %s" % e, file=sys.stderr)
        log.flush()
        with open(log.name) as f:
            sys.stderr.write("--- process log (tail) ---\n" + f.read()[-3000:])
        return 1
    finally:
        stop_all()
        upstream.shutdown()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
