"""`tessera admin` end to end against a real server: users, apps, certificates, partners,
trust-token issuers, key rotation and audit, as tables and as --json; a client without the
administrator role gets one line of error and a non-zero exit."""

import json
import os
import subprocess
import time
import unittest
import uuid

import tessera_it as it


class AdminCliTest(it.ServerTest):

    # ---- helpers
    def cli(self, *args, json_out=False, client=(it.ADMIN_ID, it.ADMIN_SECRET), check=True):
        argv = [it.TESSERA, "admin", "--url", self.server.base, "--client-id", client[0],
                "--client-secret", client[1]]
        if json_out:
            argv.append("--json")
        argv += list(args)
        p = subprocess.run(argv, capture_output=True, timeout=60)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        if check:
            self.assertEqual(p.returncode, 0, "%s\nstdout: %s\nstderr: %s" % (" ".join(args), out, err))
        return p.returncode, out, err

    def j(self, *args):
        return json.loads(self.cli(*args, json_out=True)[1])

    def table(self, *args):
        return self.cli(*args)[1]

    def failure(self, *args, client=(it.ADMIN_ID, it.ADMIN_SECRET)):
        rc, out, err = self.cli(*args, client=client, check=False)
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(out, "")
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("tessera: "), err)
        return lines[0]

    def tokeninfo(self, token):
        return self.server.get("/oauth2/v1/tokeninfo?" + it.form([("id_token", token)]))

    # ---- users
    def test_users_lifecycle(self):
        name = it.unique("cli-user")
        created = self.j("users", "create", "--user-name", name, "--given-name", "Ada", "--family-name", "Lovelace",
                         "--email", name + "@example.com")
        self.assertEqual(created["userName"], name)
        self.assertTrue(created["active"])
        uid = created["id"]
        # Table output of create: key: value lines.
        name2 = it.unique("cli-user")
        out = self.table("users", "create", "--user-name", name2)
        self.assertIn("userName: " + name2, out.splitlines())
        # list: a table with the header and one row per user.
        out = self.table("users", "list")
        header = out.splitlines()[0].split()
        self.assertEqual(header, ["id", "userName", "active"])
        row = [l for l in out.splitlines() if name in l]
        self.assertEqual(len(row), 1, out)
        self.assertEqual(row[0].split(), [uid, name, "true"])
        listed = self.j("users", "list")
        self.assertIn(name, [u["userName"] for u in listed["Resources"]])
        got = self.j("users", "get", uid)
        self.assertEqual(got["userName"], name)
        self.assertEqual(got["name"]["givenName"], "Ada")
        self.assertIn("userName: " + name, self.table("users", "get", uid).splitlines())
        # deactivate, activate
        self.assertFalse(self.j("users", "deactivate", uid)["active"])
        self.assertFalse(self.admin.ok("GET", "/admin/v1/Users/" + uid)["active"])
        self.assertTrue(self.j("users", "activate", uid)["active"])
        # delete, then get is a one-line error
        self.cli("users", "delete", uid)
        line = self.failure("users", "get", uid)
        self.assertIn("404", line)
        self.assertEqual(self.admin.call("GET", "/admin/v1/Users/" + uid).status, 404)

    def test_deactivated_user_is_refused_at_token_endpoint(self):
        t = self.tenant()
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))
        self.cli("users", "deactivate", t.user["id"])
        self.assertInvalidGrant(t.grant(t.assertion(), t.fqs), "is not active")

    # ---- apps and certificates
    def test_apps_resource_client_activate_list(self):
        alias = it.unique("cli-key")
        keys = it.generate_keys(alias, self.work)
        up = self.j("certs", "upload", "--alias", alias, "--file", keys["cer"])
        self.assertEqual(up["certificateAlias"], alias)
        audience = "https://%s.example.com:443" % it.unique("cli-res")
        res = self.j("apps", "create-resource", "--name", it.unique("Cli Resource"), "--audience", audience,
                     "--scope", it.SCOPE_VALUE, "--scope", "urn:opc:resource:other")
        self.assertEqual(res["audience"], audience)
        self.j("apps", "activate", res["id"])  # an inactive resource app grants no scope
        fqs = audience + it.SCOPE_VALUE
        display = it.unique("Cli Client")
        client = self.j("apps", "create-client", "--name", display, "--grant", "client_credentials",
                        "--grant", it.JWT_BEARER, "--scope", fqs, "--cert-alias", alias, "--operation", "trustToken")
        client_id, secret = client["name"], client["clientSecret"]
        self.assertTrue(secret)
        self.assertFalse(client["active"])
        self.assertEqual(client["allowedOperations"], ["trustToken"])
        # Inactive until activated.
        r = self.server.token([("grant_type", "client_credentials"), ("scope", fqs)], auth=(client_id, secret))
        self.assertClientAuthFailed(r, basic_used=True)
        self.assertTrue(self.j("apps", "activate", client["id"])["active"])
        self.assertTokenOk(self.server.token([("grant_type", "client_credentials"), ("scope", fqs)],
                                             auth=(client_id, secret)))
        # A user assertion signed with the uploaded key works too.
        user = self.j("users", "create", "--user-name", it.unique("cli-u"))
        a = it.make_jwt({"alg": "RS256", "kid": alias}, it.claims(client_id, user["userName"]), keys["key"])
        self.assertTokenOk(self.server.token([("grant_type", it.JWT_BEARER), ("assertion", a), ("scope", fqs)],
                                             auth=(client_id, secret)))
        # The secret is printed once: neither list nor get shows it, as table or JSON.
        listed = self.cli("apps", "list", json_out=True)[1]
        self.assertIn(client_id, listed)
        self.assertNotIn(secret, listed)
        table = self.table("apps", "list")
        self.assertEqual(table.splitlines()[0].split(),
                         ["id", "clientId", "displayName", "active", "audience", "allowedGrants"])
        self.assertNotIn(secret, table)
        row = [l for l in table.splitlines() if client["id"] in l]
        self.assertEqual(len(row), 1, table)
        self.assertIn(client_id, row[0])
        self.assertIn(("client_credentials," + it.JWT_BEARER)[:57] + "...", row[0])  # cells cut at 60
        self.assertIn(audience, table)
        got = self.cli("apps", "get", client["id"], json_out=True)[1]
        self.assertNotIn(secret, got)
        # Table output of create-client shows the secret once as a line.
        out = self.table("apps", "create-client", "--name", it.unique("Cli Client"))
        self.assertTrue(any(l.startswith("clientSecret: ") and len(l) > 20 for l in out.splitlines()), out)
        # deactivate
        self.assertFalse(self.j("apps", "deactivate", client["id"])["active"])
        r = self.server.token([("grant_type", "client_credentials"), ("scope", fqs)], auth=(client_id, secret))
        self.assertClientAuthFailed(r, basic_used=True)

    def test_certs_upload_list_delete(self):
        alias_der, alias_pem = it.unique("cli-der"), it.unique("cli-pem")
        k1 = it.generate_keys(alias_der, self.work)
        k2 = it.generate_keys(alias_pem, self.work)
        self.cli("certs", "upload", "--alias", alias_der, "--file", k1["cer"])
        out = self.table("certs", "upload", "--alias", alias_pem, "--file", k2["cert"])
        self.assertIn("certificateAlias: " + alias_pem, out.splitlines())
        listed = self.j("certs", "list")
        by_alias = {c["certificateAlias"]: c for c in listed["Resources"]}
        self.assertEqual(by_alias[alias_der]["x5t"], it.x5t(k1["cer"]))
        self.assertEqual(by_alias[alias_pem]["x5t"], it.x5t(k2["cert"]))
        table = self.table("certs", "list")
        self.assertEqual(table.splitlines()[0].split(), ["alias", "thumbprint", "notAfter", "usedBy", "lastUsed"])
        self.assertTrue(any(l.split()[:2] == [alias_der, it.x5t(k1["cer"])] for l in table.splitlines()), table)
        self.cli("certs", "delete", alias_der)
        aliases = [c["certificateAlias"] for c in self.j("certs", "list")["Resources"]]
        self.assertNotIn(alias_der, aliases)
        self.assertIn(alias_pem, aliases)
        self.assertIn("404", self.failure("certs", "delete", alias_der))
        # A file that is no certificate is a one-line error.
        junk = os.path.join(self.work, "junk.cer")
        with open(junk, "wb") as f:
            f.write(b"not a certificate")
        self.assertIn("400", self.failure("certs", "upload", "--alias", it.unique("junk"), "--file", junk))
        self.failure("certs", "upload", "--alias", it.unique("missing"), "--file", junk + ".nope")

    # Aliases may hold spaces, '/', '#', '?' and '%': `certs delete` and `partners delete` must
    # percent-encode them in the URL path, or the delete fails or hits another alias.
    def test_certs_delete_alias_with_reserved_characters(self):
        for partner in (False, True):
            group = "partners" if partner else "certs"
            for alias in ("team a key", "team/a", "k#1", "k?x=1"):
                alias = alias + "-" + uuid.uuid4().hex[:6]
                keys = it.generate_keys(it.unique("res"), self.work)
                self.cli(group, "upload", "--alias", alias, "--file", keys["cer"])
                self.cli(group, "delete", alias)
                self.assertNotIn(alias, [c["certificateAlias"] for c in self.j(group, "list")["Resources"]])

    # '%': unencoded, `certs delete k%41` would be sent as /k%41, which the server decodes to
    # "kA", deleting a different certificate than the one named.
    def test_certs_delete_percent_alias_deletes_only_that_certificate(self):
        stem = "pct" + uuid.uuid4().hex[:6]
        named, other = stem + "%41", stem + "A"
        for alias in (named, other):
            self.cli("certs", "upload", "--alias", alias, "--file", it.generate_keys(it.unique("pct"), self.work)["cer"])
        rc, out, err = self.cli("certs", "delete", named, check=False)
        aliases = [c["certificateAlias"] for c in self.j("certs", "list")["Resources"]]
        self.assertIn(other, aliases)
        self.assertEqual(rc, 0, err)
        self.assertNotIn(named, aliases)

    def test_partners_upload_list(self):
        alias = it.unique("cli-partner")
        keys = it.generate_keys(alias, self.work)
        self.assertEqual(self.j("partners", "upload", "--alias", alias, "--file", keys["cert"])["certificateAlias"], alias)
        self.assertIn(alias, [c["certificateAlias"] for c in self.j("partners", "list")["Resources"]])
        self.assertIn(alias, self.table("partners", "list"))
        # Not a client certificate.
        self.assertNotIn(alias, [c["certificateAlias"] for c in self.j("certs", "list")["Resources"]])
        # A partner-signed assertion is accepted for any app (x5t names the partner certificate).
        t = self.tenant()
        a = it.make_jwt({"alg": "RS256", "x5t": it.x5t(keys["cert"])}, it.claims(t.client_id, t.user_name), keys["key"])
        self.assertTokenOk(t.grant(a, t.fqs))

    # ---- trust-token issuers
    def test_trust_issuers_add_list_delete(self):
        issuer = "https://%s.fusion.example.com/" % it.unique("cli")
        secret = "cli-" + uuid.uuid4().hex + uuid.uuid4().hex  # 68 bytes
        secret_file = os.path.join(self.work, it.unique("secret") + ".txt")
        with open(secret_file, "w") as f:
            f.write(secret + "\n")  # the trailing newline is not part of the secret
        added = self.j("trust-issuers", "add", "--issuer", issuer, "--secret-file", secret_file)
        self.assertEqual(added, {"issuer": issuer, "algorithm": "HS256"})
        # A trust token's principal is an active user of the domain.
        for name in ("u1", "u2"):
            if self.admin.call("GET", "/admin/v1/Users?" + it.form([("filter", 'userName eq "%s"' % name)])).json()["totalResults"] == 0:
                self.admin.create_user(name)
        now = int(time.time())
        token = it.make_jwt({"alg": "HS256"}, {"iss": issuer, "prn": "u1", "iat": now, "exp": now + 300},
                            hmac_key=secret.encode())
        self.assertEqual(self.tokeninfo(token).status, 200, self.tokeninfo(token))
        # RS256 by certificate.
        rs_issuer = "https://%s.fusion.example.com/rs" % it.unique("cli")
        alias = it.unique("fusion-cert")
        keys = it.generate_keys(alias, self.work)
        out = self.table("trust-issuers", "add", "--issuer", rs_issuer, "--cert", keys["cer"], "--alias", alias)
        self.assertIn("algorithm: RS256", out.splitlines())
        rs_token = it.make_jwt({"alg": "RS256"}, {"iss": rs_issuer, "sub": "u2", "iat": now, "exp": now + 300},
                               keys["key"])
        self.assertEqual(self.tokeninfo(rs_token).status, 200)
        # list
        listed = {r["issuer"]: r for r in self.j("trust-issuers", "list")["Resources"]}
        self.assertEqual(listed[issuer]["algorithm"], "HS256")
        self.assertEqual(listed[rs_issuer]["certAlias"], alias)
        table = self.table("trust-issuers", "list")
        self.assertEqual(table.splitlines()[0].split(), ["issuer", "algorithm", "certAlias"])
        self.assertNotIn(secret, table)
        self.assertTrue(any(l.split() == [issuer, "HS256"] for l in table.splitlines()), table)
        # A short secret is refused with one line.
        short_file = os.path.join(self.work, it.unique("short") + ".txt")
        with open(short_file, "w") as f:
            f.write("x" * 31 + "\n")
        self.assertIn("at least 32 bytes",
                      self.failure("trust-issuers", "add", "--issuer", it.unique("short"), "--secret-file", short_file))
        # delete (the CLI URL-encodes the issuer)
        self.cli("trust-issuers", "delete", issuer)
        r = self.tokeninfo(token)
        self.assertEqual(r.status, 400, r)
        self.assertIn("unknown issuer", r.json()["error_description"])
        self.assertNotIn(issuer, [r["issuer"] for r in self.j("trust-issuers", "list")["Resources"]])
        self.assertEqual(self.tokeninfo(rs_token).status, 200)

    # ---- keys
    def test_keys_rotate(self):
        old_tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)],
                                                       auth=(it.ADMIN_ID, it.ADMIN_SECRET)))["access_token"]
        rotated = self.j("keys", "rotate")
        self.assertTrue(rotated["active"])
        kid = rotated["kid"]
        new_tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)],
                                                       auth=(it.ADMIN_ID, it.ADMIN_SECRET)))["access_token"]
        self.assertEqual(it.jwt_parts(new_tok)[0]["kid"], kid)
        self.assertNotEqual(it.jwt_parts(old_tok)[0]["kid"], kid)
        out = self.table("keys", "rotate")
        lines = out.splitlines()
        self.assertTrue(any(l.startswith("kid: ") and l != "kid: " + kid for l in lines), out)
        self.assertIn("active: true", lines)
        # The old admin token still works: the old key stays published.
        r = self.admin.call("GET", "/admin/v1/Users", token=old_tok)
        self.assertEqual(r.status, 200, r)
        self.assertIn("Resources", r.json(), r)

    # ---- audit
    def test_audit(self):
        name = it.unique("audited")
        self.cli("users", "create", "--user-name", name)
        events = self.j("audit", "--count", "1000")["Resources"]
        self.assertTrue(any(e.get("subject") == name for e in events), events[:5])
        only = self.j("audit", "--outcome", "issued", "--for-client", it.ADMIN_ID, "--count", "5")["Resources"]
        self.assertTrue(only)
        self.assertLessEqual(len(only), 5)
        self.assertTrue(all(e["outcome"] == "issued" and e["clientId"] == it.ADMIN_ID for e in only), only)
        table = self.table("audit", "--count", "10")
        self.assertEqual(table.splitlines()[0].split(),
                         ["time", "ecid", "clientId", "subject", "grant", "outcome", "reason"])
        self.assertGreater(len(table.splitlines()), 1)
        rc, out, err = self.cli("audit", "--count", "0", check=False)
        self.assertNotEqual(rc, 0)

    def test_audit_by_reason_and_grant(self):
        r = self.server.token([("grant_type", "client_credentials")],
                              auth=(it.ADMIN_ID, it.ADMIN_SECRET + "x"))
        self.assertEqual(r.status, 401, r)
        refused = self.j("audit", "--reason", "bad_client_secret", "--for-client", it.ADMIN_ID,
                         "--count", "5")["Resources"]
        self.assertTrue(refused)
        self.assertTrue(all(e["reason"].startswith("bad_client_secret:") and
                            e["outcome"] == "rejected" for e in refused), refused)
        issued = self.j("audit", "--grant", "client_credentials", "--outcome", "issued",
                        "--count", "5")["Resources"]
        self.assertTrue(issued)
        self.assertTrue(all(e["grant"] == "client_credentials" for e in issued), issued)
        # The code exactly: a word of a detail matches nothing.
        self.assertEqual(self.j("audit", "--reason", "bad_client", "--count", "5")["Resources"],
                         [])

    # ---- who may use it
    def test_non_admin_client_gets_one_line_error(self):
        t = self.tenant()
        for args in (("users", "list"), ("apps", "list"), ("keys", "rotate"), ("audit",)):
            line = self.failure(*args, client=t.auth)
            self.assertIn("cannot obtain an administrator token", line)
        self.assertIn("cannot obtain an administrator token",
                      self.failure("users", "list", client=(it.ADMIN_ID, it.ADMIN_SECRET + "x")))
        self.assertIn("cannot obtain an administrator token",
                      self.failure("users", "list", client=("nobody-" + uuid.uuid4().hex[:6], "x" * 20)))

    def test_unreachable_server_is_one_line_error(self):
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        p = subprocess.run([it.TESSERA, "admin", "--url", "http://127.0.0.1:%d" % port, "--client-id", it.ADMIN_ID,
                            "--client-secret", it.ADMIN_SECRET, "users", "list"], capture_output=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(len(p.stderr.decode().strip().splitlines()), 1, p.stderr)


if __name__ == "__main__":
    it.main()
