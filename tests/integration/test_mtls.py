#!/usr/bin/env python3
"""Mutual TLS (RFC 8705, contract section 11): the real `tessera serve` with a client CA.

The test makes its own PKI with the openssl command line: a server certificate, a client CA,
client certificates it issued (one named by subject DN, one by SAN dNSName), a self-signed
certificate, and a "rogue" self-signed one claiming a registered subject DN. Requests go over
TLS with curl (--cert/--key) and with Python's ssl module:

  - tls_client_auth by subject DN and by SAN DNS; self_signed_tls_client_auth;
  - a wrong certificate and no certificate are invalid_client, while a client without a
    certificate (Basic secret) keeps working;
  - certificate-bound tokens carry cnf.x5t#S256 equal to `openssl x509 -fingerprint -sha256`
    (in base64url), introspection answers it, and a bound app without a certificate gets
    invalid_request;
  - behind a proxy: the certificate header is honoured from a trusted address (--trusted-proxy
    127.0.0.1/32) and ignored from any other (a server trusting only 127.0.0.2/32, an address
    this test never uses).
Loopback only; every request has a timeout.
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tessera_it as it  # noqa: E402

CERT_HEADER = "X-SSL-Client-Cert"
TIMEOUT = 20


# ---------------------------------------------------------------- the PKI

def openssl(*args):
    return it.run(["openssl"] + list(args))


class Pki:
    """Every certificate of the test, made once per class in `work`."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pki")
        os.makedirs(self.dir, exist_ok=True)
        self.server_cert, self.server_key = self._self_signed("server", "/CN=localhost")
        self.ca_cert, self.ca_key = self._self_signed(
            "ca", "/O=Tessera Test/CN=Test Client CA",
            ["-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        # RFC 4514 order: CN first. openssl's -subj lists the RDNs the other way round.
        self.dn_subject = "CN=dn-client,OU=Batch,O=Example Corp,C=US"
        self.dn = self._issued("dn", "/C=US/O=Example Corp/OU=Batch/CN=dn-client")
        self.san_name = "san-client.example.com"
        self.san = self._issued("san", "/CN=some other name", "DNS:" + self.san_name)
        self.self_cert, self.self_key = self._self_signed("self", "/CN=self-signed-client")
        # Claims the DN client's subject, but no CA vouches for it.
        self.rogue_cert, self.rogue_key = self._self_signed(
            "rogue", "/C=US/O=Example Corp/OU=Batch/CN=dn-client")

    def _path(self, name, ext):
        return os.path.join(self.dir, name + ext)

    def _self_signed(self, name, subject, extra=()):
        cert, key = self._path(name, ".crt"), self._path(name, ".key")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", cert, "-days", "2", "-subj", subject, *extra)
        return cert, key

    def _issued(self, name, subject, san=None):
        key, csr, cert = self._path(name, ".key"), self._path(name, ".csr"), self._path(name, ".crt")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", csr, "-subj", subject)
        ext = self._path(name, ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                    "extendedKeyUsage=clientAuth\n")
            if san:
                f.write("subjectAltName=%s\n" % san)
        openssl("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key


def fingerprint_b64url(cert_path):
    """`openssl x509 -fingerprint -sha256` (AA:BB:... hex) as base64url: x5t#S256."""
    out = openssl("x509", "-in", cert_path, "-noout", "-fingerprint", "-sha256")
    hex_digits = out.strip().split("=", 1)[1].replace(":", "")
    return it.b64url(bytes.fromhex(hex_digits))


def escaped_pem(cert_path):
    """What nginx's $ssl_client_escaped_cert holds: the PEM, URI-component escaped."""
    with open(cert_path) as f:
        return urllib.parse.quote(f.read(), safe="")


# ---------------------------------------------------------------- HTTPS

def tls_context(cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the server's certificate is the test's own
    if cert is not None:
        ctx.load_cert_chain(cert[0], cert[1])
    return ctx


def https_request(base, method, path, body=None, headers=None, cert=None):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=TIMEOUT,
                                       context=tls_context(cert))
    try:
        conn.request(method, path, body=body.encode() if isinstance(body, str) else body,
                     headers=headers or {})
        r = conn.getresponse()
        return it.Resp(r.status, r.headers, r.read())
    finally:
        conn.close()


def curl_token(base, pairs, cert=None, user=None):
    """POST the token endpoint with curl; returns (status, json body)."""
    args = ["curl", "-sS", "-k", "--max-time", str(TIMEOUT), "-w", "\n%{http_code}"]
    if cert is not None:
        args += ["--cert", cert[0], "--key", cert[1]]
    if user is not None:
        args += ["-u", "%s:%s" % user]
    for k, v in pairs:
        args += ["--data-urlencode", "%s=%s" % (k, v)]
    out = it.run(args + [base + "/oauth2/v1/token"])
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body)


class HttpsServer(it.Server):
    """The integration server, but every request of the helpers over TLS (without a client
    certificate unless one is given)."""

    def request(self, method, path, body=None, headers=None, timeout=20, cert=None):
        return https_request(self.base, method, path, body, headers, cert)


# ---------------------------------------------------------------- shared fixtures

class MtlsBase(unittest.TestCase):
    server_class = it.Server
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tessera-mtls-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.pki = Pki(cls.work)
        data = os.path.join(cls.work, "data")
        cls.server = cls.server_class(data, cls.extra_args(cls.pki)).start()
        cls.addClassCleanup(cls.server.stop)
        cls.admin = it.Admin(cls.server)
        cls.resource = cls.admin.create_resource()
        cls.fqs = cls.resource["audience"] + it.SCOPE_VALUE

    @classmethod
    def extra_args(cls, pki):
        return list(cls.server_args)

    def client(self, **attributes):
        app = self.admin.create_client(scopes=[self.fqs], grants=("client_credentials",),
                                       **attributes)
        return app["name"], app.get("clientSecret")

    def cc(self, client_id):
        return [("grant_type", "client_credentials"), ("client_id", client_id),
                ("scope", self.fqs)]


# ---------------------------------------------------------------- the HTTPS listener

class ListenerTest(MtlsBase):
    server_class = HttpsServer

    @classmethod
    def extra_args(cls, pki):
        return ["--tls-cert", pki.server_cert, "--tls-key", pki.server_key,
                "--tls-client-ca", pki.ca_cert]

    def token(self, pairs, cert=None, auth=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth is not None:
            headers["Authorization"] = it.basic(*auth)
        return self.server.request("POST", "/oauth2/v1/token", it.form(pairs), headers,
                                   cert=cert)

    def test_discovery_advertises_mutual_tls(self):
        d = self.server.get("/.well-known/oauth-authorization-server").json()
        for key in ("token_endpoint_auth_methods_supported",
                    "introspection_endpoint_auth_methods_supported",
                    "revocation_endpoint_auth_methods_supported"):
            self.assertIn("tls_client_auth", d[key])
            self.assertIn("self_signed_tls_client_auth", d[key])
            self.assertIn("client_secret_basic", d[key])
        self.assertIs(d["tls_client_certificate_bound_access_tokens"], True)
        aliases = d["mtls_endpoint_aliases"]
        self.assertEqual(aliases["token_endpoint"], d["token_endpoint"])
        self.assertEqual(aliases["introspection_endpoint"], d["introspection_endpoint"])
        self.assertEqual(aliases["revocation_endpoint"], d["revocation_endpoint"])

    def test_tls_client_auth_by_subject_dn_with_curl_and_python(self):
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject)
        status, body = curl_token(self.server.base, self.cc(client_id), cert=self.pki.dn)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        _, claims = it.jwt_parts(body["access_token"])
        self.assertEqual(claims["sub"], client_id)
        self.assertNotIn("cnf", claims)  # not a bound app
        r = self.token(self.cc(client_id), cert=self.pki.dn)
        self.assertEqual(r.status, 200, r)
        # The same DN written with other spacing and case still names it.
        spaced, _ = self.client(
            tlsClientAuthSubjectDn="cn=dn-client, ou=Batch, o=example corp, c=US")
        self.assertEqual(self.token(self.cc(spaced), cert=self.pki.dn).status, 200)

    def test_tls_client_auth_by_san_dns(self):
        client_id, _ = self.client(tlsClientAuthSanDns=self.pki.san_name)
        status, body = curl_token(self.server.base, self.cc(client_id), cert=self.pki.san)
        self.assertEqual(status, 200, body)
        r = self.token(self.cc(client_id), cert=self.pki.san)
        self.assertEqual(r.status, 200, r)

    def test_self_signed_tls_client_auth(self):
        alias = it.unique("self")
        self.admin.upload_cert(alias, self.pki.self_cert)
        client_id = self.admin.create_client(
            scopes=[self.fqs], certs=[alias], grants=("client_credentials",))["name"]
        status, body = curl_token(self.server.base, self.cc(client_id),
                                  cert=(self.pki.self_cert, self.pki.self_key))
        self.assertEqual(status, 200, body)
        r = self.token(self.cc(client_id), cert=(self.pki.self_cert, self.pki.self_key))
        self.assertEqual(r.status, 200, r)
        # A certificate issued by the client CA is not the attached one.
        self.assertEqual(self.token(self.cc(client_id), cert=self.pki.dn).status, 401)

    def test_wrong_certificate_is_invalid_client(self):
        dn_client, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject)
        san_client, _ = self.client(tlsClientAuthSanDns=self.pki.san_name)
        cases = [
            (dn_client, self.pki.san),  # chained, another subject
            (dn_client, (self.pki.rogue_cert, self.pki.rogue_key)),  # the subject, not chained
            (san_client, self.pki.dn),  # chained, no such SAN
            (dn_client, (self.pki.self_cert, self.pki.self_key)),  # attached to nobody
        ]
        for client_id, cert in cases:
            r = self.token(self.cc(client_id), cert=cert)
            body = r.json()
            self.assertEqual(r.status, 401, (client_id, cert, r))
            self.assertEqual(body["error"], "invalid_client")
            self.assertEqual(body["error_description"], it.AUTH_FAILED)
            status, _ = curl_token(self.server.base, self.cc(client_id), cert=cert)
            self.assertEqual(status, 401)

    def test_no_certificate_refused_and_other_clients_keep_working(self):
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject)
        r = self.token(self.cc(client_id))
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error"], "invalid_client")
        # A secret client without a certificate, over the same listener.
        secret_client, secret = self.client()
        r = self.token([("grant_type", "client_credentials"), ("scope", self.fqs)],
                       auth=(secret_client, secret))
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("cnf", it.jwt_parts(r.json()["access_token"])[1])
        status, body = curl_token(self.server.base,
                                  [("grant_type", "client_credentials"), ("scope", self.fqs)],
                                  user=(secret_client, secret))
        self.assertEqual(status, 200, body)
        # Two methods are refused as before, a certificate next to them changing nothing.
        r = self.token(self.cc(secret_client) + [("client_secret", secret)],
                       auth=(secret_client, secret), cert=self.pki.dn)
        self.assertEqual(r.status, 401, r)

    def test_certificate_bound_tokens(self):
        client_id, secret = self.client(tlsClientCertificateBoundAccessTokens=True)
        pairs = [("grant_type", "client_credentials"), ("scope", self.fqs)]
        for cert in (self.pki.dn, (self.pki.self_cert, self.pki.self_key)):  # any certificate
            status, body = curl_token(self.server.base, pairs, cert=cert, user=(client_id, secret))
            self.assertEqual(status, 200, body)
            self.assertEqual(body["token_type"], "Bearer")
            _, claims = it.jwt_parts(body["access_token"])
            self.assertEqual(claims["cnf"], {"x5t#S256": fingerprint_b64url(cert[0])})
            self.assertEqual(claims["cnf"]["x5t#S256"], it.x5t_s256(cert[0]))
            r = self.server.request(
                "POST", "/oauth2/v1/introspect", it.form([("token", body["access_token"])]),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": it.basic(client_id, secret)})
            self.assertEqual(r.status, 200, r)
            self.assertIs(r.json()["active"], True)
            self.assertEqual(r.json()["cnf"], {"x5t#S256": fingerprint_b64url(cert[0])})
        # Without a certificate: refused, not an unbound token.
        r = self.token(pairs, auth=(client_id, secret))
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"], "invalid_request")
        self.assertIn("tlsClientCertificateBoundAccessTokens", r.json()["error_description"])

    def test_resumed_session_keeps_the_certificate(self):
        """A resumed TLS session (no new Certificate message) still carries the client's
        certificate and its verdict."""
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject,
                                   tlsClientCertificateBoundAccessTokens=True)
        ctx = tls_context(self.pki.dn)
        body = it.form(self.cc(client_id)).encode()
        request = (b"POST /oauth2/v1/token HTTP/1.1\r\nHost: localhost\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        u = urllib.parse.urlsplit(self.server.base)
        session, answers = None, []
        for _ in range(2):
            with socket.create_connection((u.hostname, u.port), timeout=TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
                    tls.sendall(request)
                    data = b""
                    while True:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    answers.append((tls.session_reused, data))
                    session = tls.session
        self.assertFalse(answers[0][0])
        self.assertTrue(answers[1][0], "the second connection did not resume the session")
        for _, data in answers:
            head, _, payload = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), data[:300])
            claims = it.jwt_parts(json.loads(payload)["access_token"])[1]
            self.assertEqual(claims["cnf"]["x5t#S256"], fingerprint_b64url(self.pki.dn[0]))

    def test_tls_client_auth_and_binding_together(self):
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject,
                                   tlsClientCertificateBoundAccessTokens=True)
        r = self.token(self.cc(client_id), cert=self.pki.dn)
        self.assertEqual(r.status, 200, r)
        claims = it.jwt_parts(r.json()["access_token"])[1]
        self.assertEqual(claims["cnf"]["x5t#S256"], fingerprint_b64url(self.pki.dn[0]))


