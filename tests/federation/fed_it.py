"""Federation test helpers: an outside OpenID provider, a hand-made issuer, and their keys.

- `Idp`: panva's oidc-provider (tests/federation/idp/) run by Node.js on 127.0.0.1, installed
  by `npm ci` from the committed lock file into $TESSERA_IDP_DIR (CTest: the build tree) or a
  temporary directory. It issues RFC 9068 JWT access tokens (client_credentials with a resource
  indicator) and serves discovery and JWKS; `restart(kid)` brings it back on the same port with a
  new signing key (a key rotation at the issuer).
- `FakeIssuer`: a loopback HTTP server in this process serving a JWK Set and a discovery
  document the test controls (or nothing: `down()`), for tokens signed here with keys made here.
- `Keys`: RSA and EC keys (openssl), their public JWKs (`tessera keys jwk`), and RS256, ES256
  and HS256 signatures.

The integration helpers (tests/integration/tessera_it.py: the server, the admin API, encoding)
are imported from there. No node, no npm, or an old Node.js is a failure that says so: nothing
is skipped.
"""

import fcntl
import hashlib
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
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import tessera_it as it  # noqa: E402
from tessera_it import TESSERA, _die_with_parent, _segment, b64url, run  # noqa: E402

IDP_SOURCE = os.path.join(HERE, "idp")
IDP_FILES = ("package.json", "package-lock.json", "idp.mjs")
MIN_NODE_MAJOR = 20
IDP_BANNER = re.compile(r"idp: listening on (http://127\.0\.0\.1:(\d+)) \(kid (\S+)\)")

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TT_JWT = "urn:ietf:params:oauth:token-type:jwt"
TT_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
TT_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
TRUSTS = "/admin/v1/IdentityPropagationTrusts"
KEYS_UNAVAILABLE = "The outside issuer's signing keys are unavailable; retry later."


# ---------------------------------------------------------------- Node.js and the provider

def node_major():
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not installed: the federation tests run an OpenID provider "
                             "(oidc-provider) on Node.js %d or later; scripts/setup installs it"
                             % MIN_NODE_MAJOR)
    out = run([node, "--version"]).strip()
    m = re.match(r"v(\d+)\.", out)
    if not m or int(m.group(1)) < MIN_NODE_MAJOR:
        raise AssertionError("node %s is too old: oidc-provider needs Node.js %d or later"
                             % (out, MIN_NODE_MAJOR))
    return int(m.group(1))


