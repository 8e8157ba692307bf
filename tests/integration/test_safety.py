"""Groups safety-nginx, safety-apache and safety-logs (issue 12): what a
hostile or buggy function, or a raw FastCGI client, cannot make the bridge
send or log.

safety-nginx, safety-apache: results that must become one well-formed
502 (REST) or 500 (HTTP API) response through each web server, read as raw
bytes to EOF so that a second response smuggled after the first is seen:
a 1xx statusCode whose body is an HTTP response, control characters in
header values, NaN and Infinity.

safety-logs: a raw FastCGI client straight at the bridge's socket sends CR
and LF in REQUEST_URI and REQUEST_METHOD, and a function prints CR and ESC
and calls lb_error with CR/LF; every line of the bridge's log must still
start as one of its own lines.

The bridges are test_fidelity's (conf/fidelity-http.conf.in and
fidelity-rest.conf.in): integ_respond (returns the request body as its
result) and integ_ctl, on payload 2.0 (/respond, /ctl) and 1.0 (/respond1,
/ctl1) routes; REST and HTTP API bridges side by side.
"""

import json
import re
import socket
import struct
import time

import harness as h
from fcgi_dump import BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, _read_record, _record, _stream
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


# ------------------------------------------------------------- logs

def fcgi_request(sock_path, params, body=b""):
    """One request on a raw FastCGI connection; returns the STDOUT bytes."""
    pairs = b""
    for k, v in params:
        k, v = k.encode("latin-1"), v.encode("latin-1")
        for n in (len(k), len(v)):
            pairs += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
        pairs += k + v
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(LIMIT)
    out = b""
    try:
        s.connect(sock_path)
        s.sendall(_record(BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0)) +
                  _stream(PARAMS, 1, pairs) + _stream(STDIN, 1, body))
        while True:
            rec = _read_record(s)
            h.ok(rec is not None, "the bridge closed before END_REQUEST: %r" % out[:300])
            rtype, _, content = rec
            if rtype == END_REQUEST:
                return out
            if rtype == 6:  # STDOUT
                out += content
    finally:
        s.close()


STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
LOG_LINE = re.compile(
    r"^(%s (ERROR|WARN|INFO|DEBUG) "           # lb_log
    r"|%s\t[^\t]+\t\[[a-z]+\]\t"               # a function's own line
    r"|(START|END|REPORT) RequestId: [0-9a-f-]+(\s|$)"
    r"|127\.0\.0\.1 - - \")" % (STAMP, STAMP))  # the access line


logs = h.Group("safety-logs", "CR/LF from a raw FastCGI client and from a function stay "
               "inside one log line", setup=_setup("nginx"))


def _params(method, uri):
    return [("REQUEST_METHOD", method), ("REQUEST_URI", uri),
            ("SCRIPT_NAME", uri.split("?")[0]), ("QUERY_STRING", uri.partition("?")[2]),
            ("SERVER_PROTOCOL", "HTTP/1.1\r\nFORGED-PROTO"), ("REMOTE_ADDR", "127.0.0.1"),
            ("SERVER_PORT", "80"), ("HTTP_HOST", "localhost"),
            ("HTTP_USER_AGENT", "ua\r\nFORGED-UA")]


@logs.test
def no_forged_log_lines(fx):
    for bridge in (fx.bridge, fx.rest_bridge):
        start = bridge.log_size()
        out = fcgi_request(bridge.sock, _params("GET", "/ctl?x=\r\nFORGED-URI\x1b[2J&do=forge"))
        h.ok(re.match(rb"Status: 50[02] ", out), "function error expected: %r" % out[:200])
        fcgi_request(bridge.sock, _params("GET", "/nowhere\r\nFORGED-404"))
        fcgi_request(bridge.sock, _params("GET\r\nFORGED-METHOD", "/ctl?do=pid"))
        text = bridge.wait_log(r"FORGED-404", LIMIT, start)
        text = bridge.wait_log(r"FORGED-METHOD", LIMIT, start)
        for what in ("FORGED-URI", "FORGED-TYPE", "FORGED-MESSAGE", "FORGED-STDOUT",
                     "FORGED-PROTO"):
            h.ok(what in text, "%s is not logged at all:\n%s" % (what, text))
        for line in text.split("\n")[:-1]:
            h.ok(LOG_LINE.match(line), "a line the bridge did not start: %r\nlog:\n%s"
                 % (line, text))
            h.ok(not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line),
                 "control character in the log line %r" % line)
        h.ok("\\r\\nFORGED-URI\\x1b[2J" in text, "escaped URI not in the log:\n" + text)
        h.ok("Forged\\r\\nFORGED-TYPE: message\\r\\nFORGED-MESSAGE\\n" in text,
             "escaped lb_error text not in the log:\n" + text)
        h.ok("stdout\\rFORGED-STDOUT \\x1b[31mred" in text,
             "escaped function line not in the log:\n" + text)
