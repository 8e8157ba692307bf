"""Groups authz-nginx, authz-apache (issue 15): Lambda authorizers through
each web server.  A REST API's TOKEN and REQUEST authorizers (identity
sources checked first, the validation expression, the exact events, the
IAM policy's Allow / explicit Deny / implicit deny, the 401 and 500
cases, the context the integration sees, the result cache re-evaluated
per methodArn, the order against API keys) and an HTTP API's (payload
1.0 and 2.0 events, simple and IAM responses, its bodies); the SigV4
Authorization header dropped from a REST event.
tests/handlers/authz.c answers by the token.
"""

import json
import os
import re
import signal

import harness as h

ARN = "arn:aws:execute-api:eu-west-1:111122223333:abcdef1234"
EXPLICIT = b'{"Message":"User is not authorized to access this resource with an explicit deny"}'
IMPLICIT = b'{"Message":"User is not authorized to access this resource"}'


# the UNAUTHORIZED, and templates for the other two types
RESPONSES = r"""gateway_responses = {
  UNAUTHORIZED = { status = 401;
    body = "{\"error\":$context.error.messageString,\"type\":\"$context.error.responseType\"}"; };
  ACCESS_DENIED = { body = "{\"m\":$context.error.messageString,\"t\":\"$context.error.responseType\"}";
    headers = { X-Denied = "yes"; }; };
  DEFAULT_5XX = { status = 599; body = "{\"m\":$context.error.messageString,\"t\":\"$context.error.responseType\"}"; };
};"""


class Fx:
    pass


def _setup(kind):
    def setup(env):
        h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"),
                       os.path.join(h.TEST_HANDLERS, "authz.so"))
        fx = Fx()
        start = h.start_nginx if kind == "nginx" else h.start_apache
        fx.rest = h.start_bridge(env, h.write_config(env, "authz-rest", responses="",
                                                        key_source=""))
        fx.http = h.start_bridge(env, h.write_config(env, "authz-http"))
        fx.tpl = h.start_bridge(env, h.write_config(
            env, "authz-rest", responses=RESPONSES,
            key_source='api_key_source = "AUTHORIZER";'))
        fx.rport = start(env, fx.rest.sock).port
        fx.hport = start(env, fx.http.sock).port
        fx.tport = start(env, fx.tpl.sock).port
        return fx
    return setup


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def get(port, path, token=None, headers=()):
    hdrs = list(headers)
    if token is not None:
        hdrs.append(("Authorization", token))
    return h.http(port, "GET", path, hdrs)


def event_of(r):
    """The integration's event (integ_echo's body)."""
    h.status_is(r, 200)
    return r.json()["event"]


def logged(bridge, *responses):
    """Waits until the access lines of these responses are in the log
    (with their invocations' END and REPORT lines, written in one go)."""
    for r in responses:
        rid = r.header("x-amzn-RequestId") or r.header("apigw-requestid")
        bridge.wait_log(re.escape(rid), 5)
    return bridge.log_size()


def mark(fx, rest=True):
    """A log offset after everything earlier: a request to /open whose
    access line is in (the requests before it have been answered)."""
    if rest:
        return logged(fx.rest, get(fx.rport, "/prod/open"))
    return logged(fx.http, get(fx.hport, "/open"))


def starts(bridge, offset, *responses):
    """Invocations started since offset (START lines of any function),
    once the responses' access lines are in."""
    logged(bridge, *responses)
    return len(re.findall(r"START RequestId: ", bridge.log_since(offset)))


def rest_error(r, status, body, error_type):
    h.status_is(r, status)
    h.eq(r.body, body, "body")
    h.eq(r.header("x-amzn-ErrorType"), error_type, "x-amzn-ErrorType")


def http_error(r, status, body):
    h.status_is(r, status)
    h.eq(r.body, body, "body")
    h.eq(r.header("x-amzn-ErrorType"), None, "no x-amzn-ErrorType")
    h.ok(r.header("apigw-requestid"), "apigw-requestid")


# ------------------------------------------------------------------ REST

