"""Group state (issue 16 item 5): usage-plan quota counts kept in
gateway.state_dir across SIGHUP, a restart and a SIGKILL, through nginx
and a real bridge, from conf/state.conf.in (one API key per test):

    reload   10 a day (then 5)   restart  10 a month   crash  20 a week
    load     1000000 a month     period   3 a day      free   no quota

The bridge listens on one socket path for the whole group, so nginx keeps
reaching each bridge started again.  The state file is refused when it is
corrupt, and --reset-state moves it aside; a state_dir the bridge cannot
write, or one another bridge holds, is refused at start.
"""

import os
import re
import signal
import sqlite3
import subprocess
import threading
import time

import harness as h

RESULT = b'{"statusCode":200,"body":"ok"}'
LIMIT_EXCEEDED = b'{"message":"Limit Exceeded"}'
KEYS = {
    "reload": "reload-key-0123456789abc",
    "restart": "restart-key-0123456789ab",
    "crash": "crash-key-0123456789abcd",
    "load": "load-key-0123456789abcde",
    "period": "period-key-0123456789abc",
    "free": "free-key-0123456789abcde",
}
# what test_state asserts about a crash under load: a count is written at
# most LB_QUOTA_FLUSH_MS (1 s) after it was taken; SLACK covers a loaded
# machine (the flush thread late, the kill taking effect) and is no timing
# claim of the bridge
FLUSH_S = 1.0
SLACK_S = 2.0


class Fx:
    pass


def _owned_dir(env, name):
    """A directory the bridge (which drops to nobody as root) can write."""
    path = env.path(name)
    os.mkdir(path, 0o755)
    if h.IS_ROOT:
        import pwd
        pw = pwd.getpwnam(h.unprivileged_user()[0])
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def start(fx, extra=()):
    """Starts the bridge on fx.sock (the path nginx was given)."""
    proc = fx.env.spawn("lambdabridge", [h.LB_BIN, "-c", fx.config, "-l", "unix:" + fx.sock]
                        + list(extra), cwd=h.REPO)
    h.wait_until(lambda: h.unix_accepts(fx.sock), h.START_TIMEOUT,
                 "the bridge to accept on " + fx.sock, proc)
    fx.bridge = h.Bridge(proc, fx.sock, fx.config)
    return fx.bridge


def write(fx, reload_limit=10):
    h.write_config(fx.env, "state", name="state.conf", state_dir=fx.state_dir,
                   reload_limit=reload_limit)


def _setup(env):
    h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"))
    fx = Fx()
    fx.env = env
    fx.state_dir = _owned_dir(env, "state")
    fx.state_file = os.path.join(fx.state_dir, "quotas.db")
    fx.config = env.path("state.conf")
    write(fx)
    fx.sock = env.path("state-bridge.sock")
    start(fx)
    fx.server = h.start_nginx(env, fx.sock)
    fx.port = fx.server.port
    return fx


g = h.Group("state", "quota counts across SIGHUP, restart and kill -9 (gateway.state_dir)",
            setup=_setup)


def call(fx, key):
    return h.http(fx.port, "POST", "/q", [("X-Api-Key", KEYS[key])], body=RESULT)


def take(fx, key, n):
    """n requests of `key`: their statuses."""
    return [call(fx, key).status for _ in range(n)]


def remaining(fx, key, bound):
    """Requests of `key` answered 200 until the first 429 (at most bound+1
    are sent): what is left of its quota, exactly."""
    for i in range(bound + 1):
        r = call(fx, key)
        if r.status == 429:
            h.eq(r.body, LIMIT_EXCEEDED, "over the quota: body")
            return i
        h.status_is(r, 200)
    raise AssertionError("more than %d requests of %s went through" % (bound, key))


def dump(fx):
    """The SIGUSR1 lines of the running bridge, from the gateway's line on."""
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGUSR1)
    return fx.bridge.wait_log(r"(?m)^state: [^\n]*\n", 10, off)


def used(fx, key):
    m = re.search(r"api key %s: quota_used=(\d+) " % key, dump(fx))
    if m is None:
        raise AssertionError("no quota line for %s in the SIGUSR1 dump" % key)
    return int(m.group(1))


