"""The integration-test harness: processes, servers, an HTTP client, a runner.

Python 3 standard library only.  Everything it starts runs in its own process
group, on free loopback ports and in a private temp directory, and is stopped
(then killed) when the group or the run ends, even on Ctrl-C or an exception.
Every wait is bounded.
"""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(REPO, os.environ.get("BUILD", "build"))
LB_BIN = os.path.abspath(os.environ.get("LB_BIN", os.path.join(BUILD, "lambdabridge")))
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")
APACHE = os.environ.get("APACHE", shutil.which("apache2") or shutil.which("httpd")
                        or "/usr/sbin/apache2")
APACHE_MODULES = "/usr/lib/apache2/modules"
CONF_DIR = os.path.join(HERE, "conf")
IS_ROOT = os.geteuid() == 0

START_TIMEOUT = 15.0   # a server or the bridge must accept within this
STOP_TIMEOUT = 8.0     # then it is killed
HTTP_TIMEOUT = 40.0    # above the bridge's 30 s integration cap


class Skip(Exception):
    """Raised by a test or a setup to skip (not counted as pass or fail)."""


class SetupError(Exception):
    pass


# ---------------------------------------------------------------- processes

class Proc:
    """A process started in its own process group, output to a log file."""

    def __init__(self, name, argv, log, env=None, cwd=None, stdin=subprocess.DEVNULL):
        self.name = name
        self.argv = argv
        self.log = log
        self._logf = open(log, "ab")
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=self._logf,
                                  stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                  start_new_session=True)
        self.pid = self.p.pid
        self.stop_signal = signal.SIGTERM

    def alive(self):
        return self.p.poll() is None

    def log_tail(self, n=30):
        try:
            with open(self.log, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def stop(self, sig=None, timeout=STOP_TIMEOUT):
        """Sends `sig` (default: stop_signal) to the leader, waits (bounded), then SIGKILLs the
        whole process group (workers, environments) so nothing survives."""
        if sig is None:
            sig = self.stop_signal
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.p.wait(2)
        except subprocess.TimeoutExpired:
            pass
        self._logf.close()
        return self.p.returncode


def wait_until(pred, timeout, what, proc=None, interval=0.05):
    """Polls `pred` until it returns true, `timeout` passes, or `proc` dies."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if pred():
                return
        except OSError:
            pass
        if proc is not None and not proc.alive():
            raise SetupError("%s exited (status %s) before %s:\n%s" % (
                proc.name, proc.p.returncode, what, proc.log_tail()))
        if time.monotonic() > deadline:
            tail = ("\n" + proc.log_tail()) if proc is not None else ""
            raise SetupError("timed out after %.0f s waiting for %s%s" % (timeout, what, tail))
        time.sleep(interval)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def tcp_accepts(port):
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def unix_accepts(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(path)
        return True
    finally:
        s.close()


def run_cmd(argv, timeout=30, input=None, env=None):
    """Runs a short command; returns CompletedProcess (text).  Without
    input its stdin is /dev/null, never the runner's (`invoke` reads a
    piped stdin as its event)."""
    return subprocess.run(argv, input=input, capture_output=True, text=True,
                          timeout=timeout, env=env, start_new_session=True,
                          stdin=subprocess.DEVNULL if input is None else None)


def substitute(template, values):
    """TEMPLATE with @KEY@ replaced by values; @USER@ and @GROUP@ are
    unprivileged_user()'s unless given."""
    user, group = unprivileged_user()
    values = dict({"USER": user, "GROUP": group}, **values)
    with open(template) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, v)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise SetupError("%s: unsubstituted %s" % (template, ", ".join(sorted(set(left)))))
    return text


def unprivileged_user():
    """The user and group servers drop to when we run as root."""
    pw = pwd.getpwnam("nobody")
    return pw.pw_name, grp.getgrgid(pw.pw_gid).gr_name


# ---------------------------------------------------------------- the environment

