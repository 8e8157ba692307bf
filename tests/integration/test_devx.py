"""Group devx (issue 16 item 7): what a developer porting a function runs.
`lambdabridge start-api` with real nginx and Apache (requests through them,
the routes it prints, Ctrl-C and SIGTERM stopping everything, its
refusals), `invoke` with a piped event, --env-vars, --http and an init
failure, `check` reporting several errors with "did you mean", the
one-shot CGI message on a terminal, lb_event_body through the servers,
the Lambda request id in the access line.
"""

import json
import os
import pty
import re
import signal
import socket
import subprocess
import time

import harness as h


class Fx:
    pass


def _setup(env):
    h.need_modules(*[os.path.join(h.HANDLERS, n + ".so") for n in ("hello", "echo")]
                   + [os.path.join(h.TEST_HANDLERS, n + ".so")
                      for n in ("devx_body", "integ_initfail")])
    fx = Fx()
    fx.env = env
    fx.config = h.write_config(env, "devx", name="devx.conf", api="http")
    fx.rest_config = h.write_config(env, "devx", name="devx-rest.conf", api="rest")
    return fx


g = h.Group("devx", "start-api behind nginx and Apache, invoke (stdin, --env-vars, "
            "--http, init failure), check's errors, the one-shot message", setup=_setup)

BINARY = bytes([0x00, 0xff, 0x41, 0x00, 0x0a, 0x80, 0x7f, 0x0d])
STOP_WAIT = 20.0


