"""Integration-test helpers: a real `tessera serve` on 127.0.0.1, HTTP, admin API and signing.

Standard library only. The server binary comes from $TESSERA_BIN (CTest sets it). Every server
runs in its own temporary data directory on a free port chosen by the server (port 0), with the
bootstrap administrator of contract section 1. Hostile tokens are built here and signed with the
openssl command line; ordinary assertions come from `tessera assert`.
"""

import base64
import ctypes
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TESSERA = os.environ.get("TESSERA_BIN") or os.path.join(HERE, "..", "..", "build", "tessera")

ADMIN_ID = "it-admin"
ADMIN_SECRET = "it-admin-secret-0123456789"
ORACLE_AUD = "https://identity.oraclecloud.com/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MYSCOPES = "urn:opc:idm:__myscopes__"
SCOPE_VALUE = "urn:opc:resource:consumer::all"
BANNER = re.compile(r"tessera: listening on (\S+) \(issuer (\S+), ready in")
AUTH_FAILED = "Client authentication failed."


# ---------------------------------------------------------------- encoding

def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token):
    """(header, claims) of a compact JWT, unverified."""
    h, c, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(c))


def _segment(part):
    return b64url(part if isinstance(part, (str, bytes)) else json.dumps(part, separators=(",", ":")))


def run(args, timeout=60, check=True, input=None):
    """Runs a command; returns stdout text. Raises with stderr on failure when check."""
    p = subprocess.run(args, capture_output=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(map(str, args)), p.returncode,
                                                     p.stderr.decode(errors="replace")))
    return p.stdout.decode(errors="replace")


def rsa_sign(signing_input, key_pem):
    """RS256 signature of the bytes with the PEM private key, by the openssl command line."""
    p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem], input=signing_input,
                       capture_output=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError("openssl dgst -sign failed: " + p.stderr.decode(errors="replace"))
    return p.stdout


def make_jwt(header, claims, key_pem=None, hmac_key=None, signature=None):
    """A compact JWS. header/claims are dicts or raw JSON strings (to write duplicate members).
    Signed RS256 with key_pem, or HS256 with hmac_key, or given a literal signature segment."""
    signing_input = (_segment(header) + "." + _segment(claims)).encode()
    if signature is not None:
        sig = signature
    elif hmac_key is not None:
        sig = b64url(hmac.new(hmac_key, signing_input, hashlib.sha256).digest())
    elif key_pem is not None:
        sig = b64url(rsa_sign(signing_input, key_pem))
    else:
        sig = ""
    return signing_input.decode() + "." + sig


def claims(client_id, sub, ttl=300, aud=ORACLE_AUD, **extra):
    """The claims of a fresh user assertion (new jti, iat now)."""
    now = int(time.time())
    c = {"sub": sub, "iss": client_id, "aud": aud, "iat": now, "exp": now + ttl,
         "jti": str(uuid.uuid4())}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


def form(pairs):
    """application/x-www-form-urlencoded as curl --data-urlencode writes it."""
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    return "&".join(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(v, safe="")
                    for k, v in pairs)


def basic(client_id, secret):
    raw = urllib.parse.quote(client_id, safe="") + ":" + urllib.parse.quote(secret, safe="")
    return "Basic " + base64.b64encode(raw.encode()).decode()


def unique(prefix):
    return prefix + "-" + uuid.uuid4().hex[:10]


# ---------------------------------------------------------------- keys and certificates

def generate_keys(alias, out_dir, p12_password=None):
    """`tessera keys generate`: returns the paths of key.pem, cert.pem, cer (DER) [, p12]."""
    args = [TESSERA, "keys", "generate", "--alias", alias, "--out-dir", out_dir]
    if p12_password:
        args += ["--p12-password", p12_password]
    run(args)
    files = {"key": os.path.join(out_dir, alias + ".key.pem"),
             "cert": os.path.join(out_dir, alias + ".cert.pem"),
             "cer": os.path.join(out_dir, alias + ".cer")}
    if p12_password:
        files["p12"] = os.path.join(out_dir, alias + ".p12")
    return files


