"""Group foundation (issue 2): the example handlers behind nginx, unknown
routes, a function whose environments cannot start, `check` and `invoke`.

The example handlers (handlers/hello, echo, counter) are driven through
conf/foundation.conf.in with api = "http" and, for the REST-only bodies, a
second bridge with api = "rest".
"""

import json
import os
import re
import shutil

import harness as h

HTTP_ISE = b'{"message":"Internal Server Error"}'
REST_ISE = b'{"message": "Internal server error"}'


class Fx:
    pass


def _stack(env, api):
    vanish = env.path(env.unique("vanish") + ".so")
    shutil.copy(os.path.join(h.TEST_HANDLERS, "integ_fn.so"), vanish)
    cfg = h.write_config(env, "foundation", api=api, vanish=vanish)
    bridge = h.start_bridge(env, cfg)
    # the socket accepts (its backlog) before the environments, and the
    # modules they pin, are set up: "serving on" comes after
    bridge.wait_log(r"serving on ", 30)
    os.unlink(vanish)  # pinned at start-up: the file is not needed any more
    nginx = h.start_nginx(env, bridge.sock)
    return cfg, bridge, nginx


def _setup(env):
    h.need_modules(*[os.path.join(h.HANDLERS, n + ".so") for n in ("hello", "echo", "counter")]
                   + [os.path.join(h.TEST_HANDLERS, n + ".so")
                      for n in ("integ_fn", "integ_initfail")])
    fx = Fx()
    fx.env = env
    fx.config, fx.bridge, fx.server = _stack(env, "http")
    fx.port = fx.server.port
    fx.rest_config, fx.rest_bridge, fx.rest_server = _stack(env, "rest")
    fx.rest_port = fx.rest_server.port
    # for check and invoke: every module present
    fx.good_config = h.write_config(env, "foundation", name="good.conf", api="http",
                                    vanish=os.path.join(h.TEST_HANDLERS, "integ_fn.so"))
    return fx


g = h.Group("foundation", "example handlers, unknown routes, init failures, check, invoke",
            setup=_setup)


def body_json(resp):
    h.status_is(resp, 200)
    return resp.json()


def find_event(obj):
    """The echo handler's event: the body itself, or under a key."""
    if isinstance(obj, dict):
        if "requestContext" in obj:
            return obj
        for k in ("event", "received", "echo"):
            if isinstance(obj.get(k), dict) and "requestContext" in obj[k]:
                return obj[k]
    raise AssertionError("no event in the echo response: %r" % (obj,))


def find_int(obj, names):
    for n in names:
        v = obj.get(n) if isinstance(obj, dict) else None
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    raise AssertionError("none of %s in %r" % (names, obj))


@g.test
def hello_uses_config_environment(fx):
    r = h.http(fx.port, "GET", "/hello")
    h.status_is(r, 200)
    h.ok(b"Bonjour-integ" in r.body,
         "GREETING from the function's environment not in the body: %r" % r.body[:300])


@g.test
def echo_returns_the_event(fx):
    r = h.http(fx.port, "POST", "/echo/a/b?x=1", [("Content-Type", "application/json"),
                                                  ("X-Probe", "p1")], b'{"k": "v"}')
    ev = find_event(body_json(r))
    h.eq(ev.get("version"), "2.0", "version")
    h.eq(ev.get("rawPath"), "/echo/a/b", "rawPath")
    h.eq(ev.get("rawQueryString"), "x=1", "rawQueryString")
    h.eq(ev.get("routeKey"), "ANY /echo/{proxy+}", "routeKey")
    h.eq(ev.get("pathParameters"), {"proxy": "a/b"}, "pathParameters")
    h.eq(ev.get("headers", {}).get("x-probe"), "p1", "headers.x-probe")
    h.eq(ev.get("body"), '{"k": "v"}', "body")
    h.eq(ev.get("isBase64Encoded"), False, "isBase64Encoded")
    h.eq(ev["requestContext"].get("requestId"), r.header("apigw-requestid"),
         "requestContext.requestId vs apigw-requestid")


@g.test
def counter_increments_in_one_environment(fx):
    seen = []
    for _ in range(4):
        seen.append(body_json(h.http(fx.port, "GET", "/counter")))
    counts = [find_int(o, ("count", "counter", "invocations", "n", "value")) for o in seen]
    pids = [find_int(o, ("pid",)) for o in seen]
    h.eq(len(set(pids)), 1, "pids of warm calls (reserved_concurrency = 1): %r" % pids)
    h.eq(counts, list(range(counts[0], counts[0] + 4)), "counts of 4 warm calls")


@g.test
def unknown_route_http_404(fx):
    for method, path in (("GET", "/nope"), ("DELETE", "/hello"), ("GET", "/")):
        r = h.http(fx.port, method, path)
        h.status_is(r, 404)
        h.eq(r.body, b'{"message":"Not Found"}', "%s %s body" % (method, path))
        h.ok(r.header("apigw-requestid"), "apigw-requestid on the 404")


@g.test
def unknown_route_rest_403(fx):
    r = h.http(fx.rest_port, "GET", "/nope")
    h.status_is(r, 403)
    h.eq(r.body, b'{"message":"Missing Authentication Token"}', "body")
    h.eq(r.header("x-amzn-ErrorType"), "MissingAuthenticationTokenException", "x-amzn-ErrorType")
    h.ok(r.header("x-amzn-RequestId"), "x-amzn-RequestId")


