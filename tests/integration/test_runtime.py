"""Groups runtime-nginx, runtime-apache (issue 14): functions with runtime =
"provided", run by clients of the Runtime API that nobody here wrote the
runtime side of, through each web server:

    bootstrap_curl  tests/runtimes/bootstrap_curl.c: libcurl in the shape of
                    aws-lambda-cpp; the event's `do` query parameter says
                    what it does (see its opening comment)
    tutorial        tests/runtimes/tutorial: the shell bootstrap of AWS's
                    custom-runtime tutorial (bash, curl, mktemp, grep)
    node            AWS's Node.js runtime interface client (npm
                    aws-lambda-ric) running tests/runtimes/node/index.mjs,
                    when `scripts/install-deps ric` installed it

conf/runtime.conf.in serves them; each group runs it as an HTTP API and as
a REST API, and each of those beside a twin whose /same/... and /sameresp
routes go to the native integ_echo / integ_respond instead: one request to
both shows whatever a provided function gets or answers differently from a
native one.
"""

import base64
import json
import os
import re
import shutil
import signal
import threading
import time
import uuid

import harness as h

REST_ISE = b'{"message": "Internal server error"}'
HTTP_ISE = b'{"message":"Internal Server Error"}'
REST_TIMEOUT = b'{"message": "Endpoint request timed out"}'
HTTP_TIMEOUT = b'{"message":"Service Unavailable"}'
ALL_BYTES = bytes(range(256))

RUNTIMES = os.path.join(h.BUILD, "tests", "runtimes")
RT_SRC = os.path.join(h.REPO, "tests", "runtimes")
BOOTSTRAP = os.path.join(RUNTIMES, "bootstrap_curl")
RIC_DIR = os.environ.get("LB_RIC_DIR", "/opt/lambdabridge-test/ric")
RIC_ENTRY = os.path.join(RIC_DIR, "node_modules", "aws-lambda-ric", "index.mjs")
RIC_ADDON = os.path.join(RIC_DIR, "node_modules", "aws-lambda-ric", "rapid-client.node")

# Every request here is answered within a few seconds (integration timeout
# 3 s, function timeouts 1 to 6 s); a broken bridge must not stall the run.
LIMIT = 15.0
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Fx:
    pass


class Side:
    """One bridge behind one server: its API type, port, config, bridge."""

    def __init__(self, api, bridge, server, config, values):
        self.api, self.bridge, self.server = api, bridge, server
        self.port, self.config, self.values = server.port, config, values

    @property
    def ise(self):
        return (500, HTTP_ISE) if self.api == "http" else (502, REST_ISE)


def node_path():
    node = shutil.which("node")
    return os.path.realpath(node) if node else None


def ric_installed():
    return node_path() is not None and os.path.exists(RIC_ENTRY) and os.path.exists(RIC_ADDON)


def need_ric():
    if not ric_installed():
        raise h.Skip("AWS's Node.js runtime interface client is not installed in %s "
                     "(scripts/install-deps ric; needs node and npm)" % RIC_DIR)


def _node_blocks(same_node):
    """The node functions and routes, when the RIC is installed."""
    if not ric_installed():
        return "", ""
    fn = ('{ name = "%%s"; runtime = "provided"; bootstrap = [ "%s", "%s" ];\n'
          '    code_dir = "%s/node"; handler = "%%s"; timeout = 3.0; memory = 512;\n'
          '    environment = { INTEG_VALUE = "node"; }; }' % (node_path(), RIC_ENTRY, RT_SRC))
    funcs = ",\n  " + fn % ("node", "index.handler") + ",\n  " + fn % ("nodebad", "index.nosuch")
    routes = (',\n  { route = "ANY /samenode/{proxy+}"; function = "%s"; },\n'
              '  { route = "ANY /node/{proxy+}"; function = "node"; },\n'
              '  { route = "GET /nodebad"; function = "nodebad"; }' % same_node)
    return funcs, routes


def _values(api, twin, value="v1"):
    funcs, routes = _node_blocks("echo" if twin else "node")
    binary = ('binary_media_types = [ "application/octet-stream" ];' if api == "rest"
              else "# an HTTP API has no binary media types")
    return dict(api=api, runtimes=RUNTIMES, rt_src=RT_SRC, value=value, binary=binary,
                same="echo" if twin else "boot", same_respond="respond" if twin else "boot",
                node_functions=funcs, node_routes=routes)


def _setup(kind):
    def setup(env):
        h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"), BOOTSTRAP)
        start = h.start_nginx if kind == "nginx" else h.start_apache
        fx = Fx()
        fx.env, fx.kind = env, kind
        for api in ("http", "rest"):
            for twin in (False, True):
                values = _values(api, twin)
                name = "runtime-%s%s.conf" % (api, "-twin" if twin else "")
                config = h.write_config(env, "runtime", name=name, **values)
                bridge = h.start_bridge(env, config)
                side = Side(api, bridge, start(env, bridge.sock), config, values)
                setattr(fx, api + ("_twin" if twin else ""), side)
        # for the harness's diagnostics
        fx.bridge, fx.server = fx.http.bridge, fx.http.server
        return fx
    return setup


def sides(fx):
    return (fx.http, fx.rest)


def get(side, path, **kw):
    kw.setdefault("timeout", LIMIT)
    return h.http(side.port, "GET", path, **kw)


def ok_json(r, what=""):
    if r.status != 200:
        raise AssertionError("%s: expected 200, got %d %r" % (what, r.status, r.body[:400]))
    return r.json()


def expect_error(r, status, body, what):
    if r.status != status:
        raise AssertionError("%s: expected %d, got %d %r" % (what, status, r.status, r.body[:300]))
    h.eq(r.body, body, what + " body")


