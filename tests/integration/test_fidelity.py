"""Groups fidelity-nginx, fidelity-apache (issue 3): what reaches a handler
through each web server, and fidelity-responses: what a handler's result
becomes on the wire (through nginx).

Two bridges run integ_echo / integ_respond (tests/handlers/integ_fn.c):
conf/fidelity-http.conf.in (HTTP API, payload 2.0 under /v2/, 1.0 under
/v1/) and conf/fidelity-rest.conf.in (REST API, binary media types).
integ_echo answers {"pid", "request_id", "event"}: the event as received.
"""

import base64
import json
import os

import harness as h

REST_ISE = b'{"message": "Internal server error"}'
HTTP_ISE = b'{"message":"Internal Server Error"}'
REST_TOO_LONG = b'{"message": "Request Too Long"}'
HTTP_TOO_LARGE = b'{"message":"Request Entity Too Large"}'


class Fx:
    pass


def _setup(kind):
    def setup(env):
        h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"))
        fx = Fx()
        fx.kind = kind
        start = h.start_nginx if kind == "nginx" else h.start_apache
        fx.bridge = h.start_bridge(env, h.write_config(env, "fidelity-http"))
        fx.rest_bridge = h.start_bridge(env, h.write_config(env, "fidelity-rest"))
        fx.server = start(env, fx.bridge.sock)
        fx.rest_server = start(env, fx.rest_bridge.sock)
        fx.port, fx.rest_port = fx.server.port, fx.rest_server.port
        return fx
    return setup


def echo(port, method, path, headers=(), body=None, **kw):
    """(response, echo object, event)"""
    r = h.http(port, method, path, headers, body, **kw)
    h.status_is(r, 200)
    obj = r.json()
    return r, obj, obj["event"]


def v2(fx, method, path, headers=(), body=None, **kw):
    return echo(fx.port, method, "/v2" + path, headers, body, **kw)


def rest(fx, method, path, headers=(), body=None, **kw):
    return echo(fx.rest_port, method, "/echo" + path, headers, body, **kw)


def event_body(ev):
    b = ev.get("body")
    if b is None:
        return None
    return base64.b64decode(b) if ev.get("isBase64Encoded") else b.encode("utf-8")


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def v2_key_fields(fx):
    r, obj, ev = v2(fx, "GET", "/a/b?x=1&y=2", [("User-Agent", "integ/1.0")])
    h.eq(ev["version"], "2.0", "version")
    h.eq(ev["routeKey"], "ANY /v2/{proxy+}", "routeKey")
    h.eq(ev["rawPath"], "/v2/a/b", "rawPath")
    h.eq(ev["rawQueryString"], "x=1&y=2", "rawQueryString")
    h.eq(ev.get("queryStringParameters"), {"x": "1", "y": "2"}, "queryStringParameters")
    h.eq(ev.get("pathParameters"), {"proxy": "a/b"}, "pathParameters")
    h.ok("body" not in ev, "body key present without a body: %r" % ev.get("body"))
    h.ok("cookies" not in ev, "cookies key without cookies")
    h.eq(ev["isBase64Encoded"], False, "isBase64Encoded")
    hd = ev["headers"]
    h.ok(all(k == k.lower() for k in hd), "2.0 header names not lowercase: %r" % list(hd))
    h.eq(hd.get("user-agent"), "integ/1.0", "headers.user-agent")
    h.eq(hd.get("host"), "127.0.0.1:%d" % fx.port, "headers.host")
    h.eq(hd.get("x-forwarded-for"), "127.0.0.1", "headers.x-forwarded-for")
    h.eq(hd.get("x-forwarded-proto"), "http", "headers.x-forwarded-proto")
    h.ok(hd.get("x-amzn-trace-id", "").startswith("Root=1-"), "x-amzn-trace-id %r"
         % hd.get("x-amzn-trace-id"))
    rc = ev["requestContext"]
    h.eq(rc["http"]["method"], "GET", "requestContext.http.method")
    h.eq(rc["http"]["path"], "/v2/a/b", "requestContext.http.path")
    h.eq(rc["http"]["sourceIp"], "127.0.0.1", "requestContext.http.sourceIp")
    h.eq(rc["http"]["userAgent"], "integ/1.0", "requestContext.http.userAgent")
    h.eq(rc["http"]["protocol"], "HTTP/1.1", "requestContext.http.protocol")
    h.eq(rc["routeKey"], "ANY /v2/{proxy+}", "requestContext.routeKey")
    h.eq(rc["stage"], "$default", "requestContext.stage")
    h.ok(isinstance(rc["timeEpoch"], int) and len(str(rc["timeEpoch"])) == 13,
         "timeEpoch in ms: %r" % rc["timeEpoch"])
    h.eq(rc["requestId"], r.header("apigw-requestid"), "requestId vs apigw-requestid header")


