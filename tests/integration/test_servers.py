"""What our nginx and Apache configurations send over FastCGI.

These groups put fcgi_dump.py (a FastCGI responder that answers with the
params and body it received) behind nginx/run.conf.in, apache/run.conf.in
and the mod_fcgid variant, so they test the web-server side alone: they need
no bridge.  The facts they pin down are the ones docs/deployment.md and
docs/fastcgi-facts.md rely on.
"""

import hashlib
import os
import re

import harness as h
from fcgi_dump import FcgiDump

REQUIRED_PARAMS = ["REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "SCRIPT_NAME",
                   "SERVER_PROTOCOL", "REQUEST_SCHEME", "GATEWAY_INTERFACE",
                   "SERVER_SOFTWARE", "REMOTE_ADDR", "REMOTE_PORT", "SERVER_ADDR",
                   "SERVER_PORT", "SERVER_NAME"]
NGINX_ONLY_IF_SET = ["CONTENT_TYPE", "CONTENT_LENGTH", "HTTPS"]


def params(resp):
    h.status_is(resp, 200)
    return resp.json()


def values(dump, name):
    return [v for k, v in dump["params"] if k == name]


def one(dump, name):
    vs = values(dump, name)
    if len(vs) != 1:
        raise AssertionError("param %s: expected one value, got %r (params %r)"
                             % (name, vs, [k for k, _ in dump["params"]]))
    return vs[0]


def sha(data):
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------- static checks

config = h.Group("servers-config", "nginx -t / apache2 -t on the shipped configs")


@config.test
def nginx_run_conf(_):
    env = h.Env()
    try:
        conf = env.path("nginx.conf")
        with open(conf, "w") as f:
            f.write(h.nginx_conf(env.dir, 8080, env.path("lb.sock")))
        r = h.run_cmd([h.NGINX, "-t", "-p", env.dir, "-c", conf, "-e", "stderr"])
        h.ok(r.returncode == 0, "nginx -t failed:\n" + r.stderr)
    finally:
        env.close()


@config.test
def nginx_example_conf(_):
    """nginx/lambdabridge.conf dropped into an http block."""
    env = h.Env()
    try:
        with open(os.path.join(h.REPO, "nginx", "lambdabridge.conf")) as f:
            text = f.read()
        text, n = re.subn(r"include \S*/fastcgi\.conf;",
                          "include %s/nginx/fastcgi.conf;" % h.REPO, text)
        h.eq(n, 1, "include lines of fastcgi.conf in nginx/lambdabridge.conf")
        with open(env.path("lambdabridge.conf"), "w") as f:
            f.write(text)
        conf = env.path("nginx.conf")
        with open(conf, "w") as f:
            f.write("pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n"
                    "client_body_temp_path %s/cb;\nfastcgi_temp_path %s/fc;\n"
                    "proxy_temp_path %s/pt;\nuwsgi_temp_path %s/ut;\nscgi_temp_path %s/st;\n"
                    "include %s;\n}\n" % ((env.dir,) * 6 + (env.path("lambdabridge.conf"),)))
        r = h.run_cmd([h.NGINX, "-t", "-p", env.dir, "-c", conf, "-e", "stderr"])
        h.ok(r.returncode == 0, "nginx -t failed:\n" + r.stderr)
    finally:
        env.close()


@config.test
def nginx_fastcgi_conf_is_complete(_):
    with open(os.path.join(h.REPO, "nginx", "fastcgi.conf")) as f:
        text = f.read()
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    h.ok("fastcgi_params" not in code, "fastcgi.conf must not include Debian's fastcgi_params")
    h.ok(not re.search(r"HTTP_HOST", code), "fastcgi.conf must not set HTTP_HOST")
    for p in REQUIRED_PARAMS + NGINX_ONLY_IF_SET:
        h.ok(re.search(r"^\s*fastcgi_param\s+%s\s" % p, code, re.M), "no fastcgi_param " + p)
    for d in ("fastcgi_keep_conn on", "fastcgi_buffering on", "fastcgi_intercept_errors off"):
        h.ok(d in code, "missing: " + d)