def expect_ise(side, r, what):
    status, body = side.ise
    expect_error(r, status, body, "%s (%s)" % (what, side.api))
    if side.api == "rest":
        h.eq(r.header("x-amzn-ErrorType"), "InternalServerErrorException",
             what + ": x-amzn-ErrorType")


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def lines_with(text, needle):
    return [line for line in text.split("\n") if needle in line]


def report_line(text, request_id):
    lines = [line for line in text.split("\n") if ("REPORT RequestId: " + request_id) in line]
    h.ok(lines, "no REPORT line for %s in:\n%s" % (request_id, text[-3000:]))
    return lines[0]


def logged_pids(text, tag):
    """The pids a bootstrap printed as "TAG PID [PID]" (first line)."""
    m = re.search(r"%s (\d+)(?: (\d+))?" % tag, text)
    h.ok(m, "no %r line in the log:\n%s" % (tag, text[-1500:]))
    return [int(x) for x in m.groups() if x is not None]


def counters(bridge, function):
    off = bridge.log_size()
    bridge.signal(signal.SIGUSR1)
    text = bridge.wait_log(r"function %s: .*\n" % function, 5, off)
    line = re.search(r"function %s: (.*)\n" % function, text).group(1)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


# ---------------------------------------------------------------- events

# What differs between two requests however alike: per-request ids and
# times (API Gateway makes them) and the trace id the gateway invents; and
# between the two bridges: their servers listen on different ports
# (X-Forwarded-Port).
PER_REQUEST = {"requestId", "extendedRequestId", "time", "timeEpoch", "requestTime",
               "requestTimeEpoch"}
PER_REQUEST_HEADERS = {"x-amzn-trace-id", "x-forwarded-port"}


def normalize(event):
    ev = json.loads(json.dumps(event))
    rc = ev.get("requestContext") or {}
    for k in PER_REQUEST:
        rc.pop(k, None)
    for key in ("headers", "multiValueHeaders"):
        hd = ev.get(key) or {}
        for name in list(hd):
            if name.lower() in PER_REQUEST_HEADERS:
                del hd[name]
    return ev


