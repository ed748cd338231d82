"""`tessera --version`, `tessera version` and the tessera_build_info metric (contract section 8).

The version is CMake's project(VERSION) (TESSERA_EXPECT_VERSION, set by CTest); the revision is
the git revision of the checkout (TESSERA_EXPECT_REVISION: `git rev-parse --short=12 HEAD`, or
"unknown" outside a checkout), read when the build ran. TESSERA_EXPECT_ALLOCATOR ("mimalloc" or
"default", set by CTest from TESSERA_MIMALLOC) is the allocator the server must say serves it.
"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tessera_it as it  # noqa: E402

LINE = re.compile(r"^tessera (\d+\.\d+\.\d+) \(([0-9a-f]{7,40}|unknown)\)\n$")


def expected_revision():
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    p = subprocess.run(["git", "-C", source, "rev-parse", "--short=12", "HEAD"],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "unknown"


class VersionTest(unittest.TestCase):
    def check_line(self, args):
        p = subprocess.run([it.TESSERA] + args, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = LINE.match(p.stdout)
        self.assertIsNotNone(m, "unexpected output %r" % p.stdout)
        self.assertEqual(m.group(1), os.environ.get("TESSERA_EXPECT_VERSION", m.group(1)))
        self.assertEqual(m.group(2), expected_revision())
        return p.stdout

    def test_version_flag_and_verb_print_the_same_line(self):
        self.assertEqual(self.check_line(["--version"]), self.check_line(["version"]))

    def test_the_server_logs_its_version_and_the_allocator_that_serves_it(self):
        line = self.check_line(["--version"]).strip()
        expected = os.environ.get("TESSERA_EXPECT_ALLOCATOR")
        if expected is None:
            self.skipTest("TESSERA_EXPECT_ALLOCATOR not set (run through CTest)")
        work = it.tempfile.mkdtemp(prefix="tessera-allocator-")
        server = it.Server(os.path.join(work, "data")).start()
        try:
            log = server.log()
        finally:
            server.stop()
            it.shutil.rmtree(work, ignore_errors=True)
        m = re.search(re.escape(line) + r", memory allocator (default|mimalloc \d+\.\d+\.\d+)\n", log)
        self.assertIsNotNone(m, log)
        self.assertEqual(m.group(1).split(" ")[0], expected)

    def test_metrics_carry_build_info(self):
        line = self.check_line(["--version"])
        version, revision = LINE.match(line).groups()
        work = it.tempfile.mkdtemp(prefix="tessera-version-")
        server = it.Server(os.path.join(work, "data")).start()
        try:
            r = server.get("/metrics")
            self.assertEqual(r.status, 200)
            text = r.body.decode()
            self.assertIn("# TYPE tessera_build_info gauge", text)
            series = [l for l in text.splitlines() if l.startswith("tessera_build_info{")]
            self.assertEqual(len(series), 1, series)
            m = re.match(r'^tessera_build_info\{(.*)\} 1$', series[0])
            self.assertIsNotNone(m, series[0])
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            self.assertEqual(labels, {"version": version, "revision": revision})
        finally:
            server.stop()
            it.shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