# ---------------------------------------------------------------- behind a proxy

class TrustedProxyTest(MtlsBase):
    """Plain HTTP behind a TLS-terminating proxy on 127.0.0.1, which the server trusts."""

    @classmethod
    def extra_args(cls, pki):
        return ["--tls-client-ca", pki.ca_cert, "--trusted-proxy", "127.0.0.1/32",
                "--trusted-proxy", "::1/128", "--client-cert-header", CERT_HEADER]

    def test_forwarded_certificate_authenticates_and_binds(self):
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject,
                                   tlsClientCertificateBoundAccessTokens=True)
        r = self.server.token(self.cc(client_id),
                              headers={CERT_HEADER: escaped_pem(self.pki.dn[0])})
        self.assertEqual(r.status, 200, r)
        claims = it.jwt_parts(r.json()["access_token"])[1]
        self.assertEqual(claims["cnf"], {"x5t#S256": fingerprint_b64url(self.pki.dn[0])})
        # SAN DNS, and self-signed by attachment, work the same way.
        san_client, _ = self.client(tlsClientAuthSanDns=self.pki.san_name)
        r = self.server.token(self.cc(san_client),
                              headers={CERT_HEADER: escaped_pem(self.pki.san[0])})
        self.assertEqual(r.status, 200, r)

    def test_forwarded_certificate_must_chain_for_tls_client_auth(self):
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject)
        r = self.server.token(self.cc(client_id),
                              headers={CERT_HEADER: escaped_pem(self.pki.rogue_cert)})
        self.assertEqual(r.status, 401, r)
        # The proxy sends an empty value when the client presented no certificate.
        r = self.server.token(self.cc(client_id), headers={CERT_HEADER: ""})
        self.assertEqual(r.status, 401, r)

    def test_malformed_header_from_the_proxy_is_refused(self):
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject)
        two = escaped_pem(self.pki.dn[0]) + escaped_pem(self.pki.ca_cert)
        for value in ("%ZZnot-a-certificate", two):
            r = self.server.token(self.cc(client_id), headers={CERT_HEADER: value})
            self.assertEqual(r.status, 400, r)
            self.assertEqual(r.json()["error"], "invalid_request")


