"""Group metrics (issue 16): gateway.metrics_path through nginx.  The text
is read by Prometheus's own Python parser (python3-prometheus-client) and
checked for the format's rules; counts are compared exactly before and
after known traffic (invocations, a cold start, a function error, a
timeout, a Lambda throttle, the gateway's throttle and quota, a 4xx and a
5xx); the allow list is checked with the client addresses nginx's realip
module makes REMOTE_ADDR from (X-Real-IP); counters survive SIGHUP.

    conf/metrics-http.conf.in   HTTP API, metrics_path "/metrics",
                                metrics_allow unset (loopback)
    conf/metrics-rest.conf.in   REST API, "/internal/metrics" for
                                203.0.113.0/24 and 2001:db8::/32 only
"""

import math
import os
import re
import signal
import sys
import threading
import time

import harness as h

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LIMIT = 12.0


class Fx:
    pass


def start_nginx_realip(env, sock):
    """nginx from nginx/run.conf.in, but REMOTE_ADDR is the X-Real-IP the
    test sends (ngx_http_realip_module, trusting 127.0.0.1)."""
    def edit(text):
        marker = "        location / {"
        h.ok(marker in text, "nginx/run.conf.in has no 'location / {'")
        return text.replace(marker, "        set_real_ip_from 127.0.0.1;\n"
                            "        real_ip_header X-Real-IP;\n" + marker, 1)
    return h.start_nginx(env, sock, edit)


# Debian's python3-prometheus-client (pure Python) for a python3 that is
# not Debian's own (a pyenv's, say)
DEBIAN_PYTHON = "/usr/lib/python3/dist-packages"


def _setup(env):
    try:
        import prometheus_client.parser  # noqa: F401
    except ImportError:
        sys.path.append(DEBIAN_PYTHON)
        try:
            import prometheus_client.parser  # noqa: F401,F811
        except ImportError:
            raise h.SetupError("python3-prometheus-client is not installed "
                               "(scripts/install-deps)")
    h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"))
    fx = Fx()
    fx.env = env
    fx.config = h.write_config(env, "metrics-http", name="metrics-http.conf", value="v1",
                               extra_functions="", extra_routes="")
    fx.bridge = h.start_bridge(env, fx.config)
    fx.port = start_nginx_realip(env, fx.bridge.sock).port
    fx.rest_bridge = h.start_bridge(env, h.write_config(env, "metrics-rest"))
    fx.rest_port = start_nginx_realip(env, fx.rest_bridge.sock).port
    return fx


g = h.Group("metrics", "gateway.metrics_path: Prometheus text, exact counts, allow list, reload",
            setup=_setup)


def http(port, method, path, headers=(), **kw):
    kw.setdefault("timeout", LIMIT)
    return h.http(port, method, path, list(headers), **kw)


# ------------------------------------------------------------ the text

def check_format(text):
    """The exposition format's rules, beyond what the parser enforces: one
    HELP and one TYPE per family, before its samples; every series once;
    counters named _total; histograms with ascending, cumulative buckets
    ending in +Inf == _count; the last line ends with a newline."""
    h.ok(text.endswith("\n"), "the text ends with a newline")
    helped, typed, seen = set(), {}, set()
    family = None
    for line in text.split("\n")[:-1]:
        h.ok(line != "", "no empty line")
        m = re.match(r"# (HELP|TYPE) (\S+) (.*)$", line)
        if m:
            kind, name, rest = m.groups()
            if kind == "HELP":
                h.ok(name not in helped, "one HELP for " + name)
                helped.add(name)
                family = name
            else:
                h.ok(name not in typed, "one TYPE for " + name)
                h.ok(rest in ("counter", "gauge", "histogram"), "TYPE of " + name)
                typed[name] = rest
                h.eq(name, family, "TYPE follows its HELP")
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$", line)
        h.ok(m, "a sample line: %r" % line)
        name, labels = m.group(1), m.group(2) or ""
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        owner = name if name in typed else base
        h.ok(owner in typed and owner == family,
             "sample %s belongs to the family being written (%s)" % (name, family))
        h.ok((name, labels) not in seen, "series once: %s%s" % (name, labels))
        seen.add((name, labels))
    for name, kind in typed.items():
        h.ok(name in helped, "HELP for " + name)
        if kind == "counter":
            h.ok(name.endswith("_total"), "counter %s ends in _total" % name)
    return typed


