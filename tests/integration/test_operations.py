"""Operating the server (contract section 8): health aliases, request ids, text and JSON logs
that no request can forge, configuration file precedence, TESSERA_<NAME>_FILE variables,
--client-secret-file, one-line errors for bad input, and the generated man page and bash
completion. Every test drives the real `tessera` binary.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

import tessera_it as it

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
TEXT_RECORD = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(trace|debug|info|warning|error|critical)\] ")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def full_log(server, wait_for=None):
    """The server's output so far; with `wait_for` (bytes), re-read (bounded) until it appears,
    since a refusal's record may be written just after its answer reached the client."""
    for _ in range(50):
        with open(server.log_path, "rb") as f:
            log = f.read()
        if wait_for is None or wait_for in log:
            break
        time.sleep(0.1)
    return log


def forged_values(marker):
    """Claim values that would plant a second record, with CR, LF, NUL and ESC in them."""
    fake = "\r\0\x1b[2K\n2026-12-04T00:00:00.000Z [info] ecid=%s ok" % marker
    return {"kid": "k" + fake, "iss": "i" + fake, "sub": "s" + fake}


class LogForgingTest(it.ServerTest):
    """Text logs: a value from the request never starts a record of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = cls.tenant(cls)

    def assert_not_forged(self, log, marker):
        self.assertNotIn(b"\r", log)
        self.assertNotIn(b"\0", log)
        self.assertNotIn(b"\x1b", log)
        found = 0
        for line in log.decode("utf-8", errors="strict").split("\n"):
            if marker not in line:
                continue
            found += 1
            # The marker sits inside an escaped value of a genuine record: never at a line's start.
            self.assertRegex(line, TEXT_RECORD)
            self.assertNotRegex(line, r"^\S+ \[info\] ecid=" + marker)
            self.assertIn("\\n2026-12-04T00:00:00.000Z [info] ecid=" + marker, line)
            self.assertIn("\\r\\0\\x1B[2K\\n", line)
        self.assertGreater(found, 0, "the rejected values were not logged at all")

    def test_kid_iss_sub_with_newlines_are_escaped(self):
        marker = "forged-" + uuid.uuid4().hex[:8]
        bad = forged_values(marker)
        header = {"alg": "RS256", "typ": "JWT", "kid": bad["kid"]}
        answers = [
            self.t.grant(self.t.assertion(header=header), self.t.fqs),   # rule 3: kid
            self.t.grant(self.t.assertion(iss=bad["iss"]), self.t.fqs),  # rule 4: iss
            self.t.grant(self.t.assertion(sub=bad["sub"]), self.t.fqs),  # rule 8: sub
        ]
        for r in answers:
            self.assertOAuthError(r, 400, "invalid_grant")
        # An unknown client id with the same payload, by Basic and in the form.
        self.server.token([("grant_type", "client_credentials")], auth=(bad["sub"], "x"))
        self.server.token([("grant_type", "client_credentials"), ("client_id", bad["kid"]),
                           ("client_secret", "x")])
        log = full_log(self.server, wait_for=("ecid=" + answers[-1].json()["ecid"] + " endpoint=token rejected").encode())
        self.assert_not_forged(log, marker)
        # Refusals are warnings, with their ecid.
        for r in answers:
            ecid = r.json()["ecid"]
            lines = [l for l in log.decode().split("\n") if "ecid=" + ecid + " endpoint=token rejected" in l]
            self.assertTrue(lines, ecid)
            self.assertIn("[warning]", lines[0])

    def test_audit_table_is_terminal_safe(self):
        # The audit trail keeps the reason as sent (it is JSON over the admin API); the admin
        # command's table must not let it drive the operator's terminal.
        marker = "forged-" + uuid.uuid4().hex[:8]
        r = self.t.grant(self.t.assertion(sub=forged_values(marker)["sub"]), self.t.fqs)
        self.assertOAuthError(r, 400, "invalid_grant")
        argv = [it.TESSERA, "admin", "--url", self.server.base, "--client-id", it.ADMIN_ID,
                "--client-secret", it.ADMIN_SECRET, "audit", "--count", "20"]
        escaped = b"sub 's\\r\\0\\x1B[2K"
        for _ in range(50):
            out = subprocess.run(argv, capture_output=True, timeout=60).stdout
            if escaped in out:
                break
            time.sleep(0.1)
        self.assertIn(escaped, out)
        for bad in (b"\r", b"\0", b"\x1b"):
            self.assertNotIn(bad, out)

    def test_long_values_are_cut_with_a_mark(self):
        # 250 ESC characters: each written as 4 bytes (\x1B), the rejection's detail outgrows the bound.
        long_kid = "\x1b" * 250
        r = self.t.grant(self.t.assertion(header={"alg": "RS256", "typ": "JWT", "kid": long_kid}),
                         self.t.fqs)
        self.assertOAuthError(r, 400, "invalid_grant")
        ecid = r.json()["ecid"]
        log = full_log(self.server, wait_for=("ecid=" + ecid + " endpoint=token rejected").encode())
        line = [l for l in log.decode().split("\n") if "ecid=" + ecid + " " in l][0]
        self.assertLess(len(line), 600, line)
        self.assertIn("\\x1B" * 20, line)
        self.assertRegex(line, r'detail="[^"]*"\.\.\.\(\d+ more bytes\)$')


class JsonLogsTest(it.ServerTest):
    """--log-format json: every line of output is one JSON object; request ids are the ecid."""

    server_args = ("--log-format", "json")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = cls.tenant(cls)

    def records(self, until=None):
        """The log's records; with `until`, re-read (bounded) until the predicate holds, since a
        refusal's record may be written just after its answer reached the client."""
        for _ in range(50):
            recs = self.read_records()
            if until is None or until(recs):
                break
            time.sleep(0.1)
        return recs

    def read_records(self):
        out = []
        text = full_log(self.server).decode("utf-8", errors="strict")
        # A record still being written has no newline yet: leave it for the next read.
        for line in text[:text.rfind("\n") + 1].split("\n"):
            if not line:
                continue
            rec = json.loads(line)  # a line that is not JSON fails the test here
            self.assertIsInstance(rec, dict, line)
            for key in ("ts", "level", "msg"):
                self.assertIn(key, rec, line)
            self.assertRegex(rec["ts"], TS)
            out.append(rec)
        return out

    def test_every_line_is_a_json_record(self):
        self.assertEqual(self.server.get("/health").status, 200)
        recs = self.records()
        self.assertTrue(any("listening on" in r["msg"] for r in recs))
        request_lines = [r for r in recs if r["msg"].startswith("http ecid=")]
        self.assertTrue(request_lines)
        for r in request_lines:
            self.assertRegex(r["ecid"], REQUEST_ID)
            self.assertEqual(r["level"], "info")

    def test_x_request_id_becomes_the_ecid(self):
        rid = "trace-" + uuid.uuid4().hex + ".A_b"
        r = self.server.get("/health", headers={"X-Request-Id": rid})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("X-Request-Id"), rid)
        self.assertEqual(r.header("X-Tessera-Ecid"), rid)
        # The OAuth error body names the same id, and the refusal is a warning with that ecid.
        r = self.server.token([("grant_type", "client_credentials")], auth=("nobody", "x"),
                              headers={"X-Request-Id": rid + "-2"})
        self.assertClientAuthFailed(r, basic_used=True)
        self.assertEqual(r.header("X-Request-Id"), rid + "-2")
        self.assertEqual(r.json()["ecid"], rid + "-2")
        # Each request's line is written once its answer is sent, possibly by another server
        # thread than the next request's: wait for both, in whichever order they came.
        def get_line(recs):
            return any(x.get("ecid") == rid and x["msg"].startswith("http ecid=" + rid + " method=GET")
                       for x in recs)

        def refusal(recs):
            return any(x.get("ecid") == rid + "-2" and x["level"] == "warning" and "rejected" in x["msg"]
                       for x in recs)

        recs = self.records(until=lambda recs: get_line(recs) and refusal(recs))
        self.assertTrue(get_line(recs), recs[-5:])
        self.assertTrue(refusal(recs), recs[-5:])

    def test_invalid_x_request_id_is_replaced(self):
        for bad in ("has space", "x" * 129, "semi;colon", "", "caf\u00e9"):
            r = self.server.request("GET", "/health", headers={"X-Request-Id": bad.encode().decode("latin-1")})
            self.assertEqual(r.status, 200)
            got = r.header("X-Request-Id")
            self.assertRegex(got, REQUEST_ID)
            self.assertNotEqual(got, bad)
            self.assertEqual(got, r.header("X-Tessera-Ecid"))
        # Sent twice: neither is taken.
        r = self.server.request("GET", "/health", headers=[("X-Request-Id", "one"), ("X-Request-Id", "two")])
        self.assertNotIn(r.header("X-Request-Id"), ("one", "two"))
        # Every answer carries one, even a 404.
        self.assertRegex(self.server.get("/no/such/path").header("X-Request-Id"), REQUEST_ID)

    def test_forged_values_stay_inside_their_record(self):
        marker = "forged-" + uuid.uuid4().hex[:8]
        bad = forged_values(marker)
        rid = "forge-" + uuid.uuid4().hex[:8]
        header = {"alg": "RS256", "typ": "JWT", "kid": bad["kid"]}
        r = self.t.grant(self.t.assertion(header=header), self.t.fqs)
        self.assertOAuthError(r, 400, "invalid_grant")
        r = self.server.token([("grant_type", it.JWT_BEARER), ("assertion", self.t.assertion(sub=bad["sub"])),
                               ("scope", self.t.fqs)], auth=self.t.auth, headers={"X-Request-Id": rid})
        self.assertOAuthError(r, 400, "invalid_grant")
        def both_refusals(recs):
            mine = [x for x in recs if marker in x["msg"]]
            return len(mine) >= 2 and any(x.get("ecid") == rid for x in mine)
        recs = self.records(until=both_refusals)
        with_marker = [x for x in recs if marker in x["msg"]]
        self.assertGreaterEqual(len(with_marker), 2)
        for x in with_marker:
            self.assertNotEqual(x.get("ecid"), marker)
            self.assertNotIn("\n", x["msg"])
            self.assertIn("\\n2026-12-04T00:00:00.000Z [info] ecid=" + marker, x["msg"])
        self.assertTrue(any(x.get("ecid") == rid and x["level"] == "warning" for x in with_marker))
        self.assertFalse(any(x.get("ecid") == marker for x in recs))


