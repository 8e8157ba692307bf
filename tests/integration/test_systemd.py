"""Group systemd (issue 16): the bridge as a systemd service, driven by the
real launcher and protocol rather than by a mock of them.

    systemd-socket-activate (Debian's systemd package) binds the sockets,
    passes them by name (LISTEN_FDS, LISTEN_FDNAMES) and execs the bridge
    on the first connection, as a .socket unit does;
    a NOTIFY_SOCKET datagram socket opened here receives what libsystemd's
    sd_notify sends (READY=1, RELOADING=1, STOPPING=1, STATUS=, WATCHDOG=1);
    systemd-analyze verify reads the unit files in systemd/.

The functions (conf/systemd.conf.in @includes them from a file the tests
rewrite): `hello` (handlers/hello, GREETING from its environment) and
`boot`, a provided runtime whose bootstrap is a python3 script in the
temp directory that answers its own version string and sleeps INIT_SLEEP
seconds before its first `next`.
"""

import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import time
import types

import harness as h
from fcgi_dump import BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT
from fcgi_dump import _read_record, _record, _stream

SOCKET_ACTIVATE = shutil.which("systemd-socket-activate")
ANALYZE = shutil.which("systemd-analyze")
UNITS = os.path.join(h.REPO, "systemd")

BOOTSTRAP = """#!/usr/bin/python3
# a Runtime API client answering %(answer)r
import json, os, time, urllib.request
time.sleep(float(os.environ.get("INIT_SLEEP", "0")))
api = "http://%%s/2018-06-01/runtime" %% os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        r.read()
    body = json.dumps({"statusCode": 200, "body": %(answer)r}).encode()
    urllib.request.urlopen(urllib.request.Request(
        api + "/invocation/%%s/response" %% rid, data=body, method="POST")).read()
"""

FUNCTIONS = """functions = (
  { name = "hello"; module = "%(handlers)s/hello.so"; handler = "hello_handler";
    environment = { GREETING = "%(greeting)s"; }; },
  { name = "boot"; runtime = "provided"; bootstrap = [ "%(bootstrap)s" ];
    handler = "boot.handler"; memory = 512; provisioned = %(provisioned)d;
    environment = { INIT_SLEEP = "%(init_sleep)s"; }; }
);
"""

g = h.Group("systemd", "socket activation by name, sd_notify readiness/reload/stop/status/"
            "watchdog, --version, the unit files, --watch on inotify")


# ---------------------------------------------------------------- helpers

def fcgi_get(sock_path, path, timeout=15):
    """One GET over FastCGI straight at the bridge's socket: (status, body)."""
    params = b""
    for k, v in (("REQUEST_METHOD", "GET"), ("REQUEST_URI", path), ("QUERY_STRING", ""),
                 ("SERVER_PROTOCOL", "HTTP/1.1"), ("REQUEST_SCHEME", "http"),
                 ("REMOTE_ADDR", "127.0.0.1"), ("SERVER_PORT", "80"),
                 ("SERVER_NAME", "localhost"), ("HTTP_HOST", "localhost")):
        k, v = k.encode(), v.encode()
        params += bytes([len(k), len(v)]) + k + v
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(_record(BEGIN_REQUEST, 1, bytes([0, 1, 0, 0, 0, 0, 0, 0]))
                  + _stream(PARAMS, 1, params) + _stream(STDIN, 1, b""))
        out = b""
        while True:
            rec = _read_record(s)
            if rec is None:
                raise AssertionError("the connection closed before END_REQUEST")
            if rec[0] == STDOUT:
                out += rec[2]
            elif rec[0] == END_REQUEST:
                break
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    m = re.search(rb"^Status: (\d+)", head, re.M)
    return (int(m.group(1)) if m else 200), body.decode("utf-8", "replace")


