"""Group install (issue 16): `make install` and `make uninstall` into a
DESTDIR, as a packager stages them, without root.  The staged tree is then
used as installed: a handler is built with nothing but `pkg-config
--cflags --libs lambdabridge` (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR
pointing into it), the staged binary checks and serves the staged example
configuration plus that handler behind a real nginx (its environments run
the staged lambdabridge-worker), and every path the docs, the snippets and
the units name is in the tree.  The man pages are compared with the
sources both ways: every setting the configuration loader's tables accept
and every command-line option of every command, and nothing else.
"""

import glob
import os
import pwd
import re
import shutil
import signal
import stat

import harness as h

g = h.Group("install", "make install/uninstall with DESTDIR and PREFIX, pkg-config for "
            "handlers, the staged binary behind nginx, man pages and docs in sync")

PREFIX = "/usr/local"

HANDLER_C = r"""
#include <lambdabridge.h>

json_object *
staged_handler(json_object *event, const lb_context *ctx)
{
	json_object *res = json_object_new_object();

	(void)event;
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body",
	    json_object_new_string(ctx->function_name));
	return res;
}
"""


def make(*args, timeout=300):
    r = h.run_cmd(["make", "-s", "-C", h.REPO] + list(args), timeout=timeout)
    h.ok(r.returncode == 0, "make %s: %d\n%s%s" % (" ".join(args), r.returncode,
                                                   r.stdout[-2000:], r.stderr[-3000:]))
    return r


def files_under(root):
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def children(ppid):
    """(name in ps, /proc/PID/exe) of each child process of ppid."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/status" % pid) as f:
                st = f.read()
            if int(re.search(r"^PPid:\s+(\d+)", st, re.M).group(1)) == ppid:
                out.append((re.search(r"^Name:\s+(\S+)", st, re.M).group(1),
                            os.readlink("/proc/%s/exe" % pid)))
        except (OSError, AttributeError):
            continue
    return out


@g.setup
def setup(env):
    if shutil.which("pkg-config") is None or shutil.which("make") is None:
        raise h.SetupError("pkg-config and make are needed")
    fx = type("Fx", (), {})()
    fx.env = env
    fx.dest = env.path("stage")
    r = h.run_cmd(["make", "-s", "-C", h.REPO, "install", "DESTDIR=" + fx.dest,
                   "PREFIX=" + PREFIX], timeout=600)
    if r.returncode != 0:
        raise h.SetupError("make install: %s%s" % (r.stdout[-2000:], r.stderr[-3000:]))
    fx.root = fx.dest + PREFIX
    return fx


@g.test
def installed_layout(fx):
    """What is where, with which modes; the files that name installed
    paths name this install's."""
    want = {
        "bin/lambdabridge": 0o755,
        "lib/lambdabridge/lambdabridge-worker": 0o755,
        "lib/lambdabridge/handlers/hello.so": 0o644,
        "lib/lambdabridge/handlers/echo.so": 0o644,
        "lib/lambdabridge/handlers/counter.so": 0o644,
        "lib/lambdabridge/handlers/preflight.so": 0o644,
        "lib/lambdabridge/handlers/provided/bootstrap": 0o755,
        "lib/lambdabridge/handlers/provided/function.sh": 0o644,
        "include/lambdabridge.h": 0o644,
        "lib/pkgconfig/lambdabridge.pc": 0o644,
        "share/man/man5/lambdabridge.conf.5": 0o644,
        "share/man/man8/lambdabridge.8": 0o644,
        "share/lambdabridge/lambdabridge.conf": 0o644,
        "share/lambdabridge/nginx/fastcgi.conf": 0o644,
        "share/lambdabridge/nginx/lambdabridge.conf": 0o644,
        "share/lambdabridge/apache/lambdabridge.conf": 0o644,
        "share/lambdabridge/apache/lambdabridge-fcgid.conf": 0o644,
        "share/lambdabridge/lambdabridge.logrotate": 0o644,
        "lib/systemd/system/lambdabridge.service": 0o644,
        "lib/systemd/system/lambdabridge.socket": 0o644,
    }
    for rel, mode in sorted(want.items()):
        p = os.path.join(fx.root, rel)
        h.ok(os.path.isfile(p), "not installed: %s%s/%s" % (fx.dest, PREFIX, rel))
        h.eq(stat.S_IMODE(os.stat(p).st_mode), mode, "mode of " + rel)
    conf = os.path.join(fx.dest, "etc/lambdabridge/lambdabridge.conf")
    h.ok(os.path.isfile(conf), "no /etc/lambdabridge/lambdabridge.conf")
    h.ok(os.path.isfile(os.path.join(fx.dest, "etc/logrotate.d/lambdabridge")),
         "no /etc/logrotate.d/lambdabridge")
    with open(os.path.join(fx.root, "lib/systemd/system/lambdabridge.service")) as f:
        unit = f.read()
    h.ok("ExecStart=%s/bin/lambdabridge -c /etc/lambdabridge/lambdabridge.conf" % PREFIX
         in unit, "ExecStart of the installed unit:\n" + unit)
    with open(os.path.join(fx.root, "share/lambdabridge/nginx/lambdabridge.conf")) as f:
        h.ok("include %s/share/lambdabridge/nginx/fastcgi.conf;" % PREFIX in f.read(),
             "the nginx snippet's include")
    with open(conf) as f:
        text = f.read()
    h.ok('module = "%s/lib/lambdabridge/handlers/hello.so"' % PREFIX in text, text)
    h.ok("@" not in re.sub(r"#.*", "", text), "an unsubstituted @...@ in:\n" + text)