@config.test
def shipped_sockets_not_in_tmp(_):
    """The examples put the socket under /run/lambdabridge/, never in a
    directory everybody may write to (a squatter there receives the
    clients' cookies and Authorization headers)."""
    for rel in ("conf/example.conf", "nginx/lambdabridge.conf", "apache/lambdabridge.conf",
                "docs/deployment.md", "docs/configuration.md", "README.md"):
        with open(os.path.join(h.REPO, rel)) as f:
            text = f.read()
        for m in re.finditer(r"(?:unix:|LB_SOCKET\s+)(/[\w./-]+\.sock)", text):
            h.ok(m.group(1).startswith("/run/lambdabridge/"),
                 "%s: socket %s outside /run/lambdabridge/" % (rel, m.group(1)))


def _apache_t(fcgid):
    if not os.access(h.APACHE, os.X_OK):
        raise h.Skip("apache2 is not installed")
    if fcgid and not os.path.exists(os.path.join(h.APACHE_MODULES, "mod_fcgid.so")):
        raise h.Skip("mod_fcgid is not installed")
    env = h.Env()
    try:
        conf = env.path("httpd.conf")
        with open(conf, "w") as f:
            f.write(h.apache_conf(env.dir, 8080, env.path("lb.sock"), h.LB_BIN,
                                  os.path.join(h.CONF_DIR, "http.conf")))
        argv = [h.APACHE, "-t", "-d", env.dir, "-f", conf]
        if fcgid:
            argv.append("-DLB_FCGID")
        r = h.run_cmd(argv)
        h.ok(r.returncode == 0, "apache2 -t failed:\n" + r.stdout + r.stderr)
    finally:
        env.close()


@config.test
def apache_proxy_fcgi_conf(_):
    _apache_t(False)


@config.test
def apache_fcgid_conf(_):
    _apache_t(True)


# ------------------------------------------------------------- nginx

class Fx:
    pass


def _dump_fixture(env, start):
    fx = Fx()
    fx.dump = FcgiDump(env.path("dump.sock")).start()
    env.cleanups.append(fx.dump.stop)
    fx.server = start(env, fx.dump.path)
    fx.port = fx.server.port
    return fx


ng = h.Group("servers-nginx", "params nginx/run.conf.in sends (FastCGI dump, no bridge)",
             setup=lambda env: _dump_fixture(env, h.start_nginx))


@ng.test
def cgi_params(fx):
    d = params(h.http(fx.port, "GET", "/api/users/42?a=1&a=2&b=%20x"))
    for p in REQUIRED_PARAMS:
        one(d, p)
    h.eq(one(d, "REQUEST_URI"), "/api/users/42?a=1&a=2&b=%20x", "REQUEST_URI")
    h.eq(one(d, "QUERY_STRING"), "a=1&a=2&b=%20x", "QUERY_STRING")
    h.eq(one(d, "REQUEST_METHOD"), "GET", "REQUEST_METHOD")
    h.eq(one(d, "SERVER_PORT"), str(fx.port), "SERVER_PORT")
    h.eq(one(d, "REQUEST_SCHEME"), "http", "REQUEST_SCHEME")
    h.eq(one(d, "SERVER_PROTOCOL"), "HTTP/1.1", "SERVER_PROTOCOL")
    h.eq(one(d, "REMOTE_ADDR"), "127.0.0.1", "REMOTE_ADDR")
    h.eq(values(d, "HTTPS"), [], "HTTPS over plain HTTP")
    h.eq(values(d, "CONTENT_LENGTH"), [], "CONTENT_LENGTH without a body")
    h.eq(values(d, "SCRIPT_FILENAME"), [], "SCRIPT_FILENAME")