@g.test
def init_failure_is_5xx_others_serve(fx):
    for port, status, body in ((fx.port, 500, HTTP_ISE), (fx.rest_port, 502, REST_ISE)):
        for _ in range(2):
            r = h.http(port, "GET", "/broken")
            h.status_is(r, status)
            h.eq(r.body, body, "body of a function whose lb_init fails")
        h.status_is(h.http(port, "GET", "/hello"), 200)
        h.status_is(h.http(port, "GET", "/ctl?do=pid"), 200)
    h.ok(fx.bridge.alive() and fx.rest_bridge.alive(), "a bridge died")


@g.test
def module_gone_keeps_serving(fx):
    """The module was deleted after start-up: its environments (the first
    ones included) load the copy pinned at start-up."""
    for port in (fx.port, fx.rest_port):
        for _ in range(2):
            h.status_is(h.http(port, "GET", "/vanish"), 200)
        h.status_is(h.http(port, "GET", "/hello"), 200)
        h.status_is(h.http(port, "GET", "/echo"), 200)
    h.ok(fx.bridge.alive() and fx.rest_bridge.alive(), "a bridge died")


# ------------------------------------------------------------- check / invoke

def check(path):
    return h.run_cmd([h.LB_BIN, "check", "-c", path], timeout=30)


@g.test
def check_good_config(fx):
    r = check(fx.good_config)
    h.eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    for route in ("GET /hello", "ANY /echo/{proxy+}", "GET /counter"):
        h.ok(route in r.stdout, "route %r not in the route table:\n%s" % (route, r.stdout))


@g.test
def check_example_conf(fx):
    r = check(os.path.join(h.REPO, "conf", "example.conf"))
    h.eq(r.returncode, 0, "conf/example.conf: exit status (stderr %r)" % r.stderr)


def _bad(fx, name, text, line, needle):
    path = fx.env.path(name)
    with open(path, "w") as f:
        f.write(text)
    r = check(path)
    h.eq(r.returncode, 1, "%s: exit status (stdout %r stderr %r)" % (name, r.stdout, r.stderr))
    h.ok(re.search(r"%s:%d:" % (re.escape(path), line), r.stderr),
         "%s: no '%s:%d:' in %r" % (name, path, line, r.stderr))
    h.ok(needle in r.stderr, "%s: %r not in %r" % (name, needle, r.stderr))


@g.test
def check_bad_configs(fx):
    fn = os.path.join(h.TEST_HANDLERS, "integ_fn.so")
    head = 'gateway: { api = "http"; user = "%s"; };\n' % h.unprivileged_user()[0]
    _bad(fx, "bad-timeout.conf", head +
         'functions = (\n{ name = "f"; module = "%s"; handler = "integ_ctl";\n'
         '  timeout = 5000.0; }\n);\nroutes = ( { route = "GET /f"; function = "f"; } );\n' % fn,
         4, "timeout")
    _bad(fx, "bad-function.conf", head +
         'functions = (\n{ name = "f"; module = "%s"; handler = "integ_ctl"; }\n);\n'
         'routes = (\n{ route = "GET /f"; function = "nosuch"; }\n);\n' % fn,
         6, "nosuch")
    _bad(fx, "bad-symbol.conf", head +
         'functions = (\n{ name = "f"; module = "%s";\n  handler = "no_such_symbol"; }\n);\n'
         'routes = ( { route = "GET /f"; function = "f"; } );\n' % fn,
         4, "no_such_symbol")
    _bad(fx, "bad-syntax.conf", head + 'functions = (\n{ name = "f" module = }\n);\n',
         3, "")


def invoke(fx, fn, event, extra=()):
    return h.run_cmd([h.LB_BIN, "invoke", "-c", fx.good_config, fn, "-"] + list(extra),
                     input=json.dumps(event), timeout=30)


@g.test
def invoke_prints_result(fx):
    r = invoke(fx, "ctl", {"queryStringParameters": {"do": "pid"}})
    h.eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    try:
        res = json.loads(r.stdout)
    except ValueError:
        raise AssertionError("stdout is not the result JSON: %r" % r.stdout[:500])
    h.eq(res.get("statusCode"), 200, "statusCode")
    inner = json.loads(res["body"])
    h.ok(isinstance(inner.get("pid"), int), "pid in the result body: %r" % inner)


@g.test
def invoke_hello_and_event_file(fx):
    path = fx.env.path("event.json")
    with open(path, "w") as f:
        json.dump({"rawPath": "/hello", "headers": {}, "requestContext": {}}, f)
    r = h.run_cmd([h.LB_BIN, "invoke", "-c", fx.good_config, "hello", path], timeout=30)
    h.eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
    json.loads(r.stdout)
    h.ok("Bonjour-integ" in r.stdout, "GREETING not in %r" % r.stdout[:300])


@g.test
def invoke_function_error(fx):
    r = invoke(fx, "ctl", {"queryStringParameters": {"do": "error"}})
    h.ok(r.returncode != 0, "exit status 0 for a function error")
    h.ok("IntegError" in r.stdout + r.stderr,
         "errorType not printed: stdout %r stderr %r" % (r.stdout, r.stderr))


@g.test
def invoke_unknown_function(fx):
    r = invoke(fx, "nosuch", {})
    h.ok(r.returncode != 0, "exit status 0 for an unknown function")
    h.ok("nosuch" in r.stderr, "stderr does not name the function: %r" % r.stderr)