@test
def rest_missing_identity_401_invokes_nothing(fx):
    off = mark(fx)
    rs = (get(fx.rport, "/prod/items"), get(fx.rport, "/prod/items", ""),
          get(fx.rport, "/prod/req/1", "allow"),       # no ?q=
          get(fx.rport, "/prod/req/1?q=", "allow"))    # empty
    for r in rs:
        rest_error(r, 401, b'{"message":"Unauthorized"}', "UnauthorizedException")
    h.eq(starts(fx.rest, off, *rs), 0, "functions invoked")


@test
def rest_validation_expression(fx):
    off = mark(fx)
    r = get(fx.rport, "/prod/items", "Basic abc")
    rest_error(r, 401, b'{"message":"Unauthorized"}', "UnauthorizedException")
    h.eq(starts(fx.rest, off, r), 0, "functions invoked")
    ev = event_of(get(fx.rport, "/prod/items", "Bearer ok#ve"))
    h.eq(json.loads(ev["requestContext"]["authorizer"]["event"]),
         {"type": "TOKEN", "authorizationToken": "Bearer ok#ve",
          "methodArn": ARN + "/prod/GET/items"}, "the TOKEN event")


@test
def rest_token_context_in_event(fx):
    ev = event_of(get(fx.rport, "/prod/items/7", "allow#ctx"))
    a = ev["requestContext"]["authorizer"]
    h.eq(json.loads(a.pop("event")),
         {"type": "TOKEN", "authorizationToken": "allow#ctx",
          "methodArn": ARN + "/prod/GET/items/7"}, "the TOKEN event")
    h.ok(isinstance(a.pop("integrationLatency"), int), "integrationLatency a number")
    h.ok(re.match(r"^\d+$", a.pop("calls")), "calls as a string")
    h.eq(a, {"number": "42", "flag": "true", "nothing": None, "principalId": "me"},
         "the context, as strings")


@test
def rest_explicit_and_implicit_deny(fx):
    rest_error(get(fx.rport, "/prod/fresh", "deny"), 403, EXPLICIT, "AccessDeniedException")
    rest_error(get(fx.rport, "/prod/fresh", "none"), 403, IMPLICIT, "AccessDeniedException")
    h.status_is(get(fx.rport, "/prod/fresh", "allow-all"), 200)


@test
def rest_unauthorized_error_401(fx):
    rest_error(get(fx.rport, "/prod/fresh", "unauthorized"), 401,
               b'{"message":"Unauthorized"}', "UnauthorizedException")


@test
def rest_failures_500(fx):
    for tok in ("error", "crash", "sleep", "malformed", "condition", "nested"):
        r = get(fx.rport, "/prod/fresh", tok)
        try:
            rest_error(r, 500, b'{"message":null}', "AuthorizerConfigurationException")
        except AssertionError as e:
            raise AssertionError("token %s: %s" % (tok, e))
    h.status_is(get(fx.rport, "/prod/fresh", "allow"), 200)


@test
def rest_cache_reevaluates_per_method_arn(fx):
    """A cached policy that allows only GET /items/1 denies GET /items/2
    without calling the authorizer again."""
    tok = "allow-item1#cache"
    r = get(fx.rport, "/prod/items/1", tok)
    a1 = event_of(r)["requestContext"]["authorizer"]
    off = logged(fx.rest, r)
    r = get(fx.rport, "/prod/items/2", tok)
    rest_error(r, 403, IMPLICIT, "AccessDeniedException")
    h.eq(starts(fx.rest, off, r), 0, "invocations for the cached denial")
    a2 = event_of(get(fx.rport, "/prod/items/1", tok))["requestContext"]["authorizer"]
    h.eq(a2["calls"], a1["calls"], "the cached context")
    h.eq(a2["integrationLatency"], 0, "no authorizer latency on a hit")
    # another token misses the cache: the authorizer runs again
    a3 = event_of(get(fx.rport, "/prod/items/1", "allow#other"))["requestContext"]["authorizer"]
    h.eq(int(a3["calls"]), int(a1["calls"]) + 1, "the authorizer's next call")