def _stray(marker):
    """Processes (not zombies) whose command line names `marker`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state != "Z":
            found.append((int(pid), cmd))
    return found


def _start_api(fx, server, extra=()):
    """Starts `lambdabridge start-api` on a free port; waits until it has
    printed its routes and the port answers.  Returns (proc, port, dir)."""
    port = h.free_port()
    proc = fx.env.spawn("start-api", [h.LB_BIN, "start-api", "-c", fx.config,
                                      "--port", str(port), "--server", server]
                        + list(extra), cwd=h.REPO)
    h.wait_until(lambda: "lambdabridge is serving" in proc.log_tail(200)
                 and h.tcp_accepts(port), h.START_TIMEOUT,
                 "start-api to serve on port %d" % port, proc)
    m = re.search(r"their files are in (/tmp/lambdabridge-api\.\w+)", proc.log_tail(200))
    h.ok(m, "start-api names its directory:\n%s" % proc.log_tail(40))
    return proc, port, m.group(1)


def _stops_clean(proc, tmpdir, sig):
    """sig to start-api: it exits 0 within STOP_WAIT seconds, its directory
    is gone and none of its processes is left."""
    os.kill(proc.pid, sig)
    try:
        rc = proc.p.wait(STOP_WAIT)
    except subprocess.TimeoutExpired:
        raise AssertionError("start-api still runs %.0f s after %s" % (STOP_WAIT, sig))
    h.eq(rc, 0, "start-api's exit status after %s:\n%s" % (sig, proc.log_tail(20)))
    h.ok(not os.path.exists(tmpdir), "%s removed" % tmpdir)
    h.wait_until(lambda: not _stray(tmpdir) and not _stray(os.path.basename(h.LB_BIN) +
                                                          " -c " + proc.argv[3] + " -l"),
                 5, "no process of start-api left: %r" % _stray(tmpdir))


def _drive(fx, proc, port, server):
    """Requests through the private server: a function, an unknown route,
    a binary body decoded by lb_event_body, a text one, none."""
    r = h.http(port, "GET", "/hello")
    h.status_is(r, 200)
    h.ok(b"Bonjour-devx" in r.body, "the function's answer: %r" % r.body)
    h.eq(r.header("server") or "", "nginx" if server == "nginx" else "Apache",
         "served by %s" % server)
    r = h.http(port, "GET", "/nowhere")
    h.status_is(r, 404)
    h.eq(r.body, b'{"message":"Not Found"}', "an HTTP API's 404")
    r = h.http(port, "POST", "/body", [("Content-Type", "application/octet-stream")], BINARY)
    h.status_is(r, 200)
    h.eq(r.body.decode(), "%d %s" % (len(BINARY), BINARY.hex()),
         "lb_event_body of a base64-encoded binary body")
    r = h.http(port, "POST", "/body", [("Content-Type", "text/plain")], b"caf\xc3\xa9")
    h.eq(r.body.decode(), "5 636166c3a9", "lb_event_body of a text body")
    r = h.http(port, "GET", "/body")
    h.eq(r.body.decode(), "none ENOENT", "lb_event_body without a body")
    # the routes it printed, and the access line's Lambda request id (the
    # one of START/END/REPORT)
    log = proc.log_tail(400)
    h.ok(re.search(r"GET +http://127\.0\.0\.1:%d/hello -> hello" % port, log),
         "the route table in:\n%s" % log)
    h.wait_until(lambda: re.search(r'"GET /hello HTTP/1\.[01]" 200 .* hello ([0-9a-f-]{36})$',
                                   proc.log_tail(400), re.M), 5, "the access line of /hello")
    rid = re.search(r'"GET /hello HTTP/1\.[01]" 200 .* hello ([0-9a-f-]{36})$',
                    proc.log_tail(400), re.M).group(1)
    h.ok("START RequestId: %s " % rid in proc.log_tail(400),
         "the access line's Lambda id %s is the START line's" % rid)
    h.ok(re.search(r'"GET /nowhere HTTP/1\.[01]" 404 \d+ \d+ ms \S+ - -$', proc.log_tail(400),
                   re.M), "no function, no Lambda id ('-') for /nowhere")


@g.test
def start_api_nginx(fx):
    """start-api (nginx, the default) in front of the config; Ctrl-C
    (SIGINT) stops nginx and the bridge and removes the directory."""
    proc, port, tmpdir = _start_api(fx, "nginx")
    _drive(fx, proc, port, "nginx")
    _stops_clean(proc, tmpdir, signal.SIGINT)


@g.test
def start_api_apache(fx):
    """start-api --server apache: the same through Apache's mod_proxy_fcgi;
    SIGTERM stops it."""
    if not os.access(h.APACHE, os.X_OK):
        raise h.Skip("apache2 is not installed")
    proc, port, tmpdir = _start_api(fx, "apache")
    _drive(fx, proc, port, "apache")
    _stops_clean(proc, tmpdir, signal.SIGTERM)


@g.test
def start_api_refuses(fx):
    """A port in use, a server that is not installed, a bad config: exit
    1 with the reason, nothing started."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        port = s.getsockname()[1]
        r = h.run_cmd([h.LB_BIN, "start-api", "-c", fx.config, "--port", str(port)])
        h.eq(r.returncode, 1, "exit status with the port taken")
        h.ok("port %d on 127.0.0.1 is taken" % port in r.stderr and "--port" in r.stderr,
             "the reason: %r" % r.stderr)
    finally:
        s.close()
    free = str(h.free_port())
    r = h.run_cmd([h.LB_BIN, "start-api", "-c", fx.config, "--port", free],
                  env=dict(os.environ, NGINX="/nonexistent/nginx"))
    h.eq(r.returncode, 1, "exit status without nginx")
    h.ok("nginx is not installed" in r.stderr, "the reason: %r" % r.stderr)
    r = h.run_cmd([h.LB_BIN, "start-api", "-c", fx.config, "--port", free, "--server",
                   "apache"], env=dict(os.environ, APACHE="/nonexistent/apache2"))
    h.eq(r.returncode, 1, "exit status without Apache")
    h.ok("Apache is not installed" in r.stderr, "the reason: %r" % r.stderr)
    r = h.run_cmd([h.LB_BIN, "start-api", "-c", fx.config, "--server", "lighttpd"])
    h.eq(r.returncode, 2, "--server lighttpd is a usage error")
    bad = fx.env.path("bad-start.conf")
    with open(bad, "w") as f:
        f.write('gateway: { api = "htp"; };\n')
    r = h.run_cmd([h.LB_BIN, "start-api", "-c", bad, "--port", free])
    h.eq(r.returncode, 1, "exit status with a bad config")
    h.ok("%s:1: gateway.api:" % bad in r.stderr, "the config's error: %r" % r.stderr)
    h.ok(not any("lambdabridge-api." in c for _, c in _stray(fx.config)),
         "nothing left running")


def _invoke(fx, args, input=None, config=None):
    return h.run_cmd([h.LB_BIN, "invoke", "-c", config or fx.config] + list(args),
                     input=input, timeout=30)


@g.test
def invoke_piped_event(fx):
    """A piped stdin is the event without '-'; /dev/null is {}."""
    r = _invoke(fx, ["echo"], input='{"rawPath": "/piped", "n": [1, 2]}')
    h.eq(r.returncode, 0, "exit status: %r" % r.stderr)
    event = json.loads(json.loads(r.stdout)["body"])
    h.eq(event, {"rawPath": "/piped", "n": [1, 2]}, "the event the handler got")
    r = _invoke(fx, ["echo"])  # stdin is /dev/null
    h.eq(json.loads(json.loads(r.stdout)["body"]), {}, "no event: {}")
    r = _invoke(fx, ["echo"], input="{not json")
    h.eq(r.returncode, 2, "a piped event that is not JSON")
    h.ok("not valid JSON" in r.stderr, r.stderr)