def parse(text):
    """Families by name, through Prometheus's Python client parser."""
    from prometheus_client.parser import text_string_to_metric_families
    fams = {}
    for f in text_string_to_metric_families(text):
        h.ok(f.name not in fams, "one family " + f.name)
        fams[f.name] = f
    for f in fams.values():
        if f.type != "histogram":
            continue
        series = {}
        for s in f.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {"buckets": []})
            if s.name.endswith("_bucket"):
                series[key]["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                series[key]["count"] = s.value
            elif s.name.endswith("_sum"):
                series[key]["sum"] = s.value
        for key, v in series.items():
            les = [le for le, _ in v["buckets"]]
            h.ok(les == sorted(les) and les[-1] == math.inf, "%s %s: le ascending to +Inf"
                 % (f.name, key))
            counts = [c for _, c in v["buckets"]]
            h.ok(counts == sorted(counts), "%s %s: buckets cumulative" % (f.name, key))
            h.eq(counts[-1], v["count"], "%s %s: +Inf bucket == _count" % (f.name, key))
            h.ok(v["sum"] >= 0, "%s %s: _sum" % (f.name, key))
    return fams


class Scrape:
    def __init__(self, text):
        self.text = text
        self.families = parse(text)

    def value(self, sample, **labels):
        """The value of the sample `sample` with exactly these labels."""
        fam = re.sub(r"_(bucket|sum|count|total)$", "", sample)
        for f in self.families.values():
            for s in f.samples:
                if s.name == sample and s.labels == {k: str(v) for k, v in labels.items()}:
                    return s.value
        raise AssertionError("no sample %s%r in the scrape (family %s)" % (sample, labels, fam))


def scrape(port, headers=(), path="/metrics"):
    r = http(port, "GET", path, headers)
    h.status_is(r, 200)
    h.eq(r.header("content-type"), CONTENT_TYPE, "Content-Type")
    text = r.body.decode("utf-8")
    check_format(text)
    return Scrape(text)


def delta(before, after, sample, **labels):
    return after.value(sample, **labels) - before.value(sample, **labels)


# ------------------------------------------------------------ tests

@g.test
def text_format_and_families(fx):
    s = scrape(fx.port)
    types = check_format(s.text)
    for name, kind in [
            ("lambdabridge_build_info", "gauge"),
            ("lambdabridge_invocations_total", "counter"),
            ("lambdabridge_errors_total", "counter"),
            ("lambdabridge_throttles_total", "counter"),
            ("lambdabridge_timeouts_total", "counter"),
            ("lambdabridge_cold_starts_total", "counter"),
            ("lambdabridge_invocation_duration_seconds", "histogram"),
            ("lambdabridge_init_duration_seconds", "histogram"),
            ("lambdabridge_concurrent_executions", "gauge"),
            ("lambdabridge_environments", "gauge"),
            ("lambdabridge_requests_total", "counter"),
            ("lambdabridge_request_duration_seconds", "histogram"),
            ("lambdabridge_integration_duration_seconds", "histogram"),
            ("lambdabridge_throttled_requests_total", "counter"),
            ("lambdabridge_quota_exceeded_requests_total", "counter"),
            ("lambdabridge_api_key_quota_used", "gauge"),
            ("lambdabridge_api_key_quota_limit", "gauge"),
            ("process_cpu_seconds_total", "counter"),
            ("process_resident_memory_bytes", "gauge"),
            ("process_open_fds", "gauge"),
            ("process_max_fds", "gauge"),
            ("process_start_time_seconds", "gauge")]:
        h.eq(types.get(name), kind, "TYPE of " + name)
    with open(os.path.join(h.REPO, "VERSION")) as f:
        version = f.read().strip()
    info = [x for x in s.families["lambdabridge_build_info"].samples]
    h.eq(len(info), 1, "one build_info sample")
    h.eq(info[0].labels["version"], version, "build_info version")
    h.eq(info[0].value, 1.0, "build_info value")
    # every error type of every function is there from the start, at 0
    for t in ("Unhandled", "Runtime.InitError", "Runtime.ExitError", "Runtime.OutOfMemory",
              "Sandbox.Timedout", "Function.ResponseSizeTooLarge", "Runtime.Unknown"):
        s.value("lambdabridge_errors_total", function="lim", type=t)
    # the process: the bridge's own numbers, as /proc shows them
    pid = fx.bridge.proc.pid
    with open("/proc/%d/status" % pid) as f:
        rss_kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    rss = s.value("process_resident_memory_bytes")
    h.ok(0.5 * rss_kb * 1024 < rss < 2 * rss_kb * 1024,
         "resident memory %d near VmRSS %d kB" % (rss, rss_kb))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    h.ok(abs(s.value("process_open_fds") - fds) <= max(8, fds // 4),
         "open fds %d near /proc's %d" % (s.value("process_open_fds"), fds))
    h.ok(s.value("process_max_fds") >= s.value("process_open_fds"), "max fds")
    start = s.value("process_start_time_seconds")
    h.ok(time.time() - 3600 < start <= time.time() + 1, "start time %f" % start)
    h.ok(s.value("process_cpu_seconds_total") >= 0, "cpu seconds")
    # HEAD: the same answer without a body
    r = http(fx.port, "HEAD", "/metrics")
    h.status_is(r, 200)
    h.eq(r.header("content-type"), CONTENT_TYPE, "HEAD Content-Type")


@g.test
def exact_counts_after_known_traffic(fx):
    p = fx.port
    before = scrape(p)
    # 5 invocations of echo: the first starts its environment
    for i in range(5):
        h.status_is(http(p, "GET", "/echo?i=%d" % i), 200)
    # ctl: a function error (cold), a 300 ms run, a timeout (1 s)
    r = http(p, "GET", "/ctl?do=error")
    h.status_is(r, 500)
    h.status_is(http(p, "GET", "/ctl?do=sleep&ms=300"), 200)
    r = http(p, "GET", "/ctl?do=sleep&ms=3000")
    h.status_is(r, 500)
    # a Lambda throttle: `one` allows 1 at once; the gauge shows the first
    # (4 s: time enough for the scrapes and the second request on a busy
    # machine)
    first = {}
    t = threading.Thread(target=lambda: first.update(
        r=http(p, "GET", "/one?do=sleep&ms=4000")), daemon=True)
    t.start()
    h.wait_until(lambda: scrape(p).value("lambdabridge_concurrent_executions",
                                         function="one") == 1, 5,
                 "one invocation of `one` running in the gauge")
    r = http(p, "GET", "/one")
    h.status_is(r, 500)
    t.join(LIMIT)
    h.status_is(first["r"], 200)
    # the gateway's throttle: a burst of 1
    h.status_is(http(p, "GET", "/limited"), 200)
    h.status_is(http(p, "GET", "/limited"), 429)
    # no route: a 4xx of route "(none)"
    h.status_is(http(p, "GET", "/nowhere"), 404)
    after = scrape(p)

    def d(sample, **labels):
        return delta(before, after, sample, **labels)

    inv = "lambdabridge_invocations_total"
    h.eq(d(inv, function="echo"), 5, "echo invocations")
    h.eq(d(inv, function="ctl"), 3, "ctl invocations")
    h.eq(d(inv, function="one"), 1, "one invocations (the throttled is not one)")
    h.eq(d(inv, function="lim"), 1, "lim invocations")
    h.eq(d("lambdabridge_cold_starts_total", function="echo"), 1, "echo cold starts")
    h.eq(d("lambdabridge_cold_starts_total", function="ctl"), 1, "ctl cold starts")
    err = "lambdabridge_errors_total"
    h.eq(d(err, function="ctl", type="Unhandled"), 1, "ctl Unhandled")
    h.eq(d(err, function="ctl", type="Sandbox.Timedout"), 1, "ctl Sandbox.Timedout")
    h.eq(d(err, function="ctl", type="Runtime.ExitError"), 0, "ctl ExitError")
    h.eq(d(err, function="echo", type="Unhandled"), 0, "echo errors")
    h.eq(d("lambdabridge_timeouts_total", function="ctl"), 1, "ctl timeouts")
    h.eq(d("lambdabridge_throttles_total", function="one"), 1, "one throttles")
    h.eq(d("lambdabridge_throttles_total", function="echo"), 0, "echo throttles")
    # durations, with bounds that hold on any machine: the 300 ms run is
    # over 0.25 s; the timeout counts Lambda's 1.00 s exactly, over 0.5 s
    # and inside le="1" (a bound belongs to its bucket)
    dur = "lambdabridge_invocation_duration_seconds"
    h.eq(d(dur + "_count", function="ctl"), 3, "ctl durations")
    h.eq(d(dur + "_bucket", function="ctl", le="+Inf"), 3, "ctl le=+Inf")
    h.ok(d(dur + "_bucket", function="ctl", le="0.25") <= 1, "ctl le=0.25: the error only")
    h.ok(d(dur + "_bucket", function="ctl", le="0.5") <= 2, "ctl le=0.5: not the timeout")
    h.ok(d(dur + "_bucket", function="ctl", le="1") >= 1, "ctl le=1: the timeout's 1.00 s")
    h.ok(d(dur + "_sum", function="ctl") >= 1.3, "ctl duration sum: 0.3 + 1.0 at least")
    h.eq(d(dur + "_count", function="echo"), 5, "echo durations")
    h.eq(d("lambdabridge_init_duration_seconds_count", function="echo"), 1, "echo inits")
    h.eq(d("lambdabridge_init_duration_seconds_count", function="ctl"), 1, "ctl inits")
    h.eq(after.value("lambdabridge_concurrent_executions", function="one"), 0, "one gauge")
    h.eq(after.value("lambdabridge_environments", function="echo", state="idle"), 1,
         "echo's idle environment")
    h.eq(after.value("lambdabridge_environments", function="echo", state="busy"), 0,
         "echo busy")
    # the gateway, per route and status class; scrapes are not counted
    req = "lambdabridge_requests_total"
    h.eq(d(req, route="ANY /echo", status_class="2xx"), 5, "echo 2xx")
    h.eq(d(req, route="GET /ctl", status_class="2xx"), 1, "ctl 2xx")
    h.eq(d(req, route="GET /ctl", status_class="5xx"), 2, "ctl 5xx")
    h.eq(d(req, route="GET /one", status_class="2xx"), 1, "one 2xx")
    h.eq(d(req, route="GET /one", status_class="5xx"), 1, "one 5xx (throttled)")
    h.eq(d(req, route="GET /limited", status_class="2xx"), 1, "limited 2xx")
    h.eq(d(req, route="GET /limited", status_class="4xx"), 1, "limited 429")
    h.eq(d(req, route="(none)", status_class="4xx"), 1, "no route 404")
    h.eq(d(req, route="(none)", status_class="2xx"), 0, "scrapes are not requests")
    h.eq(d(req, route="ANY /metrics", status_class="2xx"), 0, "nor the shadowed route's")
    h.eq(d("lambdabridge_throttled_requests_total", route="GET /limited"), 1, "throttled")
    lat = "lambdabridge_request_duration_seconds"
    integ = "lambdabridge_integration_duration_seconds"
    h.eq(d(lat + "_count", route="ANY /echo"), 5, "echo latencies")
    h.eq(d(integ + "_count", route="ANY /echo"), 5, "echo integration latencies")
    h.eq(d(integ + "_count", route="GET /limited"), 1, "the 429 invoked nothing")
    h.eq(d(lat + "_count", route="(none)"), 1, "no-route latency")
    h.eq(d(integ + "_count", route="(none)"), 0, "no-route integration")
    # the 300 ms run and the timeout took at least that end to end
    h.ok(d(lat + "_bucket", route="GET /ctl", le="0.25") <= 1, "ctl latency le=0.25")
    h.ok(d(lat + "_sum", route="GET /ctl") >= 1.3, "ctl latency sum")
    h.ok(d(integ + "_sum", route="GET /ctl") >= 1.3, "ctl integration sum")


@g.test
def metrics_path_shadows_get_and_head_only(fx):
    p = fx.port
    r = http(p, "GET", "/metrics?name[]=up")
    h.status_is(r, 200)
    h.ok(b"lambdabridge_invocations_total" in r.body, "metrics with a query string")
    r = http(p, "POST", "/metrics", [("Content-Type", "text/plain")], body="x")
    h.status_is(r, 200)
    h.eq(r.json()["function"], "echo", "POST /metrics reaches the route's function")
    r = http(p, "GET", "/metrics/")
    h.status_is(r, 200)  # another path: the route's (a trailing slash matches)
    h.eq(r.json()["event"]["rawPath"], "/metrics/", "/metrics/ reaches the function")


@g.test
def allow_list_default_loopback(fx):
    p = fx.port
    for addr in ("127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"):
        r = http(p, "GET", "/metrics", [("X-Real-IP", addr)])
        h.status_is(r, 200)
    before = scrape(p)
    for addr in ("203.0.113.9", "10.0.0.1", "::2", "2001:db8::1"):
        r = http(p, "GET", "/metrics", [("X-Real-IP", addr)])
        h.status_is(r, 404)
        h.eq(r.body, b'{"message":"Not Found"}', "refused as a missing route (%s)" % addr)
        h.ok(r.header("apigw-requestid"), "with the request id")
    after = scrape(p)
    h.eq(delta(before, after, "lambdabridge_requests_total", route="(none)",
               status_class="4xx"), 0, "refusals are not counted as requests")


@g.test
def allow_list_configured(fx):
    p = fx.rest_port
    path = "/internal/metrics"
    for addr in ("203.0.113.77", "203.0.113.0", "2001:db8::5", "2001:db8:ffff::1"):
        scrape(p, [("X-Real-IP", addr)], path)
    for addr in (None, "203.0.114.1", "198.51.100.1", "::1", "2001:db9::1"):
        r = http(p, "GET", path, [("X-Real-IP", addr)] if addr else [])
        h.status_is(r, 403)
        h.eq(r.body, b'{"message":"Missing Authentication Token"}',
             "REST refusal as a missing route (%s)" % addr)


@g.test
def quota_and_keys(fx):
    p = fx.rest_port
    path = "/internal/metrics"
    ok_ip = [("X-Real-IP", "203.0.113.1")]
    before = scrape(p, ok_ip, path)
    h.eq(before.value("lambdabridge_api_key_quota_limit", api_key="metered"), 2, "limit")
    h.eq(before.value("lambdabridge_api_key_quota_used", api_key="metered"), 0, "used")
    h.ok("api_key=\"free\"" not in before.text, "a key without a quota has no quota gauges")
    key = [("x-api-key", "metered-key-0123456789abc")]
    h.status_is(http(p, "GET", "/keyed", key), 200)
    h.status_is(http(p, "GET", "/keyed", key), 200)
    r = http(p, "GET", "/keyed", key)
    h.status_is(r, 429)
    h.eq(r.body, b'{"message":"Limit Exceeded"}', "over quota")
    h.status_is(http(p, "GET", "/keyed"), 403)  # no key
    after = scrape(p, ok_ip, path)
    h.eq(after.value("lambdabridge_api_key_quota_used", api_key="metered"), 2, "used")
    h.eq(delta(before, after, "lambdabridge_quota_exceeded_requests_total",
               route="GET /keyed"), 1, "over quota")
    h.eq(delta(before, after, "lambdabridge_throttled_requests_total",
               route="GET /keyed"), 0, "not throttled")
    h.eq(delta(before, after, "lambdabridge_requests_total", route="GET /keyed",
               status_class="4xx"), 2, "429 and 403")
    h.eq(delta(before, after, "lambdabridge_requests_total", route="GET /keyed",
               status_class="2xx"), 2, "2xx")


@g.test
def counters_survive_reload(fx):
    p = fx.port
    h.status_is(http(p, "GET", "/echo"), 200)
    before = scrape(p)
    # another generation: echo changed (INTEG_VALUE), a function and a
    # route added; the counters go on
    h.write_config(fx.env, "metrics-http", name="metrics-http.conf", value="v2",
                   extra_functions=', { name = "added"; module = "%s/integ_fn.so"; '
                   'handler = "integ_echo"; }' % h.TEST_HANDLERS,
                   extra_routes=', { route = "GET /added"; function = "added"; }')
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGHUP)
    fx.bridge.wait_log(r"reloaded '", 15, off)
    h.wait_until(lambda: http(p, "GET", "/added").status == 200, 10, "the new route")
    r = http(p, "GET", "/echo")
    h.status_is(r, 200)
    h.eq(r.json()["env"], "v2", "the new generation serves")
    after = scrape(p)
    for name, labels in [("lambdabridge_invocations_total", {"function": "echo"}),
                         ("lambdabridge_requests_total",
                          {"route": "ANY /echo", "status_class": "2xx"}),
                         ("lambdabridge_invocation_duration_seconds_count",
                          {"function": "echo"}),
                         ("lambdabridge_cold_starts_total", {"function": "ctl"})]:
        h.ok(after.value(name, **labels) >= before.value(name, **labels),
             "%s%r kept across the reload" % (name, labels))
    h.eq(delta(before, after, "lambdabridge_invocations_total", function="echo"), 1,
         "echo counted on across the reload")
    h.eq(delta(before, after, "lambdabridge_requests_total", route="ANY /echo",
               status_class="2xx"), 1, "its route too")
    h.eq(after.value("lambdabridge_invocations_total", function="added"), 1, "a new function")
    h.eq(after.value("lambdabridge_requests_total", route="GET /added", status_class="2xx"),
         1, "a new route")


@g.test
def sigusr1_still_writes_counters(fx):
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGUSR1)
    log = fx.bridge.wait_log(r"function echo: invocations=\d+", 5, off)
    h.ok("gateway: throttled=" in log, "the gateway's line")