def diff(a, b, path=""):
    """The paths where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append("%s.%s: only native (%r)" % (path, k, b[k]))
            elif k not in b:
                out.append("%s.%s: only provided (%r)" % (path, k, a[k]))
            else:
                out += diff(a[k], b[k], "%s.%s" % (path, k))
        return out
    if a != b or type(a) is not type(b):
        return ["%s: provided %r, native %r" % (path, a, b)]
    return []


EVENT_REQUESTS = [
    ("GET", "/a/b%20c?x=1&x=2&y=%2Fz&flag",
     [("X-Custom", "c"), ("Cookie", "a=1; b=2"), ("User-Agent", "integ/1.0"),
      ("Accept", "*/*")], None),
    ("POST", "/post", [("Content-Type", "application/json")], b'{"hello": "w\\u00f6rld", "n": 1}'),
    ("PUT", "/bin", [("Content-Type", "application/octet-stream")], ALL_BYTES),
    ("DELETE", "/x/y/", [("X-Dup", "one"), ("X-Empty", "")], None),
]


def _events_equal(fx, route):
    for side, twin in ((fx.http, fx.http_twin), (fx.rest, fx.rest_twin)):
        for method, path, headers, body in EVENT_REQUESTS:
            hdrs = [("Host", "runtime.test")] + headers
            what = "%s /%s%s (%s)" % (method, route, path, side.api)
            r = h.http(side.port, method, "/" + route + path, hdrs, body, timeout=LIMIT)
            mine = ok_json(r, what + " provided")
            r = h.http(twin.port, method, "/" + route + path, hdrs, body, timeout=LIMIT)
            native = ok_json(r, what + " native")
            d = diff(normalize(mine["event"]), normalize(native["event"]))
            h.ok(not d, "%s: the events differ:\n  %s" % (what, "\n  ".join(d)))
            h.eq(mine["env"], native["env"], what + ": INTEG_VALUE")
            h.eq(mine["request_id"], mine["runtime"]["request_id"],
                 what + ": request id the bootstrap saw")


def events_equal_native(fx):
    """The event a provided function reads from `next` is, field for field,
    the one the native integ_echo gets for the same request (payload 2.0 on
    the HTTP API, 1.0 on the REST API), apart from request ids and times."""
    _events_equal(fx, "same")


def events_v1_equal_native(fx):
    """The same with payload_format = "1.0" routes."""
    _events_equal(fx, "same1")


def runtime_headers_and_environment(fx):
    """The Lambda-Runtime-* headers of `next` and the environment the
    bootstrap runs in: the request id is the invocation's (START line),
    the deadline the function's timeout (2 s) away, the ARN names the
    function; the variables Lambda sets for a custom runtime."""
    for side in sides(fx):
        off = side.bridge.log_size()
        t0 = time.time()
        obj = ok_json(get(side, "/boot/hdr"), "echo")
        rt = obj["runtime"]
        h.ok(re.fullmatch(UUID, rt["request_id"] or ""), "request id %r" % rt["request_id"])
        side.bridge.wait_log("START RequestId: " + rt["request_id"], 5, off)
        deadline = int(rt["deadline_ms"]) / 1000.0
        h.ok(t0 + 1.0 <= deadline <= time.time() + 2.5,
             "deadline %.3f for a 2 s timeout at %.3f" % (deadline, t0))
        h.ok(re.fullmatch(r"arn:aws:lambda:[a-z0-9-]+:\d{12}:function:boot(:.*)?",
                          rt["function_arn"] or ""), "function ARN %r" % rt["function_arn"])
        h.ok((rt["trace_id"] or "").startswith("Root=1-"), "trace id %r" % rt["trace_id"])
        h.eq(rt["client_context"], None, "client context (none for API Gateway)")
        h.eq(rt["cognito_identity"], None, "cognito identity")
        h.eq(obj["function"], "boot", "AWS_LAMBDA_FUNCTION_NAME")
        h.eq(obj["cwd"], RT_SRC, "working directory = code_dir")

        def env(name):
            return ok_json(get(side, "/boot/env?do=env&name=" + name), name)["value"]
        api = env("AWS_LAMBDA_RUNTIME_API")
        h.ok(re.fullmatch(r"127\.0\.0\.1:\d+", api or ""), "AWS_LAMBDA_RUNTIME_API %r" % api)
        h.eq(env("_HANDLER"), "boot.handler", "_HANDLER")
        h.eq(env("LAMBDA_TASK_ROOT"), RT_SRC, "LAMBDA_TASK_ROOT")
        h.eq(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "128", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        h.ok(env("AWS_LAMBDA_FUNCTION_VERSION"), "AWS_LAMBDA_FUNCTION_VERSION")
        h.ok(env("AWS_LAMBDA_LOG_GROUP_NAME"), "AWS_LAMBDA_LOG_GROUP_NAME")
        h.ok(env("AWS_REGION"), "AWS_REGION")
        h.eq(env("INTEG_VALUE"), side.values["value"], "the function's own variable")


# ---------------------------------------------------------------- responses

RESULTS_BOTH = [
    {"statusCode": 201, "headers": {"X-A": "1", "header-bool": True,
                                    "Content-Type": "text/plain"}, "body": "created"},
    {"statusCode": 200, "multiValueHeaders": {"X-M": ["a", "b"]}, "headers": {"X-M": "c"},
     "body": "mv"},
    {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
     "body": base64.b64encode(ALL_BYTES).decode(), "isBase64Encoded": True},
    {"statusCode": 204},
    {"statusCode": "test"},
    {"statusCode": 200, "body": {"not": "a string"}},
    "justAString",
    {"message": "Hello from Lambda!"},
]
RESULTS_V2 = [
    {"statusCode": 200, "cookies": ["a=1", "b=2; Path=/"], "body": "ck"},
]
# what changes from one response to the next whoever answers
VOLATILE = {"date", "apigw-requestid", "x-amzn-requestid", "x-amz-apigw-id",
            "x-amzn-trace-id", "server", "connection", "keep-alive"}


def _wire(r):
    return (r.status, sorted((k.lower(), v) for k, v in r.headers
                             if k.lower() not in VOLATILE), r.body)


def response_mapping_as_native(fx):
    """A result returned by a provided function becomes, on the wire, what
    the same result of a native function becomes: status, headers, cookies,
    base64 bodies, inference, invalid results (REST and HTTP API, payload
    1.0 and 2.0)."""
    checked = 0
    for side, twin in ((fx.http, fx.http_twin), (fx.rest, fx.rest_twin)):
        routes = ["/sameresp", "/sameresp1"]
        for route in routes:
            results = RESULTS_BOTH + (RESULTS_V2 if side.api == "http" and route == "/sameresp"
                                      else [])
            for res in results:
                for accept in ((), (("Accept", "application/octet-stream"),)):
                    hdrs = [("Content-Type", "application/json")] + list(accept)
                    body = json.dumps(res)
                    mine = h.http(side.port, "POST", route + "?do=respond", hdrs, body,
                                  timeout=LIMIT)
                    native = h.http(twin.port, "POST", route + "?do=respond", hdrs, body,
                                    timeout=LIMIT)
                    h.eq(_wire(mine), _wire(native), "%s %s %r accept %r: provided vs native"
                         % (side.api, route, res, accept))
                    checked += 1
    print("      %d results compared" % checked)
    # and what they are, for a few
    r = h.http(fx.http.port, "POST", "/sameresp?do=respond",
               [("Content-Type", "application/json")], json.dumps(RESULTS_V2[0]))
    h.status_is(r, 200)
    h.eq(r.header_all("Set-Cookie"), ["a=1", "b=2; Path=/"], "Set-Cookie from cookies")
    r = h.http(fx.rest.port, "POST", "/sameresp?do=respond",
               [("Content-Type", "application/json"), ("Accept", "application/octet-stream")],
               json.dumps(RESULTS_BOTH[2]))
    h.status_is(r, 200)
    h.ok(r.body == ALL_BYTES, "REST binary body: %r" % r.body[:40])
    r = h.http(fx.http.port, "POST", "/sameresp?do=respond",
               [("Content-Type", "application/json")], json.dumps(RESULTS_BOTH[0]))
    h.status_is(r, 201)
    h.eq((r.header("X-A"), r.header("header-bool"), r.body), ("1", "true", b"created"),
         "201 result")


def error_body_not_json(fx):
    """POST .../error whose body is not JSON: accepted (202, as Lambda and
    RIE accept any body), the invocation fails with the API type's error
    and the header's type is logged."""
    for side in sides(fx):
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/boot/e?do=badjson"), "error body not JSON")
        text = side.bridge.wait_log(r"BOOT-BADJSON status=\d+", 5, off)
        h.eq(re.search(r"BOOT-BADJSON status=(\d+)", text).group(1), "202",
             "status of an error post whose body is not JSON")
        side.bridge.wait_log(r"Function\.Raw", 5, off)
        ok_json(get(side, "/boot/e?do=pid"), "after it")


def function_error(fx):
    """POST .../error: the API type's error response, as native, and the
    error logged with its type; the type from the
    Lambda-Runtime-Function-Error-Type header when the body has none
    (Runtime.Unknown when it is not Function.X or Runtime.X)."""
    for side in sides(fx):
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/boot/e?do=error"), "function error")
        side.bridge.wait_log(r"BootError", 5, off)
        # the header's type when the body has none, filtered as Lambda
        # does (docs/runtime-api.md 4.4)
        for header, logged in (("Function.HeaderType", "Function.HeaderType"),
                               ("HeaderType", "Runtime.Unknown")):
            off = side.bridge.log_size()
            expect_ise(side, get(side, "/boot/e?do=error&typeless=" + header),
                       "function error typed by its header")
            side.bridge.wait_log(logged + ": asked to fail without a type", 5, off)
        ok_json(get(side, "/boot/e?do=pid"), "after function errors")
        c = counters(side.bridge, "boot")
        h.ok(c.get("errors", 0) >= 3, "SIGUSR1 errors of 'boot': %r" % c)


