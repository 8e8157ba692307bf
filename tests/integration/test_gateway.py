"""Groups gateway-nginx, gateway-apache (issue 15): an HTTP API's
gateway.cors (a browser's preflight and request, origins, the function's
own CORS headers replaced, gateway errors) and a REST API's gateway
response templates (every variable, a configured type taken whole) and
CORS the AWS way (an OPTIONS route to handlers/preflight, DEFAULT_4XX
headers), through each web server.
"""

import os
import re

import harness as h

APP = "https://app.example"


class Fx:
    pass


def _setup(kind):
    def setup(env):
        h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"),
                       os.path.join(h.HANDLERS, "preflight.so"))
        fx = Fx()
        start = h.start_nginx if kind == "nginx" else h.start_apache
        fx.bridge = h.start_bridge(env, h.write_config(env, "gateway-http", stage="$default"))
        fx.dev_bridge = h.start_bridge(env, h.write_config(env, "gateway-http", stage="dev"))
        fx.rest_bridge = h.start_bridge(env, h.write_config(env, "gateway-rest"))
        fx.port = start(env, fx.bridge.sock).port
        fx.dev_port = start(env, fx.dev_bridge.sock).port
        fx.rest_port = start(env, fx.rest_bridge.sock).port
        return fx
    return setup


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def cors_headers(r):
    return sorted((k.lower(), v) for k, v in r.headers
                  if k.lower().startswith("access-control-"))


def preflight(port, path, origin=APP, method="POST", req_headers="content-type"):
    hdrs = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if req_headers:
        hdrs.append(("Access-Control-Request-Headers", req_headers))
    return h.http(port, "OPTIONS", path, hdrs)


def access_line(bridge, method, path, offset=0):
    """The bridge's access line for the request (the last one)."""
    pat = re.compile(r'"%s %s HTTP/1\.[01]" (\d+) \d+ \d+ ms \S+ (\S+)'
                     % (re.escape(method), re.escape(path)))
    h.wait_until(lambda: pat.search(bridge.log_since(offset)), 5,
                 "the access line of %s %s" % (method, path))
    return pat.findall(bridge.log_since(offset))[-1]


# ------------------------------------------------------------ HTTP API CORS

@test
def browser_preflight_then_request(fx):
    """What a browser sends for fetch(url, {method: "POST", headers:
    {"content-type": "application/json"}, credentials: "include"})."""
    off = fx.bridge.log_size()
    r = preflight(fx.port, "/items")
    h.status_is(r, 204)
    h.eq(r.body, b"", "preflight body")
    h.eq(cors_headers(r), [
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-headers", "content-type,x-trace"),
        ("access-control-allow-methods", "GET,POST"),
        ("access-control-allow-origin", APP),
        ("access-control-max-age", "300")], "preflight headers")
    h.ok(r.header("apigw-requestid"), "apigw-requestid on the preflight")
    # answered by the gateway: no function ("-" in the access line)
    h.eq(access_line(fx.bridge, "OPTIONS", "/items", off), ("204", "-"),
         "preflight access line (status, function)")

    # the request itself: the function's own access-control-* headers are
    # replaced by the configuration's
    result = ('{"statusCode": 201, "headers": {"Access-Control-Allow-Origin": "*", '
              '"access-control-allow-methods": "PUT", "X-Total": "7"}, "body": "made"}')
    r = h.http(fx.port, "POST", "/items", [("Origin", APP),
                                           ("Content-Type", "application/json")], result)
    h.status_is(r, 201)
    h.eq(r.body, b"made", "body")
    h.eq(r.header("x-total"), "7", "the function's other headers stay")
    h.eq(cors_headers(r), [
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-origin", APP),
        ("access-control-expose-headers", "x-total")], "response headers")


@test
def preflight_any_routed_path(fx):
    # a path parameter, the subdomain wildcard (echoed), another method
    r = preflight(fx.port, "/items/42", origin="http://a.dev.example", method="GET",
                  req_headers=None)
    h.status_is(r, 204)
    h.eq(r.header("access-control-allow-origin"), "http://a.dev.example", "allow-origin")
    # no route for the path at all: the HTTP API's 404
    r = preflight(fx.port, "/nowhere")
    h.status_is(r, 404)
    h.eq(r.body, b'{"message":"Not Found"}', "404 body")
    # an OPTIONS without Access-Control-Request-Method is no preflight
    r = h.http(fx.port, "OPTIONS", "/items", [("Origin", APP)])
    h.status_is(r, 404)


@test
def preflight_named_stage(fx):
    r = preflight(fx.dev_port, "/dev/items")
    h.status_is(r, 204)
    h.eq(r.header("access-control-allow-origin"), APP, "allow-origin")
    # outside the stage nothing is routed, preflights included
    r = preflight(fx.dev_port, "/items")
    h.status_is(r, 404)
    h.eq(r.header("access-control-allow-origin"), APP, "the 404's allow-origin")


