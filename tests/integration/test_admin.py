"""Contract section 6: the SCIM-shaped admin API, its authorisation and its errors; signing key
rotation; the audit trail."""

import datetime
import json
import re
import time
import urllib.parse

import tessera_it as it

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
UNRESERVED = re.compile(r"^[A-Za-z0-9._~-]+$")


class AdminApiTest(it.ServerTest):

    def assertScimError(self, r, status, detail_part=None):
        self.assertEqual(r.status, status, r)
        body = r.json()
        self.assertEqual(body["schemas"], [SCIM_ERROR], r)
        self.assertEqual(body["status"], str(status), r)
        self.assertIsInstance(body["detail"], str)
        if detail_part:
            self.assertIn(detail_part, body["detail"], r)
        return body

    # ---- Users
    def test_users_crud_and_filter(self):
        name = it.unique("alice")
        created = self.admin.call("POST", "/admin/v1/Users", {
            "userName": name, "name": {"givenName": "Alice", "familyName": "Liddell"},
            "emails": [{"value": "a@example.com", "primary": True}], "active": True})
        self.assertEqual(created.status, 201, created)
        u = created.json()
        self.assertTrue(u["id"])
        self.assertEqual((u["userName"], u["name"]["givenName"], u["active"]), (name, "Alice", True))
        self.assertEqual(u["emails"][0]["value"], "a@example.com")
        self.assertEqual(self.admin.ok("GET", "/admin/v1/Users/" + u["id"])["userName"], name)
        q = urllib.parse.quote('userName eq "%s"' % name)
        listed = self.admin.ok("GET", "/admin/v1/Users?filter=" + q)
        self.assertEqual(listed["totalResults"], 1)
        self.assertEqual(listed["Resources"][0]["id"], u["id"])
        page = self.admin.ok("GET", "/admin/v1/Users?startIndex=1&count=1")
        self.assertEqual((page["itemsPerPage"], len(page["Resources"]), page["startIndex"]), (1, 1, 1))
        self.assertEqual(page["schemas"], ["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        none = self.admin.ok("GET", "/admin/v1/Users?filter=" + urllib.parse.quote('userName eq "nobody-x"'))
        self.assertEqual((none["totalResults"], none["Resources"]), (0, []))
        patched = self.admin.ok("PATCH", "/admin/v1/Users/" + u["id"], {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False},
                           {"op": "replace", "path": "name", "value": {"givenName": "Al", "familyName": "L"}}]})
        self.assertEqual((patched["active"], patched["name"]["givenName"]), (False, "Al"))
        self.assertFalse(self.admin.ok("GET", "/admin/v1/Users/" + u["id"])["active"])
        r = self.admin.call("DELETE", "/admin/v1/Users/" + u["id"])
        self.assertEqual(r.status, 204, r)
        self.assertScimError(self.admin.call("GET", "/admin/v1/Users/" + u["id"]), 404)
        self.assertScimError(self.admin.call("DELETE", "/admin/v1/Users/" + u["id"]), 404)

    def test_user_changes_take_effect_at_the_token_endpoint(self):
        t = self.tenant()
        self.admin.ok("PATCH", "/admin/v1/Users/" + t.user["id"],
                      {"Operations": [{"op": "replace", "path": "active", "value": False}]})
        self.assertInvalidGrant(t.grant(t.assertion(), t.fqs), "is not active")
        self.admin.ok("PATCH", "/admin/v1/Users/" + t.user["id"],
                      {"Operations": [{"op": "replace", "path": "active", "value": True}]})
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))
        self.admin.call("DELETE", "/admin/v1/Users/" + t.user["id"])
        self.assertInvalidGrant(t.grant(t.assertion(), t.fqs), "is not the userName of any user")

    def test_duplicate_user_name_is_409(self):
        name = it.unique("dup")
        self.admin.create_user(name)
        body = self.assertScimError(self.admin.call("POST", "/admin/v1/Users", {"userName": name}), 409, name)
        self.assertEqual(body.get("scimType"), "uniqueness")

    def test_patch_to_a_taken_user_name_is_409(self):
        a, b = self.admin.create_user(), self.admin.create_user()
        r = self.admin.call("PATCH", "/admin/v1/Users/" + b["id"],
                            {"Operations": [{"op": "replace", "path": "userName", "value": a["userName"]}]})
        self.assertScimError(r, 409, a["userName"])
        self.assertEqual(self.admin.ok("GET", "/admin/v1/Users/" + b["id"])["userName"], b["userName"])

    def test_bad_bodies_are_scim_400(self):
        self.assertScimError(self.admin.call("POST", "/admin/v1/Users", "{not json"), 400, "not valid JSON")
        self.assertScimError(self.admin.call("POST", "/admin/v1/Users", {"name": {}}), 400, "'userName' is required")
        self.assertScimError(self.admin.call("POST", "/admin/v1/Users", {"userName": "x" + it.unique(""), "active": "yes"}),
                             400, "'active' must be true or false")
        self.assertScimError(self.admin.call("POST", "/admin/v1/Users", '{"userName":"a","userName":"b"}'), 400)
        self.assertScimError(self.admin.call("POST", "/admin/v1/Users", b'{"userName":"\xc0\xaf"}'), 400)
        self.assertScimError(self.admin.call("POST", "/admin/v1/Users", b'{"userName":"\xed\xa0\x80x"}'), 400)
        self.assertScimError(self.admin.call("POST", "/admin/v1/Apps", {"displayName": "x"}), 400, "isOAuthClient")
        self.assertScimError(self.admin.call("POST", "/admin/v1/Apps", {
            "displayName": "x", "isOAuthClient": True, "allowedGrants": ["password"]}), 400, "unknown grant 'password'")
        self.assertScimError(self.admin.call("POST", "/admin/v1/Apps", {
            "displayName": "x", "isOAuthClient": True, "certificates": [{"certAlias": "never-uploaded"}]}), 400,
            "no client certificate with alias 'never-uploaded'")
        self.assertScimError(self.admin.call("POST", "/admin/v1/Apps", {
            "displayName": "x", "isOAuthClient": True, "assertionAlgorithms": ["HS256"]}), 400, "'HS256' is not allowed")
        self.assertScimError(self.admin.call("POST", "/admin/v1/Apps", {
            "displayName": "x", "isOAuthResource": True, "audience": "https://a.example"}), 400, "scopes")
        t = self.tenant()
        self.assertScimError(self.admin.call("PATCH", "/admin/v1/Apps/" + t.app["id"], {"Operations": []}), 400,
                             "Operations")
        self.assertScimError(self.admin.call("PUT", "/admin/v1/AppStatusChanger/" + t.app["id"], {"active": "yes"}), 400)
        self.assertScimError(self.admin.call("GET", "/admin/v1/Users?filter=" + urllib.parse.quote("userName co \"a\"")), 400)

    def test_unknown_ids_are_404(self):
        for method, path, body in (("GET", "/admin/v1/Users/nope", None), ("PATCH", "/admin/v1/Users/nope",
                                    {"Operations": [{"op": "replace", "path": "active", "value": False}]}),
                                   ("DELETE", "/admin/v1/Users/nope", None), ("GET", "/admin/v1/Apps/nope", None),
                                   ("PATCH", "/admin/v1/Apps/nope", {"Operations": [{"op": "replace", "path": "displayName",
                                                                                     "value": "x"}]}),
                                   ("DELETE", "/admin/v1/Apps/nope", None),
                                   ("PUT", "/admin/v1/AppStatusChanger/nope", {"active": True}),
                                   ("GET", "/admin/v1/OAuthClientCertificates/nope", None),
                                   ("DELETE", "/admin/v1/OAuthClientCertificates/nope", None),
                                   ("GET", "/admin/v1/OAuthPartnerCertificates/nope", None)):
            self.assertScimError(self.admin.call(method, path, body), 404)

    # ---- Apps
    def test_confidential_app_crud_and_activation(self):
        t_alias = it.unique("appkey")
        keys = it.generate_keys(t_alias, self.work)
        res = self.admin.create_resource()
        fqs = res["audience"] + it.SCOPE_VALUE
        r = self.admin.call("POST", "/admin/v1/Apps", {
            "schemas": ["urn:ietf:params:scim:schemas:oracle:idcs:App"],
            "basedOnTemplate": {"value": "CustomWebAppTemplateId"}, "displayName": "Conf " + t_alias,
            "isOAuthClient": True, "clientType": "confidential",
            "allowedGrants": ["client_credentials", it.JWT_BEARER], "allowedScopes": [{"fqs": fqs}],
            "certificates": [{"certAlias": t_alias, "x509Base64Certificate": it.cert_b64(keys["cer"])}],
            "accessTokenExpiry": 1800, "allowedOperations": ["introspect"]})
        self.assertEqual(r.status, 201, r)
        app = r.json()
        for k in ("id", "name", "clientSecret"):
            self.assertTrue(app.get(k), k)
        self.assertFalse(app["active"])  # inactive until activated
        self.assertEqual(app["allowedScopes"], [{"fqs": fqs}])
        self.assertEqual(app["certificates"], [{"certAlias": t_alias}])
        # The certificate was uploaded in the same step.
        self.assertEqual(self.admin.ok("GET", "/admin/v1/OAuthClientCertificates/" + t_alias)["x5t"], it.x5t(keys["cer"]))
        got = self.admin.ok("GET", "/admin/v1/Apps/" + app["id"])
        self.assertNotIn("clientSecret", got)
        self.assertEqual((got["name"], got["accessTokenExpiry"], got["allowedOperations"]),
                         (app["name"], 1800, ["introspect"]))
        auth = (app["name"], app["clientSecret"])
        self.assertClientAuthFailed(self.server.token([("grant_type", "client_credentials")], auth=auth), True)
        act = self.admin.ok("PUT", "/admin/v1/AppStatusChanger/" + app["id"], {"active": True})
        self.assertTrue(act["active"])
        self.assertTrue(self.admin.ok("GET", "/admin/v1/Apps/" + app["id"])["active"])
        self.assertEqual(self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=auth))["expires_in"],
                         1800)
        patched = self.admin.ok("PATCH", "/admin/v1/Apps/" + app["id"], {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Renamed"},
                           {"op": "replace", "path": "allowedGrants", "value": ["client_credentials"]}]})
        self.assertEqual((patched["displayName"], patched["allowedGrants"], patched["name"]),
                         ("Renamed", ["client_credentials"], app["name"]))
        a = it.make_jwt({"alg": "RS256", "kid": t_alias}, it.claims(app["name"], "whoever"), keys["key"])
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", a)], auth=auth)
        self.assertOAuthError(r, 400, "unauthorized_client")
        lst = self.admin.ok("GET", "/admin/v1/Apps?filter=" + urllib.parse.quote('name eq "%s"' % app["name"]))
        self.assertEqual([x["id"] for x in lst["Resources"]], [app["id"]])
        self.assertEqual(self.admin.call("DELETE", "/admin/v1/Apps/" + app["id"]).status, 204)
        self.assertScimError(self.admin.call("GET", "/admin/v1/Apps/" + app["id"]), 404)
        self.assertClientAuthFailed(self.server.token([("grant_type", "client_credentials")], auth=auth), True)

    def test_sender_constraint_settings_round_trip(self):
        app = self.admin.create_client()
        self.assertEqual((app["dpopBoundAccessTokens"], app["tlsClientCertificateBoundAccessTokens"]),
                         (False, False))
        self.assertNotIn("tlsClientAuthSubjectDn", app)
        path = "/admin/v1/Apps/" + app["id"]
        patched = self.admin.ok("PATCH", path, {
            "Operations": [{"op": "replace", "path": "dpopBoundAccessTokens", "value": True},
                           {"op": "replace", "path": "tlsClientCertificateBoundAccessTokens", "value": True},
                           {"op": "replace", "path": "tlsClientAuthSubjectDn", "value": "CN=erp,O=Example"},
                           {"op": "replace", "path": "tlsClientAuthSanDns", "value": "erp.example.com"}]})
        got = self.admin.ok("GET", path)
        for view in (patched, got):
            self.assertEqual((view["dpopBoundAccessTokens"], view["tlsClientCertificateBoundAccessTokens"],
                              view["tlsClientAuthSubjectDn"], view["tlsClientAuthSanDns"]),
                             (True, True, "CN=erp,O=Example", "erp.example.com"))
        # "" clears an identity; a wrong type or a control character is refused with the name.
        cleared = self.admin.ok("PATCH", path, {
            "Operations": [{"op": "replace", "path": "tlsClientAuthSanDns", "value": ""}]})
        self.assertNotIn("tlsClientAuthSanDns", cleared)
        r = self.admin.call("PATCH", path, {
            "Operations": [{"op": "replace", "path": "dpopBoundAccessTokens", "value": "yes"}]})
        self.assertScimError(r, 400, "dpopBoundAccessTokens")
        r = self.admin.call("PATCH", path, {
            "Operations": [{"op": "replace", "path": "tlsClientAuthSubjectDn", "value": "CN=a\nO=b"}]})
        self.assertScimError(r, 400, "tlsClientAuthSubjectDn")
        self.assertEqual(self.admin.ok("GET", path)["tlsClientAuthSubjectDn"], "CN=erp,O=Example")

    def test_resource_app_crud(self):
        res = self.admin.create_resource(values=("urn:opc:resource:consumer::all", "read"))
        self.assertTrue(res["isOAuthResource"])
        self.assertEqual([s["fqs"] for s in res["scopes"]],
                         [res["audience"] + "urn:opc:resource:consumer::all", res["audience"] + "read"])
        patched = self.admin.ok("PATCH", "/admin/v1/Apps/" + res["id"], {
            "Operations": [{"op": "add", "path": "scopes", "value": [{"value": "write"}]},
                           {"op": "replace", "path": "accessTokenExpiry", "value": 900}]})
        self.assertIn(res["audience"] + "write", [s["fqs"] for s in patched["scopes"]])
        self.assertEqual(patched["accessTokenExpiry"], 900)
        app = self.admin.create_client(scopes=[res["audience"] + "write"])
        r = self.server.token([("grant_type", "client_credentials"), ("scope", res["audience"] + "write")],
                              auth=(app["name"], app["clientSecret"]))
        self.assertEqual(self.assertTokenOk(r)["expires_in"], 900)
        self.assertEqual(self.admin.call("DELETE", "/admin/v1/Apps/" + res["id"]).status, 204)
        r = self.server.token([("grant_type", "client_credentials"), ("scope", res["audience"] + "write")],
                              auth=(app["name"], app["clientSecret"]))
        self.assertOAuthError(r, 400, "invalid_scope", "no resource app defines it any more")

    def test_client_ids_and_secrets_are_unreserved(self):
        for _ in range(8):
            app = self.admin.create_client(activate=False)
            self.assertRegex(app["name"], UNRESERVED)
            self.assertRegex(app["clientSecret"], UNRESERVED)
            self.assertGreaterEqual(len(app["clientSecret"]), 16)
            # Raw and URL-encoded Basic credentials are the same bytes.
            self.assertEqual(urllib.parse.quote(app["clientSecret"], safe=""), app["clientSecret"])

    # ---- certificates
    def test_client_and_partner_certificates(self):
        for path, partner in (("/admin/v1/OAuthClientCertificates", False), ("/admin/v1/OAuthPartnerCertificates", True)):
            alias = it.unique("cert")
            keys = it.generate_keys(alias, self.work)
            r = self.admin.call("POST", path, {"certificateAlias": alias, "x509Base64Certificate": it.cert_pem_text(keys["cert"])})
            self.assertEqual(r.status, 201, r)
            c = r.json()
            self.assertEqual((c["certificateAlias"], c["x5t"], c["x5t#S256"]),
                             (alias, it.x5t(keys["cer"]), it.x5t_s256(keys["cer"])))
            # notBefore, notAfter and the subject as openssl reads them from the same certificate.
            shown = it.run(["openssl", "x509", "-in", keys["cert"], "-noout", "-startdate", "-enddate",
                            "-subject", "-nameopt", "RFC2253"])
            fields = dict(line.split("=", 1) for line in shown.strip().splitlines())
            as_rfc3339 = lambda d: datetime.datetime.strptime(d, "%b %d %H:%M:%S %Y GMT").strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            self.assertEqual(c["notBefore"], as_rfc3339(fields["notBefore"]), shown)
            self.assertEqual(c["notAfter"], as_rfc3339(fields["notAfter"]), shown)
            self.assertEqual(c["subject"], fields["subject"], shown)
            for listed in (self.admin.ok("GET", path + "/" + alias),
                           [x for x in self.admin.ok("GET", path)["Resources"] if x["certificateAlias"] == alias][0]):
                self.assertEqual((listed["notBefore"], listed["subject"]), (c["notBefore"], c["subject"]))
            self.assertEqual(self.admin.ok("GET", path + "/" + alias)["x509Base64Certificate"], it.cert_b64(keys["cer"]))
            self.assertIn(alias, [x["certificateAlias"] for x in self.admin.ok("GET", path)["Resources"]])
            self.assertScimError(self.admin.call("POST", path, {"certificateAlias": alias,
                                                                "x509Base64Certificate": it.cert_b64(keys["cer"])}), 409)
            self.assertEqual(self.admin.call("DELETE", path + "/" + alias).status, 204)
            self.assertScimError(self.admin.call("GET", path + "/" + alias), 404)
            self.assertNotIn(alias, [x["certificateAlias"] for x in self.admin.ok("GET", path)["Resources"]])

    def test_deleted_certificate_no_longer_verifies(self):
        t = self.tenant()
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))
        self.assertEqual(self.admin.call("DELETE", "/admin/v1/OAuthClientCertificates/" + t.alias).status, 204)
        self.assertInvalidGrant(t.grant(t.assertion(), t.fqs), "matches no certificate")

    def test_refused_certificates(self):
        path = "/admin/v1/OAuthClientCertificates"
        self.assertScimError(self.admin.call("POST", path, {"certificateAlias": it.unique("g"),
                                                            "x509Base64Certificate": "bm90IGEgY2VydGlmaWNhdGU="}),
                             400, "x509Base64Certificate refused")
        self.assertScimError(self.admin.call("POST", path, {"certificateAlias": it.unique("g"),
                                                            "x509Base64Certificate": "%%%"}), 400, "refused")
        now = int(time.time())
        _, old = it.cert_with_dates(self.work, "expired", it.utc_stamp(now - 86400 * 30), it.utc_stamp(now - 86400))
        self.assertScimError(self.admin.call("POST", path, {"certificateAlias": it.unique("e"),
                                                            "x509Base64Certificate": it.cert_b64(old)}),
                             400, "the certificate expired at")
        _, weak = it.cert_with_dates(self.work, "weak", it.utc_stamp(now - 60), it.utc_stamp(now + 86400), bits=1024)
        body = self.assertScimError(self.admin.call("POST", path, {"certificateAlias": it.unique("w"),
                                                                   "x509Base64Certificate": it.cert_b64(weak)}),
                                    400, "x509Base64Certificate refused")
        self.assertRegex(body["detail"], "2048|too weak|bits")
        self.assertScimError(self.admin.call("POST", "/admin/v1/OAuthPartnerCertificates", {
            "certificateAlias": it.unique("w"), "x509Base64Certificate": it.cert_b64(weak)}), 400, "refused")

    # ---- signing keys
    def test_key_rotation(self):
        t = self.tenant()
        jwks_url = self.server.base + "/admin/v1/SigningCert/jwk"
        old_token = self.assertTokenOk(t.grant(t.assertion(), t.fqs))["access_token"]
        old_kid = it.jwt_parts(old_token)[0]["kid"]
        r = self.admin.call("POST", "/admin/v1/SigningKeys/rotate")
        self.assertIn(r.status, (200, 201), r)
        new_kid = r.json()["kid"]
        self.assertNotEqual(new_kid, old_kid)
        kids = [k["kid"] for k in self.server.get("/admin/v1/SigningCert/jwk").json()["keys"]]
        self.assertIn(old_kid, kids)
        self.assertIn(new_kid, kids)
        new_token = self.assertTokenOk(t.grant(t.assertion(), t.fqs))["access_token"]
        self.assertEqual(it.jwt_parts(new_token)[0]["kid"], new_kid)
        for token in (old_token, new_token):
            out = json.loads(it.run([it.TESSERA, "jwt", "verify", token, "--jwks-url", jwks_url]))
            self.assertEqual(out["sub"], t.user_name)
        # A second rotation: every key that signed a live token stays published.
        third_kid = self.admin.ok("POST", "/admin/v1/SigningKeys/rotate")["kid"]
        kids = [k["kid"] for k in self.server.get("/admin/v1/SigningCert/jwk").json()["keys"]]
        self.assertTrue({old_kid, new_kid, third_kid} <= set(kids), kids)
        self.assertEqual(it.jwt_parts(self.assertTokenOk(t.grant(t.assertion(), t.fqs))["access_token"])[0]["kid"],
                         third_kid)
        # The old token is still accepted by introspection (and the admin API by its old token).
        r = self.server.post_form("/oauth2/v1/introspect", [("token", old_token)], auth=t.auth)
        self.assertTrue(r.json()["active"], r)
        self.assertEqual(self.admin.call("GET", "/admin/v1/Users?count=1").status, 200)

    # ---- audit
    def test_audit_events(self):
        t = self.tenant()
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))
        self.assertInvalidGrant(t.grant(t.assertion(aud="https://nope.example/"), t.fqs), "is not accepted")
        a = t.assertion()
        self.assertTokenOk(t.grant(a, t.fqs))
        self.assertInvalidGrant(t.grant(a, t.fqs), "already used")
        self.assertOAuthError(t.grant(t.assertion(), "https://x.example" + it.SCOPE_VALUE), 400, "invalid_scope")
        q = "/admin/v1/AuditEvents?clientId=" + urllib.parse.quote(t.client_id, safe="")
        events = self.admin.ok("GET", q)["Resources"]
        self.assertEqual(len(events), 5, events)
        for e in events:
            self.assertEqual(e["clientId"], t.client_id)
            self.assertTrue(e["ecid"])
        issued = self.admin.ok("GET", q + "&outcome=issued")["Resources"]
        self.assertEqual(len(issued), 2)
        self.assertTrue(all(e["subject"] == t.user_name and e["grant"] == it.JWT_BEARER for e in issued), issued)
        rejected = self.admin.ok("GET", q + "&outcome=rejected")["Resources"]
        reasons = sorted(e["reason"].split(":")[0] for e in rejected)
        self.assertEqual(reasons, ["assertion_audience_rejected", "assertion_jti_replayed", "scope_not_allowed"])
        aud = [e for e in rejected if e["reason"].startswith("assertion_audience_rejected")][0]
        self.assertIn("https://nope.example/", aud["reason"])
        # Admin actions are in the trail too, under the administrator's client id.
        admin_events = self.admin.ok("GET", "/admin/v1/AuditEvents?count=1000&clientId=" + it.ADMIN_ID)["Resources"]
        actions = {(e["outcome"], e["subject"]) for e in admin_events}
        self.assertIn(("app.create", t.app["displayName"]), actions)
        self.assertIn(("app.activate", t.app["displayName"]), actions)
        self.assertIn(("user.create", t.user_name), actions)
        self.assertIn(("certificate.create", t.alias), actions)
        # Client authentication failures are recorded too, under the client id that was claimed.
        self.server.token([("grant_type", "client_credentials")], auth=(t.client_id, "wrong"))
        rejected = self.admin.ok("GET", q + "&outcome=rejected")["Resources"]
        self.assertIn("bad_client_secret", [e["reason"].split(":")[0] for e in rejected])
        # A refusal by an assertion rule names the rule AssertionChecks reports; others have none.
        rules = {e["reason"].split(":")[0]: e.get("rule") for e in rejected}
        self.assertEqual(rules, {"assertion_audience_rejected": 5, "assertion_jti_replayed": 7,
                                 "scope_not_allowed": 9, "bad_client_secret": None}, rejected)
        self.assertTrue(all("rule" not in e for e in issued), issued)

    def test_audit_filters_by_reason_code_and_grant(self):
        t = self.tenant()
        self.assertInvalidGrant(t.grant(t.assertion(aud="https://nope.example/"), t.fqs), "is not accepted")
        self.assertInvalidGrant(t.grant(t.assertion(aud="https://nope.example/"), t.fqs), "is not accepted")
        self.server.token([("grant_type", "client_credentials")], auth=(t.client_id, "wrong"))
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))
        q = "/admin/v1/AuditEvents?clientId=" + urllib.parse.quote(t.client_id, safe="")
        listed = self.admin.ok("GET", q + "&reason=assertion_audience_rejected")
        self.assertEqual(listed["totalResults"], 2, listed)
        self.assertTrue(all(e["reason"].startswith("assertion_audience_rejected: ") and e["rule"] == 5
                            for e in listed["Resources"]), listed)
        # The code exactly: neither a prefix of it nor a word of the text matches.
        for other in ("assertion_audience", "audience", "assertion_audience_rejected_x"):
            self.assertEqual(self.admin.ok("GET", q + "&reason=" + other)["totalResults"], 0, other)
        self.assertEqual(self.admin.ok("GET", q + "&reason=bad_client_secret")["totalResults"], 1)
        by_grant = self.admin.ok("GET", q + "&grant=" + urllib.parse.quote(it.JWT_BEARER, safe=""))
        self.assertEqual(by_grant["totalResults"], 3, by_grant)
        both = self.admin.ok("GET", q + "&outcome=issued&grant=" + urllib.parse.quote(it.JWT_BEARER, safe=""))
        self.assertEqual(len(both["Resources"]), 1, both)
        self.assertEqual(self.admin.ok("GET", q + "&grant=client_credentials")["totalResults"], 1)
        self.assertScimError(self.admin.call("GET", q + "&reason=" + urllib.parse.quote("a: b")), 400, "'reason'")

    def test_token_failure_summary(self):
        before = self.admin.ok("GET", "/admin/v1/TokenFailureSummary")
        self.assertEqual(before["schemas"], ["urn:tessera:params:scim:api:messages:2.0:TokenFailureSummary"])
        now = int(time.time())
        self.assertLessEqual(abs(before["until"] - now), 5, before)
        self.assertEqual(before["until"] - before["since"], 24 * 3600)
        t = self.tenant()
        for _ in range(3):
            self.assertInvalidGrant(t.grant(t.assertion(aud="https://nope.example/"), t.fqs), "is not accepted")
        unknown = it.unique("nobody")
        self.server.token([("grant_type", "client_credentials")], auth=(unknown, "whatever-secret"))
        after = self.admin.ok("GET", "/admin/v1/TokenFailureSummary")
        counts = lambda s: {r["reason"]: r for r in s["reasons"]}
        old, new = counts(before), counts(after)
        aud = new["assertion_audience_rejected"]
        self.assertEqual(aud["count"] - old.get("assertion_audience_rejected", {"count": 0})["count"], 3)
        self.assertEqual(aud["rule"], 5)
        self.assertEqual(new["unknown_client"]["count"] - old.get("unknown_client", {"count": 0})["count"], 1)
        self.assertNotIn("rule", new["unknown_client"])
        self.assertEqual(after["total"], sum(r["count"] for r in after["reasons"]))
        self.assertEqual(after["total"] - before["total"], 4)
        # Ordered by count descending, then by code.
        order = [(-r["count"], r["reason"]) for r in after["reasons"]]
        self.assertEqual(order, sorted(order))
        # An explicit window; a window that ends before these refusals holds none of them.
        window = self.admin.ok("GET", "/admin/v1/TokenFailureSummary?since=%d&until=%d" % (now - 60, now + 60))
        self.assertGreaterEqual(window["total"], 4)
        self.assertEqual((window["since"], window["until"]), (now - 60, now + 60))
        empty = self.admin.ok("GET", "/admin/v1/TokenFailureSummary?since=1&until=2")
        self.assertEqual((empty["total"], empty["reasons"]), (0, []))
        self.assertScimError(self.admin.call("GET", "/admin/v1/TokenFailureSummary?since=20&until=10"), 400,
                             "since must not be after until")
        self.assertScimError(self.admin.call("GET", "/admin/v1/TokenFailureSummary?since=x"), 400, "'since'")
        # Administrators only, like the rest of the admin API.
        tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=t.auth))["access_token"]
        self.assertScimError(self.admin.call("GET", "/admin/v1/TokenFailureSummary", token=tok), 403)

    # ---- authorisation of the admin API
    def test_role_check(self):
        r = self.server.get("/admin/v1/Users")
        self.assertScimError(r, 401)
        self.assertTrue(r.header("WWW-Authenticate"))
        self.assertScimError(self.admin.call("GET", "/admin/v1/Users", token="garbage.token.here"), 401)
        self.assertScimError(self.admin.call("GET", "/admin/v1/Users", token="x"), 401)
        t = self.tenant()
        tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials")], auth=t.auth))["access_token"]
        self.assertScimError(self.admin.call("GET", "/admin/v1/Users", token=tok), 403)
        self.assertScimError(self.admin.call("POST", "/admin/v1/Users", {"userName": it.unique("x")}, token=tok), 403)
        self.assertScimError(self.admin.call("POST", "/admin/v1/SigningKeys/rotate", token=tok), 403)
        # A user token of that app is no better.
        utok = self.assertTokenOk(t.grant(t.assertion(), t.fqs))["access_token"]
        self.assertScimError(self.admin.call("GET", "/admin/v1/Apps", token=utok), 403)
        # A forged token (admin claims, wrong signature) is 401.
        h, c, s = self.admin.token().split(".")
        forged = h + "." + c + "." + s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB")
        self.assertScimError(self.admin.call("GET", "/admin/v1/Users", token=forged), 401)
        # A revoked admin token is 401.
        tok = self.assertTokenOk(self.server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)],
                                                   auth=(it.ADMIN_ID, it.ADMIN_SECRET)))["access_token"]
        self.assertEqual(self.admin.call("GET", "/admin/v1/Users?count=1", token=tok).status, 200)
        self.assertEqual(self.server.post_form("/oauth2/v1/revoke", [("token", tok)],
                                               auth=(it.ADMIN_ID, it.ADMIN_SECRET)).status, 200)
        self.assertScimError(self.admin.call("GET", "/admin/v1/Users?count=1", token=tok), 401)


if __name__ == "__main__":
    it.main()
