"""The README's token flow, run exactly as printed: the shell block of "The token flow, step by
step" is read from README.md (never retyped here) and run by bash against `tessera serve --demo`
without a bootstrap administrator, with only the `export` lines the demo printed, in an empty
directory, with `tessera` on PATH. It must end with an access token for the demo user. The
mistake the README warns about (assertion@a.jwt sends the file's final newline) is refused with
that reason, at the token endpoint and by `tessera doctor`."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import tessera_it as it

README = os.path.join(it.HERE, "..", "..", "README.md")
SECTION = "## The token flow, step by step"


def readme_block():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    start = text.index(SECTION)
    m = re.compile(r"```sh\n(.*?)```", re.S).search(text, start)
    assert m, "no sh block after %r in README.md" % SECTION
    return m.group(1)


class ReadmeFlowTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tessera-readme-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.server = it.Server(os.path.join(cls.work, "data"), ["--demo"], admin=None).start()
        cls.addClassCleanup(cls.server.stop)
        # The demo prints its exports after the banner.
        deadline = time.time() + 20
        exports = {}
        while time.time() < deadline and "TESSERA_ADMIN_CLIENT_SECRET" not in exports:
            with open(cls.server.log_path, encoding="utf-8", errors="replace") as f:
                exports = dict(re.findall(r"^\s*export (TESSERA_[A-Z_]+)=(\S+)$", f.read(), re.M))
            time.sleep(0.1)
        assert "TESSERA_ADMIN_CLIENT_SECRET" in exports, cls.server.log()
        cls.exports = exports
        # `tessera` on PATH, as the README assumes.
        cls.bin = os.path.join(cls.work, "bin")
        os.makedirs(cls.bin)
        os.symlink(os.path.abspath(it.TESSERA), os.path.join(cls.bin, "tessera"))

    def shell(self, script, cwd):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env.update(self.exports)
        env["PATH"] = self.bin + os.pathsep + env.get("PATH", "")
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env,
                              capture_output=True, timeout=120)

    def test_exports_name_the_demo_administrator(self):
        self.assertEqual(self.exports["TESSERA_URL"], self.server.base)
        self.assertEqual(self.exports["TESSERA_ADMIN_CLIENT_ID"], "demo-admin")
        admin_file = os.path.join(self.server.data_dir, "demo", "admin.json")
        self.assertEqual(os.stat(admin_file).st_mode & 0o777, 0o600)
        with open(admin_file) as f:
            self.assertEqual(json.load(f)["clientSecret"], self.exports["TESSERA_ADMIN_CLIENT_SECRET"])

    def test_demo_prints_a_console_sign_in_that_works(self):
        deadline = time.time() + 20
        m = None
        while time.time() < deadline and m is None:
            with open(self.server.log_path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"^Console: (\S+)/console/ \(user name (\S+), password (\S+)\)$",
                              f.read(), re.M)
            time.sleep(0.1)
        self.assertIsNotNone(m, self.server.log())
        self.assertEqual(m.group(1), self.server.base)
        self.assertEqual(m.group(2), "demo.operator")
        console_file = os.path.join(self.server.data_dir, "demo", "console.json")
        self.assertEqual(os.stat(console_file).st_mode & 0o777, 0o600)
        body = json.dumps({"username": m.group(2), "password": m.group(3)})
        r = self.server.request("POST", "/console/login", body,
                                {"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("__Host-tessera_session=", r.header("set-cookie") or "")
        self.assertEqual(r.json()["userName"], "demo.operator")

    def test_readme_flow_as_printed(self):
        cwd = tempfile.mkdtemp(dir=self.work)
        script = readme_block()
        # After the README's own lines, only what the test reads back out.
        p = self.shell(script + '\necho\necho "CLIENT_ID=$CLIENT_ID"\necho "APP_ID=$APP_ID"\n', cwd)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 0, "README flow failed\nstdout:\n%s\nstderr:\n%s" % (out, err))
        lines = out.splitlines()
        answer = json.loads([l for l in lines if l.startswith("{")][-1])
        self.assertEqual(answer.get("token_type"), "Bearer", out)
        _, claims = it.jwt_parts(answer["access_token"])
        self.assertEqual(claims["sub"], "demo.user")
        client_id = [l for l in lines if l.startswith("CLIENT_ID=")][-1].split("=", 1)[1]
        self.assertIn(client_id, (claims.get("client_id"), claims.get("azp")), claims)
        self.assertEqual(claims["scope"], "urn:opc:resource:consumer::all")
        self.assertEqual(claims["aud"], "https://demo.example.com:443")

        # What the README warns about: assertion@a.jwt sends the final newline, and is refused
        # with that reason (a fresh assertion, so that the jti is not the reason).
        wrong = self.shell(
            'eval "$(tessera admin apps create-client --name wrong-way --cert-alias assert '
            '--grant urn:ietf:params:oauth:grant-type:jwt-bearer --activate --print-env)"\n'
            'tessera assert --client-id "$CLIENT_ID" --sub demo.user --key keys/assert.key.pem '
            '--kid assert > b.jwt\n'
            'curl -s -u "$CLIENT_ID:$CLIENT_SECRET" "$TESSERA_URL/oauth2/v1/token" '
            '--data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer '
            '--data-urlencode assertion@b.jwt\necho\n'
            'tessera doctor --url "$TESSERA_URL" --client-id "$CLIENT_ID" '
            '--client-secret "$CLIENT_SECRET" --assertion "$(cat b.jwt)"$\'\\n\' || true\n', cwd)
        out = wrong.stdout.decode(errors="replace")
        self.assertEqual(wrong.returncode, 0, out + wrong.stderr.decode(errors="replace"))
        refusal = json.loads([l for l in out.splitlines() if l.startswith("{")][0])
        self.assertEqual(refusal["error"], "invalid_grant", out)
        self.assertIn("it ends with a newline (\\n)", refusal["error_description"])
        self.assertIn("send it without surrounding whitespace", refusal["error_description"])
        self.assertIn("[FAIL] rule 1 syntax", out)
        self.assertIn("ends with a newline", out)

    def test_create_client_without_activate_says_what_next(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env.update(self.exports)
        p = subprocess.run([it.TESSERA, "admin", "apps", "create-client", "--name", "later"],
                           env=env, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        app_id = [l for l in p.stdout.decode().splitlines() if l.startswith("id: ")][0][4:]
        self.assertIn("tessera admin apps activate " + app_id, p.stderr.decode())
        self.assertIn("invalid_client", p.stderr.decode())
        # The client id shows as clientId, not as SCIM's "name".
        self.assertTrue(any(l.startswith("clientId: ") for l in p.stdout.decode().splitlines()))


if __name__ == "__main__":
    it.main()