def cert_with_dates(out_dir, name, start, end, bits=2048, key=None):
    """A self-signed certificate valid from start to end ('YYYYmmddHHMMSSZ' strings, UTC),
    made with `openssl ca -selfsign` (OpenSSL 3.0 has no -not_after); returns (key, cert)."""
    d = os.path.join(out_dir, name + ".ca")
    os.makedirs(d, exist_ok=True)
    if key is None:
        key = os.path.join(d, "key.pem")
        run(["openssl", "genrsa", "-out", key, str(bits)])
    csr = os.path.join(d, "req.csr")
    cert = os.path.join(d, "cert.pem")
    cnf = os.path.join(d, "ca.cnf")
    with open(os.path.join(d, "index.txt"), "w"):
        pass
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca=CA_default\n[CA_default]\ndir=%s\ndatabase=$dir/index.txt\n"
                "new_certs_dir=$dir\nserial=$dir/serial\ndefault_md=sha256\npolicy=any\n"
                "unique_subject=no\n[any]\ncommonName=supplied\n" % d)
    run(["openssl", "req", "-new", "-key", key, "-subj", "/CN=" + name, "-out", csr])
    run(["openssl", "ca", "-batch", "-config", cnf, "-selfsign", "-keyfile", key, "-in", csr,
         "-out", cert, "-startdate", start, "-enddate", end, "-notext"])
    return key, cert


def utc_stamp(epoch):
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(epoch))


def der_of(cert_path):
    with open(cert_path, "rb") as f:
        data = f.read()
    if data.startswith(b"-----BEGIN"):
        body = b"".join(l for l in data.splitlines() if l and not l.startswith(b"-----"))
        return base64.b64decode(body)
    return data


def cert_b64(cert_path):
    return base64.b64encode(der_of(cert_path)).decode()


def cert_pem_text(cert_path):
    return "-----BEGIN CERTIFICATE-----\n" + cert_b64(cert_path) + "\n-----END CERTIFICATE-----\n"


def x5t(cert_path):
    return b64url(hashlib.sha1(der_of(cert_path)).digest())


def x5t_s256(cert_path):
    return b64url(hashlib.sha256(der_of(cert_path)).digest())


# ---------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body.decode())

    def __repr__(self):
        return "<HTTP %d %s>" % (self.status, self.body[:600].decode(errors="replace"))


def http_request(base, method, path, body=None, headers=None, timeout=20):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        if isinstance(headers, list):  # pairs, to repeat a header
            conn.putrequest(method, path)
            for k, v in headers:
                conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body or b"")))
            conn.endheaders(body)
        else:
            conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Resp(r.status, r.headers, r.read())
    finally:
        conn.close()


def raw_exchange(base, data, timeout=20):
    """Writes raw request bytes (tolerating a peer that answers early and closes), returns the
    answer's status line code and the raw answer."""
    u = urllib.parse.urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
                if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 12:
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    m = re.search(rb"content-length:\s*(\d+)", head, re.I)
                    if m and len(rest) >= int(m.group(1)):
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    answer = b"".join(chunks)
    m = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return (int(m.group(1)) if m else None), answer


# ---------------------------------------------------------------- the server

