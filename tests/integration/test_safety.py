"""Groups safety-nginx, safety-apache (issue 12): what a hostile or buggy
function cannot make the bridge send.

safety-nginx, safety-apache: results that must become one well-formed
502 (REST) or 500 (HTTP API) response through each web server, read as raw
bytes to EOF so that a second response smuggled after the first is seen:
a 1xx statusCode whose body is an HTTP response, control characters in
header values, NaN and Infinity.

The bridges are test_fidelity's (conf/fidelity-http.conf.in and
fidelity-rest.conf.in): integ_respond (returns the request body as its
result) and integ_ctl, on payload 2.0 (/respond, /ctl) and 1.0 (/respond1,
/ctl1) routes; REST and HTTP API bridges side by side.
"""

import json
import re
import socket
import time

import harness as h
from test_fidelity import HTTP_ISE, REST_ISE, _setup

LIMIT = 15.0

# Bug 1 of issue 12, byte for byte: nginx sent "100 Continue", then this
# body, which the client read as a second response.
SMUGGLED = {"statusCode": 100,
            "body": "HTTP/1.1 200 OK\r\nSet-Cookie: injected=1\r\nContent-Length: 5\r\n\r\nhello"}


def raw_exchange(port, request):
    """Sends `request` (bytes) and returns every byte the server sends
    until it closes the connection (bounded)."""
    deadline = time.monotonic() + LIMIT
    data = []
    with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as s:
        s.sendall(request)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no EOF within %.0f s: %r" % (LIMIT, b"".join(data)[:300]))
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data.append(chunk)
    return b"".join(data)


TOKEN = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def dechunk(rest):
    """The body of a chunked message; nothing may follow its last chunk."""
    out, i = [], 0
    while True:
        j = rest.find(b"\r\n", i)
        h.ok(j >= 0, "truncated chunk header: %r" % rest[i:i + 100])
        size = int(rest[i:j].split(b";")[0], 16)
        i = j + 2
        if size == 0:
            h.eq(rest[i:], b"\r\n", "bytes after the last chunk")
            return b"".join(out)
        out.append(rest[i:i + size])
        h.eq(rest[i + size:i + size + 2], b"\r\n", "chunk end")
        i += size + 2


