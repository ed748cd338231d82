"""systemd Type=notify (contract section 8): with $NOTIFY_SOCKET set, `tessera serve` sends
READY=1 once it serves and is ready (/ready answers 200), and STOPPING=1 when it begins to
stop (SIGTERM). The test binds the AF_UNIX datagram socket systemd would, and is the service
manager."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tessera_it as it  # noqa: E402


def read_banner(proc):
    """The base URL from the server's "listening on" line (log lines may come first)."""
    for _ in range(50):
        line = proc.stdout.readline().decode()
        if not line:
            break
        m = it.BANNER.search(line)
        if m:
            return m.group(1)
    raise AssertionError("tessera serve printed no banner")


class NotifyTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tessera-notify-")
        self.path = os.path.join(self.work, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.sock.close()
        it.shutil.rmtree(self.work, ignore_errors=True)

    def receive(self, timeout):
        """The next notification's fields (a dict), or None after timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode()
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.splitlines() if "=" in line)

    def test_ready_then_stopping(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.path)
        self.proc = subprocess.Popen(
            [it.TESSERA, "serve", "--listen", "127.0.0.1:0", "--threads", "2",
             "--data-dir", os.path.join(self.work, "data")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            preexec_fn=it._die_with_parent)
        started = time.monotonic()
        ready = self.receive(30)
        self.assertIsNotNone(ready, "no notification within 30 s")
        self.assertEqual(ready.get("READY"), "1", ready)
        # READY=1 comes after the banner; the server answers /ready at once.
        with urllib.request.urlopen(read_banner(self.proc) + "/ready", timeout=10) as r:
            self.assertEqual(r.status, 200)
        self.assertIsNone(self.receive(0.2), "nothing else is sent while serving")

        self.proc.send_signal(signal.SIGTERM)
        stopping = self.receive(20)
        self.assertIsNotNone(stopping, "no STOPPING=1 after SIGTERM")
        self.assertEqual(stopping.get("STOPPING"), "1", stopping)
        self.assertEqual(self.proc.wait(30), 0)
        self.proc.stdout.close()
        print("ready and stopped in %.2f s" % (time.monotonic() - started))

    def test_no_socket_no_notification(self):
        # Without $NOTIFY_SOCKET the server runs and stops as before.
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        self.proc = subprocess.Popen(
            [it.TESSERA, "serve", "--listen", "127.0.0.1:0", "--threads", "2",
             "--data-dir", os.path.join(self.work, "data")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            preexec_fn=it._die_with_parent)
        read_banner(self.proc)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(30), 0)
        self.proc.stdout.close()
        self.assertIsNone(self.receive(0.2))


if __name__ == "__main__":
    unittest.main()
