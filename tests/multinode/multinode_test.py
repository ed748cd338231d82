#!/usr/bin/env python3
"""Several `tessera serve` nodes on one PostgreSQL database behave as one service.

Usage: pg_ctl_env multinode_test.py PATH/TO/tessera

Needs TESSERA_TEST_PG_URL and TESSERA_TEST_PG_CTL (tests/postgres/pg_ctl_env sets both). Starts
two nodes with the same issuer on the same database and checks, with every wait bounded:
  - an app, user and certificate registered on node A are used on node B within the cache bound;
  - a jti used on A is refused on B, and one assertion raced at both nodes wins exactly once;
  - a signing key rotated on A signs on B within the cache bound;
  - with the database stopped under traffic, /ready and the token endpoint answer 503
    (temporarily_unavailable, Retry-After), never 500, and no node dies; started again, both
    nodes issue tokens without a restart.
Python standard library only.
"""

import base64
import http.client
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ISSUER = "http://tessera.test"
ADMIN_ID = "multinode-admin"
ADMIN_SECRET = "multinode-admin-secret-0123456789"
CACHE_TTL = 2  # --cache-ttl: how stale a node may be
BOUND = CACHE_TTL + 8  # seconds a change on one node may take to show on another
AUDIENCE = "https://multinode.example.com:443"
SCOPE_VALUE = "urn:opc:resource:consumer::all"
SCOPE = AUDIENCE + SCOPE_VALUE
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

failures = []