@g.test
def invoke_env_vars(fx):
    """--env-vars: the function's object wins over Parameters; variables
    the function does not declare are ignored, as SAM CLI does, and said."""
    path = fx.env.path("env.json")
    with open(path, "w") as f:
        json.dump({"hello": {"GREETING": "Howdy", "EXTRA": "x"},
                   "Parameters": {"GREETING": "Param", "OTHER": 1}}, f)
    r = _invoke(fx, ["--env-vars", path, "hello"])
    h.eq(r.returncode, 0, "exit status: %r" % r.stderr)
    h.ok("Howdy, world!" in json.loads(r.stdout)["body"], "the function's value: %r" % r.stdout)
    h.ok('"hello"."EXTRA" ignored' in r.stderr and '"Parameters"."OTHER" ignored' in r.stderr,
         "undeclared variables reported: %r" % r.stderr)
    with open(path, "w") as f:
        json.dump({"Parameters": {"GREETING": "Param"}}, f)
    r = _invoke(fx, ["--env-vars", path, "hello"])
    h.ok("Param, world!" in json.loads(r.stdout)["body"], "Parameters: %r" % r.stdout)
    with open(path, "w") as f:
        f.write('{"hello": {"GREETING": ["a"]}}')
    r = _invoke(fx, ["--env-vars", path, "hello"])
    h.eq(r.returncode, 2, "a list value is refused")
    h.ok("expected a string" in r.stderr, r.stderr)


def _split_http(out):
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    return lines[0], [tuple(l.split(": ", 1)) for l in lines[1:]], body