# ---------------------------------------------------------------- timeouts

def function_timeout(fx):
    """A bootstrap (with a child of its own) past its function's timeout
    (1 s): the API type's error after about 1 s; the bootstrap and its
    child are gone, and the next request runs in a new environment."""
    for side in sides(fx):
        off = side.bridge.log_size()
        t0 = time.monotonic()
        r = get(side, "/short?do=sleep&ms=4000&child=1")
        took = time.monotonic() - t0
        expect_ise(side, r, "function timeout (timeout = 1)")
        h.ok(0.8 <= took <= 2.5, "%s: answered after %.2f s, expected about 1 s" % (side.api, took))
        boot, child = logged_pids(side.bridge.wait_log(r"BOOT-TREE", 5, off), "BOOT-TREE")
        h.wait_until(lambda: not alive(boot) and not alive(child), 5,
                     "the timed-out bootstrap %d and its child %d to end" % (boot, child))
        h.ok(re.search(r"[Tt]imed out", side.bridge.log_since(off)),
             "no timeout in the log: %r" % side.bridge.log_since(off)[-800:])
        after = ok_json(get(side, "/short?do=pid"))
        h.ok(after["pid"] != boot, "the environment that timed out served again")
        c = counters(side.bridge, "short")
        h.ok(c.get("timeouts", 0) >= 1 and c.get("cold_starts", 0) >= 2,
             "SIGUSR1 counters of 'short': %r" % c)


def integration_timeout(fx):
    """The integration timeout (3 s) before the function's (6 s): 504 on
    REST, 503 on the HTTP API, as native; the function is not cut."""
    for side in sides(fx):
        t0 = time.monotonic()
        r = get(side, "/slow?do=sleep&ms=4500")
        took = time.monotonic() - t0
        status, body = (504, REST_TIMEOUT) if side.api == "rest" else (503, HTTP_TIMEOUT)
        expect_error(r, status, body, "integration timeout (%s)" % side.api)
        h.ok(2.7 <= took <= 4.2, "%s: answered after %.2f s, expected about 3 s" % (side.api, took))
    for side in sides(fx):
        ok_json(get(side, "/slow?do=pid"), "after an integration timeout")


# ---------------------------------------------------------------- crashes

def crash_mid_invocation(fx):
    """A bootstrap that exits, aborts or crashes during an invocation: the
    API type's error, Runtime.ExitError with its status or signal in the
    log, and the next request gets a new environment."""
    for side in sides(fx):
        for action, logged in (("exit&code=7", r"exit status 7"),
                               ("exit&code=0", r"Runtime exited without providing a reason"),
                               ("abort", r"signal: aborted"),
                               ("crash", r"signal: segmentation fault")):
            off = side.bridge.log_size()
            expect_ise(side, get(side, "/boot/c?do=" + action), action)
            text = side.bridge.wait_log(r"Runtime\.ExitError", 5, off)
            h.ok(re.search(logged, text), "%s: %r not in the log:\n%s" % (action, logged, text))
            dead = logged_pids(text, "BOOT-DYING")[0]
            h.wait_until(lambda: not alive(dead), 5, "the bootstrap %d to end" % dead)
            after = ok_json(get(side, "/boot/c?do=pid"))["pid"]
            h.ok(after != dead, "%s: the crashed environment served again" % action)


def init_exit(fx):
    """A bootstrap that exits before its first `next`: the API type's error
    (each time), an init failure in the log; the bridge serves on."""
    for side in sides(fx):
        for _ in range(2):
            off = side.bridge.log_size()
            expect_ise(side, get(side, "/initexit"), "exit before next")
            text = side.bridge.wait_log(r"Runtime\.(InitError|ExitError)", 5, off)
            h.ok("status 4" in text, "exit status 4 not in the log:\n" + text)
        ok_json(get(side, "/boot/i?do=pid"), "another function after init failures")


def init_error(fx):
    """POST /runtime/init/error before the first `next`: the API type's
    error, the posted error (type and message) in the log."""
    for side in sides(fx):
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/initerr"), "init/error")
        text = side.bridge.wait_log(r"InitBoom", 5, off)
        h.ok("init failed on purpose" in text, "the posted message is not logged:\n" + text)


# ---------------------------------------------------------------- sizes

def response_five_megabytes(fx):
    """A 5 MB response, posted with a content-length and no Expect (as
    aws-lambda-cpp does) and with Expect: 100-continue (as curl does past
    1 MiB): the second must not wait for curl's 1 s Expect timeout."""
    n = 5 * 1024 * 1024
    for side in sides(fx):
        took = {}
        for extra in ("", "&expect=1"):
            t0 = time.monotonic()
            r = get(side, "/boot/big?do=big&n=%d%s" % (n, extra))
            took[extra] = time.monotonic() - t0
            h.status_is(r, 200)
            h.eq(len(r.body), n, "body length")
            h.ok(r.body == b"x" * n, "body bytes")
        print("      %s: 5 MB in %.2f s, %.2f s with Expect: 100-continue"
              % (side.api, took[""], took["&expect=1"]))
        h.ok(took["&expect=1"] < took[""] + 0.8,
             "Expect: 100-continue cost %.2f s more: the server does not answer it"
             % (took["&expect=1"] - took[""]))