def check(cond, what):
    if cond:
        print("ok   " + what, flush=True)
    else:
        print("FAIL " + what, flush=True)
        failures.append(what)
    return cond


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Node:
    """One `tessera serve` process; its stdout is drained by a thread."""

    def __init__(self, name, tessera, pg_url, workdir):
        self.name = name
        data_dir = os.path.join(workdir, name)
        os.makedirs(data_dir)
        env = dict(os.environ)
        env["TESSERA_ADMIN_CLIENT_ID"] = ADMIN_ID
        env["TESSERA_ADMIN_CLIENT_SECRET"] = ADMIN_SECRET
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [tessera, "serve", "--listen", "127.0.0.1:0", "--database", pg_url,
             "--data-dir", data_dir, "--issuer", ISSUER, "--cache-ttl", str(CACHE_TTL),
             "--threads", "2"],
            stdout=subprocess.PIPE, stderr=self.log, env=env, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        self.port = None

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_banner(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith("tessera: listening on http://127.0.0.1:"):
                self.port = int(line.split("http://127.0.0.1:")[1].split()[0])
                return True
        return False

    def alive(self):
        return self.proc.poll() is None

    def request(self, method, path, body=None, headers=None, timeout=15):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def token(self, form, user=None, secret=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if user is not None:
            cred = base64.b64encode((user + ":" + secret).encode()).decode()
            headers["Authorization"] = "Basic " + cred
        return self.request("POST", "/oauth2/v1/token", urllib.parse.urlencode(form), headers)

    def admin(self, method, path, bearer, body=None):
        headers = {"Authorization": "Bearer " + bearer}
        if body is not None:
            headers["Content-Type"] = "application/scim+json"
            body = json.dumps(body)
        status, _, data = self.request(method, path, body, headers)
        return status, (json.loads(data) if data else None)

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def json_body(data):
    try:
        return json.loads(data)
    except ValueError:
        return {}


def main():
    if len(sys.argv) != 2:
        print("usage: multinode_test.py PATH/TO/tessera", file=sys.stderr)
        return 2
    tessera = sys.argv[1]
    pg_url = os.environ.get("TESSERA_TEST_PG_URL")
    pg_ctl = os.environ.get("TESSERA_TEST_PG_CTL")
    if not pg_url or not pg_ctl:
        print("FAIL: TESSERA_TEST_PG_URL / TESSERA_TEST_PG_CTL are not set; run this test "
              "through tests/postgres/pg_ctl_env", file=sys.stderr)
        return 1

    workdir = tempfile.mkdtemp(prefix="tessera-multinode.")
    nodes = []
    try:
        # Both nodes start together on an empty database: the migration lock makes one of them
        # create the schema while the other waits.
        a = Node("a", tessera, pg_url, workdir)
        b = Node("b", tessera, pg_url, workdir)
        nodes = [a, b]
        for n in nodes:
            if not check(n.wait_banner(), "node %s starts on PostgreSQL" % n.name):
                print(open(n.log_path).read(), file=sys.stderr)
                return 1
        run(tessera, workdir, a, b, pg_ctl)
        for n in nodes:
            check(n.alive(), "node %s is still running" % n.name)
    finally:
        for n in nodes:
            n.stop()
        if failures:
            for n in nodes:
                print("---- log of node %s (last 40 lines)" % n.name, file=sys.stderr)
                with open(n.log_path) as f:
                    print("".join(f.readlines()[-40:]), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all multi-node checks passed")
    return 0


def poll(fn, timeout):
    """Calls fn() until it returns a true value or `timeout` seconds pass; returns the last value."""
    deadline = time.monotonic() + timeout
    value = fn()
    while not value and time.monotonic() < deadline:
        time.sleep(0.2)
        value = fn()
    return value


def run(tessera, workdir, a, b, pg_ctl):
    # ---- The bootstrap administrator works on both nodes.
    status, _, data = a.token({"grant_type": "client_credentials",
                               "scope": "urn:opc:idm:__myscopes__"}, ADMIN_ID, ADMIN_SECRET)
    if not check(status == 200, "admin token from node A (got %d %s)" % (status, data[:200])):
        return
    admin_token = json_body(data)["access_token"]
    status, _ = b.admin("GET", "/admin/v1/Users", admin_token)
    check(status == 200, "node B accepts the admin token minted by node A (got %d)" % status)

    # ---- Registration on A, used on B.
    keydir = os.path.join(workdir, "keys")
    os.makedirs(keydir)
    subprocess.run([tessera, "keys", "generate", "--alias", "mn", "--out-dir", keydir],
                   check=True, stdout=subprocess.DEVNULL)
    key_file = os.path.join(keydir, "mn.key.pem")
    with open(os.path.join(keydir, "mn.cert.pem")) as f:
        cert_pem = f.read()
    status, _ = a.admin("POST", "/admin/v1/Users", admin_token, {
        "userName": "mn.user", "name": {"givenName": "Multi", "familyName": "Node"},
        "emails": [{"value": "mn.user@example.com", "primary": True}], "active": True})
    check(status == 201, "user created on node A (got %d)" % status)
    status, resource = a.admin("POST", "/admin/v1/Apps", admin_token, {
        "displayName": "Multinode resource", "isOAuthResource": True, "audience": AUDIENCE,
        "scopes": [{"value": SCOPE_VALUE}]})
    check(status == 201, "resource app created on node A (got %d)" % status)
    # An inactive resource app grants no scope.
    a.admin("PUT", "/admin/v1/AppStatusChanger/" + resource["id"], admin_token, {"active": True})
    status, client = a.admin("POST", "/admin/v1/Apps", admin_token, {
        "displayName": "Multinode client", "isOAuthClient": True, "clientType": "confidential",
        "allowedGrants": ["client_credentials", JWT_BEARER],
        "allowedScopes": [{"fqs": SCOPE}],
        "certificates": [{"certAlias": "mn", "x509Base64Certificate": cert_pem}]})
    if not check(status == 201, "client app created on node A (got %d %s)" % (status, client)):
        return
    client_id, client_secret = client["name"], client["clientSecret"]
    status, _ = a.admin("PUT", "/admin/v1/AppStatusChanger/" + client["id"], admin_token,
                        {"active": True})
    check(status == 200, "client activated on node A (got %d)" % status)

    def assertion():
        out = subprocess.run([tessera, "assert", "--client-id", client_id, "--sub", "mn.user",
                              "--key", key_file, "--kid", "mn"],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def bearer_form(assertion_text):
        return {"grant_type": JWT_BEARER, "assertion": assertion_text, "scope": SCOPE}

    def exchange(node, assertion_text):
        return node.token(bearer_form(assertion_text), client_id, client_secret)

    started = time.monotonic()
    got = poll(lambda: exchange(b, assertion())[0] == 200, BOUND)
    check(got, "client, user and certificate registered on A issue a token on B within %d s "
          "(took %.1f s)" % (BOUND, time.monotonic() - started))

    # ---- A jti used on A is refused on B.
    used = assertion()
    status, _, _ = exchange(a, used)
    check(status == 200, "fresh assertion accepted on node A (got %d)" % status)
    status, _, data = exchange(b, used)
    check(status == 400 and json_body(data).get("error") == "invalid_grant",
          "the same assertion is refused on node B as a replay (got %d %s)" % (status, data[:200]))

    # ---- One assertion raced at both nodes, 10 requests each: exactly one 200.
    raced = assertion()
    barrier = threading.Barrier(20)
    results = []
    lock = threading.Lock()

    def racer(node):
        barrier.wait(timeout=30)
        try:
            status, _, data = exchange(node, raced)
        except OSError as e:
            status, data = -1, str(e).encode()
        with lock:
            results.append((status, data))

    threads = [threading.Thread(target=racer, args=(n,)) for n in [a, b] * 10]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(s for s, _ in results)
    check(len(results) == 20 and statuses.count(200) == 1 and statuses.count(400) == 19,
          "one assertion raced 10 times at each node: exactly one 200, 19 replays (got %s)"
          % statuses)

    # ---- A key rotated on A signs on B.
    status, rotated = a.admin("POST", "/admin/v1/SigningKeys/rotate", admin_token)
    check(status in (200, 201) and rotated and rotated.get("kid"),
          "key rotated on node A (got %d)" % status)
    new_kid = (rotated or {}).get("kid")

    def b_signs_with_new_key():
        status, _, data = b.token({"grant_type": "client_credentials", "scope": SCOPE},
                                   client_id, client_secret)
        if status != 200:
            return False
        header = b64url_json(json_body(data)["access_token"].split(".")[0])
        return header.get("kid") == new_kid

    started = time.monotonic()
    check(poll(b_signs_with_new_key, BOUND),
          "node B signs with the key rotated on A within %d s (took %.1f s)"
          % (BOUND, time.monotonic() - started))

    # ---- The database stopped under traffic, then started again.
    fresh = [assertion() for _ in range(12)]
    stop_traffic = threading.Event()
    traffic = []

    def background(node):
        # Bounded: at most 2000 requests, and it stops when told.
        for _ in range(2000):
            if stop_traffic.is_set():
                return
            try:
                status, _, _ = node.token({"grant_type": "client_credentials", "scope": SCOPE},
                                          client_id, client_secret, )
                traffic.append(status)
                status, _, _ = node.request("GET", "/ready")
                traffic.append(status)
            except OSError as e:
                traffic.append("error: %s" % e)
            time.sleep(0.02)

    bg = [threading.Thread(target=background, args=(n,)) for n in (a, b)]
    for t in bg:
        t.start()
    time.sleep(0.5)
    subprocess.run([pg_ctl, "stop"], check=True, stdout=subprocess.DEVNULL)
    stopped_at = time.monotonic()
    for node in (a, b):
        ready = poll(lambda: node.request("GET", "/ready")[0] == 503, 10)
        check(ready, "node %s: /ready answers 503 with the database stopped" % node.name)
        for i in range(3):
            started = time.monotonic()
            status, headers, data = exchange(node, fresh.pop())
            elapsed = time.monotonic() - started
            body = json_body(data)
            check(status == 503 and body.get("error") == "temporarily_unavailable"
                  and "retry-after" in headers and elapsed < 8,
                  "node %s: token request %d with the database down is 503 "
                  "temporarily_unavailable with Retry-After in %.1f s (got %d %s)"
                  % (node.name, i, elapsed, status, data[:160]))
        check(node.alive(), "node %s survives the outage" % node.name)
    # Stay down a while under traffic, so the nodes go through several reconnect attempts.
    time.sleep(max(0.0, 4.0 - (time.monotonic() - stopped_at)))
    for node in (a, b):
        status = node.request("GET", "/ready")[0]
        check(status == 503 and node.alive(),
              "node %s: still 503 and running after %.1f s down (got %d)"
              % (node.name, time.monotonic() - stopped_at, status))
    subprocess.run([pg_ctl, "start"], check=True, stdout=subprocess.DEVNULL)
    for node in (a, b):
        started = time.monotonic()
        check(poll(lambda: node.request("GET", "/ready")[0] == 200, 30),
              "node %s: /ready is 200 again %.1f s after the database returned, no restart"
              % (node.name, time.monotonic() - started))
        status, _, data = exchange(node, fresh.pop())
        check(status == 200, "node %s issues a token after the outage (got %d %s)"
              % (node.name, status, data[:200]))
    stop_traffic.set()
    for t in bg:
        t.join(timeout=60)
    bad = [s for s in traffic if s not in (200, 503)]
    check(len(traffic) > 0 and not bad,
          "%d requests under traffic across the outage: only 200 and 503 (unexpected: %s)"
          % (len(traffic), bad[:10]))


if __name__ == "__main__":
    sys.exit(main())