class Env:
    """One private temp dir and every process started in it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lb-integ-")
        os.chmod(self.dir, 0o755)  # servers' workers may run as nobody
        self.procs = []
        self.cleanups = []
        self._n = 0

    def path(self, name):
        return os.path.join(self.dir, name)

    def unique(self, base):
        self._n += 1
        return "%s-%d" % (base, self._n)

    def spawn(self, name, argv, **kw):
        p = Proc(name, argv, self.path(self.unique(name) + ".log"), **kw)
        self.procs.append(p)
        return p

    def close(self):
        # a second Ctrl-C must not interrupt the cleanup
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return self._close()
        finally:
            signal.signal(signal.SIGINT, old)

    def _close(self):
        errors = []
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # keep cleaning up
                errors.append(str(e))
        for p in reversed(self.procs):
            p.stop()
        kill_strays(self.dir)
        if os.environ.get("LB_INTEG_KEEP"):
            print("   (kept %s)" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return errors


def kill_strays(marker):
    """Kills processes whose command line names our private temp dir (e.g.
    bridges that mod_fcgid started on our behalf, in Apache's group or not).
    The marker is a unique mkdtemp path, so only our own processes match."""
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in cmd:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


class Bridge:
    def __init__(self, proc, sock, config):
        self.proc, self.sock, self.config = proc, sock, config

    def alive(self):
        return self.proc.alive()

    def log_text(self):
        """Everything the bridge (and its environments) logged so far."""
        try:
            with open(self.proc.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.proc.log)
        except OSError:
            return 0

    def log_since(self, offset):
        """The log from byte `offset` (a log_size() taken earlier) on."""
        try:
            with open(self.proc.log, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait_log(self, pattern, timeout, offset=0):
        """Waits (bounded) until the log after `offset` matches the regex."""
        wait_until(lambda: re.search(pattern, self.log_since(offset)), timeout,
                   "%r in the bridge log" % pattern)
        return self.log_since(offset)


def start_bridge(env, config, extra_args=(), binary=None):
    """Starts `lambdabridge -c CONFIG -l unix:SOCK` and waits until the
    socket accepts connections."""
    binary = binary or LB_BIN
    if not os.access(binary, os.X_OK):
        raise SetupError("%s is not built (make all)" % binary)
    sock = env.path(env.unique("bridge") + ".sock")
    proc = env.spawn("lambdabridge", [binary, "-c", config, "-l", "unix:" + sock]
                     + list(extra_args), cwd=REPO)
    wait_until(lambda: os.path.exists(sock) and unix_accepts(sock), START_TIMEOUT,
               "the bridge to accept on " + sock, proc)
    return Bridge(proc, sock, config)


HANDLERS = os.path.join(BUILD, "handlers")
TEST_HANDLERS = os.path.join(BUILD, "tests", "handlers")


def listen_access():
    """The gateway settings that let the web servers' workers reach the
    bridge's socket (mode 0660): as root they run as nobody, so the socket
    goes to nobody's group; otherwise they run as we do."""
    if IS_ROOT:
        return 'listen_group = "%s";' % unprivileged_user()[1]
    return "# not root: the web servers run as the bridge's user"


def write_config(env, template, name=None, **values):
    """Writes tests/integration/conf/TEMPLATE.conf.in into the temp dir with
    @HANDLERS@, @TEST_HANDLERS@, @LISTEN_ACCESS@, @USER@ and @GROUP@
    (unprivileged_user(): the gateway drops to them when the tests run as
    root) and the given @KEY@ values substituted; returns the path."""
    vals = {"HANDLERS": HANDLERS, "TEST_HANDLERS": TEST_HANDLERS,
            "LISTEN_ACCESS": listen_access()}
    vals.update({k.upper(): str(v) for k, v in values.items()})
    text = substitute(os.path.join(CONF_DIR, template + ".conf.in"), vals)
    path = env.path(name or (env.unique(template) + ".conf"))
    with open(path, "w") as f:
        f.write(text)
    return path


def need_modules(*paths):
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise SetupError("not built (make all, or merge main): " + ", ".join(missing))


def parallel(fns, timeout=HTTP_TIMEOUT + 5):
    """Runs the callables on threads at once; returns their results (or raises
    the first exception).  Bounded: a thread still running after `timeout`
    is an AssertionError."""
    import threading
    results = [None] * len(fns)
    errors = [None] * len(fns)

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as e:  # reported below
            errors[i] = e
    threads = [threading.Thread(target=run, args=(i, fn), daemon=True)
               for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            raise AssertionError("a parallel request did not finish within %.0f s" % timeout)
    for e in errors:
        if e is not None:
            raise e
    return results


class Server:
    def __init__(self, kind, proc, port, prefix):
        self.kind, self.proc, self.port, self.prefix = kind, proc, port, prefix

    def error_log(self, n=30):
        path = os.path.join(self.prefix, "error.log")
        if os.path.exists(path):
            with open(path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
        return self.proc.log_tail(n)


def _start_server(env, kind, make_argv, tries=3):
    """Starts a web server on a free port; retries with another port when
    someone else took the port in the meantime."""
    last = None
    for _ in range(tries):
        port = free_port()
        prefix = env.path(env.unique(kind))
        os.mkdir(prefix)
        os.chmod(prefix, 0o755)
        argv = make_argv(prefix, port)
        proc = env.spawn(kind, argv)
        try:
            wait_until(lambda: tcp_accepts(port), START_TIMEOUT,
                       "%s to accept on port %d" % (kind, port), proc)
            return Server(kind, proc, port, prefix)
        except SetupError as e:
            last = e
            proc.stop()
            if "in use" not in str(e) and "Address already" not in str(e):
                break
    raise last


def nginx_conf(prefix, port, sock):
    user = "user %s %s;" % unprivileged_user() if IS_ROOT else "# not root: no user switch"
    return substitute(os.path.join(REPO, "nginx", "run.conf.in"), {
        "PREFIX": prefix, "PORT": str(port), "SOCKET": sock, "REPO": REPO,
        "USER": user})


def start_nginx(env, sock, edit=None):
    """nginx from nginx/run.conf.in in front of the FastCGI socket `sock`;
    edit(text), when given, returns the configuration to run instead."""
    def argv(prefix, port):
        conf = os.path.join(prefix, "nginx.conf")
        text = nginx_conf(prefix, port, sock)
        if edit is not None:
            text = edit(text)
        with open(conf, "w") as f:
            f.write(text)
        return [NGINX, "-p", prefix, "-c", conf, "-e", "stderr"]
    srv = _start_server(env, "nginx", argv)
    # SIGQUIT is nginx's graceful stop; the group is SIGKILLed after anyway
    srv.proc.stop_signal = signal.SIGQUIT
    return srv


def apache_conf(prefix, port, sock, bin_="/bin/false", config="/dev/null"):
    user, group = unprivileged_user()
    return substitute(os.path.join(REPO, "apache", "run.conf.in"), {
        "PREFIX": prefix, "PORT": str(port), "SOCKET": sock, "REPO": REPO,
        "USER": user, "GROUP": group, "BIN": bin_, "CONFIG": config})


def start_apache(env, sock=None, fcgid_bin=None, fcgid_config=None):
    """Apache from apache/run.conf.in: mod_proxy_fcgi in front of `sock`, or
    (fcgid_bin given) the mod_fcgid variant that starts `fcgid_bin -c
    fcgid_config` itself."""
    if not os.access(APACHE, os.X_OK):
        raise Skip("apache2 is not installed")

    def argv(prefix, port):
        conf = os.path.join(prefix, "httpd.conf")
        with open(conf, "w") as f:
            f.write(apache_conf(prefix, port, sock or "/nonexistent",
                                fcgid_bin or "/bin/false", fcgid_config or "/dev/null"))
        a = [APACHE, "-d", prefix, "-f", conf, "-DFOREGROUND"]
        if fcgid_bin:
            state = os.path.join(prefix, "fcgid")
            os.mkdir(state)
            if IS_ROOT:
                pw = pwd.getpwnam(unprivileged_user()[0])
                os.chown(state, pw.pw_uid, pw.pw_gid)
            a.append("-DLB_FCGID")
        return a
    if fcgid_bin and not os.path.exists(os.path.join(APACHE_MODULES, "mod_fcgid.so")):
        raise Skip("mod_fcgid is not installed (libapache2-mod-fcgid)")
    return _start_server(env, "apache", argv)


# ---------------------------------------------------------------- HTTP client

class Response:
    def __init__(self, status, reason, headers, body, raw_rest):
        self.status = status
        self.reason = reason
        self.headers = headers      # [(name, value)] in arrival order
        self.body = body            # bytes, de-chunked
        self.raw_rest = raw_rest    # bytes after the header block, as sent

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError("body is not JSON (%s): %r" % (e, self.body[:300]))

    def __repr__(self):
        return "<%d %s %r %r>" % (self.status, self.reason, self.headers, self.body[:200])


def _dechunk(data):
    out, i = [], 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        i = j + 2
        if size == 0:
            return b"".join(out)
        out.append(data[i:i + size])
        i += size + 2


def http(port, method, path, headers=(), body=None, chunked=False,
         timeout=HTTP_TIMEOUT, chunk_size=65536):
    """Sends one request exactly as given and reads the response to EOF.

    `headers` is a list of (name, value) pairs, duplicates allowed; Host
    (127.0.0.1:PORT), Content-Length (or Transfer-Encoding: chunked when
    `chunked`) and `Connection: close` are added unless given.  `path` is
    sent verbatim (percent-encode it yourself)."""
    if isinstance(body, str):
        body = body.encode()
    names = {k.lower() for k, _ in headers}
    lines = ["%s %s HTTP/1.1" % (method, path)]
    if "host" not in names:
        lines.append("Host: 127.0.0.1:%d" % port)
    lines += ["%s: %s" % (k, v) for k, v in headers]
    if body is not None:
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif "content-length" not in names:
            lines.append("Content-Length: %d" % len(body))
    if "connection" not in names:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    deadline = time.monotonic() + timeout
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(head)
            if body is not None:
                if chunked:
                    for i in range(0, len(body), chunk_size):
                        piece = body[i:i + chunk_size]
                        s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                    s.sendall(b"0\r\n\r\n")
                else:
                    s.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (413); read what it said
        data = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no complete response to %s %s within %.0f s"
                                     % (method, path, timeout))
            s.settimeout(left)
            try:
                chunk = s.recv(1 << 16)
            except ConnectionResetError:
                break
            except socket.timeout:
                raise AssertionError("no complete response to %s %s within %.0f s"
                                     % (method, path, timeout))
            if not chunk:
                break
            data.append(chunk)
    finally:
        s.close()
    raw = b"".join(data)
    if b"\r\n\r\n" not in raw:
        raise AssertionError("incomplete response to %s %s: %r" % (method, path, raw[:300]))
    top, rest = raw.split(b"\r\n\r\n", 1)
    top = top.decode("latin-1").split("\r\n")
    parts = top[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    hdrs = []
    for line in top[1:]:
        k, _, v = line.partition(":")
        hdrs.append((k.strip(), v.strip()))
    resp = Response(status, reason, hdrs, rest, rest)
    if method == "HEAD" or status in (204, 304):
        resp.body = b""
    elif (resp.header("transfer-encoding") or "").lower() == "chunked":
        resp.body = _dechunk(rest)
    elif resp.header("content-length") is not None:
        resp.body = rest[:int(resp.header("content-length"))]
    return resp


# ---------------------------------------------------------------- assertions

def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what or "value", expected, actual))


def ok(cond, what):
    if not cond:
        raise AssertionError(what)


def status_is(resp, status):
    if resp.status != status:
        raise AssertionError("expected status %d, got %d; headers %r; body %r"
                             % (status, resp.status, resp.headers, resp.body[:400]))


# ---------------------------------------------------------------- the runner

class Group:
    """A named set of tests sharing one fixture.  `setup(env)` returns the
    fixture (servers started in `env` are stopped after the group)."""

    registry = []

    def __init__(self, name, doc, setup=None):
        self.name, self.doc, self.setup_fn = name, doc, setup
        self.tests = []
        Group.registry.append(self)

    def setup(self, fn):
        self.setup_fn = fn
        return fn

    def test(self, fn=None, name=None):
        def add(f):
            self.tests.append((name or f.__name__, f))
            return f
        return add(fn) if fn is not None else add


def _indent(text):
    return "\n".join("      " + line for line in str(text).splitlines())


def _diagnostics(fixture):
    """Logs of the fixture's processes, for a failed test."""
    out = []
    for attr in ("bridge", "server", "nginx", "apache"):
        obj = getattr(fixture, attr, None)
        if obj is None:
            continue
        if isinstance(obj, Bridge) and not obj.alive():
            out.append("bridge DIED (status %s):\n%s" % (obj.proc.p.returncode, obj.proc.log_tail(15)))
        elif isinstance(obj, Bridge) and os.environ.get("LB_INTEG_VERBOSE"):
            out.append("bridge log:\n" + obj.proc.log_tail(15))
        elif isinstance(obj, Server) and os.environ.get("LB_INTEG_VERBOSE"):
            out.append("%s error log:\n%s" % (obj.kind, obj.error_log(10)))
    return "\n".join(out)


def run_groups(groups, name_filter=None):
    passed = failed = skipped = 0
    for g in groups:
        tests = [(n, f) for n, f in g.tests
                 if not name_filter or name_filter in "%s.%s" % (g.name, n)]
        if not tests:
            continue
        print("== %s: %s" % (g.name, g.doc), flush=True)
        env = Env()
        t0 = time.monotonic()
        try:
            fixture, setup_err = None, None
            try:
                fixture = g.setup_fn(env) if g.setup_fn else None
            except Skip as e:
                for n, _ in tests:
                    print("skip %s.%s: %s" % (g.name, n, e), flush=True)
                    skipped += 1
                continue
            except Exception as e:
                setup_err = e if isinstance(e, SetupError) else traceback.format_exc()
            for n, f in tests:
                full = "%s.%s" % (g.name, n)
                if setup_err is not None:
                    print("FAIL %s: group setup failed\n%s" % (full, _indent(setup_err)), flush=True)
                    failed += 1
                    continue
                try:
                    f(fixture)
                    print("ok   %s" % full, flush=True)
                    passed += 1
                except Skip as e:
                    print("skip %s: %s" % (full, e), flush=True)
                    skipped += 1
                except AssertionError as e:
                    print("FAIL %s\n%s" % (full, _indent(e)), flush=True)
                    diag = _diagnostics(fixture)
                    if diag:
                        print(_indent(diag), flush=True)
                    failed += 1
                except Exception:
                    print("FAIL %s (exception)\n%s" % (full, _indent(traceback.format_exc())),
                          flush=True)
                    diag = _diagnostics(fixture)
                    if diag:
                        print(_indent(diag), flush=True)
                    failed += 1
        finally:
            errs = env.close()
            for e in errs:
                print("   cleanup: %s" % e)
            print("   (%.1f s)" % (time.monotonic() - t0), flush=True)
    return passed, failed, skipped


def _on_term(signum, frame):
    raise KeyboardInterrupt()


def main(argv):
    import argparse
    import importlib
    ap = argparse.ArgumentParser(prog="tests/integration/run",
                                 description="lambdabridge integration tests")
    ap.add_argument("groups", nargs="*", help="group names or prefixes (default: all)")
    ap.add_argument("-k", dest="filter", help="only tests whose GROUP.NAME contains this")
    ap.add_argument("-l", "--list", action="store_true", help="list groups and tests")
    args = ap.parse_args(argv)

    for fn in sorted(os.listdir(HERE)):
        if fn.startswith("test_") and fn.endswith(".py"):
            importlib.import_module(fn[:-3])
    groups = Group.registry
    if args.groups:
        groups = [g for g in groups if any(g.name == a or g.name.startswith(a + "-")
                                           or g.name.startswith(a) for a in args.groups)]
        if not groups:
            print("no such group: %s" % " ".join(args.groups), file=sys.stderr)
            return 2
    if args.list:
        for g in groups:
            print("%s: %s" % (g.name, g.doc))
            for n, _ in g.tests:
                print("    %s.%s" % (g.name, n))
        return 0

    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)
    t0 = time.monotonic()
    try:
        passed, failed, skipped = run_groups(groups, args.filter)
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped")
        print("0 passed, 1 failed")
        return 130
    print()
    print("(%d skipped, %.0f s)" % (skipped, time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