class HealthAliasesTest(it.ServerTest):

    def test_kubernetes_probe_names(self):
        for alias, original in (("/healthz", "/health"), ("/livez", "/health/live"), ("/readyz", "/ready")):
            a, o = self.server.get(alias), self.server.get(original)
            self.assertEqual(a.status, 200, alias)
            self.assertEqual((a.status, a.json()), (o.status, o.json()), alias)
            self.assertEqual(a.header("Content-Type"), o.header("Content-Type"))


class Launch:
    """`tessera serve` with a chosen environment, for configuration tests."""

    def __init__(self, test):
        self.test = test
        self.work = tempfile.mkdtemp(prefix="tessera-ops-")
        test.addCleanup(shutil.rmtree, self.work, True)

    def path(self, name, content=None, mode=None):
        p = os.path.join(self.work, name)
        if content is not None:
            with open(p, "w") as f:
                f.write(content)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_") or k == "TESSERA_BIN"}
        env["TESSERA_ADMIN_CLIENT_ID"] = it.ADMIN_ID
        env["TESSERA_ADMIN_CLIENT_SECRET"] = it.ADMIN_SECRET
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def start(self, args=(), **env):
        """A started server whose environment is exactly `env` over the defaults."""
        data = self.path("data-" + uuid.uuid4().hex[:6])
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env(**env))
        try:
            admin = (it.ADMIN_ID, os.environ.get("TESSERA_ADMIN_CLIENT_SECRET", ""))
            server = it.Server(data, list(args), threads=2, admin=admin)
            server.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.test.addCleanup(server.stop)
        return server

    def fail(self, args=(), **env):
        """Runs `tessera serve` expected to refuse to start: (stderr text, data dir)."""
        data = self.path("data-" + uuid.uuid4().hex[:6])
        p = subprocess.run([it.TESSERA, "serve", "--listen", "127.0.0.1:0", "--data-dir", data] + list(args),
                           capture_output=True, timeout=30, env=self.env(**env))
        self.test.assertNotEqual(p.returncode, 0, p)
        err = p.stderr.decode()
        self.test.assertEqual(err.count("\n"), 1, err)
        self.test.assertTrue(err.startswith("tessera: "), err)
        self.test.assertFalse(os.path.exists(data), "a refused start created " + data)
        self.test.assertEqual(p.stdout, b"")
        return err


