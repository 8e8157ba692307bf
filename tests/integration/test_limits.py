"""Group limits (issue 4): timeouts, concurrency caps, crashes, client
disconnects and the daemon's signals, through nginx, with integ_ctl
(tests/handlers/integ_fn.c) from conf/limits.conf.in:

    ctl   timeout 1 s, 128 MB        slow  timeout 5 s
    one   reserved_concurrency = 1   echo  integ_echo, INTEG_VALUE = @VALUE@
    integration_timeout = 2 s

A REST bridge and an HTTP API bridge run side by side; the signal tests use
the REST one and SIGTERM comes last (it stops that bridge).
"""

import os
import re
import signal
import socket
import threading
import time

import harness as h

REST_ISE = b'{"message": "Internal server error"}'
HTTP_ISE = b'{"message":"Internal Server Error"}'
REST_TIMEOUT = b'{"message": "Endpoint request timed out"}'
HTTP_TIMEOUT = b'{"message":"Service Unavailable"}'


# Every request here is answered within a few seconds by a working bridge
# (integration timeout 2 s, function timeouts 1 and 5 s); a shorter bound
# than the harness default keeps a broken bridge from stalling the run.
LIMIT = 12.0


def http(port, method, path, **kw):
    kw.setdefault("timeout", LIMIT)
    return h.http(port, method, path, **kw)


class Fx:
    pass


def _setup(env):
    h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"))
    fx = Fx()
    fx.env = env
    fx.config = h.write_config(env, "limits", name="limits-rest.conf", api="rest", value="v1")
    fx.bridge = h.start_bridge(env, fx.config)
    fx.server = h.start_nginx(env, fx.bridge.sock)
    fx.port = fx.server.port
    fx.http_config = h.write_config(env, "limits", name="limits-http.conf", api="http",
                                    value="v1")
    fx.http_bridge = h.start_bridge(env, fx.http_config)
    fx.http_server = h.start_nginx(env, fx.http_bridge.sock)
    fx.http_port = fx.http_server.port
    return fx


g = h.Group("limits", "timeouts, throttling, crashes, disconnects, SIGHUP/SIGUSR1/SIGTERM",
            setup=_setup)


def pid(port, fn="ctl"):
    r = http(port, "GET", "/%s?do=pid" % fn)
    h.status_is(r, 200)
    return r.json()["pid"]


def timed(port, path):
    t0 = time.monotonic()
    r = http(port, "GET", path)
    return r, time.monotonic() - t0


def expect_error(r, status, body, what):
    if r.status != status:
        raise AssertionError("%s: expected %d, got %d %r" % (what, status, r.status, r.body[:300]))
    h.eq(r.body, body, what + " body")


@g.test
def function_timeout_rest(fx):
    before = pid(fx.port)
    r, took = timed(fx.port, "/ctl?do=sleep&ms=3000")
    expect_error(r, 502, REST_ISE, "function timeout (timeout = 1)")
    h.eq(r.header("x-amzn-ErrorType"), "InternalServerErrorException", "x-amzn-ErrorType")
    h.ok(0.8 <= took <= 2.5, "502 after %.2f s, expected about 1 s" % took)
    after = pid(fx.port)
    h.ok(after != before, "the environment that timed out served again (pid %d)" % after)


@g.test
def function_timeout_http(fx):
    r, took = timed(fx.http_port, "/ctl?do=spin")
    expect_error(r, 500, HTTP_ISE, "spinning function (timeout = 1)")
    h.ok(0.8 <= took <= 2.5, "500 after %.2f s, expected about 1 s" % took)
    pid(fx.http_port)


@g.test
def integration_timeout_rest(fx):
    r, took = timed(fx.port, "/slow?do=sleep&ms=3500")
    expect_error(r, 504, REST_TIMEOUT, "integration timeout (2 s) before the function's (5 s)")
    h.ok(1.7 <= took <= 3.2, "504 after %.2f s, expected about 2 s" % took)


@g.test
def integration_timeout_http(fx):
    r, took = timed(fx.http_port, "/slow?do=sleep&ms=3500")
    expect_error(r, 503, HTTP_TIMEOUT, "integration timeout (2 s) before the function's (5 s)")
    h.ok(1.7 <= took <= 3.2, "503 after %.2f s, expected about 2 s" % took)