def one_response(raw):
    """Parses raw bytes as exactly one HTTP/1.x response (a Content-Length,
    chunked or close-delimited body) with nothing after it; returns (status, headers, body).
    Header names must be tokens, values free of controls other than tab."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    h.ok(sep, "no end of the header block: %r" % raw[:300])
    lines = head.split(b"\r\n")
    m = re.match(rb"^HTTP/1\.[01] ([0-9]{3}) [^\r\n]*$", lines[0])
    h.ok(m, "bad status line %r" % lines[0])
    status = int(m.group(1))
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        h.ok(colon and TOKEN.match(name), "bad header line %r" % line)
        h.ok(not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", value),
             "control character in header line %r" % line)
        headers.append((name.decode("latin-1").lower(), value.strip().decode("latin-1")))
    names = [k for k, _ in headers]
    if "transfer-encoding" in names:
        h.eq(dict(headers)["transfer-encoding"].lower(), "chunked", "transfer-encoding")
        h.ok("content-length" not in names, "chunked with a Content-Length: %r" % headers)
        return status, headers, dechunk(rest)
    if "content-length" not in names:
        return status, headers, rest  # delimited by the close
    h.eq(names.count("content-length"), 1, "Content-Length headers in %r" % headers)
    n = int(dict(headers)["content-length"])
    h.eq(rest[n:], b"", "bytes after the response's body")
    return status, headers, rest[:n]


def post_raw(port, path, result):
    """POSTs `result` (JSON text or a value) to integ_respond, Connection:
    close, and returns the raw response bytes."""
    body = result if isinstance(result, bytes) else json.dumps(result).encode()
    req = (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (path.encode(), port, len(body)))
    return raw_exchange(port, req + body)


def get_raw(port, path):
    return raw_exchange(port, b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n"
                        % (path.encode(), port))


def expect_function_error(raw, rest, what):
    status, headers, body = one_response(raw)
    h.eq(status, 502 if rest else 500, what + ": status")
    h.eq(body, REST_ISE if rest else HTTP_ISE, what + ": body")
    if rest:
        h.ok(("x-amzn-errortype", "InternalServerErrorException") in headers,
             what + ": no x-amzn-ErrorType: %r" % headers)
    h.ok(b"injected" not in raw and "set-cookie" not in dict(headers),
         what + ": injected header in %r" % raw[:400])


def both_apis(fx):
    """(port, rest, path) for every route running integ_respond."""
    return [(fx.rest_port, True, "/respond"), (fx.port, False, "/respond"),
            (fx.port, False, "/respond1")]


def informational_status_is_malformed(fx):
    for port, rest, path in both_apis(fx):
        raw = post_raw(port, path, SMUGGLED)
        expect_function_error(raw, rest, "statusCode 100 on %s %s" % (
            "REST" if rest else "HTTP API", path))
    for code in (101, 103, "199"):
        raw = post_raw(fx.port, "/respond", {"statusCode": code, "body": "x"})
        expect_function_error(raw, False, "statusCode %r" % (code,))
    status, _, body = one_response(post_raw(fx.port, "/respond", {"statusCode": 200, "body": "x"}))
    h.eq((status, body), (200, b"x"), "a 200 still goes through")


CONTROL_VALUES = ["a\x01b", "a\x1b[31mb", "a\x7fb", "a\x0bb", "a\x0cb", "a\x00b", "a\rb"]


def control_characters_in_header_values(fx):
    for v in CONTROL_VALUES:
        for port, rest, path in both_apis(fx):
            what = "%r in headers (%s)" % (v, path)
            expect_function_error(post_raw(port, path, {"statusCode": 200, "headers": {"X-A": v}}),
                                  rest, what)
        expect_function_error(
            post_raw(fx.rest_port, "/respond",
                     {"statusCode": 200, "multiValueHeaders": {"X-A": ["ok", v]}}),
            True, "%r in multiValueHeaders" % v)
        expect_function_error(
            post_raw(fx.port, "/respond", {"statusCode": 200, "cookies": ["a=1", "b=" + v]}),
            False, "%r in cookies" % v)
    # a tab is allowed, as in HTTP
    status, headers, _ = one_response(
        post_raw(fx.rest_port, "/respond", {"statusCode": 200, "headers": {"X-A": "a\tb"}}))
    h.eq(status, 200, "tab in a value")
    h.eq(dict(headers).get("x-a"), "a\tb", "tab kept")


def bad_header_names(fx):
    for name in ("X A", "X:A", "X\x01A", "", "X\x7f"):
        for port, rest, path in both_apis(fx):
            expect_function_error(
                post_raw(port, path, {"statusCode": 200, "headers": {name: "v"}}), rest,
                "header name %r (%s)" % (name, path))


def nan_and_infinity_are_not_json(fx):
    # a payload 2.0 function returning a NaN double answered "200 NaN"
    expect_function_error(get_raw(fx.port, "/ctl?do=nan"), False, "NaN result, payload 2.0")
    expect_function_error(get_raw(fx.port, "/ctl1?do=nan"), False, "NaN result, payload 1.0")
    expect_function_error(get_raw(fx.rest_port, "/ctl?do=nan"), True, "NaN result, REST")
    # json.dumps writes NaN and Infinity; integ_respond parses them back
    nested = [{"a": [1, float("inf")]},
              {"statusCode": 200, "body": "x", "extra": float("nan")},
              {"statusCode": 200, "headers": {"x-n": float("-inf")}, "body": "x"},
              {"statusCode": float("nan"), "body": "x"}]
    for res in nested:
        for port, rest, path in both_apis(fx):
            expect_function_error(post_raw(port, path, res), rest, "%r on %s" % (res, path))
    # the worker refuses to write them: Lambda's marshalling error
    r = h.run_cmd([h.LB_BIN, "invoke", "-c", fx.bridge.config, "ctl", "-"],
                  input='{"queryStringParameters":{"do":"nan"}}', timeout=LIMIT)
    h.eq(json.loads(r.stdout).get("errorType"), "Runtime.MarshalError",
         "invoke's errorType (%r)" % r.stdout)


for _kind in ("nginx", "apache"):
    _g = h.Group("safety-" + _kind, "smuggled responses, header controls, NaN through %s"
                 % _kind, setup=_setup(_kind))
    for _fn in (informational_status_is_malformed, control_characters_in_header_values,
                bad_header_names, nan_and_infinity_are_not_json):
        _g.test(_fn)