def flushes(fx):
    m = re.search(r"(?m)^state: file '([^']*)' keys=\d+ flushes=(\d+) failures=(\d+)",
                  dump(fx))
    if m is None:
        raise AssertionError("no state line in the SIGUSR1 dump:\n" + fx.bridge.log_text()[-2000:])
    h.eq(m.group(1), fx.state_file, "the state file in the dump")
    h.eq(m.group(3), "0", "failed writes")
    return int(m.group(2))


def wait_flushed(fx):
    """Waits (bounded) until the bridge wrote its counts after now."""
    n = flushes(fx)
    h.wait_until(lambda: flushes(fx) > n, 10, "a write of the quota counts", fx.bridge.proc)


def stop(fx, sig=signal.SIGTERM):
    rc = fx.bridge.proc.stop(sig)
    if sig == signal.SIGTERM:
        h.eq(rc, 0, "exit status after SIGTERM")
    return rc


def accepts(sock):
    try:
        return h.unix_accepts(sock)
    except OSError:
        return False


def refused(fx, extra=(), config=None):
    """Runs the bridge that must refuse to start: (status, output)."""
    r = subprocess.run([h.LB_BIN, "-c", config or fx.config, "-l",
                        "unix:" + fx.env.path("refused.sock")] + list(extra),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30, cwd=h.REPO)
    return r.returncode, r.stdout.decode("utf-8", "replace")


@g.test
def sighup_keeps_counts(fx):
    """4 of 10 used, SIGHUP: 6 left; a reload that lowers the limit to 5
    keeps the count (1 left), as a usage plan's new limit applies to the
    requests already counted."""
    h.eq(take(fx, "reload", 4), [200] * 4, "4 of 10")
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGHUP)
    fx.bridge.wait_log(r"reloaded '", 20, off)
    h.eq(used(fx, "reload"), 4, "used after SIGHUP")
    write(fx, reload_limit=5)
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGHUP)
    fx.bridge.wait_log(r"reloaded '", 20, off)
    h.eq(remaining(fx, "reload", 10), 1, "left of 5 after 4")
    write(fx)
    off = fx.bridge.log_size()
    fx.bridge.signal(signal.SIGHUP)
    fx.bridge.wait_log(r"reloaded '", 20, off)
    h.eq(remaining(fx, "reload", 10), 5, "left of 10 again after 5")
    # a key without a quota is never counted
    h.eq(take(fx, "free", 3), [200] * 3, "no quota")


@g.test
def restart_keeps_counts(fx):
    """3 of 10 used, SIGTERM (the last counts written at the drain), start
    again: exactly 7 left."""
    h.eq(take(fx, "restart", 3), [200] * 3, "3 of 10")
    stop(fx)
    start(fx)
    fx.bridge.wait_log(r"quota counts of \d+ keys read from '%s'" % re.escape(fx.state_file), 10)
    h.eq(used(fx, "restart"), 3, "used after the restart")
    h.eq(remaining(fx, "restart", 10), 7, "left after the restart")


@g.test
def kill9_after_flush_exact(fx):
    """5 of 20 used, a write of the counts after the last of them, then
    SIGKILL: the new bridge has exactly 15 left."""
    h.eq(take(fx, "crash", 5), [200] * 5, "5 of 20")
    wait_flushed(fx)
    stop(fx, signal.SIGKILL)
    start(fx)
    h.eq(remaining(fx, "crash", 20), 15, "left after kill -9")


@g.test
def kill9_under_load_bound(fx):
    """4 clients send requests of one key while the bridge is SIGKILLed
    (a bounded loop: at most 4 x 5000 requests, 8 s).  Counted after the
    restart: never more than the requests sent, and at least every one
    acknowledged more than FLUSH_S (+ SLACK_S) before the kill."""
    acks = []  # monotonic times of the 200s
    sent = [0]
    ends = []  # why each client stopped before its time
    lock = threading.Lock()
    stop_at = [time.monotonic() + 8]

    def client():
        for _ in range(5000):
            if time.monotonic() > stop_at[0]:
                return
            with lock:
                sent[0] += 1
            try:
                r = call(fx, "load")
            except OSError as e:
                ends.append(repr(e))
                return
            if r.status != 200:
                ends.append("%d %r" % (r.status, r.body[:100]))
                return
            with lock:
                acks.append(time.monotonic())

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    # kill once the load has run for FLUSH_S + SLACK_S and some more
    try:
        h.wait_until(lambda: ends or (acks and acks[-1] - acks[0] > FLUSH_S + SLACK_S + 0.5),
                     10, "requests acknowledged for a few seconds")
        h.eq(ends, [], "clients that stopped before the kill")
    except BaseException:
        stop_at[0] = 0
        raise
    killed = time.monotonic()
    stop(fx, signal.SIGKILL)
    for t in threads:
        t.join(15)
    h.ok(not any(t.is_alive() for t in threads), "the clients ended")
    start(fx)
    counted = used(fx, "load")
    before = sum(1 for t in acks if t < killed - FLUSH_S - SLACK_S)
    print("      load: %d sent, %d acknowledged, %d counted after the restart; "
          "%d acknowledged up to %.0f s before the kill" %
          (sent[0], len(acks), counted, before, FLUSH_S + SLACK_S))
    h.ok(counted <= sent[0], "counted %d <= sent %d" % (counted, sent[0]))
    h.ok(counted >= before, "counted %d >= %d acknowledged before the last %.0f s"
         % (counted, before, FLUSH_S + SLACK_S))
    # and the count goes on from there
    h.status_is(call(fx, "load"), 200)
    h.eq(used(fx, "load"), counted + 1, "counting on")


