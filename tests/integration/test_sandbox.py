"""Group sandbox (issue 12): every process an environment starts ends with
it, and a function cannot reach the gateway or another function
(docs/security.md).  conf/sandbox.conf.in, tests/handlers/sandbox_fn.c:

    fork      sb_fork, timeout 3 s       busy      sb_fork, timeout 30 s
    spy       sb_probe as gateway.user   victim    sb_probe as daemon
    root      sb_probe as root           confined  sb_probe, seccomp "default"

sb_fork leaves a child and a setsid'd, orphaned grandchild sleeping and
writes "WORKER CHILD GRANDCHILD" to a file.  The process tests start their
own bridge, since they retire, stop or kill it.
"""

import json
import os
import re
import pwd
import shutil
import signal
import stat
import threading
import time
import types

import harness as h

GONE_WITHIN = 5.0  # seconds for a killed tree to be gone


def _setup(env):
    h.need_modules(os.path.join(h.TEST_HANDLERS, "sandbox_fn.so"))
    pids = env.path("pids")
    os.mkdir(pids)
    os.chmod(pids, 0o1777)  # the workers run as nobody
    config = h.write_config(env, "sandbox", name="sandbox.conf")
    bridge = h.start_bridge(env, config)
    return types.SimpleNamespace(env=env, pids=pids, config=config, bridge=bridge,
                                 port=h.start_nginx(env, bridge.sock).port)


g = h.Group("sandbox", "processes end with their environment; isolation of functions",
            setup=_setup)


