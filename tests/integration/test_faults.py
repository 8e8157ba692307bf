"""Group faults (issue 12): the bridge under the faults a real host sees,
with integ_fault (tests/handlers/integ_fault.c) and integ_ctl from
conf/faults.conf.in:

    fault  integ_fault, timeout 8 s     ctl  integ_ctl, timeout 5 s
    integration_timeout = 10 s

A REST bridge and an HTTP API bridge run behind nginx; the tests that kill
the gateway or watch a module start bridges of their own.  Every test
prints its counts (requests sent, answered, failed, and what it did to the
bridge) on a line of its own before its result.  Every loop is bounded in
count and time.
"""

import os
import random
import re
import shutil
import signal
import socket
import struct
import threading
import time

import harness as h
from fcgi_dump import BEGIN_REQUEST, PARAMS, STDIN, _record, _stream

REST_ISE = b'{"message": "Internal server error"}'
HTTP_ISE = b'{"message":"Internal Server Error"}'

LIMIT = 15.0  # every request here is answered within a few seconds
SEEN_DEAD = 0.25  # seconds the gateway may take to see an idle worker die
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Fx:
    pass


def _config(env, api, module=None, name=None):
    return h.write_config(env, "faults", name=name, api=api,
                          module=module or os.path.join(h.TEST_HANDLERS, "integ_fault.so"))


def _setup(env):
    h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fault.so"),
                   os.path.join(h.TEST_HANDLERS, "integ_fault_b.so"),
                   os.path.join(h.TEST_HANDLERS, "integ_fn.so"))
    fx = Fx()
    fx.env = env
    fx.bridge = h.start_bridge(env, _config(env, "rest", name="faults-rest.conf"))
    fx.server = h.start_nginx(env, fx.bridge.sock)
    fx.port = fx.server.port
    fx.http_bridge = h.start_bridge(env, _config(env, "http", name="faults-http.conf"))
    fx.http_server = h.start_nginx(env, fx.http_bridge.sock)
    fx.http_port = fx.http_server.port
    return fx


g = h.Group("faults", "reload storm, worker kills, gateway SIGKILL, stalled clients, "
            "module copied in place", setup=_setup)


def counts(test, **kw):
    print("     %s: %s" % (test, ", ".join("%s %s" % (k, v) for k, v in kw.items())),
          flush=True)


# ---------------------------------------------------------------- processes

def proc_stat(pid):
    """(state, ppid, CPU seconds of all its threads) or None when gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return " ".join(f.read().decode(errors="replace").replace("\0", " ").split())
    except OSError:
        return "?"


def processes():
    """{pid: (state, ppid)} of every process."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st is not None:
                out[int(d)] = st[:2]
    return out


def children(ppid):
    """{pid: state} of the children of ppid."""
    return {p: s for p, (s, pp) in processes().items() if pp == ppid}