@test
def v1_rest_key_fields(fx):
    r, obj, ev = rest(fx, "GET", "/a/b?x=1&x=2", [("User-Agent", "integ/1.0"),
                                                  ("X-Custom-Header", "c")])
    h.eq(ev["resource"], "/echo/{proxy+}", "resource")
    h.eq(ev["path"], "/echo/a/b", "path")
    h.eq(ev["httpMethod"], "GET", "httpMethod")
    h.eq(ev["queryStringParameters"], {"x": "2"}, "queryStringParameters (last value)")
    h.eq(ev["multiValueQueryStringParameters"], {"x": ["1", "2"]},
         "multiValueQueryStringParameters")
    h.eq(ev["pathParameters"], {"proxy": "a/b"}, "pathParameters")
    h.eq(ev["headers"].get("User-Agent"), "integ/1.0", "headers.User-Agent (Title-Case)")
    h.eq(ev["headers"].get("X-Custom-Header"), "c", "headers.X-Custom-Header")
    h.eq(ev["multiValueHeaders"].get("X-Custom-Header"), ["c"], "multiValueHeaders")
    h.ok("Content-Length" not in ev["headers"], "Content-Length in 1.0 headers")
    h.eq(ev["body"], None, "body")
    h.eq(ev["isBase64Encoded"], False, "isBase64Encoded")
    h.eq(ev["stageVariables"], None, "stageVariables")
    rc = ev["requestContext"]
    h.eq(rc["httpMethod"], "GET", "requestContext.httpMethod")
    h.eq(rc["resourcePath"], "/echo/{proxy+}", "requestContext.resourcePath")
    h.eq(rc["identity"]["sourceIp"], "127.0.0.1", "identity.sourceIp")
    h.eq(rc["identity"]["userAgent"], "integ/1.0", "identity.userAgent")
    h.ok(isinstance(rc["requestTimeEpoch"], int) and len(str(rc["requestTimeEpoch"])) == 13,
         "requestTimeEpoch in ms: %r" % rc["requestTimeEpoch"])
    h.eq(rc["requestId"], r.header("x-amzn-RequestId"), "requestId vs x-amzn-RequestId")
    h.eq(rc["extendedRequestId"], r.header("x-amz-apigw-id"),
         "extendedRequestId vs x-amz-apigw-id")
    h.eq(obj["request_id"], rc["requestId"], "the handler's aws_request_id")