def _throttle(port, status, body):
    results = h.parallel([lambda: http(port, "GET", "/one?do=sleep&ms=1500"),
                          lambda: (time.sleep(0.3), http(port, "GET", "/one?do=pid"))[1]])
    statuses = sorted(r.status for r in results)
    h.eq(statuses, sorted([200, status]),
         "statuses with reserved_concurrency = 1 and 2 clients (%r)" % [r.body for r in results])
    h.eq(results[1].body, body, "throttled body")
    # the slot is free again
    h.status_is(http(port, "GET", "/one?do=pid"), 200)


@g.test
def reserved_concurrency_rest(fx):
    """docs/design.md 2: a Lambda throttle is INTEGRATION_FAILURE, 500 on REST."""
    _throttle(fx.port, 500, REST_ISE)


@g.test
def reserved_concurrency_http(fx):
    _throttle(fx.http_port, 500, HTTP_ISE)


TOO_MANY = b'{"message":"Too Many Requests"}'


def _route_throttling(port, rest):
    t0 = time.monotonic()
    rs = [http(port, "GET", "/limited?do=pid") for _ in range(4)]
    h.ok(time.monotonic() - t0 < 1.9, "4 requests took too long to test a 0.5/s rate")
    h.eq([r.status for r in rs], [200, 200, 429, 429], "burst 2, then throttled")
    for r in rs[2:]:
        expect_error(r, 429, TOO_MANY, "throttled")
        if rest:
            h.eq(r.header("x-amzn-ErrorType"), "TooManyRequestsException", "x-amzn-ErrorType")
            h.ok(r.header("x-amzn-RequestId"), "x-amzn-RequestId on a 429")
        else:
            h.eq(r.header("x-amzn-ErrorType"), None, "no x-amzn-ErrorType on an HTTP API")
            h.ok(r.header("apigw-requestid"), "apigw-requestid on a 429")
    # another route of the same function is not throttled
    h.status_is(http(port, "GET", "/ctl?do=pid"), 200)
    # a token every 2 s
    time.sleep(2.2)
    h.eq([http(port, "GET", "/limited?do=pid").status for _ in range(2)], [200, 429],
         "one token back after 2.2 s")


@g.test
def route_throttling_rest(fx):
    """The gateway's token bucket (throttling_rate_limit/burst_limit): 429."""
    _route_throttling(fx.port, True)


@g.test
def route_throttling_http(fx):
    _route_throttling(fx.http_port, False)


def _fails_then_serves(fx, action, status=502, body=REST_ISE):
    r = http(fx.port, "GET", "/ctl?do=" + action)
    expect_error(r, status, body, "do=" + action)
    h.ok(fx.bridge.alive(), "the bridge died")
    for i in range(2):
        r = http(fx.port, "GET", "/ctl?do=pid")
        h.status_is(r, 200)


@g.test
def crash(fx):
    _fails_then_serves(fx, "crash")


@g.test
def abort(fx):
    _fails_then_serves(fx, "abort")


@g.test
def exit_(fx):
    _fails_then_serves(fx, "exit")


@g.test
def leak_to_memory_limit(fx):
    _fails_then_serves(fx, "leak")


@g.test
def function_error(fx):
    _fails_then_serves(fx, "error")


@g.test
def response_over_six_megabytes(fx):
    _fails_then_serves(fx, "big&n=%d" % (7 * 1024 * 1024))


@g.test
def response_under_six_megabytes(fx):
    r = http(fx.port, "GET", "/ctl?do=big&n=%d" % (5 * 1024 * 1024))
    h.status_is(r, 200)
    h.eq(len(r.body), 5 * 1024 * 1024, "body length")


@g.test
def log_flood(fx):
    """8 MB of log lines in one invocation: logged, not a failure."""
    off = fx.bridge.log_size()
    r = http(fx.port, "GET", "/ctl?do=flood")
    h.status_is(r, 200)
    h.status_is(http(fx.port, "GET", "/ctl?do=pid"), 200)
    h.ok("flood line 99999" in fx.bridge.wait_log("flood line 99999", 5, off),
         "the last flood line is not in the log")


