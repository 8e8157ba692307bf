# lambdabridge - one non-recursive GNU Makefile.
#
#   make            build/lambdabridge and build/handlers/*.so
#   make run        install what is missing, build, start nginx + bridge
#   make test       the whole suite (format, unit, unit under ASan, integration)
#   make bench      the benchmark (docs/performance.md)
#   make bench-curves  how its cost grows (docs/performance.md)

BUILD   ?= build
CC      ?= cc
PKGS    := json-c libconfig libseccomp libsystemd libfyaml libcrypto libcurl sqlite3 hiredis
VERSION := $(shell cat VERSION 2>/dev/null || echo 0)

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wvla -fno-common
CSTD     = -std=c11 -D_GNU_SOURCE
OPT     ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljson-c -lconfig -lseccomp -lsystemd -lfyaml -lcrypto -lcurl -lsqlite3 -lhiredis)
FCGI_LIBS  := $(shell pkg-config --libs fcgi 2>/dev/null || echo -lfcgi)
CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)
# libhttp-parser has no .pc in Debian
HTTP_PARSER_LIBS := -lhttp_parser
CURL_LIBS  := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
CPPFLAGS_BRIDGE = -Ibridge -Ibridge/include -DLB_BUILDING_BRIDGE $(PKG_CFLAGS)
CFLAGS   = $(CSTD) $(OPT) $(WARN) -MMD -MP
LDLIBS   = $(FCGI_LIBS) $(PKG_LIBS) $(HTTP_PARSER_LIBS) -ldl -lpthread
ASAN     = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer

# bridge/ is in layers, one folder each (CONTRIBUTING.md); config.c and
# main.c stay at the top
BRIDGE_SRC  := $(filter-out bridge/main.c bridge/worker_main.c,\
	$(wildcard bridge/*.c bridge/*/*.c))