@ng.test
def host_keeps_port(fx):
    """Debian's fastcgi_params would send HTTP_HOST=$host (no port)."""
    d = params(h.http(fx.port, "GET", "/x", [("Host", "example.com:8443")]))
    h.eq(one(d, "HTTP_HOST"), "example.com:8443", "HTTP_HOST")


@ng.test
def content_params_on_post(fx):
    d = params(h.http(fx.port, "POST", "/x", [("Content-Type", "application/json")], b'{"a":1}'))
    h.eq(one(d, "CONTENT_TYPE"), "application/json", "CONTENT_TYPE")
    h.eq(one(d, "CONTENT_LENGTH"), "7", "CONTENT_LENGTH")
    h.eq(d["body_sha256"], sha(b'{"a":1}'), "body")


@ng.test
def duplicate_headers_are_separate_params(fx):
    d = params(h.http(fx.port, "GET", "/x", [("X-Dup", "one"), ("X-Dup", "two"),
                                             ("Cookie", "a=1"), ("Cookie", "b=2")]))
    h.eq(values(d, "HTTP_X_DUP"), ["one", "two"], "HTTP_X_DUP")
    h.eq(values(d, "HTTP_COOKIE"), ["a=1", "b=2"], "HTTP_COOKIE")


@ng.test
def authorization_passed_proxy_dropped(fx):
    d = params(h.http(fx.port, "GET", "/x", [("Authorization", "Bearer abc.def"),
                                             ("Proxy", "http://evil.example")]))
    h.eq(values(d, "HTTP_AUTHORIZATION"), ["Bearer abc.def"], "HTTP_AUTHORIZATION")
    h.eq(values(d, "HTTP_PROXY"), [], "HTTP_PROXY (httpoxy)")


@ng.test
def encoded_slash_in_request_uri(fx):
    d = params(h.http(fx.port, "GET", "/api/a%2Fb/c?x=%2F"))
    h.eq(one(d, "REQUEST_URI"), "/api/a%2Fb/c?x=%2F", "REQUEST_URI")


@ng.test
def keep_conn_and_reuse(fx):
    before = len(fx.dump._conns)
    for i in range(12):
        d = params(h.http(fx.port, "GET", "/k%d" % i))
        h.ok(d["keep_conn"], "FCGI_KEEP_CONN not set on request %d" % i)
    opened = len(fx.dump._conns) - before
    # 2 workers, one idle kept connection each at most for sequential requests
    h.ok(opened <= 4, "12 sequential requests opened %d FastCGI connections" % opened)


@ng.test
def chunked_upload_counted(fx):
    body = os.urandom(200 * 1024)
    d = params(h.http(fx.port, "POST", "/up", [("Content-Type", "application/octet-stream")],
                      body, chunked=True))
    h.eq(d["body_sha256"], sha(body), "body")
    h.eq(one(d, "CONTENT_LENGTH"), str(len(body)), "CONTENT_LENGTH (nginx counts it)")


@ng.test
def five_megabyte_body(fx):
    body = os.urandom(5 * 1024 * 1024)
    d = params(h.http(fx.port, "POST", "/big", [("Content-Type", "application/octet-stream")],
                      body))
    h.eq(d["body_len"], len(body), "body length")
    h.eq(d["body_sha256"], sha(body), "body")


@ng.test
def over_client_max_body_size(fx):
    r = h.http(fx.port, "POST", "/huge", [("Content-Length", str(17 * 1024 * 1024))], b"")
    h.status_is(r, 413)


# ------------------------------------------------------------- Apache

ap = h.Group("servers-apache",
             "params apache/lambdabridge.conf sends (mod_proxy_fcgi, FastCGI dump, no bridge)",
             setup=lambda env: _dump_fixture(env, h.start_apache))


