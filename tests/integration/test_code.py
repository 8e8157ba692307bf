"""Group code (issue 12): the code an environment runs and its channel to the
gateway, through nginx, from conf/code.conf.in.

    warm   pin_handler of a copy of pin.so in the group's temp directory,
           which the tests overwrite in place (as cp does, not mv)
    cold   the same, max_requests = 1: every request starts an environment
    forge  forge_handler (tests/handlers/forge.c), reserved_concurrency = 1

pin.so answers "a", pin_b.so "b", pin_initfail.so fails in lb_init; notfn.so
has no pin_handler (and a data symbol, for `check`).  Every test prints its
counts of requests and failures.
"""

import os
import signal
import threading
import time
import types

import harness as h

LIMIT = 12.0  # a working bridge answers every request here at once


def http(port, method, path, **kw):
    return h.http(port, method, path, timeout=LIMIT, **kw)


def _so(name):
    return os.path.join(h.TEST_HANDLERS, name + ".so")


def _bytes(name):
    with open(_so(name), "rb") as f:
        return f.read()


def overwrite(path, data, pieces=1, pause=0.0):
    """Writes data over path in place: O_TRUNC, then `pieces` writes."""
    with open(path, "wb") as f:
        step = max(1, len(data) // pieces)
        for i in range(0, len(data), step):
            f.write(data[i:i + step])
            f.flush()
            if pause:
                time.sleep(pause)


def _setup(env):
    h.need_modules(_so("pin"), _so("pin_b"), _so("pin_initfail"), _so("notfn"),
                   _so("forge"))
    fx = types.SimpleNamespace(env=env, module=env.path("module.so"))
    overwrite(fx.module, _bytes("pin"))
    fx.bridge = h.start_bridge(env, h.write_config(env, "code", module=fx.module))
    fx.server = h.start_nginx(env, fx.bridge.sock)
    fx.port = fx.server.port
    return fx


g = h.Group("code", "pinned modules, reloads that must initialise, the worker's channel",
            setup=_setup)


def answer(fx, fn):
    r = http(fx.port, "GET", "/" + fn)
    return r.status, r.body.decode(errors="replace")


def load(fx, fns, step, seconds=2.5, threads=4):
    """Requests `fns` in turn from `threads` threads while another calls
    step() over and over for `seconds`; returns (requests sent, steps,
    the non-200 answers, the set of bodies)."""
    lock = threading.Lock()
    box = {"sent": 0, "bad": [], "bodies": set()}
    until = threading.Event()
    steps = [0]

    def stepper():
        try:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                step(steps[0])
                steps[0] += 1
        finally:
            until.set()

    def run():
        i = 0
        while not until.is_set():
            fn = fns[i % len(fns)]
            i += 1
            try:
                st, body = answer(fx, fn)
            except Exception as e:  # counted, not raised
                st, body = 0, repr(e)
            with lock:
                box["sent"] += 1
                box["bodies"].add(body)
                if st != 200:
                    box["bad"].append((fn, st, body[:200]))
    t = threading.Thread(target=stepper, daemon=True)
    t.start()
    try:
        h.parallel([run] * threads, timeout=LIMIT + 30)
    finally:
        until.set()
        t.join(5)
    return box["sent"], steps[0], box["bad"], box["bodies"]


def reload(fx, expect):
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGHUP)
    return fx.bridge.wait_log(expect, 10, off)


def start_from(fx, name, want):
    """Each test starts from a reload to module `name`, answering `want`."""
    overwrite(fx.module, _bytes(name))
    reload(fx, r"reloaded")
    running = (200, want)
    h.eq(answer(fx, "cold"), running, "cold before the test")
    return running


