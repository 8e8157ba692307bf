"""Group jwt (issue 15, item 4): HTTP API JWT authorizers through nginx and
Apache, against a test OpenID Connect issuer on 127.0.0.1 (oidc_issuer.py)
and tokens signed here by `openssl` (jose.py).

One bridge (conf/jwt.conf.in) behind both servers; every request is sent
through each.  Expected bytes: docs/apigw-facts.md 9.
"""

import json
import os
import re
import signal
import time

import harness as h
import jose

HERE = os.path.dirname(os.path.abspath(__file__))
UNAUTHORIZED = b'{"message":"Unauthorized"}'
FORBIDDEN = b'{"message":"Forbidden"}'


class Fx:
    pass


def _setup(env):
    h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"))
    fx = Fx()
    fx.env = env
    fx.keydir = env.path("keys")
    os.makedirs(fx.keydir)
    fx.rsa = jose.Key(fx.keydir, "rsa-1", "rsa", alg="RS256")
    fx.rsa3 = jose.Key(fx.keydir, "rsa-3", "rsa")  # its JWK names no alg
    fx.ec = jose.Key(fx.keydir, "ec-1", "ec")
    fx.rsa2 = jose.Key(fx.keydir, "rsa-2", "rsa")   # published later
    fx.stranger = jose.Key(fx.keydir, "rsa-1x", "rsa")  # never published
    # the issuer's document root, readable by the gateway's user
    fx.www = env.path("www")
    os.makedirs(fx.www)
    os.chmod(env.path(""), 0o755)
    os.chmod(fx.www, 0o755)
    fx.set_jwks = lambda *keys: _write(os.path.join(fx.www, "jwks.json"), jose.jwks(*keys))
    fx.set_jwks(fx.rsa, fx.ec, fx.rsa3)
    fx.jwks_file = env.path("file-jwks.json")
    _write(fx.jwks_file, jose.jwks(fx.rsa))
    port = h.free_port()
    fx.issuer_proc = env.spawn("oidc-issuer", ["python3", os.path.join(HERE, "oidc_issuer.py"),
                                               str(port), fx.www])
    h.wait_until(lambda: h.tcp_accepts(port), h.START_TIMEOUT, "the OIDC issuer", fx.issuer_proc)
    fx.iss = "http://127.0.0.1:%d/realm" % port
    cfg = h.write_config(env, "jwt", issuer=fx.iss, jwks_file=fx.jwks_file)
    fx.bridge = h.start_bridge(env, cfg)
    fx.bridge.wait_log(r"serving on ", 30)
    fx.ports = [h.start_nginx(env, fx.bridge.sock).port,
                h.start_apache(env, fx.bridge.sock).port]
    return fx


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


g = h.Group("jwt", "JWT authorizers: signatures, claims, scopes, keys by discovery, jwks_uri "
            "and file, through nginx and Apache", setup=_setup)


def claims(fx, **over):
    now = int(time.time())
    c = {"iss": fx.iss, "aud": "app", "sub": "user-1", "exp": now + 300, "iat": now - 5,
         "scope": "openid read"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not _DROP}


_DROP = object()


def get(fx, path, token=None, header="Authorization", scheme="Bearer "):
    """GETs path through each server; returns the responses."""
    hdrs = [] if token is None else [(header, scheme + token)]
    return [h.http(p, "GET", path, headers=hdrs) for p in fx.ports]


def event_of(resp):
    h.status_is(resp, 200)
    return resp.json()["event"]


def refused(resps, status, www):
    for r in resps:
        h.status_is(r, status)
        h.eq(r.body, UNAUTHORIZED if status == 401 else FORBIDDEN, "body")
        h.eq(r.header("www-authenticate"), www, "www-authenticate")
        h.ok(r.header("x-amzn-errortype") is None, "no x-amzn-ErrorType on an HTTP API")
        h.ok(r.header("apigw-requestid"), "apigw-requestid")


def invalid(scopes, why):
    return 'Bearer scope="%s" error="invalid_token" error_description="%s"' % (scopes, why)