@test
def rest_api_keys(fx):
    """A route with api_key_required: x-api-key must name an enabled key
    (else 403 Forbidden, INVALID_API_KEY); the event's identity then carries
    apiKey and apiKeyId (docs/apigw-facts.md 1.8), and only then."""
    for headers, what in (((), "no x-api-key"),
                          ((("X-Api-Key", "wrong-key-0123456789abcdef"),), "an unknown key"),
                          ((("X-Api-Key", "retired-key-0123456789abc"),), "a disabled key")):
        r = h.http(fx.rest_port, "GET", "/keyed/a", list(headers))
        h.eq(r.status, 403, "%s: status (%r)" % (what, r.body[:200]))
        h.eq(r.body, b'{"message":"Forbidden"}', what + ": body")
        h.eq(r.header("x-amzn-ErrorType"), "ForbiddenException", what + ": x-amzn-ErrorType")
        h.ok(r.header("x-amzn-RequestId"), what + ": x-amzn-RequestId")
    r, obj, ev = echo(fx.rest_port, "GET", "/keyed/a",
                      [("X-Api-Key", "integ-key-0123456789abcdef")])
    ident = ev["requestContext"]["identity"]
    h.eq(ident.get("apiKey"), "integ-key-0123456789abcdef", "identity.apiKey")
    h.eq(ident.get("apiKeyId"), "integkey01", "identity.apiKeyId")
    h.eq(ev["headers"].get("X-Api-Key"), "integ-key-0123456789abcdef", "the header stays in headers")
    # a route that requires none: no key fields, whatever the client sends
    r, obj, ev = rest(fx, "GET", "/a", [("X-Api-Key", "integ-key-0123456789abcdef")])
    h.ok("apiKey" not in ev["requestContext"]["identity"], "apiKey without api_key_required")


@test
def rest_usage_plans(fx):
    """A key's usage plan: over its quota 429 {"message":"Limit Exceeded"}
    (QUOTA_EXCEEDED), over its rate 429 {"message":"Too Many Requests"}."""
    key = [("X-Api-Key", "metered-key-0123456789abc")]
    rs = [h.http(fx.rest_port, "GET", "/keyed/q", key) for _ in range(3)]
    h.eq([r.status for r in rs], [200, 200, 429], "quota of 2 a day")
    h.eq(rs[2].body, b'{"message":"Limit Exceeded"}', "over the quota: body")
    h.eq(rs[2].header("x-amzn-ErrorType"), "LimitExceededException", "over the quota: type")
    key = [("X-Api-Key", "burst1-key-0123456789abcd")]
    rs = [h.http(fx.rest_port, "GET", "/keyed/t", key) for _ in range(2)]
    h.eq([r.status for r in rs], [200, 429], "burst 1, rate 0")
    h.eq(rs[1].body, b'{"message":"Too Many Requests"}', "over the rate: body")
    h.eq(rs[1].header("x-amzn-ErrorType"), "TooManyRequestsException", "over the rate: type")
    # other keys are not affected
    h.status_is(h.http(fx.rest_port, "GET", "/keyed/a",
                       [("X-Api-Key", "integ-key-0123456789abcdef")]), 200)


@test
def v1_on_http_api(fx):
    r, obj, ev = echo(fx.port, "GET", "/v1/a%20b?x=1", [("X-Custom-Header", "c")])
    h.eq(ev.get("version"), "1.0", "version")
    h.eq(ev["path"], "/v1/a b", "path (decoded on an HTTP API)")
    h.eq(ev["headers"].get("x-custom-header"), "c", "headers lowercased on an HTTP API")
    h.eq(ev["queryStringParameters"], {"x": "1"}, "queryStringParameters")


@test
def duplicate_headers(fx):
    hdrs = [("X-Dup", "one"), ("X-Dup", "two")]
    _, _, ev = v2(fx, "GET", "/dup", hdrs)
    _, _, rv = rest(fx, "GET", "/dup", hdrs)
    if fx.kind == "apache":
        # Apache joins repeated headers into one param "one, two" before the
        # bridge sees them (docs/fastcgi-facts.md 2.3): one value with a comma
        h.eq(ev["headers"].get("x-dup"), "one, two", "2.0 x-dup")
        h.eq(rv["multiValueHeaders"].get("X-Dup"), ["one, two"], "1.0 multiValueHeaders")
    else:
        h.eq(ev["headers"].get("x-dup"), "one,two", "2.0 x-dup (comma-joined)")
        h.eq(rv["multiValueHeaders"].get("X-Dup"), ["one", "two"], "1.0 multiValueHeaders")
        h.eq(rv["headers"].get("X-Dup"), "two", "1.0 headers (last value)")