@g.test
def module_overwritten_in_place_under_load(fx):
    """cp and truncate+write over the module while warm and cold requests
    run: no failure, and the old code answers until a reload."""
    a, b = _bytes("pin"), _bytes("pin_b")

    def writes(i):
        overwrite(fx.module, b)                        # cp
        overwrite(fx.module, a, pieces=4, pause=0.005)  # a slow copy
        overwrite(fx.module, b[:len(b) // 3])           # cut short
        overwrite(fx.module, b"garbage")
        time.sleep(0.02)
    sent, steps, bad, bodies = load(fx, ["warm", "cold"], writes)
    print("      %d requests, %d in-place writes, %d failed, answers %s"
          % (sent, 4 * steps, len(bad), sorted(bodies)))
    h.eq(bad[:5], [], "failed requests among %d" % sent)
    h.eq(bodies, {"a"}, "answers while the file changed (no reload)")
    overwrite(fx.module, b)
    reload(fx, r"reloaded")
    h.eq(answer(fx, "warm"), (200, "b"), "warm after the reload")
    h.eq(answer(fx, "cold"), (200, "b"), "cold after the reload")


@g.test
def rejected_reload_keeps_cold_starts_on_old_code(fx):
    """A module without the handler is rejected at reload; cold starts keep
    the code of the running configuration."""
    running = start_from(fx, "pin", "a")
    overwrite(fx.module, _bytes("notfn"))
    reload(fx, r"reload rejected")
    got = h.parallel([lambda: answer(fx, "cold")] * 20 + [lambda: answer(fx, "warm")] * 20)
    bad = [x for x in got if x != running]
    print("      40 requests after the rejected reload, %d not %r" % (len(bad), running))
    h.eq(bad, [], "answers after the rejected reload")


@g.test
def reload_whose_init_fails_is_rejected(fx):
    """A module whose lb_init fails is not switched to: the reload is
    rejected with the reason, and the old configuration keeps serving."""
    running = start_from(fx, "pin_b", "b")
    overwrite(fx.module, _bytes("pin_initfail"))
    log = reload(fx, r"reload rejected[^\n]*")
    h.ok("function 'warm' cannot initialise" in log or
         "function 'cold' cannot initialise" in log, "the reason in the log:\n" + log[-600:])
    h.ok("this version cannot initialise" in log, "lb_init's own message in the log")
    got = [answer(fx, fn) for fn in ("warm", "cold") * 10]
    bad = [x for x in got if x != running]
    print("      20 requests after the rejected reload, %d not %r" % (len(bad), running))
    h.eq(bad, [], "answers after the rejected reload")
    overwrite(fx.module, _bytes("pin"))
    reload(fx, r"reloaded")
    h.eq(answer(fx, "cold"), (200, "a"), "after a good reload")


@g.test
def forged_reply_frame(fx):
    """A handler that writes a reply frame to its channel fails its own
    request; the next requests get their own answers."""
    text = [("Content-Type", "text/plain")]
    r1 = http(fx.port, "POST", "/forge", headers=text, body=b"forge")
    h.ok(b"forged" not in r1.body, "the forged answer reached a client: %r" % r1.body)
    h.eq(r1.status, 500, "the forging request (HTTP API function error)")
    for body in (b"two", b"three"):
        r = http(fx.port, "POST", "/forge", headers=text, body=body)
        h.eq((r.status, r.body), (200, body), "the request after the forgery")


@g.test
def check_refuses_a_data_symbol(fx):
    """`check` refuses a handler that names a data symbol."""
    path = fx.env.path("notfn.conf")
    with open(path, "w") as f:
        f.write('gateway: { api = "http"; };\n'
                'functions = (\n'
                '  { name = "f"; module = "%s"; handler = "notfn_data"; }\n'
                ');\n'
                'routes = ( { route = "$default"; function = "f"; } );\n' % _so("notfn"))
    r = h.run_cmd([h.LB_BIN, "check", "-c", path])
    h.eq(r.returncode, 1, "check's exit status (stderr %r)" % r.stderr)
    h.ok("notfn.conf:3: functions[0].handler: " in r.stderr, "FILE:LINE: setting in %r" % r.stderr)
    h.ok("handler 'notfn_data' in '" in r.stderr and "is not a function" in r.stderr,
         "the reason in %r" % r.stderr)


@g.test
def watch_with_modules_copied_in_place(fx):
    """--watch while the module is copied over in place (a and b in turn,
    one write at a time as a build does) under warm and cold load: every
    request answers a or b, none fails."""
    w = types.SimpleNamespace(env=fx.env, module=fx.env.path("watched.so"))
    overwrite(w.module, _bytes("pin"))
    config = h.write_config(fx.env, "code", name="watch.conf", module=w.module)
    w.bridge = h.start_bridge(fx.env, config, extra_args=["--watch"])
    w.port = h.start_nginx(fx.env, w.bridge.sock).port
    off = w.bridge.log_size()
    versions = (_bytes("pin"), _bytes("pin_b"))

    def copies(i):
        overwrite(w.module, versions[i % 2], pieces=8, pause=0.002)
        time.sleep(0.2)
    sent, steps, bad, bodies = load(w, ["warm", "cold"], copies)
    log = w.bridge.log_since(off)
    print("      %d requests, %d copies, %d reloads, %d rejected, %d failed, answers %s"
          % (sent, steps, log.count("reloaded '"), log.count("reload rejected"),
             len(bad), sorted(bodies)))
    h.eq(bad[:5], [], "failed requests among %d" % sent)
    h.ok(bodies <= {"a", "b"}, "answers %r" % sorted(bodies))
    h.ok(w.bridge.alive(), "the bridge died")