def issuer_hits(fx, path):
    with open(fx.issuer_proc.log, "rb") as f:
        return sum(1 for line in f.read().decode().splitlines()
                   if line.startswith("GET %s " % path))


@g.test
def valid_token_claims_v2(fx):
    tok = fx.rsa.token(claims(fx, **{"cognito:groups": ["admin", "poweruser"],
                                     "email_verified": True, "n": 12, "obj": {"a": 1},
                                     "gone": None, "aud": ["x", "app2"]}))
    for r in get(fx, "/me", tok):
        jwt = event_of(r)["requestContext"]["authorizer"]["jwt"]
        c = jwt["claims"]
        h.eq(c["iss"], fx.iss)
        h.eq(c["sub"], "user-1")
        h.eq(c["aud"], "[x app2]")
        h.eq(c["cognito:groups"], "[admin poweruser]")
        h.eq(c["email_verified"], "true")
        h.eq(c["n"], "12")
        h.ok(re.fullmatch(r"\d+", c["exp"]), "exp as its digits: %r" % c["exp"])
        h.eq(json.loads(c["obj"]), {"a": 1})
        h.ok("gone" not in c, "null claims left out")
        h.eq(c["scope"], "openid read")
        h.eq(jwt["scopes"], ["openid", "read"])


@g.test
def scopes_null_without_route_scopes(fx):
    tok = fx.ec.token(claims(fx))  # ES256 too
    for r in get(fx, "/open", tok):
        h.eq(event_of(r)["requestContext"]["authorizer"]["jwt"]["scopes"], None)


@g.test
def algorithms(fx):
    # RS256, RS512 and PS256 with an RSA key whose JWK names no alg, ES256
    # with the P-256 one; RS384 with a key whose JWK says "alg": "RS256" is
    # refused
    for key, alg in ((fx.rsa3, "RS256"), (fx.rsa3, "RS512"), (fx.rsa3, "PS256"),
                     (fx.ec, "ES256"), (fx.rsa, "RS256")):
        for r in get(fx, "/open", key.token(claims(fx), alg=alg)):
            h.status_is(r, 200)
    refused(get(fx, "/open", fx.rsa.token(claims(fx), alg="RS384")), 401,
            invalid("", "the token does not have a valid signature"))


@g.test
def payload_v1_claims(fx):
    tok = fx.rsa.token(claims(fx, scope=_DROP, scp=["read"]))
    for r in get(fx, "/v1", tok):
        auth = event_of(r)["requestContext"]["authorizer"]
        h.eq(auth["claims"]["sub"], "user-1")
        h.eq(auth["claims"]["scp"], "[read]")
        h.eq(auth["scopes"], ["read"])


@g.test
def bare_token_and_lowercase_scheme(fx):
    tok = fx.rsa.token(claims(fx))
    for scheme in ("", "bearer "):
        for r in get(fx, "/open", tok, scheme=scheme):
            h.status_is(r, 200)


@g.test
def missing_token(fx):
    refused(get(fx, "/me"), 401, "Bearer")


@g.test
def not_a_jwt(fx):
    refused(get(fx, "/me", "not-a-token"), 401,
            invalid("read admin", "token contains an invalid number of segments"))


@g.test
def expired(fx):
    now = int(time.time())
    tok = fx.rsa.token(claims(fx, exp=now - 1, iat=now - 60))
    refused(get(fx, "/me", tok), 401, invalid("read admin", "the token has expired"))


@g.test
def wrong_audience(fx):
    refused(get(fx, "/open", fx.rsa.token(claims(fx, aud="someone"))), 401,
            invalid("", "the token does not have a valid audience"))
    # client_id counts only without aud
    refused(get(fx, "/open", fx.rsa.token(claims(fx, aud="x", client_id="app"))), 401,
            invalid("", "the token does not have a valid audience"))
    for r in get(fx, "/open", fx.rsa.token(claims(fx, aud=_DROP, client_id="app"))):
        h.status_is(r, 200)