class ConfigTest(unittest.TestCase):

    def test_config_flag_then_environment_variable(self):
        l = Launch(self)
        a = l.path("a.toml", 'issuer = "https://from-env-config.example"\n')
        b = l.path("b.toml", 'issuer = "https://from-flag-config.example"\n')
        self.assertEqual(l.start(TESSERA_CONFIG=a).issuer, "https://from-env-config.example")
        self.assertEqual(l.start(["--config", b], TESSERA_CONFIG=a).issuer, "https://from-flag-config.example")
        # Environment over the file, flags over both.
        self.assertEqual(l.start(TESSERA_CONFIG=a, TESSERA_ISSUER="https://from-env.example").issuer,
                         "https://from-env.example")
        self.assertEqual(l.start(["--issuer", "https://from-flag.example"], TESSERA_CONFIG=a,
                                 TESSERA_ISSUER="https://from-env.example").issuer, "https://from-flag.example")

    def test_log_format_from_the_config_file_and_environment(self):
        l = Launch(self)
        conf = l.path("json.toml", 'log_format = "json"\n')
        for server in (l.start(["--config", conf]), l.start(TESSERA_LOG_FORMAT="json")):
            server.get("/healthz")
            lines = [x for x in full_log(server).decode().split("\n") if x]
            self.assertTrue(lines)
            for line in lines:
                self.assertIn("ts", json.loads(line))

    def test_file_variables(self):
        l = Launch(self)
        issuer = l.path("issuer", "https://from-file.example\n")
        secret = l.path("admin-secret", it.ADMIN_SECRET + "\n", 0o600)
        server = l.start(TESSERA_ISSUER_FILE=issuer, TESSERA_ADMIN_CLIENT_SECRET=None,
                         TESSERA_ADMIN_CLIENT_SECRET_FILE=secret)
        self.assertEqual(server.issuer, "https://from-file.example")
        # The bootstrap administrator got the file's secret, without its newline.
        r = server.token([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)],
                         auth=(it.ADMIN_ID, it.ADMIN_SECRET))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(it.jwt_parts(r.json()["access_token"])[1]["iss"], "https://from-file.example")

    def test_both_forms_of_a_variable_are_refused(self):
        l = Launch(self)
        secret = l.path("s", "x\n")
        err = l.fail(TESSERA_ADMIN_CLIENT_SECRET="y", TESSERA_ADMIN_CLIENT_SECRET_FILE=secret)
        self.assertIn("TESSERA_ADMIN_CLIENT_SECRET and TESSERA_ADMIN_CLIENT_SECRET_FILE", err)

    def test_unreadable_secret_file_is_named(self):
        l = Launch(self)
        missing = l.path("missing-secret")
        err = l.fail(TESSERA_ADMIN_CLIENT_SECRET=None, TESSERA_ADMIN_CLIENT_SECRET_FILE=missing)
        self.assertIn(missing, err)
        self.assertIn("No such file", err)
        if os.geteuid() != 0:  # root reads mode 000 files
            locked = l.path("locked", "x\n", 0o000)
            err = l.fail(TESSERA_ADMIN_CLIENT_SECRET=None, TESSERA_ADMIN_CLIENT_SECRET_FILE=locked)
            self.assertIn("Permission denied", err)

    def test_broken_config_files_are_named(self):
        l = Launch(self)
        broken = l.path("broken.toml", 'listen = "127.0.0.1:0"\nissuer = \n')
        err = l.fail(["--config", broken])
        self.assertIn(broken, err)
        self.assertIn("line 2", err)
        typo = l.path("typo.toml", 'lisen = "127.0.0.1:0"\n')
        err = l.fail(TESSERA_CONFIG=typo)
        self.assertIn(typo, err)
        self.assertIn("lisen", err)
        bad_value = l.path("value.toml", 'log_format = "xml"\n')
        self.assertIn("log_format", l.fail(["--config", bad_value]))
        missing = l.path("missing.toml")
        err = l.fail(["--config", missing])
        self.assertIn(missing, err)
        self.assertIn("No such file", err)
        self.assertIn("log_format", l.fail(["--log-format", "xml"]))


