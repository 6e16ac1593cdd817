# SPDX-License-Identifier: MIT
"""What the Python integration tests share: failed checks are counted and
printed, not raised, so that one run reports every failure; a free
loopback port; stopping a daemon; the end of a run (the daemon's stderr on failure, the work
directory removed, "OK" or "FAILED" and the exit status)."""
import os, shutil, signal, socket, subprocess

failed = 0


def check(cond, what):
    global failed
    if not cond:
        failed += 1
        print("FAIL:", what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc, what, clean=False):
    """SIGTERM, then a bounded wait (a kill and a failed check after 60 s);
    clean: the exit status must be 0."""
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(timeout=60)
        check(not clean or status == 0, "%s: exit status %s" % (what, status))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        check(False, what + " did not stop on SIGTERM")


def finish(work):
    """Prints WORK/stderr (the daemon's) when a check failed, removes
    WORK; returns the exit status."""
    log = os.path.join(work, "stderr")
    if failed and os.path.exists(log):
        with open(log) as f:
            print(f.read())
    shutil.rmtree(work, ignore_errors=True)
    print("FAILED" if failed else "OK")
    return 1 if failed else 0