def idp_install_dir():
    """The provider's directory with node_modules installed by `npm ci` from the committed lock
    file; installed again only when a committed file changed. One install at a time (a lock
    file), since CTest may run several federation tests at once."""
    node_major()
    if shutil.which("npm") is None:
        raise AssertionError("npm is not installed: the federation tests install oidc-provider "
                             "with `npm ci`; scripts/setup installs it")
    target = os.environ.get("TESSERA_IDP_DIR") or os.path.join(tempfile.gettempdir(),
                                                               "tessera-fed-idp-%d" % os.getuid())
    os.makedirs(target, exist_ok=True)
    digest = hashlib.sha256()
    for name in IDP_FILES:
        with open(os.path.join(IDP_SOURCE, name), "rb") as f:
            digest.update(name.encode() + b"\0" + f.read() + b"\0")
    stamp = os.path.join(target, ".installed")
    with open(os.path.join(target, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(stamp) as f:
                if f.read() == digest.hexdigest():
                    return target
        except OSError:
            pass
        for name in IDP_FILES:
            shutil.copyfile(os.path.join(IDP_SOURCE, name), os.path.join(target, name))
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=target,
                           capture_output=True, timeout=240)
        if p.returncode != 0:
            raise AssertionError("npm ci of the test OpenID provider failed in %s:\n%s" % (
                target, (p.stdout + p.stderr).decode(errors="replace")[-3000:]))
        with open(stamp, "w") as f:
            f.write(digest.hexdigest())
    return target


class Idp:
    """oidc-provider on 127.0.0.1. `clients`: [{"client_id", "client_secret", "scope"}];
    `resources`: {indicator: {"scope": "...", "ttl": seconds}}; `claims`: {client_id: {...}},
    extra access-token claims per client; `users`: {account id: {"email": ...}} and
    `code_clients`: [{"client_id", "client_secret", "redirect_uri"}] for ID tokens."""

    def __init__(self, work_dir, clients, resources, claims=None, kid="k1", alg="RS256",
                 users=None, code_clients=None):
        self.dir = idp_install_dir()
        self.work_dir = work_dir
        self.config = {"port": 0, "kid": kid, "alg": alg, "clients": clients,
                       "resources": resources, "claims": claims or {}, "users": users or {},
                       "codeClients": code_clients or []}
        self.proc = None
        self.issuer = None
        self.port = None
        self.kid = None
        self.log_path = os.path.join(work_dir, "idp-%s.log" % uuid.uuid4().hex[:8])

    def start(self, timeout=30):
        path = os.path.join(self.work_dir, "idp-%s.json" % uuid.uuid4().hex[:8])
        with open(path, "w") as f:
            json.dump(self.config, f)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["node", os.path.join(self.dir, "idp.mjs"), path],
                                     cwd=self.dir, stdout=subprocess.PIPE, stderr=log,
                                     preexec_fn=_die_with_parent)
        log.close()
        found = {}
        ready = threading.Event()

        def drain(stream):
            with open(self.log_path, "ab") as out:
                for line in iter(stream.readline, b""):
                    out.write(line)
                    out.flush()
                    m = IDP_BANNER.search(line.decode(errors="replace"))
                    if m and not ready.is_set():
                        found["m"] = m
                        ready.set()
            ready.set()

        threading.Thread(target=drain, args=(self.proc.stdout,), daemon=True).start()
        if not ready.wait(timeout) or "m" not in found:
            self.stop()
            raise AssertionError("the OpenID provider did not start; log:\n" + self.log())
        m = found["m"]
        self.issuer, self.port, self.kid = m.group(1), int(m.group(2)), m.group(3)
        self.config["port"] = self.port  # a restart keeps the issuer
        return self

    def restart(self, kid, alg=None):
        """Stops the provider and starts it again on the same port with a new signing key."""
        self.stop()
        self.config["kid"] = kid
        if alg:
            self.config["alg"] = alg
        deadline = time.monotonic() + 10
        while True:  # the port is free again once the old process is gone
            try:
                return self.start()
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def token(self, client_id, client_secret, resource, scope=None):
        """A client_credentials JWT access token for `resource` (RFC 8707)."""
        pairs = [("grant_type", "client_credentials"), ("resource", resource)]
        if scope:
            pairs.append(("scope", scope))
        r = it.http_request(self.issuer, "POST", "/token", it.form(pairs),
                            {"Content-Type": "application/x-www-form-urlencoded",
                             "Authorization": it.basic(client_id, client_secret)})
        if r.status != 200:
            raise AssertionError("the OpenID provider refused a token: %r\n%s" % (r, self.log()))
        return r.json()["access_token"]


    def id_token(self, client, login_hint, scope="openid email"):
        """An ID token by the authorization code flow (with PKCE) of code client `client`
        ({"client_id", "client_secret", "redirect_uri"}) for the user `login_hint`: the redirects
        are followed by hand, cookies kept, until the one to the client's redirect_uri."""
        verifier = b64url(os.urandom(32))
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        state = uuid.uuid4().hex
        query = it.form([("client_id", client["client_id"]), ("response_type", "code"),
                         ("scope", scope), ("redirect_uri", client["redirect_uri"]),
                         ("state", state), ("nonce", uuid.uuid4().hex),
                         ("code_challenge", challenge), ("code_challenge_method", "S256"),
                         ("login_hint", login_hint)])
        cookies = {}
        path = "/auth?" + query
        for _ in range(10):
            header = "; ".join("%s=%s" % kv for kv in cookies.items())
            r = it.http_request(self.issuer, "GET", path, headers={"Cookie": header} if header else {})
            for name, value in r.headers.items():
                if name.lower() == "set-cookie":
                    k, _, v = value.split(";", 1)[0].partition("=")
                    cookies[k.strip()] = v
            location = r.header("Location")
            if r.status not in (302, 303) or not location:
                raise AssertionError("authorization flow stopped at %s: %r" % (path, r))
            if location.startswith(client["redirect_uri"]):
                params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
                if params.get("state") != state or "code" not in params:
                    raise AssertionError("authorization failed: %s" % location)
                break
            u = urllib.parse.urlsplit(location)
            path = u.path + ("?" + u.query if u.query else "")
        else:
            raise AssertionError("authorization flow: too many redirects")
        r = it.http_request(self.issuer, "POST", "/token", it.form([
            ("grant_type", "authorization_code"), ("code", params["code"]),
            ("redirect_uri", client["redirect_uri"]), ("code_verifier", verifier)]),
            {"Content-Type": "application/x-www-form-urlencoded",
             "Authorization": it.basic(client["client_id"], client["client_secret"])})
        if r.status != 200:
            raise AssertionError("the OpenID provider refused the code: %r\n%s" % (r, self.log()))
        return r.json()["id_token"]