BRIDGE_OBJ  := $(BRIDGE_SRC:%.c=$(BUILD)/%.o)
ASAN_OBJ    := $(BRIDGE_SRC:%.c=$(BUILD)/asan/%.o)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_OBJ    := $(UNIT_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/unit/runner.o
UNIT_ASAN   := $(UNIT_SRC:%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/tests/unit/runner.o
SUITES      := $(patsubst tests/unit/test_%.c,%,$(UNIT_SRC))
HANDLERS    := $(patsubst handlers/%/,%,$(sort $(dir $(wildcard handlers/*/*.c))))
HANDLER_SO  := $(HANDLERS:%=$(BUILD)/handlers/%.so)
TEST_HANDLER_SO := $(patsubst tests/handlers/%.c,$(BUILD)/tests/handlers/%.so,$(wildcard tests/handlers/*.c))
# tests/handlers/pin.c again: the same handler in other code
PIN_VARIANTS := $(BUILD)/tests/handlers/pin_b.so $(BUILD)/tests/handlers/pin_initfail.so
TEST_HANDLER_SO += $(PIN_VARIANTS)
# custom-runtime bootstraps (tests/runtimes/, tests/integration/test_runtime.py)
RUNTIME_BIN := $(patsubst tests/runtimes/%.c,$(BUILD)/tests/runtimes/%,$(wildcard tests/runtimes/*.c))
BENCH_SRC   := $(wildcard bench/*.c)
BENCH_BIN   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FORMAT_SRC  := $(wildcard bridge/*.[ch] bridge/*/*.[ch] handlers/*/*.c \
		 tests/unit/*.[ch] tests/handlers/*.[ch] tests/fuzz/*.c bench/*.c \
		 tests/runtimes/*.c)

# `make layers` (part of `make test`): the include rules between bridge/'s
# folders, checked by scripts/check-layers
.PHONY: all run test unit unit-asan integration format format-check bench layers \
	bench-smoke bench-curves clean deps fuzz tsan
all: $(BUILD)/lambdabridge $(BUILD)/lambdabridge-worker $(HANDLER_SO) $(TEST_HANDLER_SO) $(BENCH_BIN) \
	$(RUNTIME_BIN)

$(BUILD)/libbridge.a: $(BRIDGE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/asan/libbridge.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

# -rdynamic: handlers resolve lb_remaining_time_ms/lb_error from the binary
$(BUILD)/lambdabridge: $(BUILD)/bridge/main.o $(BUILD)/libbridge.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LDLIBS)

# What every environment execs: the worker's code and its libraries only
# (bridge/worker_main.c says why); -rdynamic for the handlers' lb_error.
WORKER_LIBS = $(shell pkg-config --libs json-c libseccomp 2>/dev/null || \
	echo -ljson-c -lseccomp) $(HTTP_PARSER_LIBS) -ldl -lpthread
$(BUILD)/lambdabridge-worker: $(BUILD)/bridge/worker_main.o $(BUILD)/libbridge.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(WORKER_LIBS)

$(BUILD)/asan/lambdabridge: $(BUILD)/asan/bridge/main.o $(BUILD)/asan/libbridge.a
	$(CC) $(ASAN) -rdynamic -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_BRIDGE) $(CFLAGS) -c -o $@ $<

# The ASan build also takes the portable code paths (json.c scans strings
# with SSE2 where it can), so the unit tests cover both.
$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_BRIDGE) $(CFLAGS) $(ASAN) -U__SSE2__ -c -o $@ $<

# Handlers see only the public header; they link json-c like any module would.
$(BUILD)/handlers/%.so: handlers/%/*.c bridge/include/lambdabridge.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) $(WARN) $(LDFLAGS) -fPIC -shared -Ibridge/include \
		$(PKG_CFLAGS) -o $@ $(filter %.c,$^) -ljson-c

$(BUILD)/tests/handlers/%.so: tests/handlers/%.c tests/handlers/handler_util.h \
		bridge/include/lambdabridge.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) $(WARN) -fPIC -shared -Ibridge/include \
		$(PKG_CFLAGS) -o $@ $< -ljson-c

# integ_fault_b.c is integ_fault.c built again (the fault suite)
$(BUILD)/tests/handlers/integ_fault_b.so: tests/handlers/integ_fault.c

# pin.c built as variants (tests/integration/test_code.py)
$(BUILD)/tests/handlers/pin_b.so: PIN_FLAGS = -DPIN_VERSION='"b"'
$(BUILD)/tests/handlers/pin_initfail.so: PIN_FLAGS = -DPIN_INITFAIL
$(PIN_VARIANTS): tests/handlers/pin.c bridge/include/lambdabridge.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) $(WARN) -fPIC -shared -Ibridge/include \
		$(PKG_CFLAGS) $(PIN_FLAGS) -o $@ $< -ljson-c

# A bootstrap is a program of its own: it knows libcurl and json-c, not the
# bridge (it talks to the Runtime API as it would on Lambda).
$(BUILD)/tests/runtimes/%: tests/runtimes/%.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) $(WARN) $(PKG_CFLAGS) -o $@ $< $(CURL_LIBS) -ljson-c

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) $(WARN) -o $@ $< $(FCGI_LIBS) -lpthread

# the cost of a write of the quota counts, SQLite against an append-only
# file (docs/performance.md)
$(BUILD)/bench/state_flush: bench/state_flush.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) $(WARN) -o $@ $< -lsqlite3

# the router's micro-benchmark (bench/curves): the bridge's own code
$(BUILD)/bench/router_bench: bench/router_bench.c $(BUILD)/libbridge.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_BRIDGE) $(CFLAGS) -o $@ $< $(BUILD)/libbridge.a $(LDLIBS)

# case G's custom runtime: a Runtime API client on libcurl, not a FastCGI app
$(BUILD)/bench/bootstrap_hello: bench/bootstrap_hello.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(OPT) $(WARN) -o $@ $< $(CURL_LIBS)

# `lambdabridge --version`: the version, the commit and the versions of the
# libraries this build compiled against, rewritten only when they change
# (libfcgi has no version macro: its .pc's; http-parser has no .pc)
LIB_VERSIONS = $(foreach p,json-c libconfig libseccomp libsystemd libfyaml sqlite3 hiredis fcgi,$(p) \
	$(shell pkg-config --modversion $(p) 2>/dev/null || echo '?'),) \
	http-parser $(shell printf '\043include <http_parser.h>\nHTTP_PARSER_VERSION_MAJOR.HTTP_PARSER_VERSION_MINOR.HTTP_PARSER_VERSION_PATCH\n' | \
		$(CC) -E -P - 2>/dev/null | tail -1 | tr -d ' ')
.PHONY: FORCE
$(BUILD)/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define LB_VERSION "%s"\n#define LB_COMMIT "%s"\n#define LB_BUILD_LIBS "%s"\n' \
		'$(VERSION)' "$$(git describe --always --dirty 2>/dev/null)" \
		'$(strip $(LIB_VERSIONS))' > $@.tmp && \
		(cmp -s $@.tmp $@ || mv $@.tmp $@); rm -f $@.tmp

VERSION_USERS := bridge/cli/version.o bridge/apigw/metrics.o
$(VERSION_USERS:%=$(BUILD)/%) $(VERSION_USERS:%=$(BUILD)/asan/%): $(BUILD)/version.h
$(VERSION_USERS:%=$(BUILD)/%) $(VERSION_USERS:%=$(BUILD)/asan/%): CPPFLAGS_BRIDGE += -I$(BUILD)

# `lambdabridge start-api` writes the shipped server configurations into its
# private directory: they are compiled in (scripts/embed)
SERVER_CONFS := nginx/run.conf.in nginx/fastcgi.conf apache/run.conf.in \
	apache/lambdabridge.conf
$(BUILD)/server_confs.h: $(SERVER_CONFS) scripts/embed
	@mkdir -p $(@D)
	scripts/embed $(SERVER_CONFS) > $@.tmp && mv $@.tmp $@
$(BUILD)/bridge/cli/start_api.o $(BUILD)/asan/bridge/cli/start_api.o: $(BUILD)/server_confs.h
$(BUILD)/bridge/cli/start_api.o $(BUILD)/asan/bridge/cli/start_api.o: CPPFLAGS_BRIDGE += -I$(BUILD)
# Where `make install` puts things (docs/operations.md, "1. Install").
# build/paths.h gives them to the code that looks for them (the worker, the
# importer's preflight handler and runtime interface clients); it is
# rewritten only when they change, so `make install PREFIX=...` rebuilds
# just those files.
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
PKGLIBDIR    ?= $(LIBDIR)/lambdabridge
HANDLERDIR   ?= $(PKGLIBDIR)/handlers
INCLUDEDIR   ?= $(PREFIX)/include
DATADIR      ?= $(PREFIX)/share
PKGDATADIR   ?= $(DATADIR)/lambdabridge
MANDIR       ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSCONFDIR   ?= /etc
SYSTEMDUNITDIR ?= $(LIBDIR)/systemd/system
# where the runtime interface clients are installed (docs/runtimes.md)
RICDIR       ?= /opt/lambdabridge/ric
WORKER_FROM_BINDIR = $(shell realpath -m --relative-to=$(BINDIR) \
	$(PKGLIBDIR)/lambdabridge-worker)
$(BUILD)/paths.h: FORCE
	@mkdir -p $(@D)
	@printf '#define LB_WORKER_PATH "%s"\n#define LB_WORKER_FROM_BINDIR "%s"\n#define LB_HANDLERDIR "%s"\n#define LB_RICDIR "%s"\n' \
		'$(PKGLIBDIR)/lambdabridge-worker' '$(WORKER_FROM_BINDIR)' \
		'$(HANDLERDIR)' '$(RICDIR)' > $@.tmp && \
		(cmp -s $@.tmp $@ || mv $@.tmp $@); rm -f $@.tmp

PATHS_USERS = bridge/lambda/spawn bridge/cli/cli_import
$(PATHS_USERS:%=$(BUILD)/%.o) $(PATHS_USERS:%=$(BUILD)/asan/%.o): $(BUILD)/paths.h
$(PATHS_USERS:%=$(BUILD)/%.o) $(PATHS_USERS:%=$(BUILD)/asan/%.o): CPPFLAGS_BRIDGE += -I$(BUILD)

# `make install` (DESTDIR= stages it): the binary, its worker, the example
# handlers, the handler ABI header and its pkg-config file, the man pages,
# the web servers' snippets and an example configuration, the systemd
# units, and /etc/lambdabridge/lambdabridge.conf and
# /etc/logrotate.d/lambdabridge when there are none.  The
# files that name installed paths get this install's.
INSTALL ?= install
SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e 's|@HANDLERDIR@|$(HANDLERDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|/usr/local/share/lambdabridge|$(PKGDATADIR)|g' \
	-e 's|/usr/local/bin/lambdabridge|$(BINDIR)/lambdabridge|g' \
	-e 's|/etc/lambdabridge/|$(SYSCONFDIR)/lambdabridge/|g'
SNIPPETS := nginx/fastcgi.conf nginx/lambdabridge.conf apache/lambdabridge.conf \
	apache/lambdabridge-fcgid.conf
MAN5 := man/lambdabridge.conf.5
MAN8 := man/lambdabridge.8
UNITS := systemd/lambdabridge.service systemd/lambdabridge.socket
D = $(DESTDIR)
.PHONY: install uninstall deb
install: $(BUILD)/lambdabridge $(BUILD)/lambdabridge-worker $(HANDLER_SO)
	$(INSTALL) -d $(D)$(BINDIR) $(D)$(PKGLIBDIR) $(D)$(HANDLERDIR)/provided \
		$(D)$(INCLUDEDIR) $(D)$(PKGCONFIGDIR) $(D)$(MANDIR)/man5 \
		$(D)$(MANDIR)/man8 $(D)$(PKGDATADIR)/nginx $(D)$(PKGDATADIR)/apache \
		$(D)$(SYSTEMDUNITDIR) $(D)$(SYSCONFDIR)/lambdabridge
	$(INSTALL) -m 0755 $(BUILD)/lambdabridge $(D)$(BINDIR)/lambdabridge
	$(INSTALL) -m 0755 $(BUILD)/lambdabridge-worker $(D)$(PKGLIBDIR)/
	$(INSTALL) -m 0644 $(HANDLER_SO) $(D)$(HANDLERDIR)/
	$(INSTALL) -m 0755 handlers/provided/bootstrap $(D)$(HANDLERDIR)/provided/
	$(INSTALL) -m 0644 handlers/provided/function.sh $(D)$(HANDLERDIR)/provided/
	$(INSTALL) -m 0644 bridge/include/lambdabridge.h $(D)$(INCLUDEDIR)/
	$(SUBST) lambdabridge.pc.in > $(D)$(PKGCONFIGDIR)/lambdabridge.pc
	$(INSTALL) -m 0644 $(MAN5) $(D)$(MANDIR)/man5/
	$(INSTALL) -m 0644 $(MAN8) $(D)$(MANDIR)/man8/
	for f in $(SNIPPETS); do $(SUBST) $$f > $(D)$(PKGDATADIR)/$$f; done
	$(SUBST) conf/lambdabridge.conf.in > $(D)$(PKGDATADIR)/lambdabridge.conf
	for f in $(UNITS); do \
		$(SUBST) $$f > $(D)$(SYSTEMDUNITDIR)/$${f#systemd/}; done
	test -e $(D)$(SYSCONFDIR)/lambdabridge/lambdabridge.conf || \
		$(INSTALL) -m 0644 $(D)$(PKGDATADIR)/lambdabridge.conf \
		$(D)$(SYSCONFDIR)/lambdabridge/lambdabridge.conf
	$(INSTALL) -m 0644 conf/lambdabridge.logrotate $(D)$(PKGDATADIR)/
	$(INSTALL) -d $(D)$(SYSCONFDIR)/logrotate.d
	test -e $(D)$(SYSCONFDIR)/logrotate.d/lambdabridge || \
		$(INSTALL) -m 0644 conf/lambdabridge.logrotate \
		$(D)$(SYSCONFDIR)/logrotate.d/lambdabridge

# Everything install put there but the configuration in $(SYSCONFDIR),
# which is yours (remove it by hand).
uninstall:
	rm -f $(D)$(BINDIR)/lambdabridge $(D)$(PKGLIBDIR)/lambdabridge-worker \
		$(HANDLER_SO:$(BUILD)/handlers/%=$(D)$(HANDLERDIR)/%) \
		$(D)$(HANDLERDIR)/provided/bootstrap \
		$(D)$(HANDLERDIR)/provided/function.sh \
		$(D)$(INCLUDEDIR)/lambdabridge.h $(D)$(PKGCONFIGDIR)/lambdabridge.pc \
		$(D)$(MANDIR)/man5/lambdabridge.conf.5 \
		$(D)$(MANDIR)/man8/lambdabridge.8 \
		$(SNIPPETS:%=$(D)$(PKGDATADIR)/%) $(D)$(PKGDATADIR)/lambdabridge.conf \
		$(D)$(PKGDATADIR)/lambdabridge.logrotate \
		$(UNITS:systemd/%=$(D)$(SYSTEMDUNITDIR)/%)
	-rmdir $(D)$(HANDLERDIR)/provided $(D)$(HANDLERDIR) $(D)$(PKGLIBDIR) \
		$(D)$(PKGDATADIR)/nginx $(D)$(PKGDATADIR)/apache $(D)$(PKGDATADIR) \
		2>/dev/null

# `make deb`: the Debian package (debian/, debhelper), built from a copy of
# this tree in $(BUILD)/deb so that neither this build nor the folder above
# is touched; the .deb ends up in $(BUILD)/.
DEB_SRC = $(BUILD)/deb/lambdabridge-$(VERSION)
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./tmp --exclude=./.git . | \
		tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b -j2
	mv $(BUILD)/deb/*.deb $(BUILD)/
	@ls $(BUILD)/*.deb

# The unit runner calls lb_test_suite_<name>() for every tests/unit/test_<name>.c.
$(BUILD)/tests/unit/suites.h: $(UNIT_SRC) Makefile
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach s,$(SUITES),'LB_SUITE($(s))') > $@.tmp && \
		(cmp -s $@.tmp $@ || mv $@.tmp $@); rm -f $@.tmp

$(BUILD)/tests/unit/runner.o $(BUILD)/asan/tests/unit/runner.o: $(BUILD)/tests/unit/suites.h
$(BUILD)/tests/unit/runner.o: CPPFLAGS_BRIDGE += -I$(BUILD)/tests/unit
$(BUILD)/asan/tests/unit/runner.o: CPPFLAGS_BRIDGE += -I$(BUILD)/tests/unit

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libbridge.a
	$(CC) -rdynamic -o $@ $^ $(CUNIT_LIBS) $(LDLIBS)

$(BUILD)/asan/unit-tests: $(UNIT_ASAN) $(BUILD)/asan/libbridge.a
	$(CC) $(ASAN) -rdynamic -o $@ $^ $(CUNIT_LIBS) $(LDLIBS)

unit: all $(BUILD)/unit-tests
	$(BUILD)/unit-tests

unit-asan: all $(BUILD)/asan/unit-tests $(BUILD)/asan/lambdabridge
	ASAN_OPTIONS=detect_leaks=1 LB_TEST_BIN=$(BUILD)/asan/lambdabridge \
		$(BUILD)/asan/unit-tests

integration: all
	tests/integration/run

test: all $(BUILD)/unit-tests $(BUILD)/asan/unit-tests $(BUILD)/asan/lambdabridge
	scripts/run-tests

run: deps
	$(MAKE) all
	scripts/run

deps:
	scripts/install-deps

bench: all
	bench/run

# ThreadSanitizer: the unit and integration tests against a TSan build in
# $(BUILD)/tsan (its "asan" objects are TSan's); not part of `make test`.
# tests/tsan.supp says why its one suppression is there.
TSAN_ENV = TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1"
tsan: all
	$(MAKE) BUILD=$(BUILD)/tsan \
		ASAN="-fsanitize=thread -fno-omit-frame-pointer" \
		$(BUILD)/tsan/asan/lambdabridge $(BUILD)/tsan/asan/unit-tests
	$(TSAN_ENV) LB_TEST_BIN=$(BUILD)/tsan/asan/lambdabridge \
		LB_TEST_BUILD=$(BUILD) $(BUILD)/tsan/asan/unit-tests
	$(TSAN_ENV) LB_BIN=$(BUILD)/tsan/asan/lambdabridge tests/integration/run

bench-smoke: all
	BENCH_DURATION=2 BENCH_SMOKE=1 bench/run
	BENCH_SMOKE=1 bench/curves

# how the cost grows (connections, routes, body size, memory, cold
# bursts): about 6 minutes; docs/performance.md "Curves"
bench-curves: all
	bench/curves

# libFuzzer (clang), not part of `make test`: `make fuzz` builds every
# target in FUZZ_TARGETS and runs each for FUZZ_TIME seconds on its corpus
# $(BUILD)/fuzz/NAME.corpus, one after the other (all of them even when one
# finds something, kept as $(BUILD)/fuzz/NAME-crash-*).  A target is
# tests/fuzz/NAME.c and adds itself with one block of its own:
#   FUZZ_TARGETS += NAME
#   FUZZ_SRC_NAME := the bridge sources it links
#   FUZZ_LEN_NAME := its -max_len (optional, default 4096)
#   FUZZ_ARGS_NAME := more libFuzzer arguments, e.g. -dict= (optional)
#   fuzz-seed-NAME: a rule filling $(BUILD)/fuzz/NAME.corpus (optional)
FUZZ_TIME ?= 60
FUZZ_TARGETS :=
FUZZ_CORPUS = $(BUILD)/fuzz/$*.corpus

# json.c against json-c; pairs "A NUL B" for lb_json_reparse
FUZZ_TARGETS += fuzz_json
FUZZ_SRC_fuzz_json := bridge/base/json.c bridge/base/url.c bridge/base/fmt.c \
	bridge/base/b64.c
FUZZ_LEN_fuzz_json := 8192
fuzz-seed-fuzz_json:
	mkdir -p $(BUILD)/fuzz/fuzz_json.corpus
	cp tests/fixtures/events/*.json $(BUILD)/fuzz/fuzz_json.corpus/
	for a in tests/fixtures/events/*.json; do \
	  for b in tests/fixtures/events/v1_rest_get.json \
	           tests/fixtures/events/v2_get.json; do \
	    { cat $$a; printf '\0'; cat $$b; } > \
	      $(BUILD)/fuzz/fuzz_json.corpus/pair-$$(basename $$a .json)-$$(basename $$b); \
	  done; \
	done

# config.c as `check --no-probe` loads a file; the seeds name the module
# "m.so" the target puts beside its file
FUZZ_TARGETS += fuzz_config
FUZZ_SRC_fuzz_config := bridge/config.c bridge/config_table.c \
	bridge/config_check.c bridge/config_functions.c bridge/config_routes.c \
	bridge/config_authorizers.c bridge/apigw/cors.c bridge/base/json.c \
	bridge/base/url.c bridge/base/fmt.c bridge/base/suggest.c bridge/base/cidr.c \
	bridge/cli/dump.c bridge/apigw/router.c bridge/apigw/gwerror.c bridge/fastcgi/http.c \
	bridge/fastcgi/listen.c bridge/base/service.c bridge/lambda/sandbox.c \
	bridge/base/log.c bridge/config_logs.c bridge/apigw/accesslog.c \
	bridge/lambda/jsonlog.c bridge/lambda/probe.c bridge/lambda/spawn.c \
	bridge/state/shared.c bridge/base/ids.c
FUZZ_LEN_fuzz_config := 16384
fuzz-seed-fuzz_config:
	mkdir -p $(BUILD)/fuzz/fuzz_config.corpus
	for f in conf/*.conf tests/integration/conf/*.conf.in; do \
	  for api in rest http; do \
	    sed -E -e 's|module *= *"[^"]*"|module = "m.so"|' \
	      -e "s/@API@/$$api/" -e 's/@LISTEN_ACCESS@//' \
	      -e 's/@[A-Z_]+@/v1/g' $$f > \
	      $(BUILD)/fuzz/fuzz_config.corpus/$$(basename $$f)-$$api; \
	  done; \
	done

# a Lambda authorizer's answer (policy.c), and the IAM wildcard matcher
FUZZ_TARGETS += fuzz_policy
FUZZ_SRC_fuzz_policy := bridge/apigw/policy.c
FUZZ_LEN_fuzz_policy := 8192
fuzz-seed-fuzz_policy:
	mkdir -p $(BUILD)/fuzz/fuzz_policy.corpus
	cp tests/fuzz/policy/* $(BUILD)/fuzz/fuzz_policy.corpus/

# response.c: arbitrary bytes as a function's result, mapped for REST,
# HTTP API 1.0 and 2.0
FUZZ_TARGETS += fuzz_response
FUZZ_SRC_fuzz_response := bridge/apigw/response.c bridge/base/json.c \
	bridge/base/b64.c bridge/apigw/media.c bridge/fastcgi/http.c \
	bridge/base/url.c bridge/base/fmt.c bridge/base/scratch.c
FUZZ_ARGS_fuzz_response := -dict=tests/fuzz/response.dict
fuzz-seed-fuzz_response:
	mkdir -p $(BUILD)/fuzz/fuzz_response.corpus
	cp tests/fuzz/response/*.json $(BUILD)/fuzz/fuzz_response.corpus/

# the frame decoder (tests/fuzz/fuzz_frame.c says what it checks)
FUZZ_TARGETS += fuzz_frame
FUZZ_SRC_fuzz_frame := bridge/lambda/frame.c bridge/base/ids.c
FUZZ_LEN_fuzz_frame := 8192

# cidr.c: gateway.metrics_allow's networks and REMOTE_ADDR's addresses
# (tests/fuzz/fuzz_cidr.c); seeds: networks of both families, a mapped one
FUZZ_TARGETS += fuzz_cidr
FUZZ_SRC_fuzz_cidr := bridge/base/cidr.c
FUZZ_LEN_fuzz_cidr := 512
fuzz-seed-fuzz_cidr:
	mkdir -p $(BUILD)/fuzz/fuzz_cidr.corpus
	for s in 127.0.0.0/8 ::1/128 2001:db8::/32 '::ffff:10.0.0.0/104' \
	    '192.0.2.64/26\000192.0.2.100' 10.0.0.1/8; do \
	  printf "$$s" > $(BUILD)/fuzz/fuzz_cidr.corpus/$$(printf '%s' "$$s" | md5sum | cut -c1-8); \
	done

# fcgi_proto.c: what a client sends the FastCGI socket; the seed is a kept
# request (BEGIN_REQUEST, PARAMS with a 1- and a 4-byte length, padding,
# STDIN) and a GET_VALUES
FUZZ_TARGETS += fuzz_fcgi
FUZZ_SRC_fuzz_fcgi := bridge/fastcgi/fcgi_proto.c
FUZZ_LEN_fuzz_fcgi := 70000
FCGI_SEED = '\001\001\000\001\000\010\000\000\000\001\001\000\000\000\000\000' \
	'\001\004\000\001\000\023\003\000\016\003REQUEST_METHODGET' \
	'\000\000\000' \
	'\001\004\000\001\000\010\000\000\001\200\000\000\002Avv' \
	'\001\004\000\001\000\000\000\000\001\005\000\001\000\002\000\000hi' \
	'\001\005\000\001\000\000\000\000' \
	'\001\011\000\000\000\021\000\000\017\000FCGI_MPXS_CONNS'
fuzz-seed-fuzz_fcgi:
	mkdir -p $(BUILD)/fuzz/fuzz_fcgi.corpus
	for p in $(FCGI_SEED); do printf "$$p"; done \
		> $(BUILD)/fuzz/fuzz_fcgi.corpus/request

# rapi.c: what a runtime sends the Runtime API; the first two bytes steer
# (tests/fuzz/fuzz_rapi.c); seeds: next, a response and next pipelined, a
# chunked error, an Expect, garbage
FUZZ_TARGETS += fuzz_rapi
FUZZ_SRC_fuzz_rapi := bridge/lambda/rapi.c
FUZZ_LEN_fuzz_rapi := 8192
RAPI_P = /2018-06-01/runtime
RAPI_SEEDS = \
	'next:\001\001GET $(RAPI_P)/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n' \
	'pipelined:\007\001POST $(RAPI_P)/invocation/a/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GET $(RAPI_P)/invocation/next HTTP/1.1\r\n\r\n' \
	'chunked:\003\010POST $(RAPI_P)/invocation/a/error HTTP/1.1\r\nLambda-Runtime-Function-Error-Type: Runtime.X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n' \
	'expect:\005\004POST $(RAPI_P)/init/error HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n{"x":"y"}' \
	'garbage:\001\001GET / HTTP/9\r\n\r\n'
fuzz-seed-fuzz_rapi:
	mkdir -p $(BUILD)/fuzz/fuzz_rapi.corpus
	for s in $(RAPI_SEEDS); do \
	  printf "$${s#*:}" > $(BUILD)/fuzz/fuzz_rapi.corpus/$${s%%:*}; \
	done

# the importer (bridge/import/): templates and OpenAPI definitions; the
# seeds are the test templates, each behind a steering byte (fuzz_import.c)
FUZZ_TARGETS += fuzz_import
FUZZ_SRC_fuzz_import := $(wildcard bridge/import/*.c) bridge/base/arena.c \
	bridge/base/scratch.c
FUZZ_LEN_fuzz_import := 16384
fuzz-seed-fuzz_import:
	mkdir -p $(BUILD)/fuzz/fuzz_import.corpus
	for f in tests/integration/import/*; do \
	  for b in '\000' '\014'; do \
	    { printf "$$b"; cat $$f; } > \
	      $(BUILD)/fuzz/fuzz_import.corpus/$$(basename $$f)-$$(printf "$$b" | od -An -tu1 | tr -d ' '); \
	  done; \
	done

# jwt.c and jwk.c: "TOKEN NUL JWKS" (tests/fuzz/fuzz_jwt.c); the seed is
# a token shaped like an RS256 one and an empty key set
FUZZ_TARGETS += fuzz_jwt
FUZZ_SRC_fuzz_jwt := bridge/apigw/jwt.c bridge/apigw/jwk.c bridge/base/b64.c
FUZZ_LEN_fuzz_jwt := 8192
fuzz-seed-fuzz_jwt:
	mkdir -p $(BUILD)/fuzz/fuzz_jwt.corpus
	printf '%s.%s.c2ln\0{"keys":[]}' \
		$$(printf '{"alg":"RS256","kid":"k"}' | base64 -w0 | tr -d =) \
		$$(printf '{"iss":"https://idp","aud":"app","exp":9}' | \
		base64 -w0 | tr -d =) > $(BUILD)/fuzz/fuzz_jwt.corpus/seed

# accesslog.c: gateway.access_log's format, "FORMAT NUL VALUES"
# (tests/fuzz/fuzz_accesslog.c), and jsonlog.c's level of a log line;
# the seeds are API Gateway's CLF and JSON presets
FUZZ_TARGETS += fuzz_accesslog
FUZZ_SRC_fuzz_accesslog := bridge/apigw/accesslog.c bridge/lambda/jsonlog.c \
	bridge/base/fmt.c bridge/base/log.c
fuzz-seed-fuzz_accesslog:
	mkdir -p $(BUILD)/fuzz/fuzz_accesslog.corpus
	printf '%s\0%s' '$$context.identity.sourceIp - - [$$context.requestTime] "$$context.httpMethod $$context.routeKey $$context.protocol" $$context.status $$context.responseLength $$context.requestId' 'v"\' > $(BUILD)/fuzz/fuzz_accesslog.corpus/clf
	printf '%s\0%s' '{ "requestId":"$$context.requestId", "ip": "$$context.identity.sourceIp", "requestTime":"$$context.requestTime", "status":"$$context.status" }' '{"level":"warn"}' > $(BUILD)/fuzz/fuzz_accesslog.corpus/json
# qstore.c: any bytes as gateway.state_dir's quotas.db; the seed is a
# state file with two rows, as the bridge writes it
FUZZ_TARGETS += fuzz_qstore
FUZZ_SRC_fuzz_qstore := bridge/apigw/qstore.c bridge/apigw/throttle.c
FUZZ_LEN_fuzz_qstore := 65536
QSTORE_SEED_SQL := PRAGMA application_id = 1279414612; PRAGMA user_version = 1; \
	CREATE TABLE quota (key_id TEXT PRIMARY KEY NOT NULL, period TEXT NOT NULL, \
	period_start INTEGER NOT NULL, period_end INTEGER NOT NULL, \
	used INTEGER NOT NULL) WITHOUT ROWID; \
	INSERT INTO quota VALUES ('abcdefghij', 'DAY', 0, 86400000, 3), \
	('klmnopqrst', 'MONTH', 0, 2678400000, 0);
fuzz-seed-fuzz_qstore:
	mkdir -p $(BUILD)/fuzz/fuzz_qstore.corpus
	rm -f $(BUILD)/fuzz/fuzz_qstore.corpus/seed
	echo "$(QSTORE_SEED_SQL)" | sqlite3 $(BUILD)/fuzz/fuzz_qstore.corpus/seed
# shared.c and redis_op.c: gateway.shared_state's address, and a Redis
# server's bytes as the admit script's reply (tests/fuzz/fuzz_shared.c)
FUZZ_TARGETS += fuzz_shared
FUZZ_SRC_fuzz_shared := bridge/state/shared.c bridge/state/redis_op.c \
	bridge/base/ids.c
fuzz-seed-fuzz_shared:
	mkdir -p $(BUILD)/fuzz/fuzz_shared.corpus
	printf '\001redis://10.0.0.5:6380/2' > $(BUILD)/fuzz/fuzz_shared.corpus/url
	printf '\001unix:/run/redis.sock' > $(BUILD)/fuzz/fuzz_shared.corpus/unix
	printf '\000*4\r\n:0\r\n:1\r\n:33\r\n:40\r\n*2\r\n:3\r\n:2\r\n-NOSCRIPT x\r\n' \
		> $(BUILD)/fuzz/fuzz_shared.corpus/reply

fuzz-seed-%:
	mkdir -p $(FUZZ_CORPUS)

.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $$(FUZZ_SRC_$$*)
	@mkdir -p $(dir $@)
	clang $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS_BRIDGE) \
		-o $@ $^ $(PKG_LIBS) $(HTTP_PARSER_LIBS) -lpthread

# tests/fuzz/lsan.supp: leaks of the libraries (not ours), and why
fuzz-run-%: $(BUILD)/fuzz/% fuzz-seed-%
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
		$(BUILD)/fuzz/$* -max_total_time=$(FUZZ_TIME) \
		-max_len=$(or $(FUZZ_LEN_$*),4096) $(FUZZ_ARGS_$*) \
		-artifact_prefix=$(BUILD)/fuzz/$*-crash- $(FUZZ_CORPUS)

fuzz:
	scripts/install-deps fuzz
	$(MAKE) -k $(FUZZ_TARGETS:%=fuzz-run-%)

format:
	clang-format -i $(FORMAT_SRC)

layers:
	scripts/check-layers

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -path '$(BUILD)/deb' -prune -o -name '*.d' -print 2>/dev/null)
