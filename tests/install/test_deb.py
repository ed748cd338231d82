"""`make deb`'s packages (contract section 8), installed on this machine with dpkg.

Builds tessera_<version>_<arch>.deb and libtessera-dev_<version>_<arch>.deb from the built tree
($TESSERA_BUILD_DIR, packaging/deb/build-debs: no rebuild), checks them with lintian (no
errors), installs both, runs the installed server with the packaged configuration as the
tessera user (its uid and gid, as runuser -u tessera would) on a free port and gets a token
from it, then checks that `dpkg -r` leaves the
data in place and `dpkg --purge` removes the configuration (and, as documented, keeps the data
and the user). Needs root (CI runs as root); exits 77 (skipped) otherwise, or when a tessera
package or user is already on the machine (it is not the test's to replace). Everything it
installs or creates is removed at the end.
"""

import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tessera_it as it  # noqa: E402

SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("TESSERA_BUILD_DIR") or os.path.join(SOURCE, "build")
VERSION = os.environ.get("TESSERA_EXPECT_VERSION", r"\d+\.\d+\.\d+")
STATE = "/var/lib/tessera"
CONFIG = "/etc/tessera/tessera.toml"
SKIP = 77


def run(args, check=True, timeout=300, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(args), p.returncode,
                                                        p.stdout[-3000:], p.stderr[-3000:]))
    return p