@test
def cookies(fx):
    if fx.kind == "apache":
        hdrs = [("Cookie", "a=1; b=2; c=3")]
    else:
        hdrs = [("Cookie", "a=1; b=2"), ("Cookie", "c=3")]
    _, _, ev = v2(fx, "GET", "/c", hdrs)
    h.eq(ev.get("cookies"), ["a=1", "b=2", "c=3"], "2.0 cookies")
    h.ok("cookie" not in ev["headers"], "2.0 headers still hold cookie")
    _, _, rv = rest(fx, "GET", "/c", [("Cookie", "session=abc123; theme=dark")])
    h.eq(rv["headers"].get("Cookie"), "session=abc123; theme=dark", "1.0 Cookie header")


@test
def encoded_paths(fx):
    _, _, ev = v2(fx, "GET", "/a%20b/caf%C3%A9?q=%2F&r=%26")
    h.eq(ev["rawPath"], "/v2/a b/caf\u00e9", "2.0 rawPath (decoded)")
    h.eq(ev["rawQueryString"], "q=%2F&r=%26", "2.0 rawQueryString (as sent)")
    h.eq(ev["queryStringParameters"], {"q": "/", "r": "&"}, "2.0 queryStringParameters")
    _, _, rv = rest(fx, "GET", "/a%20b/x%2Fy/caf%C3%A9")
    h.eq(rv["path"], "/echo/a%20b/x%2Fy/caf%C3%A9", "1.0 REST path (still encoded)")
    h.eq(rv["pathParameters"], {"proxy": "a%20b/x%2Fy/caf%C3%A9"}, "1.0 REST pathParameters")


@test
def plus_in_query(fx):
    q = "plus=test+alias@gmail.com&enc=test%2Balias&sp=a%20b&empty="
    _, _, ev = v2(fx, "GET", "/q?" + q)
    h.eq(ev["rawQueryString"], q, "2.0 rawQueryString")
    h.eq(ev["queryStringParameters"], {"plus": "test alias@gmail.com", "enc": "test+alias",
                                       "sp": "a b", "empty": ""}, "2.0 queryStringParameters")
    _, _, rv = rest(fx, "GET", "/q?" + q)
    h.eq(rv["queryStringParameters"], {"plus": "test alias@gmail.com", "enc": "test+alias",
                                       "sp": "a b", "empty": ""}, "1.0 queryStringParameters")


ALL_BYTES = bytes(range(256)) * 4


@test
def binary_body_round_trip(fx):
    hdrs = [("Content-Type", "application/octet-stream")]
    _, _, ev = v2(fx, "POST", "/bin", hdrs, ALL_BYTES)
    h.eq(ev["isBase64Encoded"], True, "2.0 isBase64Encoded")
    h.ok(event_body(ev) == ALL_BYTES, "2.0 body bytes differ")
    _, _, rv = rest(fx, "POST", "/bin", hdrs, ALL_BYTES)
    h.eq(rv["isBase64Encoded"], True, "1.0 isBase64Encoded (binary_media_types)")
    h.ok(event_body(rv) == ALL_BYTES, "1.0 body bytes differ")


@test
def text_body(fx):
    text = '{"name": "caf\u00e9 \u2603", "n": 1}'
    _, _, ev = v2(fx, "POST", "/t", [("Content-Type", "application/json")], text)
    h.eq(ev["isBase64Encoded"], False, "2.0 isBase64Encoded for JSON")
    h.eq(ev["body"], text, "2.0 body")
    h.eq(ev["headers"].get("content-type"), "application/json", "2.0 content-type")
    _, _, rv = rest(fx, "POST", "/t", [("Content-Type", "application/json")], text)
    h.eq(rv["body"], text, "1.0 body")
    h.eq(rv["headers"].get("Content-Type"), "application/json", "1.0 Content-Type")


@test
def five_megabyte_body(fx):
    body = (b"0123456789abcdef" * 65536) * 5   # 5 MiB of text
    _, _, ev = v2(fx, "POST", "/big", [("Content-Type", "text/plain")], body)
    h.ok(event_body(ev) == body, "5 MB body differs (got %d bytes)"
         % len(event_body(ev) or b""))