@test
def rest_request_event(fx):
    r = get(fx.rport, "/prod/req/7?q=1&q=2", "allow#req", [("X-Custom", "v")])
    ev = event_of(r)
    aev = json.loads(ev["requestContext"]["authorizer"]["event"])
    h.eq(aev["type"], "REQUEST", "type")
    h.eq(aev["methodArn"], ARN + "/prod/GET/req/7", "methodArn")
    h.eq(aev["resource"], "/req/{id}", "resource")
    h.eq(aev["path"], "/req/7", "path")
    h.eq(aev["httpMethod"], "GET", "httpMethod")
    h.eq(aev["pathParameters"], {"id": "7"}, "pathParameters")
    h.eq(aev["queryStringParameters"], {"q": "2"}, "queryStringParameters")
    h.eq(aev["multiValueQueryStringParameters"], {"q": ["1", "2"]}, "multiValue")
    h.eq(aev["stageVariables"], {"env": "integ"}, "stageVariables")
    h.eq(aev["headers"]["Authorization"], "allow#req", "the Authorization header")
    h.eq(aev["headers"]["X-Custom"], "v", "a header")
    h.ok("body" not in aev and "isBase64Encoded" not in aev, "no body")
    h.eq(aev["requestContext"]["stage"], "prod", "requestContext.stage")
    h.eq(aev["requestContext"]["resourcePath"], "/req/{id}", "resourcePath")
    h.ok("authorizer" not in aev["requestContext"], "no authorizer in its own event")


@test
def rest_authorizer_before_api_key(fx):
    off = mark(fx)
    r1 = get(fx.rport, "/prod/keyed")
    rest_error(r1, 401, b'{"message":"Unauthorized"}', "UnauthorizedException")
    r2 = get(fx.rport, "/prod/keyed", "allow")
    rest_error(r2, 403, b'{"message":"Forbidden"}', "ForbiddenException")
    h.eq(starts(fx.rest, off, r1, r2), 1, "the authorizer ran, the integration did not")
    r = get(fx.rport, "/prod/keyed", "allow", [("x-api-key", "integ-key-0123456789abcdef")])
    h.status_is(r, 200)


@test
def rest_authorizer_logs_its_invocation(fx):
    off = mark(fx)
    r = get(fx.rport, "/prod/fresh", "allow#log")
    h.status_is(r, 200)
    h.eq(starts(fx.rest, off, r), 2, "START lines: the authorizer's and the function's")
    h.eq(len(re.findall(r"REPORT RequestId: ", fx.rest.log_since(off))), 2, "REPORT lines")


@test
def rest_gateway_responses(fx):
    rest_error(get(fx.tport, "/prod/fresh"), 401,
               b'{"error":"Unauthorized","type":"UNAUTHORIZED"}', "UnauthorizedException")
    rest_error(get(fx.tport, "/prod/fresh", "unauthorized"), 401,
               b'{"error":"Unauthorized","type":"UNAUTHORIZED"}', "UnauthorizedException")
    r = get(fx.tport, "/prod/fresh", "none")
    rest_error(r, 403, b'{"m":"User is not authorized to access this resource",'
               b'"t":"ACCESS_DENIED"}', "AccessDeniedException")
    h.eq(r.header("X-Denied"), "yes", "the configured header")
    rest_error(get(fx.tport, "/prod/fresh", "deny"), 403,
               b'{"m":"User is not authorized to access this resource with an explicit deny",'
               b'"t":"ACCESS_DENIED"}', "AccessDeniedException")
    # AUTHORIZER_CONFIGURATION_ERROR has no entry: DEFAULT_5XX's
    rest_error(get(fx.tport, "/prod/fresh", "error"), 599,
               b'{"m":null,"t":"AUTHORIZER_CONFIGURATION_ERROR"}',
               "AuthorizerConfigurationException")