def installed(pkg):
    p = run(["dpkg-query", "-W", "-f=${Status}", pkg], check=False)
    return p.returncode == 0 and "installed" in p.stdout and "not-installed" not in p.stdout


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class DebTest(unittest.TestCase):
    def setUp(self):
        self.started = time.monotonic()
        self.work = tempfile.mkdtemp(prefix="tessera-deb-")
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pkg in ("tessera", "libtessera-dev"):
            run(["dpkg", "--purge", pkg], check=False)
        shutil.rmtree(STATE, ignore_errors=True)
        if user_exists("tessera"):
            run(["deluser", "--system", "--quiet", "tessera"], check=False)
        shutil.rmtree(self.work, ignore_errors=True)
        print("deb test: %.1f s" % (time.monotonic() - self.started))

    def build(self):
        out = os.path.join(self.work, "deb")
        debs = run([os.path.join(SOURCE, "packaging", "deb", "build-debs"), BUILD, out]).stdout.split()
        names = sorted(os.path.basename(d) for d in debs)
        self.assertEqual(len(names), 2, names)
        self.assertRegex(names[0], r"^libtessera-dev_%s_[a-z0-9]+\.deb$" % VERSION)
        self.assertRegex(names[1], r"^tessera_%s_[a-z0-9]+\.deb$" % VERSION)
        for d in debs:
            print("%s: %d bytes" % (os.path.basename(d), os.path.getsize(d)))
        return {("dev" if n.startswith("libtessera-dev") else "bin"): os.path.join(out, n)
                for n in names}

    def test_packages_install_serve_remove_purge(self):
        debs = self.build()

        # Contents.
        bin_files = run(["dpkg-deb", "-c", debs["bin"]]).stdout
        for path in ("./usr/bin/tessera", "./lib/systemd/system/tessera.service", "." + CONFIG):
            self.assertIn(" " + path + "\n", bin_files)
        self.assertEqual(run(["dpkg-deb", "-I", debs["bin"], "conffiles"]).stdout.split(), [CONFIG])
        dev_files = run(["dpkg-deb", "-c", debs["dev"]]).stdout
        for pattern in (r"\./usr/include/tessera/client\.h", r"\./usr/include/tessera/verifier\.h",
                        r"\./usr/lib/(\S+/)?libtessera-client\.so\.0 ->",
                        r"\./usr/lib/(\S+/)?libtessera-verifier\.a\n",
                        r"\./usr/lib/(\S+/)?cmake/Tessera/TesseraConfig\.cmake",
                        r"\./usr/lib/(\S+/)?pkgconfig/tessera-client\.pc"):
            self.assertRegex(dev_files, pattern)

        # lintian: no errors (warnings are printed).
        p = run(["lintian", "--fail-on", "error", debs["bin"], debs["dev"]], check=False,
                timeout=600)
        print(p.stdout.strip())
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotRegex(p.stdout, r"(?m)^E: ")

        # Install.
        run(["dpkg", "-i", debs["bin"], debs["dev"]])
        self.assertTrue(installed("tessera") and installed("libtessera-dev"))
        user = pwd.getpwnam("tessera")
        self.assertLess(user.pw_uid, 1000, "a system user")
        self.assertEqual(grp.getgrgid(user.pw_gid).gr_name, "tessera")
        st = os.stat(STATE)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (user.pw_uid, 0o700))
        with open(CONFIG) as f:
            config = f.read()
        self.assertRegex(config, r'(?m)^listen = "127\.0\.0\.1:8080"$')
        self.assertRegex(config, r'(?m)^data_dir = "/var/lib/tessera"$')
        self.assertRegex(run(["/usr/bin/tessera", "--version"]).stdout,
                         r"^tessera %s \(\S+\)\n$" % VERSION)
        self.assertEqual(run(["pkg-config", "--libs", "tessera-client"]).stdout.split(),
                         ["-ltessera-client"])
        self.assertEqual(run(["pkg-config", "--modversion", "tessera-verifier"]).stdout.strip(),
                         run(["/usr/bin/tessera", "--version"]).stdout.split()[1])

        # The installed server, packaged configuration, as the tessera user; a free port
        # instead of 8080 (the flag wins over the file).
        env = dict(os.environ, TESSERA_ADMIN_CLIENT_ID=it.ADMIN_ID,
                   TESSERA_ADMIN_CLIENT_SECRET=it.ADMIN_SECRET)
        env.pop("NOTIFY_SOCKET", None)
        env["HOME"] = STATE

        def as_tessera():  # what runuser -u tessera does, with the server as our own child
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            it._die_with_parent()

        self.proc = subprocess.Popen(
            ["/usr/bin/tessera", "serve", "--config", CONFIG, "--listen", "127.0.0.1:0",
             "--threads", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd="/",
            preexec_fn=as_tessera)
        base = None
        lines = []
        for _ in range(50):
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            lines.append(line)
            m = it.BANNER.search(line)
            if m:
                base = m.group(1)
                break
        self.assertIsNotNone(base, "".join(lines))
        r = it.http_request(base, "POST", "/oauth2/v1/token",
                            it.form([("grant_type", "client_credentials"), ("scope", it.MYSCOPES)]),
                            {"Content-Type": "application/x-www-form-urlencoded",
                             "Authorization": it.basic(it.ADMIN_ID, it.ADMIN_SECRET)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["token_type"], "Bearer")
        self.assertEqual(it.http_request(base, "GET", "/ready").status, 200)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(30), 0)
        self.proc.stdout.close()
        self.proc = None
        database = os.path.join(STATE, "tessera.db")
        self.assertEqual(os.stat(database).st_uid, user.pw_uid)

        # Remove: the program goes, the configuration and the data stay.
        run(["dpkg", "-r", "tessera", "libtessera-dev"])
        self.assertFalse(os.path.exists("/usr/bin/tessera"))
        self.assertFalse(os.path.exists("/lib/systemd/system/tessera.service"))
        self.assertFalse(os.path.exists("/usr/include/tessera/client.h"))
        self.assertTrue(os.path.isfile(CONFIG))
        self.assertTrue(os.path.isfile(database))
        # Purge: the configuration goes; the data and the user stay (see packaging/deb/postrm).
        run(["dpkg", "--purge", "tessera", "libtessera-dev"])
        self.assertFalse(os.path.exists(CONFIG))
        self.assertTrue(os.path.isfile(database))
        self.assertTrue(user_exists("tessera"))


if __name__ == "__main__":
    if os.geteuid() != 0 or shutil.which("dpkg-deb") is None:
        print("skipped: needs root and dpkg")
        sys.exit(SKIP)
    if installed("tessera") or installed("libtessera-dev") or user_exists("tessera") \
            or os.path.exists(STATE):
        print("skipped: a tessera package, user or /var/lib/tessera is already here")
        sys.exit(SKIP)
    unittest.main()