# ---------------------------------------------------------------- a hand-made issuer

class FakeIssuer:
    """A loopback issuer: GET /jwks answers `jwks`, GET /.well-known/openid-configuration answers
    `discovery` (by default issuer = this server's URL, jwks_uri = its /jwks), with
    `cache_control`; or every request `fail_status` when set. `down()` closes the listening
    socket (connections are refused); `up()` serves again on the same port. `hits` lists the
    paths asked for."""

    def __init__(self):
        self.jwks = {"keys": []}
        self.discovery = None
        self.cache_control = "max-age=300"
        self.fail_status = None  # an HTTP status to answer every request with, counted in hits
        self.hits = []
        self.port = 0
        self.httpd = None
        self.up()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def jwks_url(self):
        return self.url + "/jwks"

    def up(self):
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server interface)
                issuer.hits.append(self.path)
                if issuer.fail_status is not None:
                    self.send_error(issuer.fail_status)
                    return
                if self.path == "/jwks":
                    body = issuer.jwks
                elif self.path == "/.well-known/openid-configuration":
                    body = issuer.discovery or {"issuer": issuer.url, "jwks_uri": issuer.jwks_url}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", issuer.cache_control)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def down(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def fetches(self, path="/jwks"):
        return sum(1 for p in self.hits if p == path)


# ---------------------------------------------------------------- keys and signatures

class Keys:
    """Private keys made by openssl in `work_dir`, each with its public PEM and JWK."""

    def __init__(self, work_dir):
        self.dir = os.path.join(work_dir, "keys-" + uuid.uuid4().hex[:8])
        os.makedirs(self.dir)

    def make(self, name, kind="rsa"):
        key = os.path.join(self.dir, name + ".key.pem")
        if kind == "rsa":
            run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", key])
        else:
            run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", key])
        pub = os.path.join(self.dir, name + ".pub.pem")
        run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub])
        return key, pub

    @staticmethod
    def jwk(pub_pem, kid, alg=None):
        """The public JWK of a key, by `tessera keys jwk` (the project's own JWK writer)."""
        args = [TESSERA, "keys", "jwk", pub_pem, "--kid", kid]
        if alg:
            args += ["--alg", alg]
        return json.loads(run(args))["keys"][0]