def descendants(ppid):
    """Every live (not zombie) descendant of ppid."""
    procs = processes()
    out, todo = set(), [ppid]
    while todo:
        parent = todo.pop()
        for p, (s, pp) in procs.items():
            if pp == parent and p not in out:
                out.add(p)
                todo.append(p)
    return {p for p in out if procs[p][0] != "Z"}


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def fds(pid):
    """The bridge's descriptors but its sockets (nginx opens and closes
    FastCGI connections as it likes): pipes, pidfds, files, memfds."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += not os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass
    return n


def workers(bridge, function):
    """Live children of the bridge that run `function` (not spares)."""
    return [p for p, s in children(bridge.proc.pid).items()
            if s != "Z" and (" %s " % function) in cmdline(p) + " "]


def settle(bridge, most):
    """Waits (bounded) until the bridge has no zombie children and at most
    `most` children, holding still for 0.3 s; returns (children, fds)."""
    pid = bridge.proc.pid
    seen = []
    end = time.monotonic() + 8
    while time.monotonic() < end:
        kids = children(pid)
        seen.append((len(kids), fds(pid)))
        if ("Z" not in kids.values() and len(kids) <= most and len(seen) >= 7
                and len(set(seen[-7:])) == 1):
            return seen[-1]
        time.sleep(0.05)
    raise AssertionError("the bridge's children did not settle to at most %d within 8 s: %r"
                         % (most, {p: (s, cmdline(p)) for p, s in children(pid).items()}))


# ---------------------------------------------------------------- load

class Load:
    """`threads` client threads sending GET `paths` in turn through nginx
    until stop() (at most `limit` requests and `max_time` seconds); every
    request is recorded as (start, end, path, status or error, body)."""

    def __init__(self, port, paths, threads=4, limit=30000, max_time=30.0):
        self.port, self.paths, self.limit = port, paths, limit
        self.results = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + max_time
        self.n = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _next(self):
        with self.lock:
            if (self.stopping.is_set() or self.n >= self.limit
                    or time.monotonic() > self.deadline):
                return None
            self.n += 1
            return self.paths[self.n % len(self.paths)]

    def _run(self):
        while True:
            path = self._next()
            if path is None:
                return
            t0 = time.monotonic()
            try:
                r = h.http(self.port, "GET", path, timeout=LIMIT)
                status, body = r.status, r.body
            except (AssertionError, OSError) as e:
                status, body = "no answer: %s" % e, b""
            with self.lock:
                self.results.append((t0, time.monotonic(), path, status, body))

    def stop(self):
        self.stopping.set()
        end = time.monotonic() + LIMIT + 5
        for t in self.threads:
            t.join(max(0.0, end - time.monotonic()))
        h.ok(not any(t.is_alive() for t in self.threads),
             "a client thread did not finish within %.0f s" % (LIMIT + 5))
        return self

    @property
    def sent(self):
        return len(self.results)

    @property
    def answered(self):
        return sum(isinstance(r[3], int) for r in self.results)

    @property
    def failures(self):
        return [r for r in self.results if not (isinstance(r[3], int) and 200 <= r[3] < 300)]

    def counts(self):
        return dict(sent=self.sent, answered=self.answered, failed=len(self.failures))


def describe(requests):
    """How many requests got each answer, e.g. "3 x 502 b'{...}' (GET /x)"."""
    kinds = {}
    for r in requests:
        kinds.setdefault((r[3], r[4][:80]), []).append(r[2])
    return "; ".join("%d x %s %r (GET %s)" % (len(paths), status, body, paths[0])
                     for (status, body), paths in kinds.items())


def none_of(requests, what):
    h.ok(not requests, "%s: %s" % (what, describe(requests)))


# ---------------------------------------------------------------- raw FastCGI

def fcgi_params(pairs):
    out = []
    for k, v in pairs:
        k, v = k.encode(), v.encode()
        for x in (k, v):
            out.append(bytes([len(x)]) if len(x) < 128 else struct.pack(">I", len(x) | 1 << 31))
        out += [k, v]
    return b"".join(out)


def fcgi_get(path, query=""):
    """The records of a complete GET, as nginx would send them."""
    params = fcgi_params([
        ("REQUEST_METHOD", "GET"), ("REQUEST_URI", path + ("?" + query if query else "")),
        ("QUERY_STRING", query), ("SCRIPT_NAME", path), ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REQUEST_SCHEME", "http"), ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("REMOTE_ADDR", "127.0.0.1"), ("REMOTE_PORT", "40000"),
        ("SERVER_ADDR", "127.0.0.1"), ("SERVER_PORT", "80"), ("SERVER_NAME", "localhost"),
        ("HTTP_HOST", "localhost")])
    return (_record(BEGIN_REQUEST, 1, bytes([0, 1, 0, 0, 0, 0, 0, 0]))
            + _stream(PARAMS, 1, params) + _stream(STDIN, 1, b""))


def fcgi_connect(sock, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    return s


# ---------------------------------------------------------------- tests

@g.test
def reload_storm_under_load(fx):
    """SIGHUP every 100 ms for 3 s while 4 clients send requests: no request
    fails, and once the storm is over the environments of the retired
    configurations are gone and no descriptor is left behind."""
    paths = ["/fault?do=sleep&ms=20", "/ctl?do=pid", "/fault?do=pid"]
    warm = Load(fx.port, paths, threads=4, max_time=1.0)
    time.sleep(0.5)
    none_of(warm.stop().failures, "failures before the storm")
    kids_before, fds_before = settle(fx.bridge, 4 * 2 + 1)
    off = fx.bridge.log_size()
    load = Load(fx.port, paths, threads=4, max_time=20.0)
    hups = 0
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0:
            fx.bridge.signal(signal.SIGHUP)
            hups += 1
            time.sleep(0.1)
        time.sleep(0.3)  # the last reload has taken
    finally:
        load.stop()
    reloads = len(re.findall(r"reloaded '", fx.bridge.log_since(off)))
    rejected = len(re.findall(r"reload rejected", fx.bridge.log_since(off)))
    counts("reload_storm_under_load", sighups=hups, reloads=reloads, **load.counts())
    h.ok(fx.bridge.alive(), "the bridge died")
    h.eq(rejected, 0, "rejected reloads of an unchanged config")
    h.ok(reloads >= 10, "only %d reloads for %d SIGHUPs" % (reloads, hups))
    h.ok(load.sent >= 50, "only %d requests during the storm" % load.sent)
    none_of(load.failures, "failed requests during the storm (%d of %d)"
            % (len(load.failures), load.sent))
    # the same load once more in the last configuration, then compare
    again = Load(fx.port, paths, threads=4, max_time=1.0)
    time.sleep(0.5)
    none_of(again.stop().failures, "failures after the storm")
    # 4 clients keep at most 4 environments of each of the 2 functions
    # busy, and a spare waits; the 30 retired configurations had as many
    most = 4 * 2 + 1
    kids_after, fds_after = settle(fx.bridge, most)
    counts("reload_storm_under_load", children_before=kids_before, children_after=kids_after,
           fds_before=fds_before, fds_after=fds_after)
    # an environment holds a few descriptors of the gateway (pipes, a pidfd)
    h.ok(fds_after <= fds_before + 6 * max(0, kids_after - kids_before) + 4,
         "descriptors grew from %d to %d (children from %d to %d)"
         % (fds_before, fds_after, kids_before, kids_after))


def _worker_kills(name, bridge, port, status, body):
    """6 clients run 300 ms invocations for 3 s while a worker of `fault`
    is SIGKILLed every 200 ms: a request fails only if a kill came while it
    ran (or just before: an idle worker the gateway had not yet seen die),
    with the API type's error, and the bridge serves on."""
    rng = random.Random(12)
    kills = []
    load = Load(port, ["/fault?do=sleep&ms=300"], threads=6, max_time=20.0)
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0:
            time.sleep(0.2)
            busy = workers(bridge, "fault")
            if busy:
                victim = rng.choice(busy)
                try:
                    os.kill(victim, signal.SIGKILL)
                    kills.append((time.monotonic(), victim))
                except ProcessLookupError:
                    pass
    finally:
        load.stop()
    counts(name, killed=len(kills), **load.counts())
    h.ok(bridge.alive(), "the bridge died")
    h.ok(len(kills) >= 8, "only %d workers killed" % len(kills))
    wrong = [r for r in load.failures if (r[3], r[4]) != (status, body)]
    none_of(wrong, "failures other than %d %r" % (status, body))
    h.ok(len(load.failures) <= len(kills),
         "%d requests failed for %d kills" % (len(load.failures), len(kills)))
    h.ok(load.failures, "no request failed: no kill hit a running invocation")
    # a worker killed while idle is seen dead by the supervisor (its
    # pidfd) a moment later; a request handed to it in between fails too
    # (it ran on the killed environment), so a kill up to SEEN_DEAD before
    # a request's start explains its failure as well
    unexplained = [r for r in load.failures
                   if not any(r[0] - SEEN_DEAD <= t <= r[1] for t, _ in kills)]
    none_of(unexplained, "failed requests that ran during no kill")
    for _ in range(10):
        h.status_is(h.http(port, "GET", "/fault?do=pid", timeout=LIMIT), 200)
    settle(bridge, 16)