@g.test
def wrong_issuer(fx):
    refused(get(fx, "/open", fx.rsa.token(claims(fx, iss=fx.iss + "/"))), 401,
            invalid("", "the token does not have a valid issuer"))


@g.test
def not_yet_valid(fx):
    now = int(time.time())
    refused(get(fx, "/open", fx.rsa.token(claims(fx, nbf=now + 120))), 401,
            invalid("", "the token is not valid yet"))
    refused(get(fx, "/open", fx.rsa.token(claims(fx, iat=now + 120))), 401,
            invalid("", "the token is not valid yet"))


@g.test
def bad_signature(fx):
    # signed by a key the issuer does not publish, under a published kid
    tok = fx.stranger.token(claims(fx), kid="rsa-1")
    refused(get(fx, "/open", tok), 401,
            invalid("", "the token does not have a valid signature"))
    # alg none, and HS256
    body = jose.b64url(json.dumps(claims(fx)))
    for alg in ("none", "HS256"):
        hdr = jose.b64url(json.dumps({"alg": alg, "kid": "rsa-1"}))
        refused(get(fx, "/open", "%s.%s.%s" % (hdr, body, jose.b64url(b"x" * 32))), 401,
                invalid("", "the token's signing method is not supported"))


@g.test
def insufficient_scope(fx):
    tok = fx.rsa.token(claims(fx, scope="openid profile"))
    refused(get(fx, "/me", tok), 403,
            'Bearer scope="read admin" error="insufficient_scope" '
            'error_description="the token does not have the required scope"')


@g.test
def keys_cached_across_requests(fx):
    tok = fx.rsa.token(claims(fx))
    for r in get(fx, "/open", tok):  # the first may fetch
        h.status_is(r, 200)
    before = issuer_hits(fx, "/realm/jwks")
    for _ in range(5):
        for r in get(fx, "/open", tok):
            h.status_is(r, 200)
    h.eq(issuer_hits(fx, "/realm/jwks"), before, "no fetch while the keys are fresh")
    h.ok(issuer_hits(fx, "/realm/.well-known/openid-configuration") >= 1, "discovery used")


@g.test
def jwks_uri_and_file(fx):
    tok = fx.rsa.token(claims(fx))
    for r in get(fx, "/uri", tok):
        h.status_is(r, 200)
    for r in get(fx, "/file", tok, header="X-Token"):
        h.status_is(r, 200)
    # the file holds only rsa-1
    refused(get(fx, "/file", fx.ec.token(claims(fx)), header="X-Token"), 401,
            invalid("", "the token does not have a valid key id"))


def poll(fx, what, fn, timeout=20):
    """Calls fn() once a second until it is true (bounded: the key store
    fetches again at most once in 10 s)."""
    deadline = time.monotonic() + timeout
    while not fn():
        if time.monotonic() > deadline:
            raise AssertionError("not within %d s: %s" % (timeout, what))
        time.sleep(1)


@g.test
def unknown_kid_refetch(fx):
    tok2 = fx.rsa2.token(claims(fx))
    refused(get(fx, "/uri", tok2), 401,
            invalid("", "the token does not have a valid key id"))
    # published now: the store fetches again for the unknown kid, but at
    # most once in 10 s, however many requests name it
    fx.set_jwks(fx.rsa, fx.ec, fx.rsa3, fx.rsa2)
    before = issuer_hits(fx, "/realm/jwks")
    poll(fx, "rsa-2 accepted", lambda: all(r.status == 200 for r in get(fx, "/uri", tok2)))
    h.ok(issuer_hits(fx, "/realm/jwks") - before <= 2,
         "fetches rate-limited: %d" % (issuer_hits(fx, "/realm/jwks") - before))