class Notify:
    """A NOTIFY_SOCKET: what systemd's manager listens on."""

    def __init__(self, env):
        self.path = env.path(env.unique("notify") + ".sock")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        # the bridge sends from the user it dropped to, as to systemd's
        # world-writable /run/systemd/notify
        os.chmod(self.path, 0o777)
        env.cleanups.append(self.s.close)
        self.got = []  # (monotonic time, {key: value})

    def recv(self, timeout):
        """The next message as a dict, or None after `timeout`."""
        self.s.settimeout(timeout)
        try:
            data = self.s.recv(65536).decode()
        except socket.timeout:
            return None
        msg = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
        self.got.append((time.monotonic(), msg))
        return msg

    def wait_for(self, key, timeout, skip=("WATCHDOG",)):
        """Messages until one with `key`; fails on a message with another
        key that is not in `skip` (the order matters)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            msg = self.recv(max(left, 0.01)) if left > 0 else None
            if msg is None:
                raise AssertionError("no %s= within %.0f s; got %r" % (
                    key, timeout, [m for _, m in self.got]))
            if key in msg:
                return msg
            other = [k for k in msg if k not in skip and k != "STATUS"]
            h.ok(not other, "expected %s= next, got %r" % (key, msg))


def write_functions(fx, greeting="one", answer="boot-1", provisioned=0, init_sleep=0):
    """(Re)writes the @include'd file, and the bootstrap when `answer` changes."""
    text = BOOTSTRAP % {"answer": answer}
    try:
        with open(fx.bootstrap) as f:
            same = f.read() == text
    except OSError:
        same = False
    if not same:
        with open(fx.bootstrap, "w") as f:
            f.write(text)
        os.chmod(fx.bootstrap, 0o755)
    text = FUNCTIONS % {"handlers": h.HANDLERS, "greeting": greeting,
                        "bootstrap": fx.bootstrap, "provisioned": provisioned,
                        "init_sleep": init_sleep}
    tmp = fx.functions + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, fx.functions)  # as an editor saves it


def new_fixture(env, **kw):
    fx = types.SimpleNamespace(env=env)
    d = env.path(env.unique("fn"))
    os.mkdir(d)
    os.chmod(d, 0o755)
    fx.functions = os.path.join(d, "functions.conf")
    fx.bootstrap = os.path.join(d, "bootstrap")
    write_functions(fx, **kw)
    # libconfig puts its include dir (the config's) before every @include
    fx.config = h.write_config(env, "systemd",
                               functions=os.path.relpath(fx.functions, env.dir))
    return fx


def activate(env, config, names, extra_args=(), notify=None, watchdog_usec=None):
    """systemd-socket-activate with one unix socket per name (in that
    order, FileDescriptorName= = the name) exec'ing the bridge; connects to
    the first socket so that the launcher starts it.  Returns (proc,
    {name: path})."""
    if SOCKET_ACTIVATE is None:
        raise h.Skip("systemd-socket-activate is not installed (Debian package systemd)")
    socks = {n: env.path(env.unique("sa") + ".sock") for n in names}
    argv = [SOCKET_ACTIVATE]
    for n in names:
        argv += ["-l", socks[n]]
    argv += ["--fdname=" + ":".join(names)]
    run_env = dict(os.environ)
    for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC"):
        run_env.pop(k, None)
    if notify is not None:
        run_env["NOTIFY_SOCKET"] = notify.path
        argv += ["-E", "NOTIFY_SOCKET"]
    if watchdog_usec is not None:
        run_env["WATCHDOG_USEC"] = str(watchdog_usec)
        argv += ["-E", "WATCHDOG_USEC"]
    argv += [h.LB_BIN, "-c", config] + list(extra_args)
    proc = env.spawn("socket-activate", argv, env=run_env, cwd=h.REPO)
    first = socks[names[0]]
    h.wait_until(lambda: os.path.exists(first), h.START_TIMEOUT, "the launcher's socket", proc)
    # the launcher execs the bridge on the first connection (Accept=no)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(first)
    c.close()
    h.wait_until(lambda: "serving on" in open(proc.log, errors="replace").read(),
                 h.START_TIMEOUT, "the bridge to serve", proc)
    proc.stop_signal = signal.SIGTERM
    return proc, socks


