"""Group logs (issue 16 item 4): Lambda's advanced logging controls and
gateway.access_log through real nginx.

Two bridges on conf/logs.conf.in, each behind its own nginx: an HTTP API
whose access log has API Gateway's CLF preset, and a REST API whose access
log is a JSON template.  tests/handlers/logfn.c prints the request body as
its log and answers with its request id and AWS_LAMBDA_LOG_*.
"""

import json
import os
import re
import shutil
import signal
import threading
import time

import harness as h

CLF = ('$context.identity.sourceIp - - [$context.requestTime] '
       '"$context.httpMethod $context.routeKey $context.protocol" '
       '$context.status $context.responseLength $context.requestId')

JSON_FMT = ('{ "requestId":"$context.requestId", '
            '"extendedRequestId":"$context.extendedRequestId", '
            '"ip": "$context.identity.sourceIp", '
            '"userAgent":"$context.identity.userAgent", '
            '"requestTime":"$context.requestTime", '
            '"requestTimeEpoch":"$context.requestTimeEpoch", '
            '"httpMethod":"$context.httpMethod", '
            '"resourcePath":"$context.resourcePath", "path":"$context.path", '
            '"routeKey":"$context.routeKey", "status":"$context.status", '
            '"protocol":"$context.protocol", '
            '"responseLength":"$context.responseLength", '
            '"integrationStatus":"$context.integrationStatus", '
            '"integrationLatency":"$context.integrationLatency", '
            '"responseLatency":"$context.responseLatency", '
            '"errorMessage":"$context.error.message", '
            '"responseType":"$context.error.responseType", '
            '"authorizerError":"$context.authorizer.error", '
            '"integrationError":"$context.integrationErrorMessage", '
            '"lambdaRequestId":"$context.integration.requestId", '
            '"apiId":"$context.apiId", "stage":"$context.stage" }')

CLF_RE = re.compile(r'^(\S+) - - \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
                    r'"(\S+) (.+) (\S+)" (\d{3}) (\d+) (\S+)$')


LOGS_SH = os.path.join(h.HERE, "logs_sh")
AUTHZ = {"rest": (', { route = "GET /guarded"; function = "textfn"; authorizer = "tok"; }',
                  'authorizers = ( { name = "tok"; type = "TOKEN"; function = "auth"; ttl = 0;\n'
                  '  identity_source = [ "method.request.header.Authorization" ]; } );'),
         "http": ("", "")}
PROVIDED = os.path.join(h.REPO, "handlers", "provided")


class Fx:
    pass