def response_over_six_megabytes(fx):
    """A response over 6 MB: the API type's error, as native; the Runtime
    API answers the bootstrap's POST 413 (Lambda's RequestEntityTooLarge)
    and the environment serves on."""
    for side in sides(fx):
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/boot/big?do=big&n=%d" % (7 * 1024 * 1024)), "7 MB response")
        text = side.bridge.wait_log(r"bootstrap \d+: response of \d+ bytes: status \d+", 5, off)
        seen = re.search(r"bootstrap (\d+): response of \d+ bytes: status (\d+) ?(.*)", text)
        boot = int(seen.group(1))
        seen = re.search(r"bootstrap \d+: response of \d+ bytes: status (\d+) ?(.*)", text)
        print("      %s: the bootstrap's POST got %s %s" % (side.api, seen.group(1),
                                                           seen.group(2)[:120]))
        h.eq(seen.group(1), "413", "status of the oversized POST .../response")
        h.ok("RequestEntityTooLarge" in seen.group(2), "the 413's body: %r" % seen.group(2))
        side.bridge.wait_log(r"Function\.ResponseSizeTooLarge", 5, off)
        ok_json(get(side, "/boot/big?do=pid"), "after an oversized response")
        h.ok(alive(boot), "the bootstrap whose response was too large was killed")


def chunked_response(fx):
    """A response POSTed with Transfer-Encoding: chunked (as Go and Rust
    clients stream)."""
    for side in sides(fx):
        obj = ok_json(get(side, "/boot/ch?do=chunked"), "chunked response")
        h.ok(isinstance(obj.get("pid"), int), "result %r" % obj)


# ---------------------------------------------------------------- warm

def hundred_warm_requests(fx):
    """100 sequential requests on one environment: one bootstrap process
    serves them all (its own count goes 1..100), one cold start (the
    REPORT lines: Init Duration on the first only; SIGUSR1's counters)."""
    for side in sides(fx):
        off = side.bridge.log_size()
        pids, counts, ids = [], [], []
        t0 = time.monotonic()
        for i in range(100):
            obj = ok_json(get(side, "/warm?do=pid"), "request %d" % i)
            pids.append(obj["pid"])
            counts.append(obj["count"])
            ids.append(obj["request_id"])
        took = time.monotonic() - t0
        print("      %s: 100 requests in %.2f s" % (side.api, took))
        if len(set(pids)) != 1:
            moves = ["request %d: pid %d (its request %d)" % (i, pids[i], counts[i])
                     for i in range(1, 100) if pids[i] != pids[i - 1]]
            raise AssertionError("%s: %d bootstrap processes served 100 sequential requests;"
                                 " the environment changed at %s; SIGUSR1: %r"
                                 % (side.api, len(set(pids)), ", ".join(moves),
                                    counters(side.bridge, "warm")))
        h.eq(counts, list(range(1, 101)), "the bootstrap's own invocation count")
        text = side.bridge.wait_log("REPORT RequestId: " + ids[-1], 5, off)
        inits = [i for i, rid in enumerate(ids) if "Init Duration" in report_line(text, rid)]
        h.eq(inits, [0], "requests whose REPORT has an Init Duration")
        c = counters(side.bridge, "warm")
        h.eq((c.get("invocations"), c.get("cold_starts")), (100, 1),
             "SIGUSR1 invocations, cold_starts of 'warm'")


def settling_is_not_idle(fx):
    """An environment whose runtime answered but has not called `next`
    again takes no event (Lambda's rule): while the first bootstrap
    lingers 600 ms after its answer, the next request goes to a new
    environment; once it has asked, it serves again."""
    for side in sides(fx):
        first = ok_json(get(side, "/settle?do=pid&linger=600"), "lingering request")
        t0 = time.monotonic()
        second = ok_json(get(side, "/settle?do=pid"), "request during the linger")
        h.ok(time.monotonic() - t0 < 0.5, "%s: the second request waited for the "
             "lingering environment" % side.api)
        h.ok(second["pid"] != first["pid"], "%s: the environment took an event before its "
             "runtime's next call (pid %d twice)" % (side.api, first["pid"]))
        h.ok(alive(first["pid"]), "%s: the lingering bootstrap ended" % side.api)
        time.sleep(0.8)
        pids = {ok_json(get(side, "/settle?do=pid"), "after the linger")["pid"]
                for _ in range(4)}
        h.ok(pids <= {first["pid"], second["pid"]}, "%s: a third environment after both "
             "settled: %r" % (side.api, pids))
        c = counters(side.bridge, "settle")
        h.eq(c.get("cold_starts"), 2, "%s: SIGUSR1 cold_starts of 'settle'" % side.api)


def provisioned_environment(fx):
    """provisioned = 1: its bootstrap ran its init before any request (its
    line is in the log), and the first request is warm (no Init Duration,
    no cold start)."""
    for side in sides(fx):
        side.bridge.wait_log(r"BOOT-INIT prov", 5)
        off = side.bridge.log_size()
        obj = ok_json(get(side, "/prov?do=pid"), "first request")
        text = side.bridge.wait_log("REPORT RequestId: " + obj["request_id"], 5, off)
        h.ok("Init Duration" not in report_line(text, obj["request_id"]),
             "%s: the first request to a provisioned function was a cold start" % side.api)
        h.eq(counters(side.bridge, "prov").get("cold_starts"), 0,
             "%s: SIGUSR1 cold_starts of 'prov'" % side.api)


def idle_timeout_ends_environment(fx):
    """idle_timeout = 1: an environment idle for longer ends, its bootstrap
    with it, and the next request is a cold start."""
    for side in sides(fx):
        first = ok_json(get(side, "/idle?do=pid"), "first request")["pid"]
        h.wait_until(lambda: not alive(first), 5, "%s: the idle bootstrap %d to end"
                     % (side.api, first))
        second = ok_json(get(side, "/idle?do=pid"), "after the idle timeout")["pid"]
        h.ok(second != first, "%s: an ended environment served" % side.api)
        h.eq(counters(side.bridge, "idle").get("cold_starts"), 2,
             "%s: SIGUSR1 cold_starts of 'idle'" % side.api)