def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies (a CTest timeout kills the
    test, and the server must not outlive it). Linux prctl(PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


class Server:
    """One `tessera serve` process on 127.0.0.1:0 with its own (or a given) data directory."""

    def __init__(self, data_dir, extra_args=(), threads=4, admin=(ADMIN_ID, ADMIN_SECRET)):
        self.admin_credentials = admin
        self.data_dir = data_dir
        os.makedirs(data_dir, exist_ok=True)
        self.extra_args = list(extra_args)
        self.threads = threads
        self.proc = None
        self.base = None
        self.issuer = None
        self.log_path = os.path.join(data_dir, "server-%d.log" % int(time.time() * 1000))
        self._reader = None

    def start(self, timeout=30):
        env = dict(os.environ)
        if self.admin_credentials is None:  # no bootstrap administrator
            env.pop("TESSERA_ADMIN_CLIENT_ID", None)
            env.pop("TESSERA_ADMIN_CLIENT_SECRET", None)
        else:
            env["TESSERA_ADMIN_CLIENT_ID"], env["TESSERA_ADMIN_CLIENT_SECRET"] = self.admin_credentials
        args = [TESSERA, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
                "--threads", str(self.threads)] + self.extra_args
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, env=env,
                                     preexec_fn=_die_with_parent)
        log.close()
        ready = threading.Event()
        found = {}

        def drain(stream, path):
            with open(path, "ab") as out:
                for line in iter(stream.readline, b""):
                    out.write(line)
                    out.flush()
                    if not ready.is_set():
                        m = BANNER.search(line.decode(errors="replace"))
                        if m:
                            found["base"], found["issuer"] = m.group(1), m.group(2)
                            ready.set()
            ready.set()

        self._reader = threading.Thread(target=drain, args=(self.proc.stdout, self.log_path),
                                        daemon=True)
        self._reader.start()
        if not ready.wait(timeout) or "base" not in found:
            self.stop()
            raise AssertionError("tessera serve did not print its banner; log:\n" + self.log())
        self.base = found["base"].rstrip("/")
        self.issuer = found["issuer"]
        return self

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._finish()

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._finish()

    def _finish(self):
        if self._reader is not None:
            self._reader.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        # A ThreadSanitizer build reports a race on stderr (this log) and exits: whether the test
        # saw a failed request or not, the race fails it (also one in the shutdown path).
        with open(self.log_path, "rb") as f:
            log = f.read().decode(errors="replace")
        at = log.find("WARNING: ThreadSanitizer:")
        if at >= 0:
            raise AssertionError("tessera serve reported a data race:\n" + log[at:at + 8000])

    # HTTP
    def request(self, method, path, body=None, headers=None, timeout=20):
        return http_request(self.base, method, path, body, headers, timeout)

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, pairs, auth=None, headers=None):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth is not None:
            h["Authorization"] = basic(*auth)
        h.update(headers or {})
        return self.request("POST", path, form(pairs), h)

    def token(self, pairs, auth=None, headers=None):
        return self.post_form("/oauth2/v1/token", pairs, auth, headers)


# ---------------------------------------------------------------- the admin API and fixtures

class Admin:
    """The admin API with the bootstrap administrator's token."""

    def __init__(self, server):
        self.server = server
        self._token = None

    def token(self):
        if self._token is None:
            r = self.server.token([("grant_type", "client_credentials"), ("scope", MYSCOPES)],
                                  auth=(ADMIN_ID, ADMIN_SECRET))
            if r.status != 200:
                raise AssertionError("admin token: %r" % r)
            self._token = r.json()["access_token"]
        return self._token

    def call(self, method, path, body=None, token=None):
        h = {"Authorization": "Bearer " + (token or self.token())}
        data = None
        if body is not None:
            h["Content-Type"] = "application/scim+json"
            data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.server.request(method, path, data, h)

    def ok(self, method, path, body=None, status=(200, 201)):
        r = self.call(method, path, body)
        if r.status not in (status if isinstance(status, tuple) else (status,)):
            raise AssertionError("%s %s -> %r" % (method, path, r))
        return r.json() if r.body else None

    def create_user(self, user_name=None, active=True):
        user_name = user_name or unique("user")
        return self.ok("POST", "/admin/v1/Users", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
            "name": {"givenName": "Given", "familyName": "Family"},
            "emails": [{"value": user_name + "@example.com", "primary": True}], "active": active})

    def create_resource(self, audience=None, values=(SCOPE_VALUE,), expiry=None, activate=True):
        body = {"displayName": unique("resource"), "isOAuthResource": True,
                "audience": audience or "https://%s.example.com:443" % unique("res"),
                "scopes": [{"value": v} for v in values]}
        if expiry:
            body["accessTokenExpiry"] = expiry
        app = self.ok("POST", "/admin/v1/Apps", body)
        if activate:  # an inactive resource app grants no scope
            self.activate(app["id"])
        return app

    def upload_cert(self, alias, cert_path, partner=False, pem=False):
        path = "/admin/v1/OAuthPartnerCertificates" if partner else "/admin/v1/OAuthClientCertificates"
        text = cert_pem_text(cert_path) if pem else cert_b64(cert_path)
        return self.ok("POST", path, {"certificateAlias": alias, "x509Base64Certificate": text})

    def create_client(self, scopes=(), certs=(), grants=("client_credentials", JWT_BEARER),
                      activate=True, **extra):
        body = {"schemas": ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
                "basedOnTemplate": {"value": "CustomWebAppTemplateId"},
                "displayName": unique("client"), "isOAuthClient": True,
                "clientType": "confidential", "allowedGrants": list(grants),
                "allowedScopes": [{"fqs": s} for s in scopes],
                "certificates": [{"certAlias": c} for c in certs]}
        body.update(extra)
        app = self.ok("POST", "/admin/v1/Apps", body)
        if activate:
            self.activate(app["id"])
        return app

    def activate(self, app_id, active=True):
        return self.ok("PUT", "/admin/v1/AppStatusChanger/" + app_id, {"active": active})