class UntrustedProxyTest(MtlsBase):
    """The same header from an address outside --trusted-proxy (127.0.0.2/32, which this test
    never uses): ignored, so the request has no certificate at all."""

    @classmethod
    def extra_args(cls, pki):
        return ["--tls-client-ca", pki.ca_cert, "--trusted-proxy", "127.0.0.2/32",
                "--client-cert-header", CERT_HEADER]

    def test_header_from_an_untrusted_address_is_ignored(self):
        client_id, _ = self.client(tlsClientAuthSubjectDn=self.pki.dn_subject)
        r = self.server.token(self.cc(client_id),
                              headers={CERT_HEADER: escaped_pem(self.pki.dn[0])})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error"], "invalid_client")
        bound, secret = self.client(tlsClientCertificateBoundAccessTokens=True)
        r = self.server.token([("grant_type", "client_credentials"), ("scope", self.fqs)],
                              auth=(bound, secret),
                              headers={CERT_HEADER: escaped_pem(self.pki.dn[0])})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"], "invalid_request")
        # Even malformed, it is no concern of this server: ignored, not refused.
        plain, plain_secret = self.client()
        r = self.server.token([("grant_type", "client_credentials"), ("scope", self.fqs)],
                              auth=(plain, plain_secret), headers={CERT_HEADER: "%ZZ"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("ignored the client certificate header", self.server.log())


if __name__ == "__main__":
    it.main()