@g.test
def invoke_http(fx):
    """--http prints what a client gets: the result mapped as API Gateway
    maps it, or its error response, per API type."""
    r = subprocess.run([h.LB_BIN, "invoke", "-c", fx.config, "--http", "hello"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    h.eq(r.returncode, 0, "exit status: %r" % r.stderr)
    status, headers, body = _split_http(r.stdout)
    h.eq(status, "HTTP/1.1 200 OK", "status line")
    h.ok(("content-type", "text/plain") in headers, "the function's header: %r" % headers)
    h.ok(any(k == "apigw-requestid" for k, _ in headers), "HTTP API request id: %r" % headers)
    h.ok(("content-length", str(len(body))) in headers, "content-length")
    h.ok(body.startswith(b"Bonjour-devx"), "the body, not the result JSON: %r" % body)
    # a payload 2.0 result that is not a proxy response: inferred as JSON
    r = subprocess.run([h.LB_BIN, "invoke", "-c", fx.config, "--http", "echo"],
                       input=b'{"k": "v"}', capture_output=True, timeout=30)
    status, headers, body = _split_http(r.stdout)
    h.eq(status, "HTTP/1.1 200 OK", "echo's status line")
    h.eq(json.loads(body), {"k": "v"}, "echo's body is the event")
    # errors: an init failure is the function-error response of each API
    r = subprocess.run([h.LB_BIN, "invoke", "-c", fx.config, "--http", "broken"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    status, headers, body = _split_http(r.stdout)
    h.eq((status, body), ("HTTP/1.1 500 Internal Server Error",
                          b'{"message":"Internal Server Error"}'), "HTTP API error")
    r = subprocess.run([h.LB_BIN, "invoke", "-c", fx.rest_config, "--http", "broken"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    status, headers, body = _split_http(r.stdout)
    h.eq((status, body), ("HTTP/1.1 502 Bad Gateway",
                          b'{"message": "Internal server error"}'), "REST API error")
    h.ok(any(k == "x-amzn-RequestId" for k, _ in headers), "REST request id: %r" % headers)


@g.test
def invoke_init_failure(fx):
    """An environment that cannot start: the error JSON, the function's
    own line, and START/END/REPORT with the error type."""
    r = _invoke(fx, ["broken"])
    h.eq(r.returncode, 1, "exit status")
    h.eq(json.loads(r.stdout)["errorType"], "Runtime.InitError", "the error: %r" % r.stdout)
    h.ok("refusing to initialise" in r.stderr, "the function's output: %r" % r.stderr)
    m = re.search(r"^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST$", r.stderr, re.M)
    h.ok(m, "START in %r" % r.stderr)
    rid = m.group(1)
    h.ok(re.search(r"^END RequestId: %s$" % rid, r.stderr, re.M), "END: %r" % r.stderr)
    h.ok(re.search(r"^REPORT RequestId: %s\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
                   r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tStatus: error\t"
                   r"Error Type: Runtime.InitError$" % rid, r.stderr, re.M),
         "REPORT with the status: %r" % r.stderr)


@g.test
def check_reports_every_error(fx):
    """check lists every error, each FILE:LINE: setting: reason, with
    "did you mean" for misspelt settings and sections, and their count."""
    path = fx.env.path("many.conf")
    mod = os.path.join(h.HANDLERS, "hello.so")
    with open(path, "w") as f:
        f.write('gateway: { api = "http"; user = "%s"; intgration_timeout = 5.0; };\n'  # 1
                'function = ();\n'                                               # 2
                'functions = (\n'                                                # 3
                '  { name = "a"; module = "%s"; handler = "hello_handler";\n'   # 4
                '    timout = 3.0; memory = 64; },\n'                            # 5
                '  { name = "b"; module = "%s"; hnadler = "hello_handler";\n'   # 6
                '    memroy = 256; }\n'                                          # 7
                ');\n' % (h.unprivileged_user()[0], mod, mod))
    r = h.run_cmd([h.LB_BIN, "check", "-c", path])
    h.eq(r.returncode, 1, "exit status: %r" % r.stderr)
    want = [
        "%s:2: function: unknown setting: did you mean 'functions'?",
        "%s:1: gateway.intgration_timeout: unknown setting: did you mean "
        "'integration_timeout'?",
        "%s:5: functions[0].timout: unknown setting: did you mean 'timeout'?",
        "%s:5: functions[0].memory: 64 is out of range: must be from 128 to 10240",
        "%s:6: functions[1].hnadler: unknown setting: did you mean 'handler'?",
        "%s:7: functions[1].memroy: unknown setting: did you mean 'memory'?",
    ]
    lines = r.stderr.splitlines()
    h.eq(lines[:-1], [w % path for w in want], "every error, in order")
    h.eq(lines[-1], "lambdabridge: 6 errors in '%s'" % path, "the count")
    # the misspelt required 'handler' is not also reported missing
    h.ok("functions[1].handler: missing" not in r.stderr, r.stderr)
    # routes are checked once the functions are right: two bad routes
    with open(path, "w") as f:
        f.write('gateway: { user = "%s"; };\n'
                'functions = ( { name = "a"; module = "%s"; handler = "hello_handler"; } );\n'
                'routes = ( { route = "GET /a"; function = "nosuch"; },\n'
                '  { route = "GET /b"; fucntion = "a"; } );\n'
                % (h.unprivileged_user()[0], mod))
    r = h.run_cmd([h.LB_BIN, "check", "-c", path])
    h.eq(r.returncode, 1, "exit status")
    h.ok("%s:3: routes[0].function: no function named 'nosuch'" % path in r.stderr, r.stderr)
    h.ok("%s:4: routes[1].fucntion: unknown setting: did you mean 'function'?" % path
         in r.stderr, r.stderr)
    h.ok(r.stderr.endswith("2 errors in '%s'\n" % path), r.stderr)


@g.test
def oneshot_message_on_a_terminal(fx):
    """No listen address, stdin a terminal: the bridge says it runs as a
    one-shot CGI program, why, and how to serve."""
    path = fx.env.path("nolisten.conf")
    with open(fx.config) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text)
    master, slave = pty.openpty()
    try:
        env = {k: v for k, v in os.environ.items()
               if k not in ("REQUEST_METHOD", "GATEWAY_INTERFACE", "LISTEN_FDS")}
        env.update(REQUEST_METHOD="GET", REQUEST_URI="/hello", SERVER_PROTOCOL="HTTP/1.1",
                   REMOTE_ADDR="127.0.0.1")
        p = subprocess.Popen([h.LB_BIN, "-c", path], stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, start_new_session=True)
        # it reads the request's body from the terminal: Ctrl-D ends it
        os.write(master, b"\x04")
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise AssertionError("the one-shot bridge did not end after Ctrl-D")
    finally:
        os.close(slave)
        os.close(master)
    r = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    err = r.stderr.decode("utf-8", "replace")
    h.ok("running as a one-shot CGI program" in err, "the message: %r" % err)
    for hint in ("-l 127.0.0.1:9000", "gateway.listen", "lambdabridge start-api -c %s" % path,
                 "Ctrl-D"):
        h.ok(hint in err, "%r in %r" % (hint, err))
    h.ok(b"Bonjour-devx" in r.stdout, "and it answered the one request: %r" % r.stdout)
    # not on a terminal (a web server's CGI): no message
    r = subprocess.run([h.LB_BIN, "-c", path], stdin=subprocess.DEVNULL, capture_output=True,
                       env=env, timeout=30, start_new_session=True)
    h.ok(b"one-shot" not in r.stderr, "no message without a terminal: %r" % r.stderr)