def _der_ecdsa_to_raw(der, size=32):
    """An ECDSA-Sig-Value (SEQUENCE of two INTEGERs) as the JWS r || s (RFC 7518 3.4)."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        value = der[i + 2:i + 2 + n].lstrip(b"\0")
        out += value.rjust(size, b"\0")
        i += 2 + n
    return out


def sign_jwt(header, claims, key_pem=None, hmac_secret=None, ec=False, signature=None):
    """A compact JWS: RS256 (or ES256 with ec=True) with the PEM key by openssl, HS256 with
    `hmac_secret` (bytes), or a literal `signature` segment ("" for alg none)."""
    import hmac as hmac_mod
    signing_input = (_segment(header) + "." + _segment(claims)).encode()
    if signature is not None:
        sig = signature
    elif hmac_secret is not None:
        sig = b64url(hmac_mod.new(hmac_secret, signing_input, hashlib.sha256).digest())
    else:
        p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem], input=signing_input,
                           capture_output=True, timeout=30)
        if p.returncode != 0:
            raise AssertionError("openssl dgst -sign failed: " + p.stderr.decode(errors="replace"))
        sig = b64url(_der_ecdsa_to_raw(p.stdout) if ec else p.stdout)
    return signing_input.decode() + "." + sig


def outside_claims(issuer, sub, aud, ttl=300, **extra):
    """The claims of a fresh outside token (new jti, iat now); a None value drops the claim."""
    now = int(time.time())
    c = {"iss": issuer, "sub": sub, "aud": aud, "iat": now, "exp": now + ttl,
         "jti": uuid.uuid4().hex}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


# ---------------------------------------------------------------- a Tessera domain with trusts


class FedServerTest(it.ServerTest):
    """A Tessera server (one per class) with a resource app, a broker app that may use both
    federation grants, and helpers for trusts and exchanges."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resource = cls.admin.create_resource()
        cls.fqs = cls.resource["audience"] + it.SCOPE_VALUE
        cls.broker = cls.admin.create_client(
            scopes=[cls.fqs], grants=("client_credentials", it.JWT_BEARER, TOKEN_EXCHANGE))
        cls.broker_auth = (cls.broker["name"], cls.broker["clientSecret"])

    def create_trust(self, issuer, **fields):
        """POSTs an active User trust for `issuer` (name unique, oauthClients the broker) with
        `fields` on top; returns the answer (with id and warnings)."""
        body = {"schemas": ["urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust"],
                "name": it.unique("trust"), "type": "JWT", "issuer": issuer, "active": True,
                "oauthClients": [self.broker["name"]], "audiences": ["https://tessera.test/"]}
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not None}
        return self.admin.ok("POST", TRUSTS, body, status=201)

    def jwt_bearer(self, token, auth=None, scope=None):
        pairs = [("grant_type", it.JWT_BEARER), ("assertion", token)]
        if scope:
            pairs.append(("scope", scope))
        return self.server.token(pairs, auth=auth or self.broker_auth)

    def token_exchange(self, token, token_type=TT_JWT, auth=None, scope=None, extra=()):
        pairs = [("grant_type", TOKEN_EXCHANGE), ("subject_token", token),
                 ("subject_token_type", token_type)]
        if scope:
            pairs.append(("scope", scope))
        return self.server.token(pairs + list(extra), auth=auth or self.broker_auth)

    def assertRefused(self, r, description):
        """400 invalid_grant whose error_description is exactly `description` (a str), or
        starts with it (a tuple: (prefix,))."""
        body = self.assertOAuthError(r, 400, "invalid_grant")
        self.assertNotIn("access_token", body)
        if isinstance(description, tuple):
            self.assertTrue(body["error_description"].startswith(description[0]), r)
        else:
            self.assertEqual(body["error_description"], description, r)
        return body

    def assertUnavailable(self, r, logged=None):
        """503 temporarily_unavailable with Retry-After and no token (contract section 10); the
        reason, `logged`, is in the server's log under the answer's ecid."""
        body = self.assertOAuthError(r, 503, "temporarily_unavailable")
        self.assertNotIn("access_token", body)
        self.assertEqual(body["error_description"], KEYS_UNAVAILABLE, r)
        retry = r.header("Retry-After")
        self.assertTrue(retry and retry.isdigit() and int(retry) > 0, "Retry-After: %r" % retry)
        if logged:
            assert_logged(self, self.server, body["ecid"], logged)
        return body


def assert_logged(test, server, ecid, text, timeout=5):
    """The server's log holds a line with `ecid` and `text` (a refusal's full reason)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in server.log().splitlines() if ecid in line]
        if any(text in line for line in lines) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    test.assertTrue(any(text in line for line in lines),
                    "%r not logged for %s: %r" % (text, ecid, lines))
