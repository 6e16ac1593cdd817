#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`recipe-scraperd reload` (the unit's ExecReload=) against a running
daemon and against a stand-in whose verdicts the test writes itself.

The daemon (brokers = embedded, a closed start URL, [metrics] listen) runs
with RUNTIME_DIRECTORY set, as under RuntimeDirectory=; the command gets
MAINPID, as systemd gives it:

- a good file: exit 0, reloads_total{result="ok"} counts it;
- a broken file: exit 78, every FILE:LINE error on stderr, the daemon runs
  on (its endpoint answers) and counts a rejected reload;
- [metrics] listen moved to a port another socket holds: exit 78 with
  "FILE:LINE: metrics.listen: cannot serve metrics on ...", and the old
  endpoint still answers;
- three reloads at once (two commands and a bare SIGHUP): both commands
  get a verdict (exit 0), none waits for its timeout;
- at start, a [metrics] listen port held by another socket: exit 78 and
  the FILE:LINE of the key (the address shown as "(secret)" when it came
  from a ${NAME} reference).

The stand-in (a Python process in the daemon's place) checks the
command's side of the protocol deterministically: a verdict of a reload
that was already running when the command looked ("5 started", then "5
rejected") is not taken for its own; the next generation's is; a daemon
that never answers is a failure after --timeout; one that exits is one at
once; no MAINPID is a usage error (64).

usage: test_reload.py BINARY
"""
import os, signal, socket, subprocess, sys, tempfile, textwrap, time, urllib.error, urllib.request

from checks import check, finish, free_port, stop



def healthz(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (ConnectionError, urllib.error.URLError):
        return None


def metric(port, line_start):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(line_start + " "):
                return float(line.split()[-1])
    return None


def config(work, port, extra=""):
    return textwrap.dedent("""\
        [daemon]
        state_dir = {work}/state
        watchdog = off
        shutdown_timeout_s = 2
        [scraper]
        start_urls = http://127.0.0.1:9/
        allow_private_addresses = on
        robots = off
        {extra}
        [kafka]
        brokers = embedded
        [journal]
        sink = stdout
        [metrics]
        listen = 127.0.0.1:{port}
        """).format(work=work, port=port, extra=extra)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def wait_file(path, timeout_s):
    """The daemon writes its first verdict before it starts serving (test
    side: a bounded poll, there is nothing to block on from here)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False


def reload_cmd(binary, run_dir, pid, *args, timeout=60):
    env = dict(os.environ, RUNTIME_DIRECTORY=run_dir, MAINPID=str(pid))
    return subprocess.run([binary, "reload", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def line_of(text, start):
    return next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith(start))


def against_daemon(binary, work):
    run_dir = os.path.join(work, "run")
    os.mkdir(run_dir, 0o700)
    port = free_port()
    cfg = os.path.join(work, "r.ini")
    good = config(work, port)
    write(cfg, good)
    env = dict(os.environ, RUNTIME_DIRECTORY=run_dir)
    proc = subprocess.Popen([binary, "-c", cfg], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "stderr"), "w"))
    try:
        check(wait_file(os.path.join(run_dir, "reload-status"), 30), "no reload-status at start")
        r = reload_cmd(binary, run_dir, proc.pid)
        check(r.returncode == 0, "good reload: exit %d, %r" % (r.returncode, r.stderr))
        check(metric(port, 'recipe_scraperd_reloads_total{result="ok"}') == 1, "reloads ok != 1")

        broken = config(work, port, "max_depth = deep\nbogus_key = 1")
        write(cfg, broken)
        r = reload_cmd(binary, run_dir, proc.pid)
        want = ["%s:%d: scraper.max_depth: " % (cfg, line_of(broken, "max_depth")),
                "%s:%d: scraper.bogus_key: unknown key" % (cfg, line_of(broken, "bogus_key"))]
        check(r.returncode == 78 and all(w in r.stderr for w in want) and "rejected" in r.stderr,
              "broken file: exit %d, stderr %r" % (r.returncode, r.stderr))
        check(healthz(port) == 200 and proc.poll() is None, "the daemon after a rejected reload")
        check(metric(port, 'recipe_scraperd_reloads_total{result="rejected"}') == 1,
              "reloads rejected != 1")

        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            taken = holder.getsockname()[1]
            moved = config(work, taken)
            write(cfg, moved)
            r = reload_cmd(binary, run_dir, proc.pid)
            want = "%s:%d: metrics.listen: cannot serve metrics on 127.0.0.1:%d: " % (
                cfg, line_of(moved, "listen"), taken)
            check(r.returncode == 78 and want in r.stderr,
                  "listen on a taken port: exit %d, %r" % (r.returncode, r.stderr))
            check(healthz(port) == 200, "the old endpoint after the rejected move")

        write(cfg, good)
        cmds = [subprocess.Popen([binary, "reload"], stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, RUNTIME_DIRECTORY=run_dir,
                                          MAINPID=str(proc.pid))) for _ in range(2)]
        proc.send_signal(signal.SIGHUP)
        t0 = time.monotonic()
        codes = [c.wait(timeout=60) for c in cmds]
        check(codes == [0, 0] and time.monotonic() - t0 < 30,
              "concurrent reloads: %s in %.1f s %s" % (codes, time.monotonic() - t0,
                                                      [c.stderr.read() for c in cmds]))
        check(healthz(port) == 200, "healthz after the concurrent reloads")
    finally:
        stop(proc, "the daemon", clean=True)


