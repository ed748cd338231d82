"""deploy/systemd/tessera.service: Type=notify, the tessera user, its state directory, the
packaged configuration, and hardening that `systemd-analyze security --offline=true` scores at
2.0 or lower (0 is the most locked-down, 10 the least)."""

import configparser
import os
import re
import subprocess
import unittest

UNIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "systemd",
                    "tessera.service")
MAX_EXPOSURE = 2.0


class UnitTest(unittest.TestCase):
    def test_service_settings(self):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(UNIT)
        service = unit["Service"]
        self.assertEqual(service["Type"], "notify")
        self.assertEqual(service["User"], "tessera")
        self.assertEqual(service["StateDirectory"], "tessera")
        self.assertEqual(service["ExecStart"],
                         "/usr/bin/tessera serve --config /etc/tessera/tessera.toml")

    def test_security_exposure_at_most_2(self):
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", UNIT],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", p.stdout)
        self.assertIsNotNone(m, p.stdout[-2000:] + p.stderr)
        score = float(m.group(1))
        print("systemd-analyze security: %.1f" % score)
        self.assertLessEqual(score, MAX_EXPOSURE, p.stdout)


if __name__ == "__main__":
    unittest.main()