def alive(pid):
    """Whether pid runs (a zombie has ended)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stack(fx):
    bridge = h.start_bridge(fx.env, fx.config)
    server = h.start_nginx(fx.env, bridge.sock)
    return bridge, server


def fork_pids(fx, port, fn="fork", then="", wait=True, check=True):
    """Runs sb_fork; returns [worker, child, grandchild] once written (and,
    with `check`, seen running)."""
    f = os.path.join(fx.pids, fx.env.unique("pids"))
    path = "/%s?file=%s%s" % (fn, f, "&then=" + then if then else "")
    if wait:
        r = h.http(port, "GET", path, timeout=20)
        if then == "":
            h.status_is(r, 200)
        elif then == "crash":
            h.status_is(r, 500)
    else:
        threading.Thread(target=lambda: _quiet(port, path), daemon=True).start()
    h.wait_until(lambda: os.path.exists(f) and os.path.getsize(f) > 0, 10, "the pids file")
    with open(f) as fh:
        pids = [int(x) for x in fh.read().split()]
    h.eq(len(pids), 3, "pids written")
    h.ok(pids[2] > 0, "a grandchild was started")
    for p in pids[1:] if check else ():
        h.ok(alive(p), "descendant %d runs before the environment ends" % p)
    return pids


def _quiet(port, path):
    try:
        h.http(port, "GET", path, timeout=40)
    except Exception:
        pass


def expect_gone(pids, what):
    deadline = time.monotonic() + GONE_WITHIN
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    if left:
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        raise AssertionError("%s: still running after %.0f s: %r" % (what, GONE_WITHIN, left))


@g.test
def descendants_end_at_function_timeout(fx):
    pids = fork_pids(fx, fx.port, then="sleep", wait=False)
    expect_gone(pids, "after the function timeout")


@g.test
def descendants_end_when_reload_retires(fx):
    bridge, server = stack(fx)
    pids = fork_pids(fx, server.port)
    off = bridge.log_size()
    bridge.signal(signal.SIGHUP)
    bridge.wait_log(r"reloaded", 10, off)
    expect_gone(pids, "after a reload retired the environment")


@g.test
def descendants_end_when_bridge_stops(fx):
    bridge, server = stack(fx)
    pids = fork_pids(fx, server.port)
    bridge.signal(signal.SIGTERM)
    h.wait_until(lambda: not bridge.alive(), 15, "the bridge to exit on SIGTERM")
    expect_gone(pids, "after the bridge exited")


def need_cgroups(bridge):
    if "environments run in cgroups" not in bridge.log_text():
        raise h.Skip("the bridge has no cgroup here (%s)" % re.search(
            r"environments run without cgroups[^\n]*", bridge.log_text()).group(0))


@g.test
def descendants_end_when_worker_crashes(fx):
    need_cgroups(fx.bridge)
    pids = fork_pids(fx, fx.port, then="crash", check=False)
    expect_gone(pids, "after the worker crashed")


@g.test
def environment_has_its_own_cgroup(fx):
    need_cgroups(fx.bridge)
    pids = fork_pids(fx, fx.port)
    groups = set()
    for p in pids:
        with open("/proc/%d/cgroup" % p) as f:
            groups |= {line[3:].strip() for line in f if line.startswith("0::")}
    h.eq(len(groups), 1, "the cgroups of the worker and its descendants %r" % groups)
    h.ok(re.search(r"/lambdabridge-%d/env-\d+$" % fx.bridge.proc.pid, groups.pop()),
         "an environment cgroup under the bridge's")


@g.test
def busy_worker_ends_with_killed_gateway(fx):
    bridge, server = stack(fx)
    pids = fork_pids(fx, server.port, fn="busy", then="sleep", wait=False)
    h.ok(alive(pids[0]), "the busy worker runs")
    bridge.signal(signal.SIGKILL)
    expect_gone(pids, "after kill -9 of the gateway")


def probe(fx, path):
    r = h.http(fx.port, "GET", path)
    h.status_is(r, 200)
    return json.loads(r.body)


def need_root():
    if not h.IS_ROOT:
        raise h.Skip("needs root: the bridge switches users only when started as root")


@g.test
def function_cannot_reach_gateway_or_others(fx):
    need_root()
    victim = probe(fx, "/victim")
    me = probe(fx, "/spy?gw=%d&victim=%d" % (fx.bridge.proc.pid, victim["pid"]))
    h.eq(me["environ"], "EACCES", "open /proc/<gateway>/environ")
    h.eq(me["ptrace"], "EPERM", "PTRACE_ATTACH to the gateway")
    h.eq(me["kill"], "EPERM", "kill() of another function's worker")
    h.ok(alive(victim["pid"]), "the other function's worker still runs")
    h.eq(me["nnp"], "1", "no_new_privs")
    h.eq(int(me["capeff"], 16), 0, "effective capabilities")
    h.eq(me["euid"], pwd.getpwnam(h.unprivileged_user()[0]).pw_uid, "spy's uid")


@g.test
def functions_run_as_their_user(fx):
    need_root()
    nobody = pwd.getpwnam(h.unprivileged_user()[0]).pw_uid
    h.eq(probe(fx, "/spy")["euid"], nobody, "default: gateway.user")
    h.eq(probe(fx, "/victim")["euid"], pwd.getpwnam("daemon").pw_uid, "user = daemon")
    root = probe(fx, "/root")
    h.eq(root["euid"], 0, "user = root")
    h.eq(int(root["capeff"], 16), 0, "root's effective capabilities")
    with open("/proc/%d/status" % fx.bridge.proc.pid) as f:
        st = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    h.eq(int(st["Uid"].split()[1]), nobody, "the gateway's euid after the drop")


@g.test
def root_start_needs_a_user(fx):
    need_root()
    cfg = fx.env.path("nouser.conf")
    with open(fx.config) as f:
        text = f.read()
    user, group = h.unprivileged_user()
    text = text.replace('\n  user = "%s";' % user, "\n", 1)
    text = text.replace('\n  group = "%s";' % group, "\n", 1)
    with open(cfg, "w") as f:
        f.write(text)
    line = text[:text.index('{ name = "fork"')].count("\n") + 1
    r = h.run_cmd([h.LB_BIN, "check", "-c", cfg])
    h.eq(r.returncode, 1, "check's exit status")
    h.ok(("%s:%d: functions[0]: " % (cfg, line)) in r.stderr
         and "user" in r.stderr,
         "the error names the file, line and setting: %r" % r.stderr)


@g.test
def seccomp_blocks_ptrace(fx):
    with open("/proc/self/status") as f:
        if "Seccomp:" not in f.read():
            raise h.Skip("this kernel has no seccomp")
    free = probe(fx, "/spy")
    h.eq(free["traceme"], "ok", "PTRACE_TRACEME without a profile")
    h.eq(free["seccomp"], "0", "no filter without a profile")
    me = probe(fx, "/confined")
    h.eq(me["seccomp"], "2", "Seccomp mode with seccomp = \"default\"")
    h.eq(me["traceme"], "EPERM", "PTRACE_TRACEME under the profile")


@g.test
def group_writable_module_refused(fx):
    mod = fx.env.path("gw.so")
    shutil.copy(os.path.join(h.TEST_HANDLERS, "sandbox_fn.so"), mod)
    os.chmod(mod, 0o664)
    cfg = fx.env.path("strict.conf")
    with open(cfg, "w") as f:
        f.write('gateway: { user = "%s"; };\nfunctions = ({ name = "f"; module = "%s";\n'
                '  handler = "sb_probe"; });\n' % (h.unprivileged_user()[0], mod))
    r = h.run_cmd([h.LB_BIN, "check", "-c", cfg])
    h.eq(r.returncode, 1, "check's exit status")
    h.ok(("%s:2: functions[0].module: '%s' is writable by its group" % (cfg, mod))
         in r.stderr, "the error: %r" % r.stderr)
    with open(cfg, "w") as f:
        f.write('gateway: { user = "%s"; strict_modes = false; };\n'
                'functions = ({ name = "f"; module = "%s";\n'
                '  handler = "sb_probe"; });\n' % (h.unprivileged_user()[0], mod))
    r = h.run_cmd([h.LB_BIN, "check", "-c", cfg])
    h.eq(r.returncode, 0, "check with strict_modes = false: %r" % r.stderr)
    os.chmod(mod, 0o644)
    h.ok(stat.S_IMODE(os.stat(mod).st_mode) == 0o644, "mode restored")


@g.test
def probe_runs_module_as_function_user(fx):
    need_root()
    d = fx.env.path("ctor")
    os.mkdir(d)
    os.chmod(d, 0o1777)
    cfg = fx.env.path("ctor.conf")
    with open(cfg, "w") as f:
        f.write('gateway: { user = "%s"; };\nfunctions = ({ name = "f"; module = "%s";\n'
                '  handler = "ctor_handler"; });\n'
                % (h.unprivileged_user()[0], os.path.join(h.TEST_HANDLERS, "ctor_ids.so")))
    out = os.path.join(d, "uids")
    r = h.run_cmd([h.LB_BIN, "check", "-c", cfg], env=dict(os.environ, LB_TEST_CTOR_FILE=out))
    h.eq(r.returncode, 0, "check's exit status (stderr %r)" % r.stderr)
    with open(out) as f:
        uids = [int(x) for x in f.read().split()]
    h.ok(uids, "the module's constructor ran in the probe")
    nobody = pwd.getpwnam(h.unprivileged_user()[0]).pw_uid
    h.eq(uids, [nobody] * len(uids), "the uids the module's constructor ran as")