@g.test
def client_disconnect_keeps_environment(fx):
    before = pid(fx.port, "slow")
    s = socket.create_connection(("127.0.0.1", fx.port), timeout=5)
    t0 = time.monotonic()
    s.sendall(b"GET /slow?do=sleep&ms=1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    time.sleep(0.3)
    s.close()
    time.sleep(max(0.0, 1.6 - (time.monotonic() - t0)))   # the invocation is over
    after = pid(fx.port, "slow")
    h.eq(after, before, "environment after a client disconnect (pid)")
    h.ok(fx.bridge.alive(), "the bridge died")


@g.test
def second_bridge_refused(fx):
    """A second bridge on the socket of a running one exits with a clear
    error instead of unlinking it (it used to serve alongside, taking new
    connections); the socket is the configured 0660 and the first bridge
    serves on.  A TCP address without a host is refused on -l as in the
    config."""
    sock = fx.http_bridge.sock
    before = os.stat(sock)
    h.eq(before.st_mode & 0o777, 0o660, "socket mode")
    if h.IS_ROOT:
        import grp
        h.eq(grp.getgrgid(before.st_gid).gr_name, h.unprivileged_user()[1], "socket group")
    r = h.run_cmd([h.LB_BIN, "-c", fx.http_config, "-l", "unix:" + sock], timeout=LIMIT)
    h.eq(r.returncode, 1, "exit status of the second bridge (%r)" % r.stderr)
    h.ok("cannot listen on 'unix:%s': a running process already serves it" % sock in r.stderr,
         "error: %r" % r.stderr)
    h.eq(os.stat(sock).st_ino, before.st_ino, "the socket's inode")
    h.eq(http(fx.http_port, "GET", "/echo").status, 200, "status through the first bridge")
    for addr in (":%d" % h.free_port(), "*:%d" % h.free_port(), "127.0.0.1:0"):
        r = h.run_cmd([h.LB_BIN, "-c", fx.http_config, "-l", addr], timeout=LIMIT)
        h.eq(r.returncode, 1, "exit status for -l %s (%r)" % (addr, r.stderr))
        h.ok(r.stderr.startswith("lambdabridge: -l '%s': " % addr), "error: %r" % r.stderr)


def _fcgi_record(rtype, content=b"", rid=1):
    return bytes([1, rtype, rid >> 8, rid & 255, len(content) >> 8, len(content) & 255,
                  0, 0]) + content


def _fcgi_request(uri):
    """A whole FastCGI GET request, kept (keep_conn)."""
    params = b""
    for k, v in (("REQUEST_METHOD", "GET"), ("REQUEST_URI", uri),
                 ("SERVER_PROTOCOL", "HTTP/1.1"), ("HTTP_HOST", "localhost")):
        params += bytes([len(k), len(v)]) + k.encode() + v.encode()
    return (_fcgi_record(1, b"\x00\x01\x01\x00\x00\x00\x00\x00") + _fcgi_record(4, params)
            + _fcgi_record(4) + _fcgi_record(5))


def _cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fcgi_counters(bridge):
    off = bridge.log_size()
    bridge.signal(signal.SIGUSR1)
    text = bridge.wait_log(r"fastcgi: connections=\d+.*\n", 5, off)
    line = re.search(r"fastcgi: (connections=\d+.*)\n", text).group(1)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


@g.test
def stalled_and_slow_fastcgi_clients(fx):
    """Straight at the FastCGI socket of a bridge with connection_timeout =
    3: 50 connections stalled inside a record header cost the gateway no
    CPU (they spun it at ~90% of a core before) and are closed after the
    timeout; a client that does not read a 5 MB answer is cut too and the
    answer's memory is released (SIGUSR1's fastcgi counters)."""
    cfg = fx.env.path("stall.conf")
    with open(cfg, "w") as f:
        f.write('gateway: { api = "rest"; connection_timeout = 3.0; %s\n'
                '  user = "%s"; group = "%s"; };\n'
                'functions = ( { name = "ctl"; module = "%s/integ_fn.so"; '
                'handler = "integ_ctl"; } );\n'
                'routes = ( { route = "GET /ctl"; function = "ctl"; } );\n'
                % ((h.listen_access(),) + h.unprivileged_user()
                   + (h.TEST_HANDLERS,)))
    bridge = h.start_bridge(fx.env, cfg)
    stalled = []
    try:
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(bridge.sock)
        slow.sendall(_fcgi_request("/ctl?do=big&n=%d" % (5 * 1024 * 1024)))
        for i in range(50):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(bridge.sock)
            s.sendall(_fcgi_record(1, b"\x00\x01\x01\x00\x00\x00\x00\x00")
                      + b"\x01\x04\x00\x01"[:3 + i % 2])
            stalled.append(s)
        t0 = time.monotonic()
        h.wait_until(lambda: _fcgi_counters(bridge)["buffered"] > 4 * 1024 * 1024, 5,
                     "the 5 MB answer buffered")
        cpu0 = _cpu_s(bridge.proc.pid)
        time.sleep(1.0)
        cpu = _cpu_s(bridge.proc.pid) - cpu0
        print("      gateway CPU with 50 stalled connections: %.2f s in 1 s" % cpu)
        h.ok(cpu < 0.3, "the gateway used %.2f s of CPU in 1 s" % cpu)
        for s in stalled:
            s.settimeout(max(0.1, t0 + 8 - time.monotonic()))
            h.eq(s.recv(1), b"", "a stalled connection closed by the bridge")
        took = time.monotonic() - t0
        h.ok(2.5 <= took < 8, "stalled connections closed after %.1f s" % took)
        h.wait_until(lambda: _fcgi_counters(bridge)["connections"] == 0, 5,
                     "every connection closed")
        c = _fcgi_counters(bridge)
        print("      fastcgi counters: %r" % c)
        h.eq(c["timed_out"], 51, "connections cut by the timeout")
        h.eq(c["buffered"], 0, "bytes buffered after the cuts")
    finally:
        for s in stalled:
            s.close()
    h.ok(bridge.alive(), "the bridge is alive")


def _load(port, total, threads, busy_until=None):
    """At least `total` requests over `threads` threads, going on while the
    `busy_until` event is unset (at most 3 x total, 60 s); returns the
    non-2xx ones and the number sent."""
    bad = []
    sent = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + 60

    def more():
        with lock:
            n = sent[0]
            if n >= 3 * total or time.monotonic() > deadline:
                return None
            if n >= total and (busy_until is None or busy_until.is_set()):
                return None
            sent[0] = n + 1
            return n

    def worker(k):
        while True:
            i = more()
            if i is None:
                return
            path = "/echo" if i % 2 else "/ctl?do=pid"
            try:
                r = http(port, "GET", path, timeout=20)
                st = r.status
            except AssertionError as e:
                st = str(e)
            if not (isinstance(st, int) and 200 <= st < 300):
                with lock:
                    bad.append((k, i, path, st))
    h.parallel([lambda k=k: worker(k) for k in range(threads)], timeout=90)
    return bad, sent[0]


def _write(fx, value=None, text=None):
    if text is None:
        text = h.substitute(os.path.join(h.CONF_DIR, "limits.conf.in"),
                            {"HANDLERS": h.HANDLERS, "TEST_HANDLERS": h.TEST_HANDLERS,
                             "API": "rest", "VALUE": value,
                             "LISTEN_ACCESS": h.listen_access()})
    tmp = fx.config + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, fx.config)