def max_requests_recycles(fx):
    """max_requests = 2: no environment serves a third request, and one
    that served two ends.  (A pause between the requests lets each
    environment settle: what a client back to back gets is
    hundred_warm_requests's business.)"""
    for side in sides(fx):
        served = {}
        for _ in range(6):
            pid = ok_json(get(side, "/recycle?do=pid"))["pid"]
            served[pid] = served.get(pid, 0) + 1
            time.sleep(0.05)
        h.ok(max(served.values()) == 2, "requests per environment: %r" % served)
        done = [p for p, n in served.items() if n == 2]
        h.wait_until(lambda: not any(alive(p) for p in done), 5,
                     "the recycled bootstraps %r to end" % done)


def reserved_concurrency(fx):
    """reserved_concurrency = 1 and two clients at once: one is throttled
    with Lambda's throttle as API Gateway maps it (500 on both API types,
    docs/responses.md), as native."""
    for side in sides(fx):
        status, body = 500, (HTTP_ISE if side.api == "http" else REST_ISE)
        results = h.parallel([lambda: get(side, "/one?do=sleep&ms=1500"),
                              lambda: (time.sleep(0.4), get(side, "/one?do=pid"))[1]])
        h.eq(sorted(r.status for r in results), sorted([200, status]),
             "%s: statuses (%r)" % (side.api, [r.body[:100] for r in results]))
        h.eq(results[1].body, body, "throttled body")
        h.wait_until(lambda: get(side, "/one?do=pid").status == 200, 3,
                     "the slot to be free again")


# ---------------------------------------------------------------- logs

def function_logs(fx):
    """The bootstrap's stdout and stderr become the function's log lines
    with the request id, between START and END; REPORT has Duration,
    Billed Duration, Memory Size and Max Memory Used."""
    for side in sides(fx):
        tag = uuid.uuid4().hex
        off = side.bridge.log_size()
        rid = ok_json(get(side, "/boot/log?do=print&tag=" + tag))["request_id"]
        text = side.bridge.wait_log("REPORT RequestId: " + rid, 5, off)
        text = side.bridge.wait_log("BOOT-STDERR " + tag, 5, off)
        for what in ("BOOT-STDOUT " + tag, "BOOT-STDERR " + tag):
            found = lines_with(text, what)
            h.eq(len(found), 1, "log lines with %r" % what)
            h.ok(rid in found[0], "the line %r lacks the request id %s" % (found[0], rid))
        start = text.index("START RequestId: " + rid)
        end = text.index("END RequestId: " + rid)
        h.ok(start < text.index("BOOT-STDOUT " + tag) < end, "stdout line outside START..END")
        rep = report_line(text, rid)
        for field in ("Duration: ", "Billed Duration: ", "Memory Size: 128 MB",
                      "Max Memory Used: "):
            h.ok(field in rep, "%r not in %r" % (field, rep))


def max_memory_used(fx):
    """REPORT's Max Memory Used is the bootstrap's peak: at least the 48 MB
    an invocation touched (and freed before answering), right after
    another invocation."""
    for side in sides(fx):
        ok_json(get(side, "/boot/log?do=pid"))
        off = side.bridge.log_size()
        rid = ok_json(get(side, "/boot/log?do=alloc&mb=48"))["request_id"]
        rep = report_line(side.bridge.wait_log("REPORT RequestId: " + rid, 5, off), rid)
        used = int(re.search(r"Max Memory Used: (\d+) MB", rep).group(1))
        h.ok(48 <= used <= 128, "%s: Max Memory Used %d MB after touching 48 MB: %r"
             % (side.api, used, rep))


def memory_limit(fx):
    """A bootstrap that touches 300 MB with memory = 128: the API type's
    error, Runtime.OutOfMemory in the log with a peak over the limit, and
    the next request gets a new environment."""
    for side in sides(fx):
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/boot/m?do=alloc&mb=300&hold_ms=500"), "300 MB in 128")
        text = side.bridge.wait_log(r"Runtime\.OutOfMemory", 5, off)
        rid = re.search(r"(%s) Lambda execution failed.*Runtime\.OutOfMemory" % UUID,
                        text).group(1)
        rep = report_line(side.bridge.wait_log("REPORT RequestId: " + rid, 5, off), rid)
        used = int(re.search(r"Max Memory Used: (\d+) MB", rep).group(1))
        ok_json(get(side, "/boot/m?do=pid"), "after running out of memory")
        # without RLIMIT_AS (docs/design.md) the bound is the cgroup's
        # memory.max where the host has a memory controller, else the
        # shim's 50 ms sampling: how far past 128 MB it got is printed
        print("      %s: killed at a peak of %d MB (memory = 128)" % (side.api, used))
        h.ok(used >= 128, "%s: Runtime.OutOfMemory at a peak of %d MB" % (side.api, used))


def init_duration(fx):
    """A bootstrap that sleeps 400 ms before its first `next`: the cold
    REPORT's Init Duration is at least that, the next REPORT has none;
    what it printed during init is logged."""
    for side in sides(fx):
        off = side.bridge.log_size()
        rid = ok_json(get(side, "/initslow?do=pid"))["request_id"]
        text = side.bridge.wait_log("REPORT RequestId: " + rid, 5, off)
        rep = report_line(text, rid)
        m = re.search(r"Init Duration: ([\d.]+) ms", rep)
        h.ok(m, "no Init Duration on the cold start: %r" % rep)
        h.ok(400 <= float(m.group(1)) < 3000, "Init Duration %s ms for a 400 ms init"
             % m.group(1))
        h.ok("BOOT-INIT initslow" in side.bridge.log_text(), "the init line is not logged")
        off = side.bridge.log_size()
        rid = ok_json(get(side, "/initslow?do=pid"))["request_id"]
        rep = report_line(side.bridge.wait_log("REPORT RequestId: " + rid, 5, off), rid)
        h.ok("Init Duration" not in rep, "Init Duration on a warm request: %r" % rep)