def descendants(pid):
    """Every process below pid (by /proc's PPid)."""
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/status" % p) as f:
                ppid = int(re.search(r"^PPid:\s+(\d+)", f.read(), re.M).group(1))
        except (OSError, AttributeError):
            continue
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def thread_wakeups(pid):
    """The main thread's context switches and CPU ticks so far."""
    with open("/proc/%d/task/%d/status" % (pid, pid)) as f:
        st = f.read()
    with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    switches = sum(int(x) for x in re.findall(r"ctxt_switches:\s+(\d+)", st))
    return switches, int(fields[11]) + int(fields[12])  # utime + stime


@g.setup
def setup(env):
    return types.SimpleNamespace(env=env)


# ---------------------------------------------------------------- --version

@g.test
def version_prints_versions(fx):
    """--version and -V print the version (the VERSION file), the handler ABI
    version (lambdabridge.h) and the libraries the build used."""
    with open(os.path.join(h.REPO, "VERSION")) as f:
        version = f.read().strip()
    with open(os.path.join(h.REPO, "bridge", "include", "lambdabridge.h")) as f:
        abi = re.search(r"#define LB_ABI_VERSION (\d+)", f.read()).group(1)
    for flag in ("--version", "-V"):
        r = h.run_cmd([h.LB_BIN, flag])
        h.eq(r.returncode, 0, "%s exit status (stderr %r)" % (flag, r.stderr))
        lines = r.stdout.splitlines()
        h.ok(re.match(r"lambdabridge %s( \(\S+\))?$" % re.escape(version), lines[0]),
             "%s: first line %r" % (flag, lines[0]))
        h.ok("handler ABI version %s" % abi in lines, "%s: no ABI line in %r" % (flag, lines))
        built = [l for l in lines if l.startswith("built with: ")]
        h.ok(built, "%s: no 'built with' line in %r" % (flag, lines))
        for lib in ("json-c", "libconfig", "libseccomp", "libsystemd", "fcgi", "http-parser"):
            h.ok(re.search(r"\b%s \d" % re.escape(lib), built[0]),
                 "%s: no version of %s in %r" % (flag, lib, built[0]))


# ---------------------------------------------------------------- socket activation

@g.test
def socket_activation_by_name(fx):
    """systemd-socket-activate passes two sockets, "metrics" then "api";
    `-l systemd:api` serves the second (not fd 3), and a bridge without -l
    the one named "lambdabridge".  Neither the bridge's environment nor any
    of its children keeps LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES."""
    sub = new_fixture(fx.env, provisioned=1)
    proc, socks = activate(fx.env, sub.config, ["metrics", "api"],
                           extra_args=["-l", "systemd:api"])
    try:
        st, body = fcgi_get(socks["api"], "/hello?name=sd")
        h.eq(st, 200, "GET /hello on the socket named api: " + body)
        h.ok("one" in body, "the greeting: %r" % body)
        st, body = fcgi_get(socks["api"], "/boot")
        h.eq((st, body), (200, "boot-1"), "GET /boot")
        kids = descendants(proc.pid)
        h.ok(kids, "the bridge has no children (workers) to look at")
        for pid in [proc.pid] + kids:
            try:
                with open("/proc/%d/environ" % pid, "rb") as f:
                    envs = f.read().split(b"\0")
            except OSError:
                continue
            if pid == proc.pid:
                continue  # its initial block: the launcher's own (unsetenv does not shrink it)
            leaked = [e for e in envs if e.startswith((b"LISTEN_PID=", b"LISTEN_FDS=",
                                                      b"LISTEN_FDNAMES="))]
            h.ok(not leaked, "process %d (a child of the bridge) got %r" % (pid, leaked))
        # the socket named metrics was passed (fd 3) but is not served
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1.5)
        s.connect(socks["metrics"])  # the backlog takes it
        s.sendall(b"\x01\x01\x00\x01\x00\x08\x00\x00" + bytes(8))
        try:
            got = s.recv(10)
        except socket.timeout:
            got = None
        s.close()
        h.ok(got is None, "the socket named metrics answered %r" % got)
    finally:
        proc.stop()

    proc, socks = activate(fx.env, sub.config, ["lambdabridge"])
    try:
        st, body = fcgi_get(socks["lambdabridge"], "/hello")
        h.eq(st, 200, "GET /hello on the socket named lambdabridge, no -l: " + body)
    finally:
        proc.stop()