@g.test
def worker_kills_under_load_rest(fx):
    _worker_kills("worker_kills_under_load_rest", fx.bridge, fx.port, 502, REST_ISE)


@g.test
def worker_kills_under_load_http(fx):
    _worker_kills("worker_kills_under_load_http", fx.http_bridge, fx.http_port, 500, HTTP_ISE)


def _spin_connection(sock):
    """BEGIN_REQUEST and 3 bytes of the next record's header, then nothing
    (the stall that spun the gateway in issue 12)."""
    s = fcgi_connect(sock)
    s.sendall(_record(BEGIN_REQUEST, 1, bytes([0, 1, 1, 0, 0, 0, 0, 0])) + bytes([1, 4, 0]))
    return s


def _non_reader(sock, size):
    """A complete request for a `size`-byte answer that is never read."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(sock)
    s.sendall(fcgi_get("/ctl", "do=big&n=%d" % size))
    return s


def _waiting(s):
    """Whether bytes wait to be read on s."""
    try:
        return len(s.recv(16, socket.MSG_PEEK | socket.MSG_DONTWAIT)) > 0
    except BlockingIOError:
        return False


def _cpu(bridge):
    return proc_stat(bridge.proc.pid)[2]


@g.test
def stalled_and_slow_clients(fx):
    """20 FastCGI connections stalled inside a record header and 4 that do
    not read a 4 MB answer, straight at the bridge's socket: requests
    through nginx go on succeeding, and the gateway does not burn CPU
    (at most 10% of a core more while idle than with no client at all, and
    under load at most 25% of a core more than the same load costs without
    them)."""
    b, port = fx.http_bridge, fx.http_port
    h.status_is(h.http(port, "GET", "/ctl?do=pid", timeout=LIMIT), 200)
    # the cost of the load alone
    c0 = _cpu(b)
    base = Load(port, ["/ctl?do=pid", "/fault?do=pid"], threads=2, max_time=2.0)
    time.sleep(2.0)
    base.stop()
    base_cpu = _cpu(b) - c0
    none_of(base.failures, "failures without stalled clients")
    # what the gateway costs doing nothing (a sanitizer build has threads
    # of its own that take some)
    time.sleep(0.5)
    c0, t0 = _cpu(b), time.monotonic()
    time.sleep(1.0)
    quiet_cpu = (_cpu(b) - c0) / (time.monotonic() - t0)
    held = []
    try:
        held += [_spin_connection(b.sock) for _ in range(20)]
        held += [_non_reader(b.sock, 4 * 1024 * 1024) for _ in range(4)]
        # the big answers are made and stuck once each has begun to arrive
        h.wait_until(lambda: all(_waiting(x) for x in held[20:]), LIMIT,
                     "the answers to the non-reading clients")
        time.sleep(0.5)
        c0, t0 = _cpu(b), time.monotonic()
        time.sleep(2.0)
        idle_cpu, idle_wall = _cpu(b) - c0, time.monotonic() - t0
        c0 = _cpu(b)
        load = Load(port, ["/ctl?do=pid", "/fault?do=pid"], threads=2, max_time=2.0)
        time.sleep(2.0)
        load.stop()
        load_cpu = _cpu(b) - c0
        # the non-readers were answered: bytes wait in their sockets
        pending = sum(_waiting(s) for s in held[20:])
    finally:
        for s in held:
            s.close()
    counts("stalled_and_slow_clients", stalled=20, not_reading=4,
           cpu_quiet="%.2fs/s" % quiet_cpu,
           cpu_idle="%.2fs/%.1fs" % (idle_cpu, idle_wall),
           cpu_load="%.2fs" % load_cpu, cpu_load_alone="%.2fs" % base_cpu,
           sent_alone=base.sent, **load.counts())
    h.ok(b.alive(), "the bridge died")
    h.eq(pending, 4, "non-reading clients with an answer waiting")
    none_of(load.failures, "failed requests beside stalled clients (%d of %d)"
            % (len(load.failures), load.sent))
    h.ok(load.sent >= 20, "only %d requests beside stalled clients" % load.sent)
    h.ok(idle_cpu <= (quiet_cpu + 0.1) * idle_wall,
         "the gateway used %.2f s of CPU in %.1f s with only stalled clients"
         " (%.2f s/s with none)" % (idle_cpu, idle_wall, quiet_cpu))
    h.ok(load_cpu <= base_cpu + 0.5,
         "the gateway used %.2f s of CPU under load beside stalled clients, %.2f s without"
         % (load_cpu, base_cpu))
    h.status_is(h.http(port, "GET", "/ctl?do=pid", timeout=LIMIT), 200)


@g.test
def module_copied_in_place_under_load(fx):
    """`cp other.so module.so` (the same inode rewritten) every 100 ms for
    3 s under --watch while 4 clients call the module: no request fails
    (every configuration runs its own copy of the code), and the last copy
    is served once it has stood still."""
    mods = fx.env.path(fx.env.unique("mods"))
    os.mkdir(mods)
    module = os.path.join(mods, "fault.so")
    variants = [os.path.join(h.TEST_HANDLERS, "integ_fault.so"),
                os.path.join(h.TEST_HANDLERS, "integ_fault_b.so")]
    shutil.copyfile(variants[0], module)
    bridge = h.start_bridge(fx.env, _config(fx.env, "rest", module=module),
                            extra_args=["--watch"])
    port = h.start_nginx(fx.env, bridge.sock).port
    r = h.http(port, "GET", "/fault?do=pid", timeout=LIMIT)
    h.status_is(r, 200)
    h.eq(r.json()["variant"], 1, "variant before any copy")
    off = bridge.log_size()
    load = Load(port, ["/fault?do=sleep&ms=5", "/fault?do=pid"], threads=4, max_time=20.0)
    copies = 0
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0:
            copies += 1
            shutil.copyfile(variants[copies % 2], module)  # O_TRUNC, then write
            time.sleep(0.1)
        if copies % 2 == 0:
            copies += 1
            shutil.copyfile(variants[1], module)
        time.sleep(0.3)
    finally:
        load.stop()
    log = bridge.log_since(off)
    counts("module_copied_in_place_under_load", copies=copies,
           reloads=len(re.findall(r"reloaded '", log)),
           rejected=len(re.findall(r"reload rejected", log)), **load.counts())
    h.ok(bridge.alive(), "the bridge died")
    h.ok(load.sent >= 20, "only %d requests during the copies" % load.sent)
    none_of(load.failures, "failed requests while the module was copied over "
            "(%d of %d)" % (len(load.failures), load.sent))

    def variant_2():
        r = h.http(port, "GET", "/fault?do=pid", timeout=LIMIT)
        return r.status == 200 and r.json()["variant"] == 2
    h.wait_until(variant_2, 5, "variant 2 served after the last copy")


@g.test
def gateway_sigkill_ends_workers(fx):
    """A gateway killed with SIGKILL while a worker is busy (and has a child
    in a session of its own): within 3 s no worker, spare or descendant of
    one is left running."""
    bridge = h.start_bridge(fx.env, _config(fx.env, "rest"))
    gw = bridge.proc.pid
    tree = set()
    s = fcgi_connect(bridge.sock)
    try:
        s.sendall(fcgi_get("/fault", "do=fork&ms=20000"))
        def forked():
            """The worker has started its child (a grandchild of the
            gateway); remembers every process seen, for the cleanup."""
            now = descendants(gw)
            tree.update(now)
            return len(now) > len(children(gw))
        h.wait_until(forked, 5, "a busy worker with a child", bridge.proc)
        tree = descendants(gw)
        os.kill(gw, signal.SIGKILL)
        bridge.proc.p.wait(5)
        end = time.monotonic() + 3
        while time.monotonic() < end and any(alive(p) for p in tree):
            time.sleep(0.05)
        left = sorted("%d %s" % (p, cmdline(p)) for p in tree if alive(p))
        counts("gateway_sigkill_ends_workers", processes=len(tree), left=len(left))
        h.ok(not left, "%d of the bridge's %d processes still run 3 s after its SIGKILL: %s"
             % (len(left), len(tree), "; ".join(left)))
    finally:
        s.close()
        # the child is in a session of its own: the group kill misses it
        for p in tree:
            if alive(p):
                os.kill(p, signal.SIGKILL)
