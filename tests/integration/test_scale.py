"""Group `scale`: three bridges behind one nginx upstream (round robin)
sharing their limits through a redis-server started here
(gateway.shared_state, docs/scale-out.md): a reserved concurrency, a
usage plan's quota and a burst exact across the bridges, the leases of a
bridge killed with SIGKILL back after their expiry, and Redis stopped and
started again under load in "local" and "closed" modes."""

import os
import re
import shutil
import signal
import sys
import threading
import time

import harness as h

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
KEY = ("x-api-key", "metered-key-0123456789abc")
LEASE_TTL = 2.0
THROTTLED = '{"message":"Too Many Requests"}'

g = h.Group("scale", __doc__.split("\n")[0].rstrip(":") + " (redis-server)")


def start_redis(env, port):
    """redis-server on 127.0.0.1:PORT, without persistence (a test's)."""
    proc = env.spawn("redis", [REDIS, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", env.dir,
                               "--daemonize", "no"])
    h.wait_until(lambda: h.tcp_accepts(port), h.START_TIMEOUT,
                 "redis-server to accept on %d" % port, proc)
    return proc


def start_upstream_nginx(env, socks):
    """nginx (nginx/run.conf.in) with every bridge of `socks` in its
    upstream, round robin."""
    servers = "".join("        server unix:%s;\n" % s for s in socks)
    return h.start_nginx(env, socks[0], lambda text: text.replace(
        "        server unix:%s;\n" % socks[0], servers))


class Cluster:
    def __init__(self, env, redis_port, failure, n):
        self.config = h.write_config(
            env, "scale", REDIS="redis://127.0.0.1:%d/0" % redis_port,
            FAILURE=failure, LEASE_TTL=LEASE_TTL)
        self.bridges = [h.start_bridge(env, self.config) for _ in range(n)]
        for b in self.bridges:
            b.wait_log(r"shared state: connected to redis", 10)
        self.nginx = start_upstream_nginx(env, [b.sock for b in self.bridges])
        self.port = self.nginx.port

    def get(self, path, headers=()):
        return h.http(self.port, "GET", path, headers=list(headers), timeout=30)

    def offsets(self):
        return [b.log_size() for b in self.bridges]

    def served(self, offs, pattern):
        """How many access lines matching `pattern` each bridge wrote."""
        return [len(re.findall(r'"GET %s[^"]*" \d+' % pattern, b.log_since(o)))
                for b, o in zip(self.bridges, offs)]


class Fixture:
    pass


@g.setup
def setup(env):
    if not os.access(REDIS, os.X_OK):
        raise h.Skip("redis-server is not installed (scripts/install-deps)")
    h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"),
                   os.path.join(h.TEST_HANDLERS, "authz.so"))
    fx = Fixture()
    fx.env = env
    fx.redis_port = h.free_port()
    fx.redis = start_redis(env, fx.redis_port)
    fx.c = Cluster(env, fx.redis_port, "local", 3)
    fx.bridge = fx.c.bridges[0]  # for the diagnostics
    fx.server = fx.c.nginx
    return fx


def statuses(resps):
    return sorted(r.status for r in resps)


def concurrency_is_two(c, what):
    """6 requests at once, each holding its environment 1.5 s: exactly 2
    run, 4 are throttled (429), whichever bridges they reach."""
    offs = c.offsets()
    rs = h.parallel([lambda: c.get("/two?do=sleep&ms=1500") for _ in range(6)])
    h.eq(statuses(rs), [200, 200, 429, 429, 429, 429], "%s: statuses" % what)
    for r in rs:
        if r.status == 429:
            h.eq(r.body.decode(), THROTTLED, "%s: a throttled request's body" % what)
    per = c.served(offs, "/two")
    h.ok(sum(1 for n in per if n > 0) >= 2,
         "%s: the requests reached several bridges (%r)" % (what, per))


@g.test
def reserved_concurrency_across_bridges(fx):
    """reserved_concurrency = 2 holds across the three bridges (each would
    let 2 run on its own: 6), and the leases come back when the calls end:
    the same again passes the same way."""
    concurrency_is_two(fx.c, "first")
    concurrency_is_two(fx.c, "again")