@g.test
def socket_activation_wrong_name(fx):
    """`-l systemd:nosuch` when the sockets are named otherwise: the bridge
    exits 1 naming the sockets it was given."""
    sub = new_fixture(fx.env)
    if SOCKET_ACTIVATE is None:
        raise h.Skip("systemd-socket-activate is not installed")
    sock = fx.env.path(fx.env.unique("sa") + ".sock")
    proc = fx.env.spawn("socket-activate", [SOCKET_ACTIVATE, "-l", sock, "--fdname=api",
                                            h.LB_BIN, "-c", sub.config, "-l", "systemd:nosuch"])
    h.wait_until(lambda: os.path.exists(sock), h.START_TIMEOUT, "the launcher's socket", proc)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(sock)
    try:
        proc.p.wait(h.START_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError("the bridge kept running: " + proc.log_tail())
    finally:
        c.close()
    h.eq(proc.p.returncode, 1, "exit status")
    log = proc.log_tail()
    h.ok("no socket named 'nosuch'" in log and "'api'" in log, "the message: " + log)


# ---------------------------------------------------------------- sd_notify

@g.test
def notify_ready_reload_stop(fx):
    """Type=notify as systemd sees it: READY=1 only once the two provisioned
    environments of `boot` (whose init sleeps 1 s) are up, with a STATUS=
    saying so; WATCHDOG=1 at half of WATCHDOG_USEC; SIGHUP gives RELOADING=1
    with a MONOTONIC_USEC= of the moment (CLOCK_MONOTONIC), then READY=1 and
    STATUS=; SIGUSR1 a fresh STATUS= with the requests counted; SIGTERM
    STOPPING=1, and nothing but the watchdog in between."""
    sub = new_fixture(fx.env, provisioned=2, init_sleep=1)
    notify = Notify(fx.env)
    t0 = time.monotonic()
    proc, socks = activate(fx.env, sub.config, ["lambdabridge"], notify=notify,
                           watchdog_usec=400000)
    try:
        ready = notify.wait_for("READY", 20)
        h.eq(ready["READY"], "1", "READY")
        h.ok(time.monotonic() - t0 >= 1.0, "READY=1 %.2f s after the start, before the "
             "provisioned environments' 1 s init" % (time.monotonic() - t0))
        h.ok("provisioned ready: 2/2" in ready.get("STATUS", ""),
             "the STATUS= with READY=1: %r" % ready)
        # ready means warm: the first request is no cold start
        off = os.path.getsize(proc.log)
        st, body = fcgi_get(socks["lambdabridge"], "/boot")
        h.eq((st, body), (200, "boot-1"), "GET /boot after READY=1")

        def log_since():
            with open(proc.log, errors="replace") as f:
                f.seek(off)
                return f.read()
        # END and REPORT are written after the response has gone out
        h.wait_until(lambda: "REPORT" in log_since(), 10, "the request's REPORT line", proc)
        report = log_since()
        h.ok("Init Duration" not in report,
             "the first request after READY=1 was a cold start:\n" + report[-600:])
        # the watchdog: twice within 0.6 s (every 200 ms)
        dogs = 0
        t = time.monotonic()
        while time.monotonic() - t < 0.7:
            m = notify.recv(0.7)
            if m is not None:
                h.ok(set(m) <= {"WATCHDOG", "STATUS"}, "unexpected %r" % m)
                dogs += "WATCHDOG" in m
        h.ok(dogs >= 2, "%d WATCHDOG=1 in 0.7 s with WATCHDOG_USEC=400000" % dogs)
        # SIGHUP
        before = int(time.monotonic() * 1e6)
        os.kill(proc.pid, signal.SIGHUP)
        rel = notify.wait_for("RELOADING", 10)
        after = int(time.monotonic() * 1e6)
        h.eq(rel["RELOADING"], "1", "RELOADING")
        h.ok("MONOTONIC_USEC" in rel, "no MONOTONIC_USEC= with RELOADING=1: %r" % rel)
        usec = int(rel["MONOTONIC_USEC"])
        h.ok(before <= usec <= after, "MONOTONIC_USEC=%d not between %d and %d"
             % (usec, before, after))
        ready = notify.wait_for("READY", 20)
        st = ready.get("STATUS") or notify.wait_for("STATUS", 5)["STATUS"]
        h.ok("provisioned ready: 2/2" in st, "STATUS= after the reload: %r" % st)
        # live counts
        for _ in range(3):
            h.eq(fcgi_get(socks["lambdabridge"], "/hello")[0], 200, "GET /hello")
        os.kill(proc.pid, signal.SIGUSR1)
        st = notify.wait_for("STATUS", 10)["STATUS"]
        h.ok(re.search(r"invocations: 3\b", st), "STATUS= after 3 requests: %r" % st)
        os.kill(proc.pid, signal.SIGTERM)
        stop = notify.wait_for("STOPPING", 10)
        h.eq(stop["STOPPING"], "1", "STOPPING")
        proc.p.wait(h.STOP_TIMEOUT)
        h.eq(proc.p.returncode, 0, "exit status after SIGTERM")
    finally:
        proc.stop()


@g.test
def no_notify_socket_no_timers(fx):
    """Without NOTIFY_SOCKET (a bridge started by hand) nothing is sent: a
    WATCHDOG_USEC left in the environment starts no timer, the main thread
    is not woken once in 1.5 s, and the bridge serves."""
    sub = new_fixture(fx.env)
    os.environ["WATCHDOG_USEC"] = "100000"
    try:
        b = h.start_bridge(fx.env, sub.config)
    finally:
        del os.environ["WATCHDOG_USEC"]
    st, body = fcgi_get(b.sock, "/hello")
    h.eq(st, 200, "GET /hello: " + body)
    time.sleep(0.3)
    s0, _ = thread_wakeups(b.proc.pid)
    time.sleep(1.5)
    s1, _ = thread_wakeups(b.proc.pid)
    h.ok(s1 - s0 <= 1, "the main thread was woken %d times in 1.5 s with WATCHDOG_USEC="
         "100000 and no NOTIFY_SOCKET" % (s1 - s0))


# ---------------------------------------------------------------- unit files

@g.test
def units_verify(fx):
    """systemd-analyze verify accepts systemd/lambdabridge.service and
    lambdabridge.socket (copies whose ExecStart names the binary just
    built: verify checks that the program exists)."""
    if ANALYZE is None:
        raise h.Skip("systemd-analyze is not installed (Debian package systemd)")
    d = fx.env.path(fx.env.unique("units"))
    os.mkdir(d)
    for name in ("lambdabridge.service", "lambdabridge.socket"):
        with open(os.path.join(UNITS, name)) as f:
            text = f.read()
        text = text.replace("/usr/local/bin/lambdabridge", h.LB_BIN)
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    r = h.run_cmd([ANALYZE, "verify", "--man=no",
                   os.path.join(d, "lambdabridge.socket"),
                   os.path.join(d, "lambdabridge.service")])
    if "Failed to connect" in r.stderr or "System has not been booted" in r.stderr:
        raise h.Skip("systemd-analyze verify cannot run here: " + r.stderr.strip()[:200])
    msgs = [l for l in r.stderr.splitlines() if "lambdabridge" in l]
    h.eq((r.returncode, msgs), (0, []), "systemd-analyze verify:\n" + r.stderr)
    with open(os.path.join(UNITS, "lambdabridge.service")) as f:
        svc = f.read()
    for want in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=",
                 "NoNewPrivileges=yes", "ProtectSystem=strict"):
        h.ok(want in svc, "lambdabridge.service lacks %s" % want)
    with open(os.path.join(UNITS, "lambdabridge.socket")) as f:
        h.ok("FileDescriptorName=lambdabridge" in f.read(),
             "lambdabridge.socket does not name its socket")