class ClientSecretFileTest(it.ServerTest):
    """--client-secret-file FILE and - for admin, token and doctor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = cls.tenant(cls)
        cls.secret_file = os.path.join(cls.work, "admin-secret")
        with open(cls.secret_file, "w") as f:
            f.write(it.ADMIN_SECRET + "\n")
        cls.client_secret_file = os.path.join(cls.work, "client-secret")
        with open(cls.client_secret_file, "w") as f:
            f.write(cls.t.secret + "\n")

    def tessera(self, args, input=None, env=None):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        full_env.update(env or {})
        p = subprocess.run([it.TESSERA] + args, capture_output=True, timeout=60, input=input, env=full_env)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def admin_args(self, *secret):
        return ["admin", "--url", self.server.base, "--client-id", it.ADMIN_ID] + list(secret) + ["users", "list"]

    def test_admin(self):
        code, out, err = self.tessera(self.admin_args("--client-secret-file", self.secret_file))
        self.assertEqual(code, 0, err)
        self.assertIn("userName", out)
        code, out, err = self.tessera(self.admin_args("--client-secret-file", "-"),
                                      input=(it.ADMIN_SECRET + "\n").encode())
        self.assertEqual(code, 0, err)
        code, out, err = self.tessera(self.admin_args(),
                                      env={"TESSERA_ADMIN_CLIENT_SECRET_FILE": self.secret_file})
        self.assertEqual(code, 0, err)

    def test_admin_refusals(self):
        code, _, err = self.tessera(self.admin_args("--client-secret", "x", "--client-secret-file", self.secret_file))
        self.assertNotEqual(code, 0)
        self.assertIn("--client-secret or --client-secret-file", err)
        missing = os.path.join(self.work, "no-such-secret")
        code, _, err = self.tessera(self.admin_args("--client-secret-file", missing))
        self.assertEqual(code, 1)
        self.assertIn(missing, err)
        self.assertEqual(err.count("\n"), 1, err)
        code, _, err = self.tessera(self.admin_args(), env={"TESSERA_ADMIN_CLIENT_SECRET": "a",
                                                            "TESSERA_ADMIN_CLIENT_SECRET_FILE": self.secret_file})
        self.assertEqual(code, 1)
        self.assertIn("TESSERA_ADMIN_CLIENT_SECRET and TESSERA_ADMIN_CLIENT_SECRET_FILE", err)

    def test_token(self):
        base = ["token", "--url", self.server.base, "--client-id", self.t.client_id, "--scope", self.t.fqs]
        for args, stdin in ((["--client-secret-file", self.client_secret_file], None),
                            (["--client-secret-file", "-"], (self.t.secret + "\n").encode())):
            code, out, err = self.tessera(base + args, input=stdin)
            self.assertEqual(code, 0, err)
            self.assertIn("access_token", json.loads(out))
        code, out, err = self.tessera(base, env={"TESSERA_CLIENT_SECRET_FILE": self.client_secret_file})
        self.assertEqual(code, 0, err)

    def test_doctor(self):
        a = self.t.assertion()
        args = ["doctor", "--url", self.server.base, "--client-id", self.t.client_id, "--assertion", a,
                "--scope", self.t.fqs]
        code, out, err = self.tessera(args + ["--client-secret-file", self.client_secret_file])
        self.assertEqual(code, 0, out + err)
        self.assertIn("All rules pass", out)
        code, out, err = self.tessera(args + ["--client-secret-file", "-"], input=self.t.secret.encode())
        self.assertEqual(code, 0, out + err)


class ManAndCompletionTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tessera-doc-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.man = os.path.join(cls.work, "tessera.1")
        cls.completion = os.path.join(cls.work, "tessera.bash")
        with open(cls.man, "w") as f:
            f.write(it.run([it.TESSERA, "man"]))
        with open(cls.completion, "w") as f:
            f.write(it.run([it.TESSERA, "completion", "bash"]))

    def subcommands(self):
        """The top-level commands, as `tessera --help` lists them."""
        text = it.run([it.TESSERA, "--help"])
        names, inside = [], False
        for line in text.split("\n"):
            if line.startswith("Subcommands:"):
                inside = True
            elif inside and re.match(r"^  \S", line):
                names.append(line.split()[0])
            elif inside and line.strip() == "":
                break
        self.assertGreaterEqual(len(names), 8, text)
        return names

    def test_the_build_generated_both(self):
        build = os.path.dirname(os.path.abspath(it.TESSERA))
        with open(os.path.join(build, "tessera.1")) as f:
            self.assertEqual(f.read(), it.run([it.TESSERA, "man"]))
        with open(os.path.join(build, "tessera.bash-completion")) as f:
            self.assertEqual(f.read(), it.run([it.TESSERA, "completion", "bash"]))

    def test_man_page_has_no_warnings(self):
        p = subprocess.run(["groff", "-man", "-ww", "-z", self.man], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.decode(), "")
        env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80", LC_ALL="C.UTF-8")
        p = subprocess.run(["man", "--warnings", "-l", self.man], capture_output=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.decode(), "")
        rendered = p.stdout.decode()
        for name in self.subcommands():
            self.assertRegex(rendered, r"\btessera %s\b" % re.escape(name), name)
        self.assertIn("--client-secret-file", rendered.replace("\u2010", "-"))
        self.assertNotIn("completion bash", rendered)  # hidden commands stay out

    def complete(self, *words):
        script = ('source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _tessera; printf "%%s\\n" "${COMPREPLY[@]}"'
                  % (self.completion, " ".join("'%s'" % w for w in words), len(words) - 1))
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [w for w in p.stdout.decode().split("\n") if w]

    def test_bash_completion(self):
        self.assertEqual(self.complete("tessera", "ad"), ["admin"])
        self.assertEqual(self.complete("tessera", "serve", "--li"), ["--listen"])
        self.assertEqual(self.complete("tessera", "serve", "--listen", "127.0.0.1:0", "--log-f"), ["--log-format"])
        self.assertEqual(self.complete("tessera", "admin", "--url", "http://x", "us"), ["users"])
        self.assertIn("--client-secret-file", self.complete("tessera", "admin", "--client-secret"))
        self.assertEqual(sorted(self.complete("tessera", "")), sorted(self.subcommands() + ["--help", "--help-all", "--version"]))


if __name__ == "__main__":
    it.main()