@g.test
def lease_pool_never_over_the_cap(fx):
    """reserved_concurrency = 16, where each bridge may keep a spare lease
    while half the cap is free: 24 requests at once holding their
    environments 1.5 s never run more than 16 at once, whichever bridges
    hold spares; most run (spares keep at most one slot each from the
    others); and again once they have ended."""
    for what in ("first", "again"):
        rs = h.parallel([lambda: fx.c.get("/sixteen?do=sleep&ms=1500")
                         for _ in range(24)])
        ok = sum(1 for r in rs if r.status == 200)
        h.ok(10 <= ok <= 16, "%s: %d of 24 ran (%r)" % (what, ok, statuses(rs)))
        h.eq(sorted(set(r.status for r in rs)), [200, 429], "%s: statuses" % what)


@g.test
def authorizer_leases_across_bridges(fx):
    """A Lambda authorizer's function with reserved_concurrency = 1: of 3
    requests at once whose authorizer sleeps (then fails: 500 each), one
    runs it and two are throttled by the shared lease, whichever bridges
    they reach (each bridge alone would have run one)."""
    offs = fx.c.offsets()
    rs = h.parallel([lambda i=i: fx.c.get("/authed", [("Authorization", "sleep#%d" % i)])
                     for i in range(3)])
    h.eq([r.status for r in rs], [500] * 3, "statuses")
    refused = sum(len(re.findall(r"authorizer 'tok' failed: throttled \(shared",
                                 b.log_since(o)))
                  for b, o in zip(fx.c.bridges, offs))
    h.eq(refused, 2, "authorizer invocations refused a shared lease")


@g.test
def quota_across_bridges(fx):
    """A usage plan's quota of 5 a day: exactly 5 of 12 requests pass,
    spread over the bridges round robin (each would have let 5 through)."""
    offs = fx.c.offsets()
    rs = [fx.c.get("/metered?do=pid", [KEY]) for _ in range(12)]
    h.eq([r.status for r in rs], [200] * 5 + [429] * 7, "statuses in order")
    h.eq(rs[-1].body.decode(), '{"message":"Limit Exceeded"}', "the 429's body")
    per = fx.c.served(offs, "/metered")
    h.ok(sum(1 for n in per if n > 0) >= 2, "several bridges served (%r)" % per)


@g.test
def scripts_flushed(fx):
    """SCRIPT FLUSH on the server (what a restart does to the scripts):
    the next call answers NOSCRIPT, its bridge sends the script's source
    (which loads it for all), no request fails, and the shared cap still
    holds."""
    r = h.run_cmd([REDIS_CLI, "-p", str(fx.redis_port), "SCRIPT", "FLUSH"], timeout=10)
    h.eq(r.stdout.strip(), "OK", "SCRIPT FLUSH")
    for r in [fx.c.get("/two?do=pid") for _ in range(6)]:
        h.eq(r.status, 200, "after the flush")
    n = sum(counters(b)["noscript"] for b in fx.c.bridges)
    h.ok(n >= 1, "scripts sent again: %d" % n)
    concurrency_is_two(fx.c, "after the flush")


def alive_keys(port):
    r = h.run_cmd([REDIS_CLI, "-p", str(port), "KEYS", "lb:scaleinteg:$default:alive:*"],
                  timeout=10)
    return len(r.stdout.split())


@g.test
def reload_hands_back(fx):
    """SIGHUP on every bridge: each new configuration connects as a new
    instance, and each old one, once its last request has ended, gives
    its spare leases back and deletes its alive key on the way out, so
    that what it held is free at once rather than after its expiry; the
    shared cap holds as before."""
    h.eq(alive_keys(fx.redis_port), 3, "alive keys before")
    offs = fx.c.offsets()
    for b in fx.c.bridges:
        b.signal(signal.SIGHUP)
    for b, o in zip(fx.c.bridges, offs):
        b.wait_log(r"reloaded '", 10, o)
        b.wait_log(r"shared state: connected to redis", 10, o)
    h.wait_until(lambda: alive_keys(fx.redis_port) == 3, 1.0,
                 "the old instances' alive keys gone (%d)" % alive_keys(fx.redis_port))
    concurrency_is_two(fx.c, "after the reload")