@g.test
def ended_period_starts_from_zero(fx):
    """A count written in an earlier period (the file edited while the
    bridge is stopped) is not read back: the key has its whole quota."""
    h.eq(take(fx, "period", 3) + take(fx, "period", 1), [200] * 3 + [429], "3 a day")
    stop(fx)
    db = sqlite3.connect(fx.state_file)
    with db:
        n = db.execute("UPDATE quota SET period_start = period_start - 86400000,"
                       " period_end = period_end - 86400000 WHERE key_id = 'periodkey1'").rowcount
    db.close()
    h.eq(n, 1, "the key's row")
    start(fx)
    h.eq(remaining(fx, "period", 3), 3, "a new day: the whole quota")
    h.eq(remaining(fx, "restart", 10), 0, "the other keys keep their counts")


@g.test
def corrupt_file_refused(fx):
    """A state file that is not a database: the bridge refuses to start,
    naming the file; --reset-state moves it aside and starts at zero."""
    stop(fx)
    with open(fx.state_file, "r+b") as f:
        f.write(b"this was overwritten by something else" * 3)
    rc, out = refused(fx)
    h.ok(rc != 0, "exit status %d" % rc)
    h.ok("state file '%s': file is not a database" % fx.state_file in out,
         "the message names the file: %r" % out[-500:])
    h.ok("--reset-state" in out, "the message names the way out")
    h.ok(not accepts(fx.env.path("refused.sock")), "not serving")
    start(fx, ["--reset-state"])
    # logged once the state is read (the socket listens a little earlier)
    fx.bridge.wait_log(r"--reset-state: the state file was moved to '[^']*quotas\.db\.bad-", 10)
    moved = [f for f in os.listdir(fx.state_dir) if f.startswith("quotas.db.bad-")]
    h.eq(len(moved), 1, "the bad file moved aside")
    h.eq(remaining(fx, "restart", 10), 10, "counts from zero")


@g.test
def second_bridge_refused(fx):
    """A second bridge on the same gateway.state_dir is refused while the
    first runs (their counts would overwrite each other)."""
    rc, out = refused(fx)
    h.ok(rc != 0, "exit status %d" % rc)
    h.ok("state file '%s': in use by another process" % fx.state_file in out,
         "the message: %r" % out[-500:])
    h.status_is(call(fx, "free"), 200)


@g.test
def unwritable_dir_refused(fx):
    """A state_dir the bridge's user cannot write: refused at start."""
    ro = fx.env.path("readonly")
    os.mkdir(ro, 0o555)
    cfg = fx.env.path("state-ro.conf")
    h.write_config(fx.env, "state", name="state-ro.conf", state_dir=ro, reload_limit=10)
    rc, out = refused(fx, config=cfg)
    h.ok(rc != 0, "exit status %d" % rc)
    h.ok("gateway.state_dir '%s' is not writable by this process" % ro in out,
         "the message: %r" % out[-500:])
    missing = fx.env.path("missing")
    h.write_config(fx.env, "state", name="state-ro.conf", state_dir=missing, reload_limit=10)
    rc, out = refused(fx, config=cfg)
    h.ok(rc != 0 and "gateway.state_dir '%s': No such file or directory" % missing in out,
         "a missing directory: %d %r" % (rc, out[-500:]))
