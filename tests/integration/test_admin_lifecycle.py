"""Operator lifecycle with `tessera admin`: apps update, attach-cert/detach-cert, certificate
rotation with overlap (the procedure of docs/operations.md), audit windows and totals, and
configuration as code (export, import with a plan, idempotence, all-or-nothing refusals)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import tessera_it as it


def cli(server, *args, check=True, json_out=False):
    argv = [it.TESSERA, "admin", "--url", server.base, "--client-id", it.ADMIN_ID,
            "--client-secret", it.ADMIN_SECRET] + (["--json"] if json_out else []) + list(args)
    p = subprocess.run(argv, capture_output=True, timeout=60)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if check and p.returncode != 0:
        raise AssertionError("%s failed: %s %s" % (" ".join(args), out, err))
    return p.returncode, out, err


class AdminLifecycleTest(it.ServerTest):

    def j(self, *args):
        return json.loads(cli(self.server, *args, json_out=True)[1])

    def test_update_and_attach_detach(self):
        t = self.tenant()
        app_id = t.app["id"]
        updated = self.j("apps", "update", app_id, "--lifetime", "600", "--alg", "RS256", "--alg", "PS256",
                         "--grant", it.JWT_BEARER)
        self.assertEqual(updated["accessTokenExpiry"], 600)
        self.assertEqual(updated["assertionAlgorithms"], ["RS256", "PS256"])
        self.assertEqual(updated["allowedGrants"], [it.JWT_BEARER])
        self.assertEqual(updated["allowedScopes"], [{"fqs": t.fqs}])  # untouched
        rc, out, err = cli(self.server, "apps", "update", app_id, "--grant", "password", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("allowedGrants", err)
        self.assertIn("client_credentials", err)
        rc, _, err = cli(self.server, "apps", "update", app_id, check=False)
        self.assertIn("nothing to update", err)
        # lists can be emptied, not only replaced
        got = self.j("apps", "update", app_id, "--operation", "introspect")
        self.assertEqual(got["allowedOperations"], ["introspect"])
        got = self.j("apps", "update", app_id, "--clear-operations", "--clear-scopes")
        self.assertEqual(got.get("allowedOperations", []), [])
        self.assertEqual(got.get("allowedScopes", []), [])
        rc, _, err = cli(self.server, "apps", "update", app_id, "--clear-scopes", "--scope", t.fqs,
                         check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("give one of them", err)
        got = self.j("apps", "update", app_id, "--scope", t.fqs)
        self.assertEqual(got["allowedScopes"], [{"fqs": t.fqs}])
        # attach and detach
        alias = it.unique("extra")
        keys = it.generate_keys(alias, self.work)
        cli(self.server, "certs", "upload", "--alias", alias, "--file", keys["cer"])
        got = self.j("apps", "attach-cert", app_id, "--alias", alias)
        self.assertEqual([c["certAlias"] for c in got["certificates"]], [t.alias, alias])
        got = self.j("apps", "attach-cert", app_id, "--alias", alias)  # again: no repeat
        self.assertEqual([c["certAlias"] for c in got["certificates"]], [t.alias, alias])
        got = self.j("apps", "detach-cert", app_id, "--alias", alias)
        self.assertEqual([c["certAlias"] for c in got["certificates"]], [t.alias])
        rc, _, err = cli(self.server, "apps", "detach-cert", app_id, "--alias", alias, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("is not attached", err)

    def test_output_shows_what_a_person_reads(self):
        name = it.unique("out")
        out = cli(self.server, "users", "create", "--user-name", name, "--email", name + "@example.com")[1]
        self.assertIn("emails: " + name + "@example.com", out.splitlines())
        alias = it.unique("out")
        keys = it.generate_keys(alias, self.work)
        rc, out, err = cli(self.server, "certs", "upload", "--alias", alias, "--file", keys["cer"])
        self.assertNotIn("x509Base64Certificate", out)
        self.assertIn("x5t: " + it.x5t(keys["cer"]), out.splitlines())
        self.assertIn("tessera admin apps attach-cert APP_ID --alias " + alias, err)
        keys_table = cli(self.server, "keys", "list")[1].splitlines()
        self.assertEqual(keys_table[0].split(),
                         ["kid", "alg", "state", "created", "retired", "publishUntil", "revoked"])
        self.assertRegex(keys_table[1], r"\bactive\b.*\d{4}-\d\d-\d\dT")

    def test_certificate_rotation_with_overlap(self):
        t = self.tenant()
        old = t.alias
        new = it.unique("new")
        new_keys = it.generate_keys(new, self.work)
        # 1. upload the new certificate; 2. attach it: both verify meanwhile.
        cli(self.server, "certs", "upload", "--alias", new, "--file", new_keys["cer"])
        cli(self.server, "apps", "attach-cert", t.app["id"], "--alias", new)
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))  # old kid
        self.assertTokenOk(t.grant(t.assertion(header_extra={"kid": new}, key=new_keys["key"]), t.fqs))
        listed = {c["certificateAlias"]: c for c in self.j("certs", "list")["Resources"]}
        self.assertEqual(listed[old]["usedBy"], [t.client_id])
        self.assertEqual(listed[new]["usedBy"], [t.client_id])
        self.assertNotEqual(listed[new]["lastUsed"], "never", listed[new])
        self.assertTrue(listed[new]["notAfter"])
        table = cli(self.server, "certs", "list")[1]
        row = [l for l in table.splitlines() if l.startswith(new + " ")][0]
        self.assertIn(t.client_id, row)
        # 3. clients switch kid; 4. detach the old one: its assertions are refused, with the
        # reason that it is uploaded but not attached.
        cli(self.server, "apps", "detach-cert", t.app["id"], "--alias", old)
        r = t.grant(t.assertion(), t.fqs)
        self.assertInvalidGrant(r, "is uploaded, not attached to client " + t.client_id)
        self.assertTokenOk(t.grant(t.assertion(header_extra={"kid": new}, key=new_keys["key"]), t.fqs))
        listed = {c["certificateAlias"]: c for c in self.j("certs", "list")["Resources"]}
        self.assertEqual(listed[old]["usedBy"], [])

    def test_audit_window_and_total(self):
        t = self.tenant()
        for _ in range(3):
            self.assertTokenOk(t.grant(t.assertion(), t.fqs))
        events = self.j("audit", "--for-client", t.client_id, "--outcome", "issued", "--count", "1",
                        "--since", "10m")
        self.assertEqual(len(events["Resources"]), 1)
        self.assertEqual(events["totalResults"], 3)
        future = self.j("audit", "--for-client", t.client_id, "--since", str(int(time.time()) + 3600))
        self.assertEqual(future["totalResults"], 0)
        past = self.j("audit", "--for-client", t.client_id, "--until", "2000-01-01")
        self.assertEqual(past["Resources"], [])
        rc, _, err = cli(self.server, "audit", "--since", "yesterday", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("--since", err)
        # The CLI's own token requests are told apart by their ecid.
        mine = self.j("audit", "--for-client", it.ADMIN_ID, "--outcome", "issued", "--count", "5")
        self.assertTrue(mine["Resources"])
        self.assertTrue(any(e["ecid"].startswith("tessera-admin-") for e in mine["Resources"]),
                        mine["Resources"])
        # ... and the test's own (not the CLI's) are not marked.
        self.assertFalse(all(e["ecid"].startswith("tessera-admin-")
                             for e in self.j("audit", "--for-client", it.ADMIN_ID, "--count", "1000")["Resources"]))

    def test_export_import_reproduces_the_domain(self):
        t = self.tenant()
        export = os.path.join(self.work, "domain.json")
        with open(export, "w") as f:
            f.write(cli(self.server, "export")[1])
        with open(export) as f:
            domain = json.load(f)
        text = json.dumps(domain)
        self.assertNotIn(t.secret, text)
        client = [a for a in domain["apps"] if a.get("name") == t.client_id][0]
        self.assertEqual(client["clientSecret"], {"secretRef": "app:" + t.client_id})
        self.assertIn(t.alias, [c["certificateAlias"] for c in domain["certificates"]])
        self.assertIn(t.user_name, [u["userName"] for u in domain["users"]])

        # A second, empty server.
        work = tempfile.mkdtemp(prefix="tessera-import-")
        self.addCleanup(shutil.rmtree, work, True)
        other = it.Server(os.path.join(work, "data")).start()
        self.addCleanup(other.stop)
        secrets = os.path.join(work, "secrets.json")
        refs = [a["clientSecret"]["secretRef"] for a in domain["apps"]
                if "clientSecret" in a and a["name"] != it.ADMIN_ID]
        # Without the secrets: refused whole, naming the reference; nothing written.
        rc, out, err = cli(other, "import", export, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("is not supplied", err)
        other_admin = it.Admin(other)
        self.assertEqual(len(other_admin.ok("GET", "/admin/v1/Users")["Resources"]), 0)
        # Secrets: this tenant's real one; the other clients get fresh values.
        with open(secrets, "w") as f:
            json.dump({r: (t.secret if r == "app:" + t.client_id else it.unique("s") * 2) for r in refs}, f)
        rc, plan, err = cli(other, "import", export, "--secrets", secrets, "--dry-run")
        self.assertIn("create app " + t.client_id, plan)
        self.assertIn("(dry run: nothing written)", plan)
        self.assertEqual(len(other_admin.ok("GET", "/admin/v1/Users")["Resources"]), 0)
        rc, plan, err = cli(other, "import", export, "--secrets", secrets)
        self.assertIn(": applied", plan)
        # Twice: nothing changes the second time.
        rc, plan, err = cli(other, "import", export)
        self.assertIn("0 to create, 0 to update", plan, plan)
        # The same client, key and user get tokens from both, each verifying at its server.
        other_t = it.Tenant.__new__(it.Tenant)
        other_t.__dict__.update(t.__dict__)
        other_t.server = other
        for server, tenant in ((self.server, t), (other, other_t)):
            body = self.assertTokenOk(tenant.grant(tenant.assertion(), t.fqs))
            r = server.post_form("/oauth2/v1/introspect", [("token", body["access_token"])], auth=t.auth)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.json()["active"], r)
            self.assertEqual(r.json()["sub"], t.user_name)
        # A change on the source is a plan of one update.
        self.admin.ok("PATCH", "/admin/v1/Apps/" + t.app["id"],
                      {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "accessTokenExpiry", "value": 900}]})
        with open(export, "w") as f:
            f.write(cli(self.server, "export")[1])
        rc, plan, err = cli(other, "import", export)
        line = [l for l in plan.splitlines() if l.startswith("update app %s (" % t.client_id)]
        self.assertEqual(len(line), 1, plan)
        self.assertIn("accessTokenExpiry", line[0])
        self.assertIn("0 to create, 1 to update", plan)

    def test_import_refusal_names_field_and_changes_nothing(self):
        work = tempfile.mkdtemp(prefix="tessera-import-")
        self.addCleanup(shutil.rmtree, work, True)
        bad = {"users": [{"userName": it.unique("first")}],
               "apps": [{"isOAuthClient": True, "name": it.unique("c"), "displayName": "c",
                         "allowedScopes": [{"fqs": "https://nowhere.example.com/none"}]}]}
        path = os.path.join(work, "bad.json")
        with open(path, "w") as f:
            json.dump(bad, f)
        before = len(self.admin.ok("GET", "/admin/v1/Users?count=1000")["Resources"])
        rc, out, err = cli(self.server, "import", path, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("allowedScopes", err)
        self.assertEqual(len(self.admin.ok("GET", "/admin/v1/Users?count=1000")["Resources"]), before)
        bad = {"apps": [{"isOAuthClient": True, "name": "x", "displayName": "x", "colour": "red"}]}
        with open(path, "w") as f:
            json.dump(bad, f)
        rc, out, err = cli(self.server, "import", path, check=False)
        self.assertIn("unknown member 'colour'; allowed:", err)


if __name__ == "__main__":
    it.main()