@g.test
def burst_across_bridges(fx):
    """A route with a burst of 4 and no refill: exactly 4 of 10 pass across
    the bridges (each would have let 4 through)."""
    rs = [fx.c.get("/burst?do=pid") for _ in range(10)]
    h.eq([r.status for r in rs], [200] * 4 + [429] * 6, "statuses in order")
    h.eq(rs[-1].body.decode(), THROTTLED, "the 429's body")


def load(c, path, n, threads=4):
    """n requests from `threads` clients; returns the responses."""
    out, lock = [], threading.Lock()

    def client(k):
        for _ in range(k):
            r = c.get(path)
            with lock:
                out.append(r)
    h.parallel([lambda: client(n // threads) for _ in range(threads)])
    return out


def run_while(c, path, n, action, delay=0.3):
    """load() on a thread while `action` runs (after `delay` s); the
    responses."""
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("r", load(c, path, n)), daemon=True)
    t.start()
    time.sleep(delay)
    action()
    t.join(60)
    h.ok(not t.is_alive(), "the load finished")
    return res.get("r", [])


def counters(b):
    off = b.log_size()
    b.signal(signal.SIGUSR1)
    text = b.wait_log(r"shared state: \w+ .*\n", 5, off)
    line = re.search(r"shared state: (\w+) (.*)\n", text)
    d = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line.group(2))}
    d["state"] = line.group(1)
    return d


def leases(port):
    """The leases of function `two` in Redis, every instance's summed (the
    hash the admit script keeps: instance id -> leases)."""
    r = h.run_cmd([REDIS_CLI, "-p", str(port), "HVALS", "lb:scaleinteg:$default:conc:fn:two"],
                  timeout=10)
    return sum(int(v) for v in r.stdout.split())