# ---------------------------------------------------------------- --watch

@g.test
def watch_include_and_bootstrap(fx):
    """--watch reloads when the @include'd file is saved (renamed over, as
    an editor does) and when a provided function's bootstrap is rewritten in
    place; the new GREETING and the new bootstrap's answer are served."""
    sub = new_fixture(fx.env, greeting="one", answer="boot-1")
    b = h.start_bridge(fx.env, sub.config, extra_args=["--watch"])
    h.eq(fcgi_get(b.sock, "/boot"), (200, "boot-1"), "GET /boot")
    st, body = fcgi_get(b.sock, "/hello")
    h.ok(st == 200 and "one" in body, "GET /hello: %r" % body)

    off = b.log_size()
    write_functions(sub, greeting="two", answer="boot-1")
    b.wait_log(r"'%s' changed[\s\S]*reloaded '" % re.escape(sub.functions), 10, off)
    st, body = fcgi_get(b.sock, "/hello")
    h.ok(st == 200 and "two" in body, "GET /hello after the include changed: %r" % body)

    off = b.log_size()
    with open(sub.bootstrap, "r+") as f:  # in place: O_TRUNC and write
        text = f.read().replace("boot-1", "boot-2")
        f.seek(0)
        f.truncate()
        f.write(text)
    b.wait_log(r"'%s' changed[\s\S]*reloaded '" % re.escape(sub.bootstrap), 10, off)
    h.eq(fcgi_get(b.sock, "/boot"), (200, "boot-2"), "GET /boot after the bootstrap changed")