@test
def head_request(fx):
    r = h.http(fx.port, "HEAD", "/v2/head")
    h.status_is(r, 200)
    h.eq(r.body, b"", "HEAD body")
    r = h.http(fx.rest_port, "HEAD", "/echo/head")
    h.status_is(r, 200)


@test
def chunked_upload(fx):
    body = b"chunk-" * 50000
    _, _, ev = v2(fx, "POST", "/chunked", [("Content-Type", "text/plain")], body,
                  chunked=True, chunk_size=7000)
    h.ok(event_body(ev) == body, "chunked body differs (got %d bytes)"
         % len(event_body(ev) or b""))


@test
def event_over_six_megabytes(fx):
    body = b"x" * (6 * 1024 * 1024 + 4096)
    r = h.http(fx.rest_port, "POST", "/echo/big", [("Content-Type", "text/plain")], body)
    h.status_is(r, 413)
    h.eq(r.body, REST_TOO_LONG, "REST body")
    h.eq(r.header("x-amzn-ErrorType"), "BadRequestException", "x-amzn-ErrorType")
    r = h.http(fx.port, "POST", "/v2/big", [("Content-Type", "text/plain")], body)
    h.status_is(r, 413)
    h.eq(r.body, HTTP_TOO_LARGE, "HTTP API body")


@test
def over_max_request_body(fx):
    body = b"y" * (10 * 1024 * 1024 + 1)
    r = h.http(fx.rest_port, "POST", "/echo/huge", [("Content-Type", "text/plain")], body)
    h.status_is(r, 413)
    h.eq(r.body, REST_TOO_LONG, "REST body")
    r = h.http(fx.port, "POST", "/v2/huge", [("Content-Type", "text/plain")], body)
    h.status_is(r, 413)
    h.eq(r.body, HTTP_TOO_LARGE, "HTTP API body")


for _kind in ("nginx", "apache"):
    _g = h.Group("fidelity-" + _kind, "requests through %s to integ_echo (REST and HTTP API)"
                 % _kind, setup=_setup(_kind))
    for _fn in TESTS:
        _g.test(_fn)


# ------------------------------------------------------------- responses

resp = h.Group("fidelity-responses", "handler results to HTTP through nginx (integ_respond)",
               setup=_setup("nginx"))


def respond(port, result, path="/respond", headers=()):
    """Makes integ_respond return `result` (any JSON value)."""
    return h.http(port, "POST", path, [("Content-Type", "application/json")] + list(headers),
                  json.dumps(result))


def ids_rest(r):
    h.ok(r.header("x-amzn-RequestId"), "no x-amzn-RequestId: %r" % r.headers)
    h.ok(r.header("x-amz-apigw-id"), "no x-amz-apigw-id: %r" % r.headers)