@test
def rest_api_key_from_authorizer(fx):
    """api_key_source = "AUTHORIZER" (the second bridge): the key is the
    authorizer's usageIdentifierKey; x-api-key counts for nothing."""
    ev = event_of(get(fx.tport, "/prod/keyed", "withkey"))
    h.eq(ev["requestContext"]["identity"]["apiKey"], "integ-key-0123456789abcdef",
         "identity.apiKey")
    r = get(fx.tport, "/prod/keyed", "allow-all",
            [("x-api-key", "integ-key-0123456789abcdef")])
    rest_error(r, 403, b'{"message":"Forbidden"}', "ForbiddenException")
    # the main bridge reads x-api-key and ignores usageIdentifierKey
    rest_error(get(fx.rport, "/prod/keyed", "withkey"), 403,
               b'{"message":"Forbidden"}', "ForbiddenException")


def stats(bridge, what):
    """The counters of SIGUSR1's line that starts with `what`."""
    off = bridge.log_size()
    bridge.signal(signal.SIGUSR1)
    log = bridge.wait_log(re.escape(what) + r": .*\n", 5, off)
    line = re.search(re.escape(what) + r": (.*)\n", log).group(1)
    return dict(kv.split("=", 1) for kv in line.split())


@test
def rest_counters(fx):
    """The authorizer's invocations count as its function's, and the
    authorizer has counters of its own."""
    fn0 = stats(fx.rest, "function auth2")
    a0 = stats(fx.rest, "authorizer fresh")
    for tok, status in (("allow#n", 200), ("deny#n", 403), ("unauthorized", 401),
                        ("error", 500)):
        h.status_is(get(fx.rport, "/prod/fresh", tok), status)
    h.status_is(get(fx.rport, "/prod/fresh"), 401)  # not invoked
    fn1 = stats(fx.rest, "function auth2")
    a1 = stats(fx.rest, "authorizer fresh")
    h.eq(int(fn1["invocations"]) - int(fn0["invocations"]), 4, "function invocations")
    h.eq(int(fn1["errors"]) - int(fn0["errors"]), 2, "function errors")
    h.eq({k: int(a1[k]) - int(a0[k]) for k in a1},
         {"invoked": 4, "cache_hits": 0, "allowed": 1, "denied": 1,
          "unauthorized": 2, "failed": 1}, "authorizer counters")


@test
def rest_authorizer_concurrency(fx):
    """The authorizer's function has reserved_concurrency = 1: while one
    invocation sleeps, a second request's authorizer is throttled (500),
    counted as the function's throttle."""
    fn0 = stats(fx.rest, "function auth2")
    rs = h.parallel([lambda: get(fx.rport, "/prod/fresh", "sleep#1"),
                     lambda: get(fx.rport, "/prod/fresh", "sleep#2")])
    for r in rs:
        rest_error(r, 500, b'{"message":null}', "AuthorizerConfigurationException")
    fn1 = stats(fx.rest, "function auth2")
    h.eq(int(fn1["throttles"]) - int(fn0["throttles"]), 1, "throttles")
    h.eq(int(fn1["timeouts"]) - int(fn0["timeouts"]), 1, "timeouts")


@test
def rest_sigv4_authorization_dropped(fx):
    sig = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/execute-api/"
           "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
    ev = event_of(get(fx.rport, "/prod/open", sig))
    h.ok("Authorization" not in (ev["headers"] or {}), "no Authorization header")
    h.ok("Authorization" not in (ev["multiValueHeaders"] or {}), "nor in multiValueHeaders")
    ev = event_of(get(fx.rport, "/prod/open", "Bearer abc"))
    h.eq(ev["headers"]["Authorization"], "Bearer abc", "another value stays")
    # an HTTP API keeps it
    ev = event_of(get(fx.hport, "/open", sig))
    h.eq(ev["headers"]["authorization"], sig, "an HTTP API's event")


# -------------------------------------------------------------- HTTP API