@g.test
def watch_idle_no_wakeups(fx):
    """An idle bridge under --watch does not poll: its main thread (which
    watches, on inotify) is not woken once in 2 s and uses no CPU; the old
    100 ms stat() loop woke it 20 times."""
    sub = new_fixture(fx.env)
    b = h.start_bridge(fx.env, sub.config, extra_args=["--watch"])
    time.sleep(0.5)  # start-up settles
    s0, cpu0 = thread_wakeups(b.proc.pid)
    time.sleep(2.0)
    s1, cpu1 = thread_wakeups(b.proc.pid)
    h.ok(s1 - s0 <= 1, "the main thread was woken %d times in 2 s" % (s1 - s0))
    h.eq(cpu1 - cpu0, 0, "CPU ticks of the main thread in 2 s idle")
    # and it still watches
    off = b.log_size()
    os.utime(sub.functions)
    b.wait_log(r"reloaded '", 10, off)


# ---------------------------------------------------------------- hardening

# What lambdabridge.service sets that can be applied here without systemd
# as PID 1: the mount namespace (ProtectSystem=strict: / read-only but the
# writable places; ProtectHome; ProtectKernelTunables), the user
# (User=/Group=), NoNewPrivileges and the empty CapabilityBoundingSet.
HARDEN_SH = r"""
set -e
for d in /tmp /run /var/lib; do mount --bind "$d" "$d"; done
mount -o bind,remount,ro /
for d in /home /root; do [ -d "$d" ] && mount -t tmpfs -o ro,mode=0755 tmpfs "$d"; done
mount --bind /proc/sys /proc/sys && mount -o bind,remount,ro /proc/sys
mount -o bind,remount,ro /sys
exec setpriv --no-new-privs --bounding-set=-all --inh-caps=-all \
    --reuid="$LB_USER" --regid="$LB_GROUP" --clear-groups "$@"
"""