@resp.test
def rest_full_response(fx):
    r = respond(fx.rest_port, {"statusCode": 201, "headers": {"X-A": "1", "header-bool": True},
                               "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                               "body": "hi"})
    h.status_is(r, 201)
    h.eq(r.body, b"hi", "body")
    h.eq(r.header("X-A"), "1", "X-A")
    h.eq(r.header("header-bool"), "true", "boolean header stringified")
    h.eq(r.header_all("Set-Cookie"), ["a=1", "b=2"], "Set-Cookie lines")
    h.eq(r.header("Content-Type"), "application/json", "default Content-Type")
    ids_rest(r)


@resp.test
def rest_status_only_and_defaults(fx):
    r = respond(fx.rest_port, {"statusCode": 200})
    h.status_is(r, 200)
    h.eq(r.body, b"", "body")
    h.eq(r.header("Content-Type"), "application/json", "Content-Type")
    h.status_is(respond(fx.rest_port, {"statusCode": "201"}), 201)
    h.status_is(respond(fx.rest_port, {"headers": {"test-header": "value"}}), 200)
    h.status_is(respond(fx.rest_port, {"statusCode": 200, "headers": None}), 200)


@resp.test
def rest_header_merge(fx):
    r = respond(fx.rest_port, {"statusCode": 200, "headers": {"X-M": "solo"},
                               "multiValueHeaders": {"X-M": ["multi"]}})
    h.status_is(r, 200)
    h.eq(", ".join(r.header_all("X-M")), "multi, solo", "merged X-M")


@resp.test
def rest_base64_needs_accept(fx):
    res = {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
           "body": base64.b64encode(ALL_BYTES).decode(), "isBase64Encoded": True}
    r = respond(fx.rest_port, res)
    h.status_is(r, 200)
    h.eq(r.body, res["body"].encode(), "no binary Accept: base64 text as is")
    r = respond(fx.rest_port, res, headers=[("Accept", "application/octet-stream")])
    h.status_is(r, 200)
    h.ok(r.body == ALL_BYTES, "binary Accept: decoded bytes differ (%r...)" % r.body[:40])


@resp.test
def rest_invalid_responses_502(fx):
    for bad in ({"statusCode": "test"}, {"statusCode": 200, "wrongValue": "value"},
                "justAString", {"statusCode": 200, "body": {"not": "a string"}},
                {"statusCode": 200, "multiValueHeaders": {"x": "value1"}}):
        r = respond(fx.rest_port, bad)
        h.status_is(r, 502)
        h.eq(r.body, REST_ISE, "body for %r" % (bad,))
        h.eq(r.header("x-amzn-ErrorType"), "InternalServerErrorException", "x-amzn-ErrorType")
        ids_rest(r)


@resp.test
def rest_function_error_502(fx):
    r = h.http(fx.rest_port, "POST", "/respond", [("Content-Type", "text/plain")], "not json")
    h.status_is(r, 502)
    h.eq(r.body, REST_ISE, "body")


@resp.test
def http_structured_response(fx):
    r = respond(fx.port, {"statusCode": 201, "headers": {"x-a": "1"},
                          "cookies": ["a=1", "b=2; Path=/"], "body": "hi"})
    h.status_is(r, 201)
    h.eq(r.body, b"hi", "body")
    h.eq(r.header("x-a"), "1", "x-a")
    h.eq(r.header_all("Set-Cookie"), ["a=1", "b=2; Path=/"], "Set-Cookie lines")
    h.ok(r.header("apigw-requestid"), "apigw-requestid")


@resp.test
def http_inferred_response(fx):
    r = respond(fx.port, {"message": "Hello from Lambda!"})
    h.status_is(r, 200)
    h.eq(r.json(), {"message": "Hello from Lambda!"}, "body")
    h.eq(r.header("Content-Type"), "application/json", "content-type")
    r = respond(fx.port, "Hello from Lambda!")
    h.status_is(r, 200)
    h.eq(r.body, b"Hello from Lambda!", "string body")
    r = respond(fx.port, {"body": "x"})
    h.status_is(r, 200)
    h.eq(r.json(), {"body": "x"}, "object without statusCode is the body")


@resp.test
def http_base64_always_decoded(fx):
    r = respond(fx.port, {"statusCode": 200, "body": base64.b64encode(ALL_BYTES).decode(),
                          "isBase64Encoded": True,
                          "headers": {"content-type": "application/octet-stream"}})
    h.status_is(r, 200)
    h.ok(r.body == ALL_BYTES, "decoded body differs")


@resp.test
def http_invalid_responses_500(fx):
    for bad in ({"statusCode": "test"}, {"statusCode": 200, "body": {"x": 1}}):
        r = respond(fx.port, bad)
        h.status_is(r, 500)
        h.eq(r.body, HTTP_ISE, "body for %r" % (bad,))
        h.eq(r.header("x-amzn-ErrorType"), None, "no x-amzn-ErrorType on an HTTP API")
    r = respond(fx.port, {"headers": {"a": "b"}}, path="/respond1")
    h.status_is(r, 500)
    h.eq(r.body, HTTP_ISE, "payload 1.0 without statusCode")
    r = h.http(fx.port, "POST", "/respond", [("Content-Type", "text/plain")], "not json")
    h.status_is(r, 500)
    h.eq(r.body, HTTP_ISE, "function error")