# ---------------------------------------------------------------- Runtime API

def runtime_api_errors(fx):
    """The Runtime API's own answers to a misbehaving runtime, as Lambda's
    runtime API / AWS's Runtime Interface Emulator give them: a response
    for an unknown request id 400 InvalidRequestID, an unknown path 404,
    init/error after init 403 InvalidStateTransition, a second `next`
    during the invocation the same event again, a known path with another
    method 405, a second response to an answered invocation 403
    InvalidStateTransition (docs/runtime-api.md 5); the first response
    stands and the environment serves on."""
    for side in sides(fx):
        off = side.bridge.log_size()
        obj = ok_json(get(side, "/boot/rapi?do=rapi"), "rapi")
        print("      %s: %s" % (side.api, ", ".join(
            "%s %s" % (k, v["status"]) for k, v in sorted(obj.items()) if isinstance(v, dict))))

        def error_type(what):
            try:
                return json.loads(obj[what]["body"]).get("errorType")
            except (ValueError, AttributeError):
                return None
        h.eq(obj["wrong_id"]["status"], 400, "response to an unknown request id")
        h.eq(error_type("wrong_id"), "InvalidRequestID", "its errorType")
        h.eq(obj["unknown_path"]["status"], 404, "GET of an unknown path")
        h.eq(obj["unknown_post"]["status"], 404, "POST .../invocation/ID/nonsense")
        h.eq(obj["init_error_after_init"]["status"], 403, "init/error after init")
        h.eq(error_type("init_error_after_init"), "InvalidStateTransition", "its errorType")
        h.eq((obj["next_again"]["status"], obj["next_again"]["request_id"]),
             (200, obj["request_id"]), "a second `next` during the invocation: the same event")
        h.eq(obj["wrong_method"]["status"], 405, "GET .../response")
        text = side.bridge.wait_log(r"BOOT-RAPI second_response=.*\n", 5, off)
        second = json.loads(re.search(r"BOOT-RAPI second_response=(.*)\n", text).group(1))
        print("      %s: second response %s %s" % (side.api, second["status"], second["body"]))
        h.eq(second["status"], 403, "second response to one invocation (%r)" % second)
        h.eq(json.loads(second["body"] or "{}").get("errorType"), "InvalidStateTransition",
             "its errorType")
        ok_json(get(side, "/boot/rapi?do=pid"), "after the Runtime API errors")
        h.ok(alive(obj["pid"]), "the bootstrap was killed for its Runtime API errors")


# ---------------------------------------------------------------- operations

def invoke_command(fx):
    """`lambdabridge invoke` runs one event through a provided function
    (bootstrap_curl and the tutorial's), no web server involved."""
    def invoke(fn, event):
        return h.run_cmd([h.LB_BIN, "invoke", "-c", fx.http.config, fn, "-"],
                         input=json.dumps(event), timeout=30)
    r = invoke("boot", {"queryStringParameters": {"do": "pid"}})
    h.eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-500:])
    try:
        res = json.loads(r.stdout)
    except ValueError:
        raise AssertionError("stdout is not the result JSON: %r" % r.stdout[:500])
    h.eq(res.get("statusCode"), 200, "statusCode")
    h.ok(isinstance(json.loads(res["body"]).get("pid"), int), "pid in %r" % res["body"])
    r = invoke("boot", {"queryStringParameters": {"do": "error"}})
    h.ok(r.returncode != 0, "exit status 0 for a function error")
    h.ok("BootError" in r.stdout + r.stderr, "errorType not printed: %r %r"
         % (r.stdout[-300:], r.stderr[-300:]))
    r = invoke("tutorial", {"rawPath": "/invoked"})
    h.eq(r.returncode, 0, "tutorial: exit status (stderr %r)" % r.stderr[-500:])
    h.ok("Hello from Lambda!" in json.loads(r.stdout).get("body", ""), "tutorial: %r" % r.stdout)


def _write_value(side, value):
    values = dict(side.values, value=value)
    text = h.substitute(os.path.join(h.CONF_DIR, "runtime.conf.in"),
                        dict({k.upper(): str(v) for k, v in values.items()},
                             HANDLERS=h.HANDLERS, TEST_HANDLERS=h.TEST_HANDLERS,
                             LISTEN_ACCESS=h.listen_access()))
    tmp = side.config + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, side.config)
    side.values = values


def sighup_reload(fx):
    """SIGHUP under load: no request fails; after the reload new
    environments (new bootstraps, the new INTEG_VALUE) serve and the old
    bootstrap ends."""
    side = fx.http
    old = ok_json(get(side, "/boot/r?do=echo"))
    bad, sent = [], [0]
    stop = threading.Event()

    def load():
        while not stop.is_set() and sent[0] < 500:
            sent[0] += 1
            try:
                r = get(side, "/boot/r?do=pid")
                if r.status != 200:
                    bad.append((r.status, r.body[:100]))
            except AssertionError as e:
                bad.append(str(e))
    t = threading.Thread(target=load, daemon=True)
    t.start()
    try:
        off = side.bridge.log_size()
        time.sleep(0.3)
        new_value = "v%d" % (int(side.values["value"][1:]) + 1)
        _write_value(side, new_value)
        side.bridge.signal(signal.SIGHUP)
        side.bridge.wait_log(r"reloaded", 5, off)
        time.sleep(0.5)
    finally:
        stop.set()
        t.join(LIMIT + 5)
    h.eq(bad, [], "failed requests among %d during a SIGHUP reload" % sent[0])
    h.ok(sent[0] >= 5, "only %d requests during the reload" % sent[0])
    new = ok_json(get(side, "/boot/r?do=echo"))
    h.eq(new["env"], new_value, "INTEG_VALUE after the reload")
    h.ok(new["pid"] != old["pid"], "the old environment serves after a reload")
    h.wait_until(lambda: not alive(old["pid"]), 8, "the old bootstrap %d to end" % old["pid"])