@g.test
def hardened_like_the_unit(fx):
    """The bridge under what lambdabridge.service's hardening does that can
    be applied without systemd: a read-only file system but /tmp, /run and
    /var/lib, no /home, read-only /proc/sys and /sys, its own user,
    NoNewPrivileges and no capabilities at all; socket-activated and
    notifying.  It reports READY=1, serves a native and a provided function
    (loopback TCP), reloads and stops.  (The unit's seccomp-based
    directives, RestrictAddressFamilies= and the like, need systemd.)"""
    if not h.IS_ROOT or shutil.which("setpriv") is None or shutil.which("unshare") is None:
        raise h.Skip("needs root, setpriv and unshare (util-linux)")
    with open(os.path.join(UNITS, "lambdabridge.service")) as f:
        svc = f.read()
    for want in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                 "ProtectKernelTunables=yes", "CapabilityBoundingSet=\n"):
        h.ok(want in svc, "the unit no longer sets %r: update this test" % want.strip())
    sub = new_fixture(fx.env, provisioned=1)
    notify = Notify(fx.env)
    user, group = h.unprivileged_user()
    os.environ["LB_USER"], os.environ["LB_GROUP"] = user, group
    try:
        if SOCKET_ACTIVATE is None:
            raise h.Skip("systemd-socket-activate is not installed")
        sock = fx.env.path(fx.env.unique("sa") + ".sock")
        run_env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        # unshare and setpriv exec: the bridge keeps the launcher's pid,
        # which LISTEN_PID names
        argv = [SOCKET_ACTIVATE, "-l", sock, "--fdname=lambdabridge", "-E", "NOTIFY_SOCKET",
                "-E", "LB_USER", "-E", "LB_GROUP",
                "unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", HARDEN_SH, "harden", h.LB_BIN, "-c", sub.config]
        proc = fx.env.spawn("socket-activate", argv, env=run_env, cwd="/")
    finally:
        del os.environ["LB_USER"], os.environ["LB_GROUP"]
    try:
        h.wait_until(lambda: os.path.exists(sock), h.START_TIMEOUT, "the launcher's socket", proc)
        os.chmod(sock, 0o666)  # SocketMode= of a test
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(sock)
        c.close()
        ready = notify.wait_for("READY", 20)
        h.ok("provisioned ready: 1/1" in ready.get("STATUS", ""), "READY=1: %r" % ready)
        with open("/proc/%d/status" % proc.pid) as f:
            st = f.read()
        h.ok(re.search(r"^NoNewPrivs:\s+1", st, re.M), "NoNewPrivs is not set")
        h.ok(re.search(r"^CapBnd:\s+0+$", st, re.M), "capabilities left: " +
             re.search(r"^CapBnd:.*$", st, re.M).group(0))
        st, body = fcgi_get(sock, "/hello")
        h.eq(st, 200, "GET /hello: " + body)
        h.eq(fcgi_get(sock, "/boot"), (200, "boot-1"), "GET /boot (provided runtime)")
        os.kill(proc.pid, signal.SIGHUP)
        notify.wait_for("RELOADING", 10)
        notify.wait_for("READY", 20)
        h.ok("reload rejected" not in open(proc.log, errors="replace").read(),
             "the reload was rejected:\n" + proc.log_tail())
        os.kill(proc.pid, signal.SIGTERM)
        notify.wait_for("STOPPING", 10)
        proc.p.wait(h.STOP_TIMEOUT)
        h.eq(proc.p.returncode, 0, "exit status:\n" + proc.log_tail())
    finally:
        proc.stop()
