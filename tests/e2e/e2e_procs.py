"""Processes and checks shared by the end-to-end scripts (tests/e2e, tests/interop).

Each script starts real programs (`tessera serve`, `tessera gateway`, an outside client), waits
for the line that says where they listen, and stops them all on exit, also on failure. The
scripts stop at the first failed check (AssertionError), so a check names what was expected.
"""
import base64
import json
import os
import re
import signal
import subprocess
import threading
import time

DEADLINE_S = 20  # for a process to print its listening line

_PROCS = []


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def b64url_json(segment):
    """The JSON of one base64url segment of a JWT (padding restored)."""
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def start(cmd, pattern, log=None, env=None):
    """Starts `cmd` in a session of its own and waits up to DEADLINE_S for a stdout line matching
    `pattern`; returns (proc, match, lines). The process is stopped by stop_all()."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log or subprocess.DEVNULL,
                            text=True, env=env, start_new_session=True)
    _PROCS.append(proc)
    lines, found = [], [None]

    def reader():
        for line in proc.stdout:
            lines.append(line)
            if found[0] is None:
                found[0] = re.search(pattern, line)
    threading.Thread(target=reader, daemon=True).start()
    end = time.monotonic() + DEADLINE_S
    while found[0] is None and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.05)
    check(found[0] is not None, "%s did not start: %s" % (cmd[:2], "".join(lines)[-2000:]))
    return proc, found[0], lines


def stop_all():
    """SIGTERM to every started process group, then SIGKILL to what has not ended in 10 s."""
    for p in _PROCS:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in _PROCS:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