@g.test
def issuer_down_keeps_keys(fx):
    for r in get(fx, "/open", fx.rsa.token(claims(fx))):  # keys in hand
        h.status_is(r, 200)
    os.unlink(os.path.join(fx.www, "jwks.json"))
    try:
        off = fx.bridge.log_size()
        tok3 = fx.stranger.token(claims(fx))  # kid rsa-1x: a fetch, which fails
        pat = re.compile(r"authorizer 'oidc': cannot fetch its JWKS: .*404.*keys in hand")

        def failed():
            refused(get(fx, "/me", tok3)[:1], 401,
                    invalid("read admin", "the token does not have a valid key id"))
            return pat.search(fx.bridge.log_since(off)) is not None
        poll(fx, "a failed fetch logged", failed)
        for r in get(fx, "/open", fx.rsa.token(claims(fx))):
            h.status_is(r, 200)
        h.ok(fx.bridge.alive(), "the bridge runs on")
        # SIGUSR1's counters show the fetches and the failure
        off = fx.bridge.log_size()
        fx.bridge.signal(signal.SIGUSR1)
        text = fx.bridge.wait_log(r"authorizer oidc keys: jwks_fetches=\d+ jwks_failures=\d+", 5, off)
        m = re.search(r"authorizer oidc keys: jwks_fetches=(\d+) jwks_failures=(\d+)", text)
        h.ok(int(m.group(1)) >= 2 and int(m.group(2)) >= 1, "counters: %r" % m.group(0))
        m = re.search(r"authorizer oidc: (.*)", text)
        c = dict(kv.split("=") for kv in m.group(1).split())
        h.ok(c["invoked"] == "0" and int(c["allowed"]) >= 1 and int(c["unauthorized"]) >= 1,
             "a JWT authorizer's outcomes counted, nothing invoked: %r" % m.group(0))
    finally:
        fx.set_jwks(fx.rsa, fx.ec, fx.rsa3, fx.rsa2)


@g.test
def jwks_over_150000_bytes(fx):
    # API Gateway's cap on a JWKS response: over it, the fetch fails
    for r in get(fx, "/uri", fx.rsa.token(claims(fx))):  # keys in hand
        h.status_is(r, 200)
    doc = json.loads(jose.jwks(fx.rsa, fx.ec, fx.rsa3, fx.rsa2))
    doc["padding"] = "x" * 150000
    _write(os.path.join(fx.www, "jwks.json"), json.dumps(doc))
    try:
        off = fx.bridge.log_size()
        tok = fx.stranger.token(claims(fx))  # unknown kid: a fetch
        pat = re.compile(r"authorizer 'uri': cannot fetch its JWKS: .* is over 150000 bytes")

        def failed():
            get(fx, "/uri", tok)
            return pat.search(fx.bridge.log_since(off)) is not None
        poll(fx, "the oversized JWKS refused", failed)
        for r in get(fx, "/uri", fx.rsa.token(claims(fx))):
            h.status_is(r, 200)
    finally:
        fx.set_jwks(fx.rsa, fx.ec, fx.rsa3, fx.rsa2)


def reload(fx, expect):
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGHUP)
    return fx.bridge.wait_log(expect, 10, off)


@g.test
def reload_rereads_jwks_file(fx):
    tok = fx.ec.token(claims(fx))
    refused(get(fx, "/file", tok, header="X-Token"), 401,
            invalid("", "the token does not have a valid key id"))
    try:
        _write(fx.jwks_file, jose.jwks(fx.rsa, fx.ec))
        reload(fx, r"reloaded '")
        for r in get(fx, "/file", tok, header="X-Token"):
            h.status_is(r, 200)
        # a file that is no JWKS: the reload is refused, the keys stay
        _write(fx.jwks_file, "not a JWKS")
        text = reload(fx, r"reload rejected")
        h.ok(re.search(r"reload rejected.*authorizers\[2\]: .*JWKS is not JSON", text),
             "the reason: %r" % text[-400:])
        for r in get(fx, "/file", tok, header="X-Token"):
            h.status_is(r, 200)
    finally:
        _write(fx.jwks_file, jose.jwks(fx.rsa))
        reload(fx, r"reloaded '")