@test
def http_simple_response(fx):
    ev = event_of(get(fx.hport, "/simple?a=1", "simple-true#s", [("Cookie", "c=1")]))
    a = ev["requestContext"]["authorizer"]
    lam = a["lambda"]
    aev = json.loads(lam.pop("event"))
    h.ok(isinstance(lam.pop("calls"), int), "calls as returned")
    h.eq(a, {"lambda": {"number": 42, "flag": True, "nothing": None}},
         "requestContext.authorizer.lambda: the context as returned")
    h.eq(aev["version"], "2.0", "version")
    h.eq(aev["type"], "REQUEST", "type")
    h.eq(aev["routeArn"], ARN + "/$default/GET/simple", "routeArn")
    h.eq(aev["identitySource"], ["simple-true#s"], "identitySource")
    h.eq(aev["routeKey"], "GET /simple", "routeKey")
    h.eq(aev["rawPath"], "/simple", "rawPath")
    h.eq(aev["rawQueryString"], "a=1", "rawQueryString")
    h.eq(aev["cookies"], ["c=1"], "cookies")
    h.eq(aev["headers"]["authorization"], "simple-true#s", "headers")
    h.eq(aev["requestContext"]["http"]["method"], "GET", "requestContext.http")
    h.ok("body" not in aev and "isBase64Encoded" not in aev, "no body")


@test
def http_denied_and_failed(fx):
    off = mark(fx, False)
    r = get(fx.hport, "/simple")
    http_error(r, 401, b'{"message":"Unauthorized"}')
    h.eq(starts(fx.http, off, r), 0, "functions invoked")
    http_error(get(fx.hport, "/simple", "simple-false"), 403, b'{"message":"Forbidden"}')
    http_error(get(fx.hport, "/iam/1", "deny"), 403, b'{"message":"Forbidden"}')
    http_error(get(fx.hport, "/iam/1", "none"), 403, b'{"message":"Forbidden"}')
    http_error(get(fx.hport, "/iam/1", "unauthorized"), 401, b'{"message":"Unauthorized"}')
    for tok in ("error", "malformed", "sleep"):
        http_error(get(fx.hport, "/iam/1", tok), 500,
                   b'{"message":"Internal Server Error"}')
    # an HTTP API's IAM answer may carry nested context
    ev = event_of(get(fx.hport, "/iam/1", "nested"))
    h.eq(ev["requestContext"]["authorizer"]["lambda"]["obj"], {}, "nested context")


@test
def http_payload_1_authorizer_event(fx):
    ev = event_of(get(fx.hport, "/v1?q=x", "allow#v1"))
    aev = json.loads(ev["requestContext"]["authorizer"]["lambda"]["event"])
    h.eq(aev["version"], "1.0", "version")
    h.eq(aev["type"], "REQUEST", "type")
    h.eq(aev["methodArn"], ARN + "/$default/GET/v1", "methodArn")
    h.eq(aev["identitySource"], "allow#v1,x", "identitySource")
    h.eq(aev["authorizationToken"], "allow#v1,x", "authorizationToken")
    h.eq(aev["resource"], "/v1", "resource")
    h.ok("body" not in aev, "no body")
    http_error(get(fx.hport, "/v1", "allow#v1"), 401, b'{"message":"Unauthorized"}')


@test
def http_payload_1_integration(fx):
    ev = event_of(get(fx.hport, "/v1int", "simple-true#int"))
    a = ev["requestContext"]["authorizer"]
    a.pop("event")
    a.pop("calls")
    h.ok(isinstance(a.pop("integrationLatency"), int), "integrationLatency")
    h.eq(a, {"number": 42, "flag": True, "nothing": None}, "the context, flat")


@test
def http_cache(fx):
    r = get(fx.hport, "/cached", "simple-true#c")
    a1 = event_of(r)["requestContext"]["authorizer"]
    off = logged(fx.http, r)
    r = get(fx.hport, "/cached", "simple-true#c")
    a2 = event_of(r)["requestContext"]["authorizer"]
    h.eq(a2, a1, "the cached context")
    h.eq(starts(fx.http, off, r), 1, "only the integration ran")
    # ttl 0: every request invokes
    off = mark(fx, False)
    r1 = get(fx.hport, "/simple", "simple-true#c")
    r2 = get(fx.hport, "/simple", "simple-true#c")
    h.status_is(r1, 200)
    h.status_is(r2, 200)
    h.eq(starts(fx.http, off, r1, r2), 4, "authorizer and integration, twice")


for _kind in ("nginx", "apache"):
    _g = h.Group("authz-" + _kind, "Lambda authorizers through " + _kind,
                 setup=_setup(_kind))
    for _fn in TESTS:
        _g.test(_fn)