def _libconfig_str(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _stack(env, api, fmt):
    logdir = env.path(env.unique("logs-" + api))
    os.mkdir(logdir)
    os.chmod(logdir, 0o777)  # the gateway writes it as gateway.user
    path = os.path.join(logdir, "access.log")
    cfg = h.write_config(env, "logs", api=api, access_path=path,
                         access_format=_libconfig_str(fmt), logs_sh=LOGS_SH,
                         provided=PROVIDED, authz_route=AUTHZ[api][0],
                         authorizers=AUTHZ[api][1])
    bridge = h.start_bridge(env, cfg)
    bridge.wait_log(r"serving on ", 30)
    nginx = h.start_nginx(env, bridge.sock)
    return cfg, bridge, nginx, path


def _setup(env):
    h.need_modules(os.path.join(h.TEST_HANDLERS, "logfn.so"))
    fx = Fx()
    fx.env = env
    fx.cfg, fx.bridge, fx.server, fx.access = _stack(env, "http", CLF)
    fx.port = fx.server.port
    fx.rcfg, fx.rbridge, fx.rserver, fx.raccess = _stack(env, "rest", JSON_FMT)
    fx.rport = fx.rserver.port
    return fx


g = h.Group("logs", "JSON function logs and levels, access logs (CLF, JSON), rotation",
            setup=_setup)


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def _access_line(path, rid, timeout=5):
    """The access log line naming request id `rid` (bounded wait)."""
    found = []

    def look():
        found[:] = [ln for ln in _read(path) if rid in ln]
        return found
    h.wait_until(look, timeout, "%s in %s" % (rid, path))
    h.eq(len(found), 1, "lines for %s" % rid)
    return found[0]


def _invoke(fx, path, body, last):
    """POSTs `body` to `path`; returns (response, Lambda request id, the
    bridge's log lines after the request, once `last` (a regex, RID for the
    request id) is in them)."""
    off = fx.bridge.log_size()
    resp = h.http(fx.port, "POST", path, body=body,
                  headers=[("Content-Type", "text/plain")])
    h.status_is(resp, 200)
    rid = resp.json()["request_id"]
    # the tail is logged once the response is on its way
    fx.bridge.wait_log(last.replace("RID", re.escape(rid)), 5, off)
    return resp, rid, fx.bridge.log_since(off).splitlines()


def _records(lines):
    """The lines that are JSON objects, parsed (each whole line)."""
    out = []
    for ln in lines:
        if ln.startswith("{"):
            out.append(json.loads(ln))
    return out


APP = "\n".join([
    '{"level":"DEBUG","message":"dbg-line"}',
    '{"level":"error","message":"err-line"}',
    '{"level":"WARNING","message":"warn-line"}',
    '{"message":"nolevel-line"}',
    '{"level":"TRACE","message":"trace-line"}',
    'plain-text-line',
])


@g.test
def json_platform_records(fx):
    resp, rid, lines = _invoke(fx, "/json", APP, r'"platform\.report","record":\{"requestId":"RID"')
    h.status_is(resp, 200)
    h.eq(resp.json()["format"], "JSON", "AWS_LAMBDA_LOG_FORMAT")
    h.eq(resp.json()["level"], "WARN", "AWS_LAMBDA_LOG_LEVEL")
    recs = _records(lines)
    mine = [r for r in recs if r.get("record", {}).get("requestId") == rid]
    types = [r["type"] for r in mine]
    h.eq(types, ["platform.start", "platform.report"], "platform records (system level INFO)")
    start, report = mine
    h.eq(start["record"], {"requestId": rid, "version": "$LATEST",
                           "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:jsonfn"},
         "platform.start")
    h.ok(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", start["time"]), start["time"])
    h.eq(report["record"]["status"], "success", "report status")
    m = report["record"]["metrics"]
    h.eq(sorted(k for k in m if k != "initDurationMs"),
         ["billedDurationMs", "durationMs", "maxMemoryUsedMB", "memorySizeMB"], "metrics")
    h.eq(m["memorySizeMB"], 128, "memorySizeMB")
    h.ok(m["billedDurationMs"] >= m["durationMs"], "billed >= duration")
    # the application's lines: WARN and above kept as they are
    h.ok('{"level":"error","message":"err-line"}' in lines, "ERROR line kept verbatim")
    h.ok('{"level":"WARNING","message":"warn-line"}' in lines, "WARNING line kept")
    for gone in ("dbg-line", "nolevel-line", "trace-line"):
        h.ok(not any(gone in ln for ln in lines), "%s filtered out" % gone)
    # plain text is not filtered: the text shape with the request id
    plain = [ln for ln in lines if ln.endswith("plain-text-line")]
    h.eq(len(plain), 1, "plain line")
    h.ok("\t%s\t[jsonfn]\t" % rid in plain[0], plain[0])
    # every record, and the function's JSON lines, parse line by line
    for ln in lines:
        if ln.startswith("{"):
            json.loads(ln)
    h.ok(not any("START RequestId" in ln or "REPORT RequestId" in ln for ln in lines
                 if rid in ln), "no text START/REPORT in JSON format")


@g.test
def json_debug_levels(fx):
    resp, rid, lines = _invoke(fx, "/jsondebug", APP,
                             r'"platform\.report","record":\{"requestId":"RID"')
    h.status_is(resp, 200)
    h.eq(resp.json()["level"], "TRACE", "AWS_LAMBDA_LOG_LEVEL")
    mine = [r for r in _records(lines) if r.get("record", {}).get("requestId") == rid]
    h.eq([r["type"] for r in mine], ["platform.start", "platform.runtimeDone", "platform.report"],
         "system level DEBUG adds runtimeDone")
    done = mine[1]["record"]
    h.eq(done["status"], "success", "runtimeDone status")
    h.ok(done["metrics"]["producedBytes"] > 0, "producedBytes")
    for kept in ("dbg-line", "err-line", "warn-line", "nolevel-line", "trace-line"):
        h.ok(any(kept in ln for ln in lines), "%s kept at TRACE" % kept)


@g.test
def json_system_warn(fx):
    resp, rid, lines = _invoke(fx, "/syswarn", '{"level":"INFO","message":"info-line"}',
                             r"info-line")
    h.status_is(resp, 200)
    time.sleep(0.3)
    lines = fx.bridge.log_text().splitlines()
    h.ok(not any(rid in ln for ln in lines if "platform." in ln), "no platform record at WARN")
    h.ok('{"level":"INFO","message":"info-line"}' in lines, "application INFO line kept")


@g.test
def json_function_error(fx):
    off = fx.bridge.log_size()
    resp = h.http(fx.port, "POST", "/json?fail=1", body="x")
    h.status_is(resp, 500)
    text = fx.bridge.wait_log(r"platform\.report", 5, off)
    rep = [r for r in _records(text.splitlines()) if r.get("type") == "platform.report"]
    h.eq(len(rep), 1, "one report")
    h.eq(rep[0]["record"]["status"], "failure", "status")
    h.eq(rep[0]["record"]["errorType"], "LogTestError", "errorType")


@g.test
def json_custom_runtime(fx):
    """A custom runtime (AWS's tutorial bootstrap) in the JSON format: its
    environment's variables, its stderr lines filtered, its records."""
    off = fx.bridge.log_size()
    resp = h.http(fx.port, "GET", "/sh")
    h.status_is(resp, 200)
    h.eq(resp.body, b"JSON WARN", "AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:shjson"
    text = fx.bridge.wait_log(r'"platform\.report"', 10, off)
    recs = _records(text.splitlines())
    starts = [r for r in recs if r.get("type") == "platform.start"
              and r["record"]["functionArn"] == arn]
    h.eq(len(starts), 1, "one platform.start for shjson")
    rid = starts[0]["record"]["requestId"]
    reports = [r for r in recs if r.get("type") == "platform.report"
               and r["record"]["requestId"] == rid]
    h.eq(len(reports), 1, "its platform.report")
    h.eq(reports[0]["record"]["status"], "success", "status")
    lines = text.splitlines()
    h.ok('{"level":"ERROR","message":"sh-error-line"}' in lines, "ERROR line kept")
    h.ok(not any("sh-debug-line" in ln for ln in lines), "DEBUG line dropped")
    h.ok(any(ln.endswith("\t%s\t[shjson]\tsh-plain-line" % rid) for ln in lines),
         "plain line in the text shape")


@g.test
def text_unchanged(fx):
    resp, rid, lines = _invoke(fx, "/text", '{"level":"DEBUG","message":"still-text"}',
                             r"REPORT RequestId: RID")
    h.status_is(resp, 200)
    h.eq(resp.json()["format"], "Text", "AWS_LAMBDA_LOG_FORMAT")
    h.eq(resp.json()["level"], None, "AWS_LAMBDA_LOG_LEVEL unset")
    h.ok("START RequestId: %s Version: $LATEST" % rid in lines, "START line")
    h.ok("END RequestId: %s" % rid in lines, "END line")
    h.ok(any(ln.startswith("REPORT RequestId: %s\tDuration: " % rid) for ln in lines), "REPORT")
    app = [ln for ln in lines if ln.endswith('\t[textfn]\t{"level":"DEBUG","message":"still-text"}')]
    h.eq(len(app), 1, "the JSON line in the text shape, not filtered")
    h.ok(not any(ln.startswith('{"time"') for ln in lines), "no platform record")


def _clf(fx, line):
    m = CLF_RE.match(line)
    h.ok(m, "CLF line: %r" % line)
    return m.groups()


@g.test
def access_clf(fx):
    t0 = time.time()
    ok = h.http(fx.port, "GET", "/items/42")
    miss = h.http(fx.port, "GET", "/nowhere")
    err = h.http(fx.port, "POST", "/text?fail=1", body="x")
    h.status_is(ok, 200)
    h.status_is(miss, 404)
    h.status_is(err, 500)
    first = h.http(fx.port, "GET", "/limited")
    second = h.http(fx.port, "GET", "/limited")
    h.status_is(first, 200)
    h.status_is(second, 429)
    want = [(ok, "GET", "GET /items/{id}", "200"), (miss, "GET", "-", "404"),
            (err, "POST", "ANY /text", "500"), (second, "GET", "GET /limited", "429")]
    for resp, method, route, status in want:
        rid = resp.header("apigw-requestid")
        ip, when, m, rk, proto, st, length, lrid = _clf(fx, _access_line(fx.access, rid))
        h.eq((ip, m, rk, proto, st, lrid), ("127.0.0.1", method, route, "HTTP/1.1", status, rid),
             "CLF fields")
        h.eq(int(length), len(resp.body), "responseLength")
        ts = time.mktime(time.strptime(when, "%d/%b/%Y:%H:%M:%S +0000")) - time.timezone
        h.ok(abs(ts - t0) < 30, "requestTime %s" % when)


def _json_line(fx, rid):
    return json.loads(_access_line(fx.raccess, rid))


@g.test
def access_json(fx):
    ok = h.http(fx.rport, "GET", "/items/42", headers=[("User-Agent", 'agent "q" \\ x')])
    h.status_is(ok, 200)
    lrid = ok.json()["request_id"]
    rid = ok.header("x-amzn-RequestId")
    d = _json_line(fx, rid)
    h.eq(d["extendedRequestId"], ok.header("x-amz-apigw-id"), "extendedRequestId")
    h.eq(d["userAgent"], 'agent "q" \\ x', "userAgent escaped into valid JSON")
    for k, v in (("ip", "127.0.0.1"), ("httpMethod", "GET"), ("resourcePath", "/items/{id}"),
                 ("path", "/items/42"), ("routeKey", "-"), ("status", "200"),
                 ("protocol", "HTTP/1.1"), ("responseLength", str(len(ok.body))),
                 ("integrationStatus", "200"), ("errorMessage", "-"), ("responseType", "-"),
                 ("authorizerError", "-"), ("integrationError", "-"),
                 ("lambdaRequestId", lrid), ("stage", "$default")):
        h.eq(d[k], v, k)
    h.ok(re.match(r"^[a-z0-9]{10}$", d["apiId"]), "apiId %r" % d["apiId"])
    epoch = int(d["requestTimeEpoch"])
    h.ok(abs(epoch / 1000.0 - time.time()) < 30, "requestTimeEpoch in ms")
    h.eq(d["requestTime"], time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch // 1000)),
         "requestTime from the same instant")
    h.ok(int(d["integrationLatency"]) <= int(d["responseLatency"]), "latencies")

    miss = h.http(fx.rport, "GET", "/nowhere")
    h.status_is(miss, 403)
    d = _json_line(fx, miss.header("x-amzn-RequestId"))
    for k, v in (("status", "403"), ("resourcePath", "-"), ("integrationStatus", "-"),
                 ("integrationLatency", "-"), ("lambdaRequestId", "-"),
                 ("errorMessage", "Missing Authentication Token"),
                 ("responseType", "MISSING_AUTHENTICATION_TOKEN")):
        h.eq(d[k], v, "miss " + k)

    err = h.http(fx.rport, "POST", "/text?fail=1", body="x")
    h.status_is(err, 502)
    d = _json_line(fx, err.header("x-amzn-RequestId"))
    for k, v in (("status", "502"), ("integrationStatus", "200"),
                 ("errorMessage", "Internal server error"), ("responseType", "DEFAULT_5XX"),
                 ("integrationError", "failed on purpose")):
        h.eq(d[k], v, "function error " + k)

    # the route's authorizer refuses: authorizer.error, nothing invoked
    un = h.http(fx.rport, "GET", "/guarded", headers=[("Authorization", "unauthorized")])
    h.status_is(un, 401)
    d = _json_line(fx, un.header("x-amzn-RequestId"))
    for k, v in (("status", "401"), ("errorMessage", "Unauthorized"),
                 ("responseType", "UNAUTHORIZED"), ("authorizerError", "Unauthorized"),
                 ("integrationStatus", "-"), ("lambdaRequestId", "-")):
        h.eq(d[k], v, "unauthorized " + k)
    ok2 = h.http(fx.rport, "GET", "/guarded", headers=[("Authorization", "allow")])
    h.status_is(ok2, 200)
    d = _json_line(fx, ok2.header("x-amzn-RequestId"))
    h.eq((d["authorizerError"], d["errorMessage"], d["integrationStatus"]), ("-", "-", "200"),
         "allowed")

    h.status_is(h.http(fx.rport, "GET", "/limited"), 200)
    thr = h.http(fx.rport, "GET", "/limited")
    h.status_is(thr, 429)
    d = _json_line(fx, thr.header("x-amzn-RequestId"))
    for k, v in (("status", "429"), ("errorMessage", "Too Many Requests"),
                 ("responseType", "THROTTLED"), ("integrationStatus", "-"),
                 ("resourcePath", "/limited")):
        h.eq(d[k], v, "throttled " + k)


@g.test
def rotation(fx):
    """Rename the file, SIGUSR1, and the next lines go to a new file while
    requests keep coming: every request is in one of the two files."""
    rids, errors = [], []
    stop = threading.Event()

    def load():
        for _ in range(5000):
            if stop.is_set():
                break
            try:
                r = h.http(fx.port, "GET", "/items/1")
                rids.append(r.header("apigw-requestid"))
            except Exception as e:  # noqa: BLE001
                errors.append(e)
    t = threading.Thread(target=load)
    t.start()
    try:
        h.wait_until(lambda: len(rids) >= 30, 20, "30 requests before the rotation")
        rotated = fx.access + ".1"
        os.rename(fx.access, rotated)
        off = fx.bridge.log_size()
        fx.bridge.signal(signal.SIGUSR1)
        # the counters' dump: handled, with the file's own line
        fx.bridge.wait_log(r"access_log '%s': lines_lost=0" % re.escape(fx.access), 5, off)
        h.wait_until(lambda: os.path.exists(fx.access), 5, "a new access log")
        n = len(rids)
        h.wait_until(lambda: len(rids) >= n + 30, 20, "30 requests after the rotation")
    finally:
        stop.set()
        t.join(60)
    h.ok(not t.is_alive(), "load thread ended")
    h.eq(errors, [], "request errors")
    time.sleep(0.3)
    old = "\n".join(_read(rotated))
    new = "\n".join(_read(fx.access))
    for rid in rids:
        h.ok((rid in old) != (rid in new), "%s in exactly one file" % rid)
    h.ok(rids[-1] in new and rids[0] in old, "first in the old file, last in the new")


@g.test
def logrotate_stanza(fx):
    """conf/lambdabridge.logrotate run by the real logrotate on the access
    log (its path and the signal's target changed to the test's bridge):
    the old lines in access.log.1, the next ones in a new access.log."""
    lr = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not os.path.exists(lr):
        raise h.SetupError("logrotate is not installed (scripts/install-deps)")
    with open(os.path.join(h.REPO, "conf", "lambdabridge.logrotate")) as f:
        stanza = f.read()
    h.ok("/var/log/lambdabridge/*.log {" in stanza and "systemctl kill --signal=USR1" in stanza,
         "the shipped stanza")
    before = h.http(fx.port, "GET", "/items/7").header("apigw-requestid")
    _access_line(fx.access, before)
    # the test's folder is world-writable (the gateway writes it as
    # nobody): logrotate wants `su` there
    import grp
    import pwd
    stanza = stanza.replace("/var/log/lambdabridge/*.log {", "%s {\n\tsu %s %s" % (
        fx.access, pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name))
    stanza = re.sub(r"systemctl kill [^\n]*", "kill -USR1 %d" % fx.bridge.proc.pid, stanza)
    conf = fx.env.path("logrotate.conf")
    with open(conf, "w") as f:
        f.write(stanza)
    old = sorted(_read(fx.access))
    off = fx.bridge.log_size()
    r = h.run_cmd([lr, "-f", "-s", fx.env.path("logrotate.state"), conf])
    h.eq(r.returncode, 0, "logrotate: %s" % r.stderr)
    fx.bridge.wait_log(r"function ", 5, off)  # SIGUSR1 handled
    # delaycompress: the first rotation stays uncompressed
    h.eq(sorted(_read(fx.access + ".1")), old, "the old lines in access.log.1")
    after = h.http(fx.port, "GET", "/items/8").header("apigw-requestid")
    h.ok(after in _access_line(fx.access, after), "the next line in the new file")
    h.ok(not any(after in ln for ln in _read(fx.access + ".1")), "not in the old one")


def _check(fx, text):
    cfg = fx.env.path(fx.env.unique("bad") + ".conf")
    with open(cfg, "w") as f:
        f.write(text)
    r = h.run_cmd([h.LB_BIN, "check", "--no-probe", "-c", cfg])
    return cfg, r


BAD = '''gateway: {
  api = "http"; user = "USER"; group = "GROUP";
  access_log = {
    path = "%s";
    format = "%s";
  };
};
functions = ( { name = "f"; module = "%s"; handler = "logfn_handler"; } );
routes = ( { route = "GET /"; function = "f"; } );
'''.replace("USER", h.unprivileged_user()[0]).replace("GROUP", h.unprivileged_user()[1])


@g.test
def check_rejects_bad_formats(fx):
    so = os.path.join(h.TEST_HANDLERS, "logfn.so")
    logp = fx.env.path("check-access.log")
    for fmt, why in (("$context.status $context.path", "must name $context.requestId"),
                     ("$context.requestId $context.bogus", "unknown variable '$context.bogus'"),
                     ("$context.requestId\\n", "control character"),
                     ("", "empty")):
        cfg, r = _check(fx, BAD % (logp, fmt, so))
        h.eq(r.returncode, 1, "exit status for %r" % fmt)
        h.ok(re.search(r"%s:5: gateway\.access_log\.format: .*%s" % (re.escape(cfg), re.escape(why)),
                       r.stderr), "stderr for %r: %r" % (fmt, r.stderr))
    cfg, r = _check(fx, BAD % ("/nonexistent-dir/a.log", "$context.requestId", so))
    h.eq(r.returncode, 1, "missing folder")
    h.ok(re.search(r"%s:4: gateway\.access_log\.path: no folder" % re.escape(cfg), r.stderr),
         r.stderr)
    text = BAD.replace('handler = "logfn_handler";', 'handler = "logfn_handler"; '
                       'application_log_level = "DEBUG";')
    cfg, r = _check(fx, text % (logp, "$context.requestId", so))
    h.eq(r.returncode, 1, "level without JSON")
    h.ok(re.search(r"%s:8: functions\[0\]\.application_log_level: needs log_format = \"JSON\""
                   % re.escape(cfg), r.stderr), r.stderr)
    text = BAD.replace('handler = "logfn_handler";', 'handler = "logfn_handler"; '
                       'log_format = "JSON"; system_log_level = "TRACE";')
    cfg, r = _check(fx, text % (logp, "$context.requestId", so))
    h.eq(r.returncode, 1, "TRACE system level")
    h.ok(re.search(r"%s:8: functions\[0\]\.system_log_level: 'TRACE': must be" % re.escape(cfg), r.stderr),
         r.stderr)
    cfg, r = _check(fx, BAD % (logp, CLF.replace('"', '\\"'), so))
    h.eq(r.returncode, 0, "the CLF preset: %s" % r.stderr)


@g.test
def reload_access_log(fx):
    """SIGHUP to a new path: the next lines go there; a reload to a path
    the gateway's user cannot create is refused and the running file kept
    (run as root: the gateway writes as nobody)."""
    newdir = fx.env.path(fx.env.unique("logs-reload"))
    os.mkdir(newdir)
    os.chmod(newdir, 0o777)
    newpath = os.path.join(newdir, "access.log")
    text = h.substitute(os.path.join(h.CONF_DIR, "logs.conf.in"),
                        {"API": "rest", "ACCESS_PATH": newpath,
                         "ACCESS_FORMAT": _libconfig_str(JSON_FMT),
                         "LISTEN_ACCESS": h.listen_access(),
                         "TEST_HANDLERS": h.TEST_HANDLERS, "LOGS_SH": LOGS_SH,
                         "PROVIDED": PROVIDED, "AUTHZ_ROUTE": AUTHZ["rest"][0],
                         "AUTHORIZERS": AUTHZ["rest"][1]})
    with open(fx.rcfg, "w") as f:
        f.write(text)
    off = fx.rbridge.log_size()
    fx.rbridge.signal(signal.SIGHUP)
    fx.rbridge.wait_log(r"reloaded '", 20, off)
    r = h.http(fx.rport, "GET", "/items/3")
    rid = r.header("x-amzn-RequestId")
    _access_line(newpath, rid)
    h.ok(not any(rid in ln for ln in _read(fx.raccess)), "not in the old file")
    if not h.IS_ROOT:
        return
    locked = fx.env.path(fx.env.unique("logs-locked"))
    os.mkdir(locked, 0o755)  # root's: nobody cannot create files there
    with open(fx.rcfg, "w") as f:
        f.write(text.replace(newpath, os.path.join(locked, "access.log")))
    off = fx.rbridge.log_size()
    fx.rbridge.signal(signal.SIGHUP)
    log = fx.rbridge.wait_log(r"reload rejected", 20, off)
    h.ok(re.search(r"gateway\.access_log: cannot open '%s/access\.log': Permission denied"
                   % re.escape(locked), log), log[-500:])
    r = h.http(fx.rport, "GET", "/items/4")
    _access_line(newpath, r.header("x-amzn-RequestId"))