@ap.test
def cgi_params(fx):
    d = params(h.http(fx.port, "GET", "/api/users/42?a=1&a=2&b=%20x"))
    for p in ("REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "SERVER_PROTOCOL",
              "REMOTE_ADDR", "SERVER_PORT", "HTTP_HOST"):
        one(d, p)
    h.eq(one(d, "REQUEST_URI"), "/api/users/42?a=1&a=2&b=%20x", "REQUEST_URI")
    h.eq(one(d, "QUERY_STRING"), "a=1&a=2&b=%20x", "QUERY_STRING")
    h.eq(one(d, "HTTP_HOST"), "127.0.0.1:%d" % fx.port, "HTTP_HOST")
    h.eq(one(d, "SERVER_PORT"), str(fx.port), "SERVER_PORT")


@ap.test
def authorization_passed(fx):
    """CGIPassAuth On."""
    d = params(h.http(fx.port, "GET", "/x", [("Authorization", "Bearer abc.def")]))
    h.eq(values(d, "HTTP_AUTHORIZATION"), ["Bearer abc.def"], "HTTP_AUTHORIZATION")


@ap.test
def encoded_slash_reaches_app(fx):
    """AllowEncodedSlashes NoDecode + nocanon; without them Apache says 404."""
    d = params(h.http(fx.port, "GET", "/api/a%2Fb/c?x=%2F"))
    h.eq(one(d, "REQUEST_URI"), "/api/a%2Fb/c?x=%2F", "REQUEST_URI")


@ap.test
def duplicate_headers_are_joined(fx):
    d = params(h.http(fx.port, "GET", "/x", [("X-Dup", "one"), ("X-Dup", "two")]))
    h.eq(values(d, "HTTP_X_DUP"), ["one, two"], "HTTP_X_DUP")


@ap.test
def keep_conn_and_reuse(fx):
    before = len(fx.dump._conns)
    for i in range(12):
        d = params(h.http(fx.port, "GET", "/k%d" % i))
        h.ok(d["keep_conn"], "FCGI_KEEP_CONN not set on request %d (enablereuse)" % i)
    opened = len(fx.dump._conns) - before
    h.ok(opened < 12, "12 sequential requests opened %d FastCGI connections" % opened)


@ap.test
def chunked_upload(fx):
    body = os.urandom(200 * 1024)
    d = params(h.http(fx.port, "POST", "/up", [("Content-Type", "application/octet-stream")],
                      body, chunked=True))
    h.eq(d["body_sha256"], sha(body), "body")
    h.eq(values(d, "CONTENT_LENGTH"), [], "CONTENT_LENGTH (Apache sends none)")


@ap.test
def five_megabyte_body(fx):
    body = os.urandom(5 * 1024 * 1024)
    d = params(h.http(fx.port, "POST", "/big", [("Content-Type", "application/octet-stream")],
                      body))
    h.eq(d["body_sha256"], sha(body), "body")


# ------------------------------------------------------------- mod_fcgid

def _fcgid_fixture(env):
    fx = Fx()
    dump = os.path.join(h.HERE, "fcgi_dump.py")
    fx.server = h.start_apache(env, fcgid_bin=dump, fcgid_config=env.path("unused.conf"))
    fx.port = fx.server.port
    return fx


fc = h.Group("servers-fcgid", "apache/lambdabridge-fcgid.conf starts the app on fd 0 (dump)",
             setup=_fcgid_fixture)


@fc.test
def spawns_and_passes_params(fx):
    d = params(h.http(fx.port, "GET", "/api/a%2Fb/c?x=1",
                      [("Authorization", "Bearer abc"), ("X-Dup", "one"), ("X-Dup", "two")]))
    h.eq(one(d, "REQUEST_URI"), "/api/a%2Fb/c?x=1", "REQUEST_URI")
    h.eq(values(d, "HTTP_AUTHORIZATION"), ["Bearer abc"], "HTTP_AUTHORIZATION")
    h.eq(values(d, "HTTP_X_DUP"), ["one, two"], "HTTP_X_DUP")


@fc.test
def body(fx):
    body = os.urandom(300 * 1024)
    d = params(h.http(fx.port, "POST", "/up", [("Content-Type", "application/octet-stream")],
                      body))
    h.eq(d["body_sha256"], sha(body), "body")