def shared_metrics(c):
    """The lambdabridge_shared_state_* samples of one bridge's metrics
    (whichever nginx picks), read with Prometheus's own parser:
    {(name, result label or None): value}."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")  # Debian's, for another python3
        from prometheus_client.parser import text_string_to_metric_families
    r = c.get("/metrics")
    h.status_is(r, 200)
    out = {}
    for fam in text_string_to_metric_families(r.body.decode()):
        for s in fam.samples:
            if s.name.startswith("lambdabridge_shared_state_"):
                out[(s.name, s.labels.get("result"))] = s.value
    return out


def wait_back(c, offs):
    for b, o in zip(c.bridges, offs):
        b.wait_log(r"redis at .* is back: shared limits resume", 15, o)


@g.test
def redis_stopped_under_load_local(fx):
    """shared_state_failure = "local": Redis stopped in the middle of 200
    requests fails none of them (the bridges go on with local limits, and
    each says so once); started again, every bridge says it is back by
    itself and the shared cap holds again."""
    m = shared_metrics(fx.c)
    h.eq(m.get(("lambdabridge_shared_state_up", None)), 1.0, "metrics: up with Redis")
    h.ok(m.get(("lambdabridge_shared_state_admissions_total", "admitted"), 0) >= 1,
         "metrics: admissions counted: %r" % m)
    offs = fx.c.offsets()
    rs = run_while(fx.c, "/ctl?do=pid", 200, lambda: fx.redis.stop(signal.SIGKILL))
    h.eq(len(rs), 200, "responses")
    h.eq([r.status for r in rs if r.status != 200], [], "failed requests")
    # every bridge notices at its next call at the latest
    for r in [fx.c.get("/ctl?do=pid") for _ in range(6)]:
        h.eq(r.status, 200, "without Redis")
    for b, o in zip(fx.c.bridges, offs):
        text = b.wait_log(r"serving with local limits", 5, o)
        h.eq(len(re.findall(r"serving with local limits", text)), 1,
             "the change logged once")
    st = counters(fx.c.bridges[0])
    h.eq(st["state"], "down", "SIGUSR1 state")
    h.ok(st["downs"] >= 1 and st["failed_local"] >= 1, "counted: %r" % st)
    for _ in range(3):  # whichever bridge answers, it knows
        m = shared_metrics(fx.c)
        h.eq(m.get(("lambdabridge_shared_state_up", None)), 0.0, "metrics: up without Redis")
        h.ok(m.get(("lambdabridge_shared_state_downs_total", None), 0) >= 1,
             "metrics: the change counted: %r" % m)
    offs = fx.c.offsets()
    fx.redis = start_redis(fx.env, fx.redis_port)
    wait_back(fx.c, offs)
    concurrency_is_two(fx.c, "Redis back")
    h.eq(counters(fx.c.bridges[0])["state"], "up", "SIGUSR1 state")
    h.eq(shared_metrics(fx.c).get(("lambdabridge_shared_state_up", None)), 1.0,
         "metrics: up again")


@g.test
def redis_stopped_closed(fx):
    """shared_state_failure = "closed" (two more bridges): Redis stopped
    under 800 requests (each served or refused, none failing), then every
    request is refused with the throttle response; with Redis back, they
    pass again."""
    c = Cluster(fx.env, fx.redis_port, "closed", 2)
    h.eq(c.get("/ctl?do=pid").status, 200, "with Redis")
    offs = c.offsets()
    # stopped under load: each request is served or refused, none fails
    rs = run_while(c, "/ctl?do=pid", 800, lambda: fx.redis.stop(signal.SIGKILL), 0.1)
    h.eq(sorted(set(r.status for r in rs) - {200, 429}), [], "statuses under load")
    h.ok(any(r.status == 429 for r in rs), "some refused under load")
    rs = [c.get("/ctl?do=pid") for _ in range(10)]
    h.eq([r.status for r in rs], [429] * 10, "statuses without Redis")
    h.eq(rs[0].body.decode(), THROTTLED, "the body")
    for b, o in zip(c.bridges, offs):
        b.wait_log(r"refusing requests with the throttle response", 5, o)
    offs = c.offsets()
    fx.redis = start_redis(fx.env, fx.redis_port)
    wait_back(c, offs)
    rs = [c.get("/ctl?do=pid") for _ in range(4)]
    h.eq([r.status for r in rs], [200] * 4, "statuses with Redis back")
    st = counters(c.bridges[0])
    h.ok(st["failed_closed"] >= 1, "refusals counted: %r" % st)
    for b in c.bridges:
        b.proc.stop()
    c.nginx.proc.stop()


@g.test
def killed_bridge_leases_expire(fx):
    """A bridge killed with SIGKILL while it holds both leases of the
    reserved function: the others throttle that function at once, and the
    slots come back once the dead bridge's leases expire
    (shared_lease_ttl = 2 s here), with nothing giving them back."""
    c, dead = fx.c, fx.c.bridges[0]
    front = h.start_nginx(fx.env, dead.sock)  # to reach that bridge alone
    held = []
    ts = [threading.Thread(target=lambda: held.append(
        h.http(front.port, "GET", "/two?do=sleep&ms=8000", timeout=30)), daemon=True)
        for _ in range(2)]
    for t in ts:
        t.start()
    h.wait_until(lambda: leases(fx.redis_port) == 2, 10,
                 "both leases taken (by the first bridge, the only one called)")
    os.kill(dead.proc.pid, signal.SIGKILL)
    t0 = time.monotonic()
    first = c.get("/two?do=pid")
    h.eq(first.status, 429, "right after the kill: the dead bridge's leases count")
    back = None
    deadline = t0 + LEASE_TTL * 3 + 5
    while time.monotonic() < deadline:
        r = c.get("/two?do=pid")
        if r.status == 200:
            back = time.monotonic() - t0
            break
        time.sleep(0.2)
    h.ok(back is not None, "the slots came back")
    print("   slots back %.2f s after the kill (lease ttl %.1f s)" % (back, LEASE_TTL))
    for t in ts:
        t.join(35)