# ---------------------------------------------------------------- other clients

def tutorial_bootstrap(fx):
    """The tutorial's shell bootstrap (curl, a temp file of headers, the
    request id grepped from them): its API Gateway response as it wrote it,
    warm between requests, the event it echoes to stderr logged with the
    request id."""
    for side in sides(fx):
        off = side.bridge.log_size()
        pids = set()
        for i in range(3):
            time.sleep(0.2)  # it settles (calls `next`) in a few ms
            r = get(side, "/tutorial/hello%d" % i)
            h.status_is(r, 200)
            h.eq(r.header("Content-Type"), "text/plain", "Content-Type")
            h.eq(r.header("X-Tutorial"), "function.sh", "X-Tutorial")
            m = re.fullmatch(r"Hello from Lambda! request (%s) pid (\d+)" % UUID,
                             r.body.decode())
            h.ok(m, "body %r" % r.body)
            pids.add(m.group(2))
            rid = m.group(1)
            text = side.bridge.wait_log("REPORT RequestId: " + rid, 5, off)
            h.ok("START RequestId: " + rid in text, "no START line for " + rid)
            echoed = [line for line in lines_with(text, "/tutorial/hello%d" % i) if rid in line]
            h.ok(echoed, "the event echoed to stderr is not logged with %s:\n%s"
                 % (rid, text[-2000:]))
        h.eq(len(pids), 1, "tutorial bootstraps serving 3 requests")


def node_ric(fx):
    """AWS's Node.js runtime interface client (aws-lambda-ric, its native
    client built on aws-lambda-cpp and libcurl) runs index.mjs: the event as
    native gets it, warm requests in one process, console lines with the
    request id, a thrown error, process.exit mid-invocation."""
    need_ric()
    for side, twin in ((fx.http, fx.http_twin), (fx.rest, fx.rest_twin)):
        hdrs = [("Host", "runtime.test"), ("X-Custom", "n")]
        mine = ok_json(h.http(side.port, "GET", "/samenode/a?x=1", hdrs, timeout=LIMIT), "node")
        native = ok_json(h.http(twin.port, "GET", "/samenode/a?x=1", hdrs, timeout=LIMIT),
                         "native")
        d = diff(normalize(mine["event"]), normalize(native["event"]))
        h.ok(not d, "%s: the events differ:\n  %s" % (side.api, "\n  ".join(d)))
        h.eq(mine["function"], "node", "context.functionName")
        h.ok(0 < mine["remaining_ms"] <= 3000, "getRemainingTimeInMillis %r" % mine["remaining_ms"])
        pids, counts = set(), []
        for _ in range(10):
            time.sleep(0.05)  # it settles (calls `next`) in a few ms
            r = get(side, "/node/w")
            h.eq(r.header("X-Runtime"), "node", "X-Runtime")
            obj = ok_json(r)
            pids.add(obj["pid"])
            counts.append(obj["count"])
        h.eq(len(pids), 1, "node processes serving 10 sequential requests")
        h.eq(counts, list(range(counts[0], counts[0] + 10)), "module state between requests")
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/node/e?do=error"), "thrown error")
        side.bridge.wait_log(r"NodeError", 5, off)
        tag = uuid.uuid4().hex
        off = side.bridge.log_size()
        rid = ok_json(get(side, "/node/p?do=print&tag=" + tag))["request_id"]
        text = side.bridge.wait_log("NODE-STDERR " + tag, 5, off)
        for what in ("NODE-STDOUT " + tag, "NODE-STDERR " + tag):
            h.ok(any(rid in line for line in lines_with(text, what)),
                 "%r not logged with %s:\n%s" % (what, rid, text[-1500:]))
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/node/x?do=exit&code=5"), "process.exit(5)")
        text = side.bridge.wait_log(r"Runtime\.ExitError", 5, off)
        h.ok("exit status 5" in text, "exit status 5 not in the log:\n" + text)
        ok_json(get(side, "/node/w"), "after the exit")


def node_ric_handler_not_found(fx):
    """A handler the module does not export: the RIC posts init/error
    (Runtime.HandlerNotFound); the API type's error."""
    need_ric()
    for side in sides(fx):
        off = side.bridge.log_size()
        expect_ise(side, get(side, "/nodebad"), "missing handler")
        side.bridge.wait_log(r"HandlerNotFound", 8, off)


TESTS = [events_equal_native, events_v1_equal_native, runtime_headers_and_environment,
         response_mapping_as_native, function_error, error_body_not_json, function_timeout,
         integration_timeout,
         crash_mid_invocation, init_exit, init_error, response_five_megabytes,
         response_over_six_megabytes, chunked_response, hundred_warm_requests,
         settling_is_not_idle, provisioned_environment, idle_timeout_ends_environment,
         max_requests_recycles, reserved_concurrency, function_logs, max_memory_used,
         memory_limit,
         init_duration,
         runtime_api_errors, invoke_command, tutorial_bootstrap, node_ric,
         node_ric_handler_not_found, sighup_reload]

for _kind in ("nginx", "apache"):
    _g = h.Group("runtime-" + _kind, "provided runtimes (bootstrap_curl, the tutorial's "
                 "shell bootstrap, the Node RIC) through %s" % _kind, setup=_setup(_kind))
    for _fn in TESTS:
        _g.test(_fn)