@g.test
def pkg_config_builds_a_handler(fx):
    """A handler built with only `pkg-config --cflags --libs lambdabridge`
    against the staged tree: the header from it, json-c through Requires:.
    The staged binary's `check` loads it (and so probes the ABI)."""
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(fx.root, "lib/pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=fx.dest)
    r = h.run_cmd(["pkg-config", "--cflags", "--libs", "lambdabridge"], env=env)
    h.eq(r.returncode, 0, "pkg-config: " + r.stderr)
    flags = r.stdout.split()
    h.ok("-I%s/include" % fx.root in flags, "cflags: %r" % flags)
    h.ok("-ljson-c" in flags, "json-c's libs: %r" % flags)
    r = h.run_cmd(["pkg-config", "--variable=handlerdir", "lambdabridge"], env=env)
    h.eq(r.stdout.strip(), fx.dest + PREFIX + "/lib/lambdabridge/handlers", "handlerdir")
    r = h.run_cmd(["pkg-config", "--modversion", "lambdabridge"], env=env)
    with open(os.path.join(h.REPO, "VERSION")) as f:
        h.eq(r.stdout.strip(), f.read().strip(), "Version:")
    src = fx.env.path("staged.c")
    with open(src, "w") as f:
        f.write(HANDLER_C)
    fx.so = fx.env.path("staged.so")
    # no -I of the checkout, no -ljson-c of our own: only what pkg-config says
    r = h.run_cmd(["cc", "-Wall", "-Werror", "-shared", "-fPIC", "-o", fx.so, src] + flags)
    h.eq(r.returncode, 0, "cc: " + r.stderr)


def staged_config(fx):
    with open(os.path.join(fx.root, "share/lambdabridge/lambdabridge.conf")) as f:
        text = f.read()
    # the staged modules, as the installed configuration names them
    text = text.replace('"%s/lib/' % PREFIX, '"%s/lib/' % fx.root)
    user, group = h.unprivileged_user()
    extra = ('  %s\n  user = "%s"; group = "%s";\n' % (h.listen_access(), user, group)
             if h.IS_ROOT else "  %s\n" % h.listen_access())
    text = text.replace("gateway: {\n", "gateway: {\n" + extra, 1)
    # the package's state directory, here one of the test's own (the
    # unprivileged user writes its counts there)
    state = fx.env.path(fx.env.unique("state"))
    os.makedirs(state, exist_ok=True)
    if h.IS_ROOT:
        os.chown(state, pwd.getpwnam(user).pw_uid, -1)
    h.ok('state_dir = "/var/lib/lambdabridge";' in text, "the example sets no state_dir")
    text = text.replace('state_dir = "/var/lib/lambdabridge";', 'state_dir = "%s";' % state, 1)
    text = text.replace("functions = (\n", 'functions = (\n  { name = "staged"; module = "%s"; '
                        'handler = "staged_handler"; },\n' % fx.so, 1)
    text = text.replace("routes = (\n", 'routes = (\n  { route = "GET /staged"; '
                        'function = "staged"; },\n', 1)
    path = fx.env.path("staged.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


@g.test
def staged_binary_serves_behind_nginx(fx):
    """The staged binary checks and serves the installed example
    configuration (and the pkg-config-built handler) behind nginx; its
    environments run the staged worker, found from where the binary is."""
    if not hasattr(fx, "so"):
        pkg_config_builds_a_handler(fx)
    binary = os.path.join(fx.root, "bin/lambdabridge")
    conf = staged_config(fx)
    r = h.run_cmd([binary, "check", "-c", conf])
    h.eq(r.returncode, 0, "check: " + r.stdout + r.stderr)
    bridge = h.start_bridge(fx.env, conf, binary=binary)
    port = h.start_nginx(fx.env, bridge.sock).port
    r = h.http(port, "GET", "/hello")
    h.status_is(r, 200)
    h.ok(b"Hello from lambdabridge" in r.body, r.body)
    r = h.http(port, "GET", "/staged")
    h.status_is(r, 200)
    h.eq(r.body, b"staged")
    worker = os.path.join(fx.root, "lib/lambdabridge/lambdabridge-worker")
    exes = {exe for _, exe in children(bridge.proc.pid)}
    h.ok(worker in exes, "the environments run %r, not the staged worker %s" % (exes, worker))


@g.test
def a_replaced_worker_waits_for_a_restart(fx):
    """An upgrade renames a new lambdabridge-worker over the old one while
    the old gateway runs: until it is restarted, the environments it starts
    must still run the worker it was started with (held open, exec'ed from
    that descriptor), named as before in ps.  Here the new file is a
    program that fails at once: a reload that changes the greeting starts a
    new environment of /hello, which serves only if the old worker ran."""
    if not hasattr(fx, "so"):
        pkg_config_builds_a_handler(fx)
    moved = fx.env.path("moved")
    os.makedirs(moved + "/bin")
    os.makedirs(moved + "/lib/lambdabridge")
    shutil.copy2(os.path.join(fx.root, "bin/lambdabridge"), moved + "/bin/")
    worker = moved + "/lib/lambdabridge/lambdabridge-worker"
    shutil.copy2(os.path.join(fx.root, "lib/lambdabridge/lambdabridge-worker"), worker)
    conf = staged_config(fx)
    bridge = h.start_bridge(fx.env, conf, binary=moved + "/bin/lambdabridge")
    port = h.start_nginx(fx.env, bridge.sock).port
    h.status_is(h.http(port, "GET", "/hello"), 200)
    # as dpkg does: the new file under a temporary name, renamed over
    with open(worker + ".dpkg-new", "w") as f:
        f.write("#!/bin/sh\necho 'a worker of another version' >&2\nexit 3\n")
    os.chmod(worker + ".dpkg-new", 0o755)
    os.rename(worker + ".dpkg-new", worker)
    with open(conf) as f:
        text = f.read()
    h.ok("Hello from lambdabridge" in text, "the example's greeting moved")
    with open(conf, "w") as f:
        f.write(text.replace("Hello from lambdabridge", "Hello after the upgrade", 1))
    os.kill(bridge.proc.pid, signal.SIGHUP)
    h.wait_until(lambda: b"after the upgrade" in h.http(port, "GET", "/hello").body, 15,
                 "the reloaded /hello (its new environment ran the old worker)", bridge.proc)
    names = {name for name, _ in children(bridge.proc.pid)}
    h.ok(names and names <= {"lambdabridge-wo"},
         "the environments are named %r in ps, not lambdabridge-wo(rker)" % names)


@g.test
def uninstall_leaves_only_the_configuration(fx):
    """`make uninstall` removes every file install put there but the
    configuration and the logrotate stanza in /etc, which are the
    operator's; a second install into a tree that has them keeps them."""
    conf = os.path.join(fx.dest, "etc/lambdabridge/lambdabridge.conf")
    with open(conf, "a") as f:
        f.write("# edited by the operator\n")
    d2 = fx.env.path("stage2")
    os.makedirs(os.path.dirname(d2 + "/etc/lambdabridge/x"))
    shutil.copy(conf, d2 + "/etc/lambdabridge/lambdabridge.conf")
    make("install", "DESTDIR=" + d2, "PREFIX=" + PREFIX)
    with open(d2 + "/etc/lambdabridge/lambdabridge.conf") as f:
        h.ok("edited by the operator" in f.read(), "install replaced an existing configuration")
    make("uninstall", "DESTDIR=" + d2, "PREFIX=" + PREFIX)
    left = files_under(d2)
    h.eq(sorted(left), ["etc/lambdabridge/lambdabridge.conf", "etc/logrotate.d/lambdabridge"],
         "left after uninstall")
    h.ok(not os.path.exists(d2 + PREFIX + "/lib/lambdabridge"), "lib/lambdabridge is left")


# ---------------------------------------------------------------- paths in the docs

DOC_FILES = ["README.md", "docs/deployment.md", "docs/operations.md", "docs/handlers.md",
             "docs/runtimes.md", "nginx/lambdabridge.conf", "apache/lambdabridge.conf",
             "apache/lambdabridge-fcgid.conf", "systemd/lambdabridge.service"]
INSTALLED_PATH = re.compile(r"(/usr/(?:local/)?(?:bin|lib|share|include)/[\w./+-]*lambdabridge[\w./-]*)")


@g.test
def docs_name_installed_paths(fx):
    """Every /usr/... or /usr/local/... path with `lambdabridge` in it that
    the docs, the snippets or the units name is one `make install` puts
    there (PREFIX=/usr/local, or /usr for the Debian package: the same
    tree below the prefix)."""
    installed = files_under(fx.root)
    dirs = {os.path.dirname(p) for p in installed}
    dirs |= {os.path.dirname(d) for d in dirs}
    missing = []
    for doc in DOC_FILES:
        with open(os.path.join(h.REPO, doc)) as f:
            text = f.read()
        for m in INSTALLED_PATH.finditer(text):
            p = m.group(1).rstrip(".")
            rel = re.sub(r"^/usr/(local/)?", "", p).rstrip("/")
            if "*" in rel or rel in installed or rel in dirs:
                continue
            missing.append("%s: %s" % (doc, p))
    h.eq(missing, [], "paths the docs name that make install does not install")


@g.test
def debian_version_is_version(fx):
    """debian/changelog's newest version is VERSION (the .deb, --version
    and pkg-config then agree)."""
    with open(os.path.join(h.REPO, "VERSION")) as f:
        version = f.read().strip()
    with open(os.path.join(h.REPO, "debian", "changelog")) as f:
        first = f.readline()
    m = re.match(r"lambdabridge \(([^)-]+)(-\d+)?\)", first)
    h.ok(m, "debian/changelog: " + first)
    h.eq(m.group(1), version, "debian/changelog's version")


# ---------------------------------------------------------------- man pages

ROW = re.compile(r"\b(STR|INT|SIZE|NUM|API|PAYLOAD|BOOL|MODE|KV|STRLIST|GROUP)\(\s*\"(\w+)\"")
TABLE = re.compile(r"const struct lb_config__field\s+(\w+)\[\]\s*=\s*\{(.*?)\n\};", re.S)
GROUP_ROW = re.compile(r"\bGROUP\(\s*\"(\w+)\"[^;]*?,\s*(\w+)\s*\)", re.S)
# the tables of the top-level sections (bridge/config*.c); a nested
# table's path comes from the GROUP row that names it
TOP_TABLES = {"gateway_fields": "gateway", "lb_config__function_fields": "functions",
              "lb_config__route_fields": "routes", "lb_config__api_key_fields": "api_keys",
              "lb_config__response_fields": "gateway_responses",
              "lb_config__authorizer_fields": "authorizers"}


def loader_settings():
    """{"gateway.listen": "bridge/config.c", ...} and the problems found."""
    tables, parents, problems = {}, {}, []
    for path in sorted(glob.glob(os.path.join(h.REPO, "bridge", "config*.c"))):
        with open(path) as f:
            text = f.read()
        rel = os.path.relpath(path, h.REPO)
        for m in TABLE.finditer(text):
            tables[m.group(1)] = (rel, [r.group(2) for r in ROW.finditer(m.group(2))])
            for gm in GROUP_ROW.finditer(m.group(2)):
                parents[gm.group(2)] = (m.group(1), gm.group(1))

    def path_of(table, seen=()):
        if table in TOP_TABLES:
            return TOP_TABLES[table]
        if table in parents and table not in seen:
            parent, name = parents[table]
            up = path_of(parent, seen + (table,))
            return up and up + "." + name
        return None

    out = {}
    for table, (rel, names) in tables.items():
        base = path_of(table)
        if base is None:
            problems.append("%s: table %s is no section and no GROUP names it: add it to "
                            "TOP_TABLES in tests/integration/test_install.py" % (rel, table))
            continue
        for n in names:
            out[base + "." + n] = rel
    return out, problems


def man_settings(path):
    """{"gateway.listen"} from `.SS SECTION` then `.TP` / `.B NAME`."""
    out, section, tp = set(), None, False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SS "):
                section, tp = line[4:].strip().strip('"'), False
            elif line.startswith(".SH "):
                section, tp = None, False
            elif line == ".TP":
                tp = True
            elif tp:
                m = re.match(r"\.B\s+(\w+)\s*$", line)
                if m and section is not None:
                    out.add(section + "." + m.group(1))
                tp = False
    return out


@g.test
def man_conf_matches_the_loader(fx):
    """lambdabridge.conf(5) documents every setting of the loader's field
    tables (bridge/config*.c), nothing else, and docs/configuration.md
    names each of them; each missing one is named with where it is
    declared."""
    settings, problems = loader_settings()
    h.ok(len(settings) > 80, "only %d settings found in bridge/config*.c" % len(settings))
    man = man_settings(os.path.join(h.REPO, "man", "lambdabridge.conf.5"))
    with open(os.path.join(h.REPO, "docs", "configuration.md")) as f:
        doc = f.read()
    for s, rel in sorted(settings.items()):
        if s not in man:
            problems.append("setting %s (%s) is missing from man/lambdabridge.conf.5 "
                            "(.SS %s, .TP, .B %s)" % (s, rel, s.rsplit(".", 1)[0],
                                                      s.rsplit(".", 1)[1]))
        if "`%s`" % s.rsplit(".", 1)[1] not in doc:
            problems.append("setting %s (%s) is missing from docs/configuration.md" % (s, rel))
    for s in sorted(man - set(settings)):
        problems.append("man/lambdabridge.conf.5 documents %s, which bridge/config*.c "
                        "does not accept" % s)
    h.eq(problems, [], "lambdabridge.conf(5) against the loader")


OPT_STRCMP = re.compile(r"str(?:n)?cmp\(\s*\w+\s*,\s*\"(-[-\w]+)\"")
OPT_GETOPT = re.compile(r"getopt(?:_long)?\([^\"]*\"([^\"]+)\"")
OPT_LONG = re.compile(r"\{\s*\"([a-z][-a-z]*)\",\s*(?:no|required|optional)_argument")
DISPATCH = re.compile(r"strcmp\(cmd,\s*\"([a-z][-a-z]*)\"\)\s*==\s*0\)\s*\n\s*return\s+(\w+)\(")


def source_options(path):
    with open(path) as f:
        text = f.read()
    opts = set(OPT_STRCMP.findall(text))
    for s in OPT_GETOPT.findall(text):
        opts |= {"-" + c for c in s if c.isalnum()}
    opts |= {"--" + n for n in OPT_LONG.findall(text)}
    return opts


def commands():
    """{command: (source file, options)}; "lambdabridge" is serving (main.c)."""
    main = os.path.join(h.REPO, "bridge", "main.c")
    out = {"lambdabridge": ("bridge/main.c", source_options(main))}
    with open(main) as f:
        text = f.read()
    sources = glob.glob(os.path.join(h.REPO, "bridge", "*.c")) + \
        glob.glob(os.path.join(h.REPO, "bridge", "*", "*.c"))
    for cmd, fn in DISPATCH.findall(text):
        if cmd == "help":
            continue
        where = None
        for p in sources:
            with open(p) as f:
                if re.search(r"^%s\(" % fn, f.read(), re.M):
                    where = p
                    break
        out[cmd] = (os.path.relpath(where, h.REPO) if where else "?",
                    source_options(where) if where else set())
    return out


def man_commands(path):
    """{command: {options}} from `.SS COMMAND`, `.TP` then its option line."""
    out, cmd, tp = {}, None, False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SS "):
                cmd, tp = line[4:].strip().strip('"'), False
                out[cmd] = set()
            elif line.startswith(".SH "):
                cmd, tp = None, False
            elif line == ".TP":
                tp = True
            elif tp and cmd is not None:
                line = re.sub(r"\\f[BIRP]", "", line)
                for o in re.findall(r"(?<![\w\\-])((?:\\-){1,2}[a-zA-Z](?:[\w]|\\-)*)", line):
                    out[cmd].add(o.replace("\\-", "-"))
                tp = False
    return out


@g.test
def man_page_matches_the_commands(fx):
    """lambdabridge(8) has a section per command main.c dispatches to
    (internal ones, `__...`, aside) listing every option its source
    parses, and no option the source does not know."""
    cmds = commands()
    h.ok({"check", "invoke", "event", "import"} <= set(cmds), "commands found: %r" % cmds)
    man = man_commands(os.path.join(h.REPO, "man", "lambdabridge.8"))
    problems = []
    for cmd, (src, opts) in sorted(cmds.items()):
        if cmd.startswith("__"):
            continue
        if cmd not in man:
            problems.append("command %s (%s) has no section in man/lambdabridge.8 (.SS %s)"
                            % (cmd, src, cmd))
            continue
        for o in sorted(opts - man[cmd]):
            problems.append("option %s of %s (%s) is missing from man/lambdabridge.8 "
                            "(.SS %s)" % (o, cmd, src, cmd))
    for cmd, opts in sorted(man.items()):
        if cmd not in cmds:
            problems.append("man/lambdabridge.8 has a section %s, which is no command" % cmd)
            continue
        for o in sorted(opts - cmds[cmd][1]):
            problems.append("man/lambdabridge.8 documents %s for %s, which %s does not parse"
                            % (o, cmd, cmds[cmd][0]))
    h.eq(problems, [], "lambdabridge(8) against the sources")