@g.test
def check_names_the_endpoint(fx):
    r = h.run_cmd([h.LB_BIN, "check", "-c", fx.config])
    h.eq(r.returncode, 0, "check: " + r.stderr)
    h.ok("\nmetrics: GET /metrics, before the routes, for loopback (127.0.0.0/8,::1/128)\n"
         in r.stdout, "check's metrics line: %r" % r.stdout)
    r = h.run_cmd([h.LB_BIN, "check", "-c", fx.rest_bridge.config])
    h.ok("\nmetrics: GET /internal/metrics, before the routes, for "
         "203.0.113.0/24,2001:db8::/32\n" in r.stdout, "check's metrics line: %r" % r.stdout)


@g.test
def configuration_errors(fx):
    cases = [
        ('metrics_path = "/m"; metrics_allow = [ "10.0.0.1/8" ];',
         r"gateway\.metrics_allow\[0\]: '10\.0\.0\.1/8': host bits are set"),
        ('metrics_path = "/m"; metrics_allow = [ "::1", "localhost" ];',
         r"gateway\.metrics_allow\[1\]: 'localhost': not an IPv4 or IPv6 address"),
        ('metrics_path = "/m"; metrics_allow = [ "::1/129" ];',
         r"gateway\.metrics_allow\[0\]: '::1/129': the prefix length of an IPv6 network "
         r"is at most 128"),
        ('metrics_path = "/m"; metrics_allow = [ ];',
         r"gateway\.metrics_allow: must not be empty"),
        ('metrics_allow = [ "127.0.0.1/32" ];',
         r"gateway\.metrics_allow: needs gateway\.metrics_path"),
        ('metrics_path = "metrics";', r"gateway\.metrics_path: 'metrics': must start with '/'"),
        ('metrics_path = "/metrics?x";', r"gateway\.metrics_path: '/metrics\?x': must not hold"),
    ]
    for i, (line, want) in enumerate(cases):
        path = fx.env.path("bad-metrics-%d.conf" % i)
        with open(path, "w") as f:
            f.write('gateway: {\n  api = "http";\n  %s\n};\n' % line)
        r = h.run_cmd([h.LB_BIN, "check", "-c", path])
        h.eq(r.returncode, 1, "check of %r" % line)
        h.ok(re.search(r"%s:\d+: %s" % (re.escape(path), want), r.stderr),
             "error for %r: %r" % (line, r.stderr))