@test
def explicit_options_route_wins(fx):
    """Route matching comes first: an OPTIONS route gets the preflight."""
    r = preflight(fx.port, "/own")
    h.status_is(r, 200)
    ev = r.json()["event"]
    h.eq(ev["requestContext"]["http"]["method"], "OPTIONS", "the function saw the preflight")
    h.eq(r.header("access-control-allow-origin"), APP, "allow-origin added")


@test
def origin_not_allowed(fx):
    r = preflight(fx.port, "/items", origin="https://evil.example")
    h.status_is(r, 204)
    h.eq(cors_headers(r), [], "no CORS headers for another origin")
    result = '{"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}, "body": "x"}'
    r = h.http(fx.port, "POST", "/items", [("Origin", "https://evil.example")], result)
    h.status_is(r, 200)  # served: the browser is the one that refuses
    h.eq(cors_headers(r), [], "the function's CORS headers are ignored")
    r = h.http(fx.port, "GET", "/items")
    h.status_is(r, 200)
    h.eq(cors_headers(r), [], "no Origin, no CORS headers")


@test
def gateway_errors_carry_cors(fx):
    r = h.http(fx.port, "GET", "/nowhere", [("Origin", APP)])
    h.status_is(r, 404)
    h.eq(r.header("access-control-allow-origin"), APP, "404 allow-origin")
    h.eq(r.header("access-control-allow-credentials"), "true", "404 credentials")


# ------------------------------------------------- REST gateway responses

@test
def rest_template_variables(fx):
    r = h.http(fx.rest_port, "GET", "/prod/nowhere")
    h.status_is(r, 404)
    h.eq(r.header("content-type"), "application/json", "content-type")
    h.eq(r.header("x-amzn-ErrorType"), "MissingAuthenticationTokenException", "error type")
    h.eq(r.header("x-own"), "yes", "the type's own header")
    h.eq(r.header("x-default"), None, "no DEFAULT_4XX header on a configured type")
    h.eq(r.header("access-control-allow-origin"), None, "nor DEFAULT_4XX's CORS header")
    h.eq(r.json(), {"ms": "Missing Authentication Token",
                    "m": "Missing Authentication Token",
                    "t": "MISSING_AUTHENTICATION_TOKEN",
                    "id": r.header("x-amzn-RequestId"),
                    "ip": "127.0.0.1", "stage": "prod", "env": "integ", "none": ""},
         "template")


@test
def rest_default_4xx_inherited(fx):
    """INVALID_API_KEY has no entry: DEFAULT_4XX's headers and template,
    its own status and x-amzn-ErrorType."""
    r = h.http(fx.rest_port, "GET", "/prod/keyed", [("Origin", APP)])
    h.status_is(r, 403)
    h.eq(r.header("x-amzn-ErrorType"), "ForbiddenException", "error type")
    h.eq(r.header("access-control-allow-origin"), "*", "DEFAULT_4XX CORS header")
    h.eq(r.header("x-default"), "4xx", "DEFAULT_4XX header")
    h.eq(r.body, b'{"message":"Forbidden","type":"INVALID_API_KEY"}', "body")


@test
def rest_cors_the_aws_way(fx):
    """An OPTIONS route to handlers/preflight answers the preflight; the
    function's own Access-Control-Allow-Origin reaches the browser as is."""
    off = fx.rest_bridge.log_size()
    r = preflight(fx.rest_port, "/prod/items")
    h.status_is(r, 200)
    h.eq(r.body, b"", "preflight body")
    h.eq(r.header("access-control-allow-origin"), APP, "allow-origin")
    h.eq(r.header("access-control-allow-methods"), "GET,POST,OPTIONS", "allow-methods")
    h.eq(r.header("access-control-allow-headers"),
         "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token",
         "allow-headers (the console's)")
    h.eq(access_line(fx.rest_bridge, "OPTIONS", "/prod/items", off)[1], "preflight",
         "the preflight function ran")
    result = ('{"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "%s"}, '
              '"body": "ok"}' % APP)
    r = h.http(fx.rest_port, "POST", "/prod/items", [("Origin", APP)], result)
    h.status_is(r, 200)
    h.eq(r.header("access-control-allow-origin"), APP, "the function's header")
    # with API keys: the preflight route needs none, the request does
    r = preflight(fx.rest_port, "/prod/keyed", method="GET", req_headers="x-api-key")
    h.status_is(r, 200)
    h.eq(r.header("access-control-allow-origin"), APP, "keyed preflight allow-origin")
    r = h.http(fx.rest_port, "GET", "/prod/keyed",
               [("Origin", APP), ("x-api-key", "integ-key-0123456789abcdef")])
    h.status_is(r, 200)


for _kind in ("nginx", "apache"):
    _g = h.Group("gateway-" + _kind, "gateway.cors and gateway response templates through "
                 + _kind, setup=_setup(_kind))
    for _fn in TESTS:
        _g.test(_fn)