def echo_value(fx):
    r = http(fx.port, "GET", "/echo")
    h.status_is(r, 200)
    return r.json()["env"]


@g.test
def sighup_reload_under_load(fx):
    h.eq(echo_value(fx), "v1", "INTEG_VALUE before the reload")
    off = fx.bridge.log_size()
    done = threading.Event()

    def hupper():
        try:
            for i in range(3):
                time.sleep(0.25)
                _write(fx, "v%d" % (i + 2))
                fx.bridge.signal(signal.SIGHUP)
            time.sleep(0.25)
        finally:
            done.set()
    t = threading.Thread(target=hupper, daemon=True)
    t.start()
    try:
        bad, sent = _load(fx.port, 200, 3, busy_until=done)
    finally:
        t.join(5)
    h.eq(bad, [], "non-2xx responses among %d during 3 SIGHUP reloads" % sent)
    h.ok(fx.bridge.alive(), "the bridge died")
    fx.bridge.wait_log(r"reloaded", 5, off)
    h.wait_until(lambda: echo_value(fx) == "v4", 5, "INTEG_VALUE v4 after the reloads")


@g.test
def sighup_bad_config_keeps_old(fx):
    _write(fx, "v5")
    fx.bridge.signal(signal.SIGHUP)
    h.wait_until(lambda: echo_value(fx) == "v5", 5, "INTEG_VALUE v5")
    off = fx.bridge.log_size()
    _write(fx, text="gateway: { api = \"rest\"; };\nfunctions = ( { name = ; } );\n")
    fx.bridge.signal(signal.SIGHUP)
    fx.bridge.wait_log(r"reload rejected", 5, off)
    h.eq(echo_value(fx), "v5", "INTEG_VALUE after a rejected reload")
    h.status_is(http(fx.port, "GET", "/ctl?do=pid"), 200)
    _write(fx, "v5")


