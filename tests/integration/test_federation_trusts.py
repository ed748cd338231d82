"""Contract section 10: the federation trust resource, /admin/v1/IdentityPropagationTrusts, on the
real server: creation with warnings, the listing and its issuer filter, PATCH re-validating the
whole trust, deletion, the SCIM errors, the admin token it requires, and the audit trail;
`tessera admin trusts` against it; and the trusts' export and import."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import tessera_it as it

BASE = "/admin/v1/IdentityPropagationTrusts"
SCHEMA = "urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
GITHUB = "https://token.actions.githubusercontent.com"


def trust(**overrides):
    body = {
        "schemas": [SCHEMA],
        "name": it.unique("trust"),
        "issuer": "https://idp.%s.example.com" % it.unique("tenant"),
        "audiences": ["https://idm.example.test"],
        "oauthClients": ["ci-client"],
        "conditions": [{"claim": "repository", "in": ["acme/deploy"]}],
    }
    body.update(overrides)
    return body


def patch(*operations):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": list(operations)}


class FederationTrustApiTest(it.ServerTest):

    def assertScimError(self, r, status, detail_part=None, scim_type=None):
        self.assertEqual(r.status, status, r)
        body = r.json()
        self.assertEqual(body["schemas"], [SCIM_ERROR], r)
        self.assertEqual(body["status"], str(status), r)
        if detail_part:
            self.assertIn(detail_part, body["detail"], r)
        if scim_type:
            self.assertEqual(body.get("scimType"), scim_type, r)
        return body

    def create(self, **overrides):
        r = self.admin.call("POST", BASE, trust(**overrides))
        self.assertEqual(r.status, 201, r)
        return r.json()

    def test_create_get_and_defaults(self):
        t = self.create(publicKeyEndpoint="https://idp.example.com/jwks")
        self.assertTrue(t["id"])
        self.assertEqual(t["schemas"], [SCHEMA])
        self.assertEqual(t["meta"]["resourceType"], "IdentityPropagationTrust")
        self.assertEqual((t["type"], t["active"], t["subjectClaimName"], t["subjectType"]),
                         ("JWT", False, "sub", "User"))
        self.assertEqual((t["subjectMappingAttribute"], t["clockSkewSeconds"], t["jti"]),
                         ("userName", 30, "required"))
        self.assertEqual(t["warnings"], [])
        got = self.admin.ok("GET", BASE + "/" + t["id"])
        self.assertNotIn("warnings", got)
        t.pop("warnings")
        self.assertEqual(got, t)

    def test_id_given_in_the_body_is_not_used(self):
        t = self.create(id="chosen-by-client")
        self.assertNotEqual(t["id"], "chosen-by-client")

    def test_risky_settings_earn_warnings(self):
        t = self.create(issuer=GITHUB, conditions=[], maxTokenLifetime=172800,
                        jti="reuse-until-exp", name=it.unique("gh"))
        warnings = t["warnings"]
        self.assertEqual(len(warnings), 3, warnings)
        self.assertTrue(warnings[0].startswith("conditions:"), warnings)
        self.assertTrue(warnings[1].startswith("maxTokenLifetime:"), warnings)
        self.assertTrue(warnings[2].startswith("jti:"), warnings)
        self.admin.call("DELETE", BASE + "/" + t["id"])

    def test_list_and_issuer_filter(self):
        issuer = "https://k8s.%s.example.com" % it.unique("cluster")
        a = self.create(issuer=issuer)
        b = self.create(issuer=issuer)
        other = self.create()
        listed = self.admin.ok("GET", BASE)
        self.assertEqual(listed["schemas"], ["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        ids = [r["id"] for r in listed["Resources"]]
        for t in (a, b, other):
            self.assertIn(t["id"], ids)
        self.assertEqual(listed["totalResults"], len(ids))
        q = urllib.parse.quote('issuer eq "%s"' % issuer)
        filtered = self.admin.ok("GET", BASE + "?filter=" + q)
        self.assertEqual(filtered["totalResults"], 2)
        self.assertEqual({r["id"] for r in filtered["Resources"]}, {a["id"], b["id"]})
        # The issuer compares exactly: no trailing-slash trimming.
        q = urllib.parse.quote('issuer eq "%s/"' % issuer)
        self.assertEqual(self.admin.ok("GET", BASE + "?filter=" + q)["totalResults"], 0)
        self.assertScimError(self.admin.call("GET", BASE + "?filter=" + urllib.parse.quote('name eq "x"')),
                             400, "issuer", "invalidValue")

    def test_patch_revalidates_the_whole_trust(self):
        t = self.create()
        url = BASE + "/" + t["id"]
        p = self.admin.ok("PATCH", url, patch({"op": "replace", "path": "active", "value": True},
                                              {"op": "add", "path": "audiences", "value": ["second"]}))
        self.assertTrue(p["active"])
        self.assertEqual(p["audiences"], ["https://idm.example.test", "second"])
        self.assertEqual(p["warnings"], [])
        self.assertEqual(p["meta"]["created"], t["meta"]["created"])
        self.assertTrue(self.admin.ok("GET", url)["active"])
        # A change that leaves the trust invalid is refused with ValidateTrust's message.
        self.assertScimError(self.admin.call("PATCH", url, patch(
            {"op": "replace", "path": "publicKeyEndpoint", "value": "http://idp.example.com/jwks"})),
            400, "publicKeyEndpoint: must be an https:// URL", "invalidValue")
        self.assertScimError(self.admin.call("PATCH", url, patch(
            {"op": "remove", "path": "oauthClients"})), 400, "oauthClients:")
        self.assertScimError(self.admin.call("PATCH", url, patch(
            {"op": "replace", "path": "subjectType", "value": "App"})), 400, "clientClaimName:")
        self.assertScimError(self.admin.call("PATCH", url, patch(
            {"op": "replace", "path": "id", "value": "other"})), 400, "id: read-only")
        self.assertScimError(self.admin.call("PATCH", url, patch(
            {"op": "replace", "path": "conditions", "value": [{"claim": "ref", "regex": ".*"}]})),
            400, "conditions[0]")
        # Nothing of the refused changes was kept.
        got = self.admin.ok("GET", url)
        self.assertNotIn("publicKeyEndpoint", got)
        self.assertEqual(got["oauthClients"], ["ci-client"])
        # A change may earn warnings too.
        w = self.admin.ok("PATCH", url, patch({"op": "replace", "path": "jti", "value": "reuse-until-exp"}))
        self.assertEqual(len(w["warnings"]), 1, w)

    def test_strict_bodies(self):
        self.assertScimError(self.admin.call("POST", BASE, trust(issuerr="x")), 400, "issuerr",
                             "invalidValue")
        self.assertScimError(self.admin.call("POST", BASE, trust(audiences="https://a")), 400,
                             "audiences: must be an array")
        self.assertScimError(self.admin.call("POST", BASE, trust(clockSkewSeconds="30")), 400,
                             "clockSkewSeconds")
        self.assertScimError(self.admin.call("POST", BASE, trust(conditions=[{"claim": "a"}])), 400,
                             "conditions[0]")
        body = trust()
        del body["audiences"]
        self.assertScimError(self.admin.call("POST", BASE, body), 400, "audiences:")
        self.assertScimError(self.admin.call("POST", BASE, "[1]"), 400)
        self.assertScimError(self.admin.call("POST", BASE, "{"), 400, "not valid JSON")

    def test_taken_name_is_409(self):
        t = self.create()
        self.assertScimError(self.admin.call("POST", BASE, trust(name=t["name"])), 409, t["name"],
                             "uniqueness")
        other = self.create()
        self.assertScimError(self.admin.call("PATCH", BASE + "/" + other["id"], patch(
            {"op": "replace", "path": "name", "value": t["name"]})), 409, t["name"], "uniqueness")

    def test_delete_and_404(self):
        t = self.create()
        url = BASE + "/" + t["id"]
        r = self.admin.call("DELETE", url)
        self.assertEqual(r.status, 204, r)
        self.assertScimError(self.admin.call("GET", url), 404)
        self.assertScimError(self.admin.call("DELETE", url), 404)
        self.assertScimError(self.admin.call("PATCH", url, patch(
            {"op": "replace", "path": "active", "value": True})), 404)
        # The name is free again.
        self.create(name=t["name"])

    def test_admin_token_required(self):
        r = self.server.get(BASE)
        self.assertScimError(r, 401)
        self.assertTrue(r.header("WWW-Authenticate"))
        r = self.server.request("POST", BASE, json.dumps(trust()),
                                {"Content-Type": "application/json"})
        self.assertScimError(r, 401)
        self.assertScimError(self.admin.call("GET", BASE, token="garbage.token.here"), 401)
        # A client that is not an administrator is refused, whatever the method.
        t = self.tenant()
        tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials")],
                                                   auth=t.auth))["access_token"]
        self.assertScimError(self.admin.call("GET", BASE, token=tok), 403)
        self.assertScimError(self.admin.call("POST", BASE, trust(), token=tok), 403)
        mine = self.create()
        self.assertScimError(self.admin.call("DELETE", BASE + "/" + mine["id"], token=tok), 403)
        self.admin.ok("GET", BASE + "/" + mine["id"])

    def test_changes_are_audited_with_id_and_issuer(self):
        t = self.create()
        self.admin.ok("PATCH", BASE + "/" + t["id"], patch({"op": "replace", "path": "active", "value": True}))
        self.admin.call("DELETE", BASE + "/" + t["id"])
        events = self.admin.ok("GET", "/admin/v1/AuditEvents?count=1000&clientId=" + it.ADMIN_ID)["Resources"]
        mine = [e for e in events if e["subject"] == t["id"]]
        self.assertEqual(sorted(e["outcome"] for e in mine),
                         ["federation_trust.create", "federation_trust.delete", "federation_trust.update"])
        for e in mine:
            self.assertIn(t["issuer"], e["reason"])
        update = [e for e in mine if e["outcome"] == "federation_trust.update"][0]
        self.assertIn("activated", update["reason"])


class FederationTrustCliTest(it.ServerTest):
    """`tessera admin trusts ...` against the same resource: tables, --json, warnings on stderr."""

    def cli(self, *args, json_out=False, check=True):
        argv = [it.TESSERA, "admin", "--url", self.server.base, "--client-id", it.ADMIN_ID,
                "--client-secret", it.ADMIN_SECRET]
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

    def failure(self, *args):
        rc, out, err = self.cli(*args, check=False)
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(out, "")
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("tessera: "), err)
        return lines[0]

    def test_create_from_flags_list_get_activate_delete(self):
        name = it.unique("k8s")
        issuer = "https://k8s.%s.example.com" % it.unique("cluster")
        created = self.j("trusts", "create", "--name", name, "--issuer", issuer,
                         "--public-key-endpoint", "http://127.0.0.1:1/jwks",
                         "--audience", "https://idm.example.test", "--audience", "tessera",
                         "--oauth-client", "ci-client",
                         "--condition", "kubernetes.io.namespace=ci",
                         "--condition", "kubernetes.io.namespace=prod",
                         "--condition-like", "sub=system:serviceaccount:*",
                         "--subject-mapping", "email", "--clock-skew", "0",
                         "--max-token-lifetime", "600")
        tid = created["id"]
        self.assertEqual(created["name"], name)
        self.assertFalse(created["active"])
        self.assertEqual(created["audiences"], ["https://idm.example.test", "tessera"])
        self.assertEqual(created["conditions"], [
            {"claim": "kubernetes.io.namespace", "in": ["ci", "prod"]},
            {"claim": "sub", "like": "system:serviceaccount:*"}])
        self.assertEqual((created["subjectMappingAttribute"], created["clockSkewSeconds"],
                          created["maxTokenLifetime"]), ("email", 0, 600))
        self.assertEqual(created["warnings"], [])

        rc, table, _ = self.cli("trusts", "list", "--issuer", issuer)
        lines = table.strip().splitlines()
        self.assertTrue(lines[0].startswith("id"), table)
        self.assertEqual(len(lines), 2, table)
        self.assertIn(name, lines[1])
        listed = self.j("trusts", "list")["Resources"]
        self.assertIn(tid, [r["id"] for r in listed])
        self.assertEqual(self.j("trusts", "list", "--issuer", issuer + "/")["Resources"], [])

        got = self.cli("trusts", "get", tid)[1]
        self.assertIn("issuer: " + issuer, got)
        self.assertNotIn("schemas", got)
        self.assertTrue(self.j("trusts", "activate", tid)["active"])
        self.assertTrue(self.j("trusts", "get", tid)["active"])
        self.assertFalse(self.j("trusts", "deactivate", tid)["active"])

        self.cli("trusts", "delete", tid)
        self.assertIn("404", self.failure("trusts", "get", tid))

    def test_create_from_file_warnings_on_stderr_and_update(self):
        path = os.path.join(self.work, it.unique("trust") + ".json")
        with open(path, "w") as f:
            json.dump(trust(issuer=GITHUB, conditions=[], name=it.unique("gh")), f)
        rc, out, err = self.cli("trusts", "create", "--file", path, "--jti", "reuse-until-exp",
                                "--activate")
        self.assertIn("active: true", out)
        self.assertNotIn("warnings", out)
        warnings = [l for l in err.splitlines() if l.startswith("warning: ")]
        self.assertEqual(len(warnings), 2, err)
        self.assertTrue(warnings[0].startswith("warning: conditions:"), err)
        self.assertTrue(warnings[1].startswith("warning: jti:"), err)
        tid = re.search(r"^id: (\S+)$", out, re.M).group(1)

        # update: the flags given replace those fields; the rest is kept.
        rc, out, err = self.cli("trusts", "update", tid, "--condition", "repository=acme/deploy",
                                "--jti", "required")
        self.assertEqual(err, "")
        t = self.j("trusts", "get", tid)
        self.assertEqual(t["conditions"], [{"claim": "repository", "in": ["acme/deploy"]}])
        self.assertEqual((t["jti"], t["active"], t["issuer"]), ("required", True, GITHUB))
        # A file of the whole trust (as get --json prints it) may be given back.
        t["audiences"] = ["https://other.example.test"]
        with open(path, "w") as f:
            json.dump(t, f)
        self.cli("trusts", "update", tid, "--file", path)
        self.assertEqual(self.j("trusts", "get", tid)["audiences"], ["https://other.example.test"])
        self.cli("trusts", "delete", tid)

    def test_refusals_are_one_line(self):
        line = self.failure("trusts", "create", "--name", it.unique("bad"), "--issuer",
                            "https://idp.example.com", "--audience", "a", "--oauth-client", "c",
                            "--public-key-endpoint", "http://idp.example.com/jwks")
        self.assertIn("publicKeyEndpoint: must be an https:// URL", line)
        self.assertIn("--condition 'noequals'", self.failure("trusts", "create", "--condition",
                                                             "noequals"))
        self.assertIn("is empty", self.failure("trusts", "create", "--file", "/dev/null"))
        self.assertIn("nothing to update", self.failure("trusts", "update", "some-id"))
        t = self.j("trusts", "create", "--name", it.unique("ok"), "--issuer", "https://idp.example.com",
                   "--audience", "a", "--oauth-client", "c")
        self.assertIn("409", self.failure("trusts", "create", "--name", t["name"], "--issuer",
                                          "https://idp.example.com", "--audience", "a",
                                          "--oauth-client", "c"))


class FederationTrustTransferTest(it.ServerTest):
    """Configuration as code carries the trusts: export, import into an empty server, again."""

    def test_export_import_round_trip(self):
        source = [self.admin.ok("POST", BASE, trust(publicKeyEndpoint="https://idp.example.com/jwks",
                                                    active=True)),
                  self.admin.ok("POST", BASE, trust(subjectType="App", clientClaimName="sub",
                                                    clientClaimValues=["system:serviceaccount:ci:deployer"],
                                                    oauthClients=[], jti="reuse-until-exp"))]
        for t in source:
            t.pop("warnings")
        exported = self.admin.ok("GET", "/admin/v1/DomainExport")
        trusts = exported["identityPropagationTrusts"]
        # Listed by creation time, then id: those created in one second by id.
        self.assertEqual(sorted(t["name"] for t in trusts), sorted(t["name"] for t in source))
        self.assertNotIn("schemas", trusts[0])

        work = tempfile.mkdtemp(prefix="tessera-import-")
        self.addCleanup(shutil.rmtree, work, True)
        other = it.Server(os.path.join(work, "data")).start()
        self.addCleanup(other.stop)
        other_admin = it.Admin(other)
        domain = {"identityPropagationTrusts": trusts}
        answer = other_admin.ok("POST", "/admin/v1/DomainImport", {"domain": domain, "dryRun": True})
        self.assertEqual([(p["action"], p["kind"]) for p in answer["plan"]],
                         [("create", "federationTrust")] * 2)
        self.assertEqual(other_admin.ok("GET", BASE)["totalResults"], 0)
        answer = other_admin.ok("POST", "/admin/v1/DomainImport", {"domain": domain})
        self.assertEqual(answer["created"], 2, answer)
        copied = other_admin.ok("GET", BASE)["Resources"]
        strip = lambda t: {k: v for k, v in t.items() if k != "meta"}
        by_id = lambda ts: sorted((strip(t) for t in ts), key=lambda t: t["id"])
        self.assertEqual(by_id(copied), by_id(source))  # ids kept
        # Twice: nothing changes.
        answer = other_admin.ok("POST", "/admin/v1/DomainImport", {"domain": domain})
        self.assertEqual((answer["created"], answer["updated"], answer["unchanged"]), (0, 0, 2))
        # A change on the source is an update naming the fields.
        self.admin.ok("PATCH", BASE + "/" + source[0]["id"], patch(
            {"op": "replace", "path": "clockSkewSeconds", "value": 60},
            {"op": "replace", "path": "active", "value": False}))
        domain = {"identityPropagationTrusts":
                  self.admin.ok("GET", "/admin/v1/DomainExport")["identityPropagationTrusts"]}
        answer = other_admin.ok("POST", "/admin/v1/DomainImport", {"domain": domain})
        updates = [p for p in answer["plan"] if p["action"] == "update"]
        self.assertEqual(len(updates), 1, answer)
        self.assertEqual((updates[0]["name"], updates[0]["changes"]),
                         (source[0]["name"], ["active", "clockSkewSeconds"]))
        got = other_admin.ok("GET", BASE + "/" + source[0]["id"])
        self.assertEqual((got["clockSkewSeconds"], got["active"]), (60, False))
        first_copy = [t for t in copied if t["id"] == source[0]["id"]][0]
        self.assertEqual(got["meta"]["created"], first_copy["meta"]["created"])
        # A bad trust is refused by name and field; nothing is written.
        bad = dict(trusts[0], name=it.unique("bad"), publicKeyEndpoint="http://idp.example.com/k")
        bad.pop("id")
        r = other_admin.call("POST", "/admin/v1/DomainImport",
                             {"domain": {"identityPropagationTrusts": [trust(name=it.unique("fine")), bad]}})
        self.assertEqual(r.status, 400, r)
        self.assertIn("identityPropagationTrusts[1]: publicKeyEndpoint:", r.json()["detail"])
        self.assertEqual(other_admin.ok("GET", BASE)["totalResults"], 2)


if __name__ == "__main__":
    it.main()