class Tenant:
    """A ready domain slice: a resource app, a key pair whose certificate is attached to an
    active confidential app holding both grants and the resource's scope, and an active user."""

    def __init__(self, server, admin, work_dir, **client_extra):
        self.server = server
        self.admin = admin
        self.alias = unique("key")
        self.keys = generate_keys(self.alias, work_dir)
        admin.upload_cert(self.alias, self.keys["cer"])
        self.resource = admin.create_resource()
        self.audience = self.resource["audience"]
        self.fqs = self.audience + SCOPE_VALUE
        self.app = admin.create_client(scopes=[self.fqs], certs=[self.alias], **client_extra)
        self.client_id = self.app["name"]
        self.secret = self.app["clientSecret"]
        self.user = admin.create_user()
        self.user_name = self.user["userName"]

    @property
    def auth(self):
        return (self.client_id, self.secret)

    def cli_assertion(self, *extra, sub=None):
        """A user assertion from `tessera assert` signed with this tenant's key, kid = alias."""
        args = [TESSERA, "assert", "--client-id", self.client_id, "--sub", sub or self.user_name,
                "--key", self.keys["key"]] + list(extra)
        if "--x5t" not in extra and "--kid" not in extra and "--x5t-s256" not in extra:
            args += ["--kid", self.alias]
        return run(args).strip()

    def assertion(self, header_extra=None, key=None, header=None, **claim_overrides):
        """A user assertion built here (RS256 by openssl) with claim overrides (None drops)."""
        c = claims(self.client_id, self.user_name)
        c.update(claim_overrides)
        c = {k: v for k, v in c.items() if v is not None}
        h = header if header is not None else {"alg": "RS256", "typ": "JWT", "kid": self.alias}
        if header_extra:
            h = dict(h, **header_extra)
        return make_jwt(h, c, key or self.keys["key"])

    def grant(self, assertion, scope=None, auth="basic", extra=()):
        pairs = [("grant_type", JWT_BEARER), ("assertion", assertion)]
        if scope is not None:
            pairs.append(("scope", scope))
        pairs += list(extra)
        if auth == "basic":
            return self.server.token(pairs, auth=self.auth)
        if auth == "post":
            return self.server.token(pairs + [("client_id", self.client_id),
                                              ("client_secret", self.secret)])
        return self.server.token(pairs)


class ServerTest(unittest.TestCase):
    """One server per test class, stopped and its directory removed even on failure."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tessera-it-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.data_dir = os.path.join(cls.work, "data")
        os.makedirs(cls.data_dir)
        cls.server = Server(cls.data_dir, cls.server_args).start()
        cls.addClassCleanup(cls.server.stop)
        cls.admin = Admin(cls.server)

    def tenant(self, **client_extra):
        return Tenant(self.server, self.admin, self.work, **client_extra)

    # Assertions on OAuth answers (contract section 2).
    def assertTokenOk(self, r):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        body = r.json()
        self.assertEqual(body["token_type"], "Bearer")
        self.assertIsInstance(body["expires_in"], int)
        return body

    def assertOAuthError(self, r, status, error, description_part=None):
        self.assertEqual(r.status, status, r)
        body = r.json()
        self.assertEqual(body.get("error"), error, r)
        self.assertTrue(body.get("ecid"), "no ecid in %r" % r)
        if r.header("X-Tessera-Ecid"):
            self.assertEqual(body["ecid"], r.header("X-Tessera-Ecid"))  # the log's request id
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        if description_part is not None:
            self.assertIn(description_part, body.get("error_description", ""), r)
        return body

    def assertInvalidGrant(self, r, description_part):
        return self.assertOAuthError(r, 400, "invalid_grant", description_part)

    def assertClientAuthFailed(self, r, basic_used):
        self.assertOAuthError(r, 401, "invalid_client", AUTH_FAILED)
        self.assertEqual(r.json()["error_description"], AUTH_FAILED)
        if basic_used:
            self.assertTrue(r.header("WWW-Authenticate"), "no WWW-Authenticate: %r" % r)
            self.assertTrue(r.header("WWW-Authenticate").lower().startswith("basic"))


def main():
    unittest.main(verbosity=2)