def children(ppid):
    """(pid, state, cmdline) of every child process of ppid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == ppid:
            out.append((int(d), fields[0], cmd))
    return out


@g.test
def provisioned_and_max_requests(fx):
    """`provisioned = 1` exists before the first request; `max_requests = 2`
    recycles the environment after its second request."""
    bpid = fx.http_bridge.proc.p.pid
    prov = [c for c in children(bpid) if " prov " in c[2]]
    h.eq(len(prov), 1, "provisioned environments before any request (%r)" % prov)
    first = pid(fx.http_port, "prov")
    h.eq(first, prov[0][0], "the first request runs in the provisioned environment")
    h.eq(pid(fx.http_port, "prov"), first, "second request, same environment")
    h.ok(pid(fx.http_port, "prov") != first, "third request: a recycled environment")


@g.test
def many_idle_connections(fx):
    """The event loop serves every connection at once: 300 FastCGI
    connections held open on the bridge (half of them with half a request)
    stop nothing, and closing them leaves nothing behind (docs/fastcgi-facts.md's
    keep_conn trap cannot happen)."""
    bpid = fx.http_bridge.proc.p.pid

    def sockets():
        n = 0
        for fd in os.listdir("/proc/%d/fd" % bpid):
            try:
                n += os.readlink("/proc/%d/fd/%s" % (bpid, fd)).startswith("socket:")
            except OSError:
                pass
        return n

    half = (bytes([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]) +  # BEGIN_REQUEST, keep
            bytes([1, 4, 0, 1, 0, 20, 0, 0]) + bytes([14, 3]) + b"REQUEST_METHOD")  # a PARAMS cut short
    base = sockets()
    base_conns = _fcgi_counters(fx.http_bridge)["connections"]
    held = []
    try:
        for i in range(300):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(fx.http_bridge.sock)
            if i % 2:
                s.sendall(half)
            held.append(s)
        end = time.monotonic() + 5
        while time.monotonic() < end and sockets() < base + 300:
            time.sleep(0.05)
        # the gateway's other sockets (nginx's kept connections, workers'
        # channels) may come and go meanwhile: its own count of FastCGI
        # connections settles it when the fds do not
        accepted = sockets() - base
        if accepted < 300:
            accepted = max(accepted, _fcgi_counters(fx.http_bridge)["connections"]
                           - base_conns)
        h.ok(accepted >= 300, "the bridge accepted %d of 300" % accepted)
        t0 = time.monotonic()
        for _ in range(20):
            h.status_is(http(fx.http_port, "GET", "/ctl?do=pid"), 200)
        h.ok(time.monotonic() - t0 < 5, "20 requests took %.1f s" % (time.monotonic() - t0))
    finally:
        for s in held:
            s.close()
    end = time.monotonic() + 5
    while time.monotonic() < end and sockets() > base + 40:
        time.sleep(0.05)
    h.ok(sockets() <= base + 40, "sockets after closing: %d, before: %d" % (sockets(), base))


@g.test
def no_fd_or_zombie_leak(fx):
    """Crashes, timeouts and errors leave no descriptors or zombies behind."""
    bpid = fx.http_bridge.proc.p.pid

    def fds():
        """The bridge's pipes and pidfds: every environment holds two pipes
        and a pidfd (and a socket, not counted: nginx may open or close
        FastCGI connections meanwhile, which are sockets too)."""
        n = 0
        for fd in os.listdir("/proc/%d/fd" % bpid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (bpid, fd))
            except OSError:
                continue
            n += target.startswith("pipe:") or target == "anon_inode:[pidfd]"
        return n

    def settled():
        """No zombies, and the spare worker (gateway.spare_workers = 1)
        in place: a cold start takes it and a new one starts 10 ms later,
        and each holds descriptors of the bridge."""
        kids = children(bpid)
        return (not [c for c in kids if c[1] == "Z"] and
                [c for c in kids if " __spare " in c[2]])
    def steady_fds():
        """The descriptor count once it holds still for 60 ms (a spare
        being started opens and closes some for a moment)."""
        seen = [fds()]
        end = time.monotonic() + 5
        while time.monotonic() < end and (len(seen) < 4 or len(set(seen[-4:])) > 1):
            time.sleep(0.02)
            seen.append(fds())
        return seen[-1]
    http(fx.http_port, "GET", "/ctl?do=pid")
    h.wait_until(settled, 5, "a spare worker and no zombies")
    before = steady_fds()
    for q in ("crash", "abort", "exit", "error", "pid", "crash"):
        http(fx.http_port, "GET", "/ctl?do=" + q)
    http(fx.http_port, "GET", "/ctl?do=sleep&ms=1500")  # function timeout
    http(fx.http_port, "GET", "/ctl?do=pid")
    h.wait_until(settled, 5, "zombies of the bridge to be reaped and a spare")
    after = steady_fds()
    h.ok(after <= before, "the bridge's descriptors grew from %d to %d" % (before, after))
    h.ok(fx.http_bridge.alive(), "the bridge died")


@g.test
def idle_environment_killed_from_outside(fx):
    """An idle environment killed from outside (the OOM killer, an operator)
    is noticed while idle (its pidfd): it is reaped at once, a provisioned
    one is replaced without waiting for a request, and the next request runs
    in a working environment instead of failing."""
    bpid = fx.http_bridge.proc.p.pid
    victim = pid(fx.http_port)  # idle again once answered
    os.kill(victim, signal.SIGKILL)
    h.wait_until(lambda: victim not in [c[0] for c in children(bpid)], 5,
                 "the killed idle environment to be reaped")
    r = http(fx.http_port, "GET", "/ctl?do=pid")
    h.status_is(r, 200)
    h.ok(r.json()["pid"] != victim, "the next request ran in another environment")
    # every environment of the provisioned function (earlier tests may have
    # left an on-demand one beside the provisioned one)
    prov = [c[0] for c in children(bpid) if " prov " in c[2] and c[1] != "Z"]
    h.ok(prov, "no environment of the provisioned function")
    for p in prov:
        os.kill(p, signal.SIGKILL)
    h.wait_until(lambda: [c for c in children(bpid)
                          if " prov " in c[2] and c[0] not in prov and c[1] != "Z"],
                 5, "a replacement provisioned environment")
    h.wait_until(lambda: not set(prov) & {c[0] for c in children(bpid)}, 5,
                 "the killed environments to be reaped")


@g.test
def watch_reloads_on_config_and_module_change(fx):
    """`--watch` reloads when the config file or a module file changes."""
    import shutil
    mods = fx.env.path(fx.env.unique("watchmods"))
    os.mkdir(mods)
    shutil.copy(os.path.join(h.TEST_HANDLERS, "integ_fn.so"), mods)
    w = Fx()
    w.config = h.write_config(fx.env, "limits", name="watch.conf", api="rest", value="w1",
                              test_handlers=mods)
    bridge = h.start_bridge(fx.env, w.config, extra_args=["--watch"])
    w.port = h.start_nginx(fx.env, bridge.sock).port
    h.eq(echo_value(w), "w1", "INTEG_VALUE before any change")
    text = h.substitute(os.path.join(h.CONF_DIR, "limits.conf.in"),
                        {"HANDLERS": h.HANDLERS, "TEST_HANDLERS": mods,
                         "API": "rest", "VALUE": "w2", "LISTEN_ACCESS": h.listen_access()})
    _write(w, text=text)
    h.wait_until(lambda: echo_value(w) == "w2", 5, "INTEG_VALUE w2 after editing the config")
    first = pid(w.port, "echo")
    off = bridge.log_size()
    later = time.time() + 5
    os.utime(os.path.join(mods, "integ_fn.so"), (later, later))
    bridge.wait_log(r"reloaded", 5, off)
    h.wait_until(lambda: pid(w.port, "echo") != first, 5,
                 "a new environment after the module changed")
    h.ok(bridge.alive(), "the bridge died")


@g.test
def sigusr1_prints_counters(fx):
    """Counters cover the running configuration (a reload starts new ones)."""
    for q in ("pid", "pid", "crash", "abort", "exit", "pid", "sleep&ms=1500", "pid"):
        http(fx.port, "GET", "/ctl?do=" + q)
    box = {}
    t = threading.Thread(target=lambda: box.update(r=http(fx.port, "GET", "/one?do=sleep&ms=800")),
                         daemon=True)
    t.start()
    time.sleep(0.3)
    h.status_is(http(fx.port, "GET", "/one?do=pid"), 500)  # throttled
    t.join(5)
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGUSR1)
    text = fx.bridge.wait_log(r"function one: .*max_duration_ms", 5, off)
    h.ok(fx.bridge.alive(), "the bridge died on SIGUSR1")
    import re
    line = re.search(r"function ctl: (.*)", text)
    h.ok(line, "no counters line for ctl: %r" % text[:800])
    c = dict(kv.split("=") for kv in line.group(1).split())
    for k in ("invocations", "errors", "throttles", "timeouts", "cold_starts",
              "concurrent", "max_duration_ms"):
        h.ok(k in c, "counter %s missing: %r" % (k, line.group(0)))
    h.ok(int(c["invocations"]) > 5, "ctl invocations: %r" % line.group(0))
    h.ok(int(c["errors"]) >= 3, "ctl errors (crash, abort, exit...): %r" % line.group(0))
    h.ok(int(c["timeouts"]) >= 1, "ctl timeouts: %r" % line.group(0))
    h.ok(int(c["cold_starts"]) >= 2, "ctl cold starts: %r" % line.group(0))
    one = re.search(r"function one: (.*)", text).group(1)
    h.ok(int(dict(kv.split("=") for kv in one.split())["throttles"]) >= 1,
         "throttles of the reserved function: %r" % one)
    # the gateway's own 429s (route throttling), since the last reload
    text = fx.bridge.wait_log(r"gateway: throttled=\d+", 5, off)
    h.ok(re.search(r"gateway: throttled=\d+ over_quota=\d+\n", text),
         "no gateway counters line: %r" % text[-300:])
    h.status_is(http(fx.port, "GET", "/limited?do=pid"), 200)
    h.status_is(http(fx.port, "GET", "/limited?do=pid"), 200)
    h.status_is(http(fx.port, "GET", "/limited?do=pid"), 429)
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGUSR1)
    text = fx.bridge.wait_log(r"gateway: throttled=\d+", 5, off)
    h.ok(int(re.search(r"gateway: throttled=(\d+)", text).group(1)) >= 1,
         "throttled counter: %r" % text[-300:])


@g.test
def sigterm_drains_and_exits_0(fx):
    """Last: stops the REST bridge."""
    box = {}

    def request():
        box["r"] = http(fx.port, "GET", "/slow?do=sleep&ms=1200")
    t = threading.Thread(target=request, daemon=True)
    t.start()
    time.sleep(0.4)
    t0 = time.monotonic()
    fx.bridge.signal(signal.SIGTERM)
    try:
        fx.bridge.proc.p.wait(15)
    except Exception:
        raise AssertionError("the bridge did not exit within 15 s of SIGTERM")
    t.join(10)
    h.ok("r" in box, "the in-flight request got no response")
    h.status_is(box["r"], 200)
    h.eq(fx.bridge.proc.p.returncode, 0, "exit status after SIGTERM")
    h.ok(time.monotonic() - t0 < 10, "drain took too long")