def start_on_taken_port(binary, work):
    """Exit 78 with the key's FILE:LINE; an address that came from a
    reference is a secret, shown as such."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        cfg = os.path.join(work, "taken.ini")
        for listen, shown in (("127.0.0.1:%d" % taken, "127.0.0.1:%d" % taken),
                              ("${RSD_TEST_LISTEN}", "(secret)")):
            text = config(work + "/taken", 0).replace("127.0.0.1:0", listen)
            write(cfg, text)
            r = subprocess.run([binary, "-c", cfg], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, RSD_TEST_LISTEN="127.0.0.1:%d" % taken))
            want = "%s:%d: metrics.listen: cannot serve metrics on %s: Address already in use" % (
                cfg, line_of(text, "listen"), shown)
            check(r.returncode == 78 and want in r.stderr and
                  (shown != "(secret)" or str(taken) not in r.stderr),
                  "start on a taken port: exit %d, %r" % (r.returncode, r.stderr))


# The stand-in: on each SIGHUP it renames the next prepared verdict into
# place (or none, or exits), exactly as the daemon does.
STAND_IN = r"""
import os, signal, sys, time
run_dir, script = sys.argv[1], sys.argv[2].split(";")
def put(text):
    tmp = os.path.join(run_dir, ".reload-status.tmp")
    with open(tmp, "w") as f:
        f.write(text.replace("|", "\n") + "\n")
    os.rename(tmp, os.path.join(run_dir, "reload-status"))
put(script.pop(0))
def on_hup(*_):
    step = script.pop(0) if script else "silent"
    if step == "exit":
        os._exit(0)
    for text in step.split("+") if step != "silent" else []:
        put(text)
signal.signal(signal.SIGHUP, on_hup)
print("ready", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    signal.pause()
"""


def stand_in(binary, work, name, script, *args):
    run_dir = os.path.join(work, name)
    os.mkdir(run_dir)
    p = subprocess.Popen([sys.executable, "-c", STAND_IN, run_dir, script],
                         stdout=subprocess.PIPE, text=True)
    p.stdout.readline()
    try:
        t0 = time.monotonic()
        r = reload_cmd(binary, run_dir, p.pid, *args)
        return r, time.monotonic() - t0
    finally:
        p.kill()
        p.wait()


def protocol(binary, work):
    # A reload already running when the command looked ("5 started"): its
    # verdict is not this command's; the next generation's is.
    r, _ = stand_in(binary, work, "older", "5 started;5 rejected|x.ini:1: old+6 started+6 applied")
    check(r.returncode == 0 and "old" not in r.stderr,
          "an older reload's verdict was taken: exit %d %r" % (r.returncode, r.stderr))
    r, _ = stand_in(binary, work, "rejected", "2 applied;3 started+3 rejected|f.ini:4: bad")
    check(r.returncode == 78 and "f.ini:4: bad" in r.stderr,
          "rejected: exit %d %r" % (r.returncode, r.stderr))
    r, took = stand_in(binary, work, "silent", "0 applied;silent", "--timeout", "1")
    check(r.returncode == 1 and "no verdict" in r.stderr and 0.9 <= took < 10,
          "no verdict: exit %d after %.1f s %r" % (r.returncode, took, r.stderr))
    r, took = stand_in(binary, work, "gone", "0 applied;exit")
    check(r.returncode == 1 and "exited before it answered" in r.stderr and took < 10,
          "daemon gone: exit %d after %.1f s %r" % (r.returncode, took, r.stderr))
    r = subprocess.run([binary, "reload"], capture_output=True, text=True, timeout=10,
                       env={k: v for k, v in os.environ.items() if k != "MAINPID"})
    check(r.returncode == 64 and "MAINPID" in r.stderr, "no MAINPID: exit %d" % r.returncode)


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="rsd-reload.")
    protocol(binary, work)
    start_on_taken_port(binary, work)
    against_daemon(binary, work)
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
