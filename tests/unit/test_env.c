/*
 * test_env.c - execution environments with real workers: the lambdabridge
 * binary under test (lb_test_bin) in worker mode, running the handlers of
 * tests/handlers/env_test.c and env_initfail.c.  Every wait is bounded by
 * the functions' own (short) timeouts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "lambda/env.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/loop.h"
#include "test.h"

void lb_test_suite_env(void);

/*
 * The suite runs twice: "env" with lb_envs_invoke (blocking, as pool
 * threads and CGI call it) and "env on the loop" with lb_envs_invoke_async
 * on this loop (as the gateway's loop threads call it).
 */
static struct lb_loop *loop;

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

/* lb_invoke_done: on a loop or pool thread, or at once. */
static void
waiter_done(void *arg)
{
	struct waiter *wt = arg;

	lb_log_batch_flush(); /* a loop thread's lines, for capture_stderr */
	pthread_mutex_lock(&wt->mu);
	wt->done = 1;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
}

/* One invocation, the suite's way; returns when res is filled. */
static void
run_invoke(struct lb_envs *envs, size_t fn, const struct lb_invoke_request *rq,
    struct lb_invoke_result *res)
{
	struct waiter wt = { PTHREAD_MUTEX_INITIALIZER,
		PTHREAD_COND_INITIALIZER, 0 };

	if (loop == NULL) {
		CU_ASSERT_EQUAL(lb_envs_invoke(envs, fn, rq, res), 0);
		return;
	}
	lb_envs_invoke_async(envs, fn, rq, res, loop, waiter_done, &wt);
	pthread_mutex_lock(&wt.mu);
	while (!wt.done)
		pthread_cond_wait(&wt.cv, &wt.mu);
	pthread_mutex_unlock(&wt.mu);
}

/* One test's world: a config written to a temp file and its pools. */
struct world {
	char path[64];
	struct lb_config *cfg;
	struct lb_envs *envs;
};

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The absolute path of a test handler module. */
static const char *
module(const char *name, char *buf, size_t len)
{
	char rel[128], tmp[PATH_MAX];

	snprintf(rel, sizeof(rel), "tests/handlers/%s.so", name);
	lb_test_build_path(rel, tmp, sizeof(tmp));
	if (realpath(tmp, buf) == NULL)
		snprintf(buf, len, "%s", tmp);
	return buf;
}

/*
 * Writes a config whose functions are `functions` (libconfig text, with
 * "@T" standing for env_test.so, "@I" for env_initfail.so, "@L" for
 * the worker tests' leak.so and "@F" for forge.so) and starts
 * its pools.  Returns 0, or -1 (and fails the test).
 */
static int
world_start(struct world *w, const char *gateway, const char *functions)
{
	char test_so[PATH_MAX], init_so[PATH_MAX], leak_so[PATH_MAX];
	char forge_so[PATH_MAX];
	char err[512];
	FILE *f;
	int fd;

	memset(w, 0, sizeof(*w));
	module("env_test", test_so, sizeof(test_so));
	module("env_initfail", init_so, sizeof(init_so));
	module("leak", leak_so, sizeof(leak_so));
	module("forge", forge_so, sizeof(forge_so));
	snprintf(w->path, sizeof(w->path), "/tmp/lb-test-env-XXXXXX");
	fd = mkstemp(w->path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "gateway: { api = \"http\"; %s };\nfunctions = (\n",
	    gateway != NULL ? gateway : "");
	for (const char *p = functions; *p != '\0'; p++) {
		if (p[0] == '@' && p[1] == 'T') {
			fputs(test_so, f);
			p++;
		} else if (p[0] == '@' && p[1] == 'I') {
			fputs(init_so, f);
			p++;
		} else if (p[0] == '@' && p[1] == 'L') {
			fputs(leak_so, f);
			p++;
		} else if (p[0] == '@' && p[1] == 'F') {
			fputs(forge_so, f);
			p++;
		} else {
			fputc(*p, f);
		}
	}
	fprintf(f,
	    "\n);\nroutes = ( { route = \"$default\"; "
	    "function = \"f\"; } );\n");
	fclose(f);
	w->cfg = lb_config_load(w->path, NULL, err, sizeof(err));
	if (w->cfg == NULL) {
		fprintf(stderr, "config: %s\n", err);
		unlink(w->path);
		CU_FAIL_FATAL("config");
		return -1;
	}
	w->envs = lb_envs_new(w->cfg, lb_test_bin(), err, sizeof(err));
	if (w->envs == NULL) {
		fprintf(stderr, "envs: %s\n", err);
		CU_FAIL_FATAL("envs");
		return -1;
	}
	return 0;
}

static void
world_stop(struct world *w)
{
	lb_envs_free(w->envs);
	lb_config_free(w->cfg);
	unlink(w->path);
}

/* Invokes function `name` with `event` and trace id `trace`; integration
 * deadline in ms from now (0 = none). */
static void
invoke_traced(struct world *w, const char *name, const char *event,
    const char *trace, int integ_ms, struct lb_invoke_result *res)
{
	struct lb_invoke_request rq;
	char rid[LB_IDS_UUID_LEN + 1];
	int fn = lb_config_function_index(w->cfg, name);

	CU_ASSERT_FATAL(fn >= 0);
	lb_ids_uuid(rid);
	memset(&rq, 0, sizeof(rq));
	rq.request_id = rid;
	rq.trace_id = trace;
	rq.event = event;
	rq.event_len = strlen(event);
	rq.integration_deadline_ms = integ_ms > 0 ? lb_now_ms() + integ_ms : 0;
	run_invoke(w->envs, (size_t)fn, &rq, res);
}

/* Invokes function `name` with `event`; integration deadline in ms from
 * now (0 = none). */
static void
invoke(struct world *w, const char *name, const char *event, int integ_ms,
    struct lb_invoke_result *res)
{
	invoke_traced(w, name, event,
	    "Root=1-5f84c7a9-6e1b2a3c4d5e6f7a8b9c0d1e", integ_ms, res);
}

/* Whether res's payload is the JSON `want`. */
static int
payload_is(const struct lb_invoke_result *res, const char *want)
{
	json_object *a, *b;
	int eq;

	if (res->payload == NULL)
		return 0;
	a = json_tokener_parse(res->payload);
	b = json_tokener_parse(want);
	eq = a != NULL && b != NULL && json_object_equal(a, b);
	if (!eq)
		fprintf(
		    stderr, "payload %.200s, want %s\n", res->payload, want);
	json_object_put(a);
	json_object_put(b);
	return eq;
}

/* lb_envs_dump_stats into buf. */
static void
stats(struct world *w, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	CU_ASSERT_FATAL(f != NULL);
	lb_envs_dump_stats(w->envs, f);
	fclose(f);
}

static void
test_cold_then_warm(void)
{
	struct world w;
	struct lb_invoke_result r1, r2, r3;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_count\"; }") <
	    0)
		return;
	invoke(&w, "f", "{}", 0, &r1);
	invoke(&w, "f", "{}", 0, &r2);
	invoke(&w, "f", "{\"x\":1}", 0, &r3);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_OK);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_OK);
	CU_ASSERT_EQUAL(r3.status, LB_INVOKE_OK);
	CU_ASSERT(r1.cold);
	CU_ASSERT(!r2.cold);
	CU_ASSERT(!r3.cold);
	CU_ASSERT(r1.env_pid > 0);
	CU_ASSERT_EQUAL(r1.env_pid, r2.env_pid);
	CU_ASSERT_EQUAL(r2.env_pid, r3.env_pid);
	/* the handler's static state survives between warm invocations */
	CU_ASSERT(payload_is(&r1, "{\"count\":1}"));
	CU_ASSERT(payload_is(&r2, "{\"count\":2}"));
	CU_ASSERT(payload_is(&r3, "{\"count\":3}"));
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	lb_invoke_result_clear(&r3);
	world_stop(&w);
}

/* Waits until pid has exited (a zombie, or reaped already). */
static void
wait_dead(pid_t pid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		char *rp;

		if (f == NULL)
			return;
		rp = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (rp != NULL && rp[1] == ' ' &&
		    (rp[2] == 'Z' || rp[2] == 'X'))
			return;
		usleep(1000);
	}
}

/*
 * An idle worker killed from outside and used at once, maybe before the
 * supervisor saw its pidfd: the event then meets a pipe nobody reads
 * (EPIPE, no SIGPIPE), and the request goes to a new environment instead.
 */
static void
test_killed_idle_used_at_once(void)
{
	struct world w;
	struct lb_invoke_result r1, r2;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_count\"; }") <
	    0)
		return;
	/* which of the two sees the death first varies: many rounds */
	for (int i = 0; i < 50; i++) {
		invoke(&w, "f", "{}", 0, &r1);
		CU_ASSERT_EQUAL_FATAL(r1.status, LB_INVOKE_OK);
		kill((pid_t)r1.env_pid, SIGKILL);
		wait_dead((pid_t)r1.env_pid);
		invoke(&w, "f", "{}", 0, &r2);
		CU_ASSERT_EQUAL(r2.status, LB_INVOKE_OK);
		CU_ASSERT(r2.cold && r2.env_pid != r1.env_pid);
		lb_invoke_result_clear(&r1);
		lb_invoke_result_clear(&r2);
	}
	invoke(&w, "f", "{}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_OK);
	lb_invoke_result_clear(&r1);
	world_stop(&w);
}

/*
 * A handler writes a well-formed reply frame to its channel and returns:
 * its request fails (the frame is not its invocation's) and the requests
 * after it get their own answers, never the one before theirs.  Both the
 * previous frame layout and the current one with a guessed sequence.
 */
static void
test_forged_reply(void)
{
	static const char *const forgeries[] = { "forge", "forge32" };
	struct world w;
	struct lb_invoke_result r1, r2, r3;
	char ev[64], want[96];

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@F\"; handler = "
	        "\"forge_handler\"; reserved_concurrency = 1; }") < 0)
		return;
	for (size_t i = 0; i < 2; i++) {
		snprintf(ev, sizeof(ev), "{\"body\":\"%s\"}", forgeries[i]);
		invoke(&w, "f", ev, 0, &r1);
		CU_ASSERT_EQUAL(r1.status, LB_INVOKE_CRASH);
		CU_ASSERT(r1.payload == NULL ||
		    strstr(r1.payload, "\"forged\"") == NULL);
		invoke(&w, "f", "{\"body\":\"two\"}", 0, &r2);
		CU_ASSERT_EQUAL(r2.status, LB_INVOKE_OK);
		CU_ASSERT(
		    payload_is(&r2, "{\"statusCode\":200,\"body\":\"two\"}"));
		invoke(&w, "f", "{\"body\":\"three\"}", 0, &r3);
		CU_ASSERT_EQUAL(r3.status, LB_INVOKE_OK);
		snprintf(want, sizeof(want),
		    "{\"statusCode\":200,\"body\":\"%s\"}", "three");
		CU_ASSERT(payload_is(&r3, want));
		lb_invoke_result_clear(&r1);
		lb_invoke_result_clear(&r2);
		lb_invoke_result_clear(&r3);
	}
	world_stop(&w);
}

struct bg_ev {
	struct world *w;
	const char *event;
	struct lb_invoke_result res;
};

static void *
bg_invoke_ev(void *arg)
{
	struct bg_ev *b = arg;

	invoke(b->w, "f", b->event, 0, &b->res);
	return NULL;
}

/* Runs two invocations of `event` at once; their environments' pids. */
static void
invoke_two(struct world *w, const char *event, pid_t pids[2])
{
	struct bg_ev b[2];
	pthread_t t[2];

	for (int i = 0; i < 2; i++) {
		b[i].w = w;
		b[i].event = event;
		CU_ASSERT_FATAL(
		    pthread_create(&t[i], NULL, bg_invoke_ev, &b[i]) == 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(b[i].res.status, LB_INVOKE_OK);
		pids[i] = (pid_t)b[i].res.env_pid;
		lb_invoke_result_clear(&b[i].res);
	}
}

static void
pin(pid_t pid, int cpu)
{
	cpu_set_t cs;

	CPU_ZERO(&cs);
	CPU_SET(cpu, &cs);
	CU_ASSERT_EQUAL(sched_setaffinity(pid, sizeof(cs), &cs), 0);
}

/*
 * Of two idle environments, a request takes the one whose worker last ran
 * on the caller's CPU (pick_idle), not merely the most recently used one.
 */
static void
test_same_cpu_preferred(void)
{
	struct world w;
	struct lb_invoke_result r;
	cpu_set_t mine;
	pid_t pids[2], again[2];
	int cpus[2], n = 0;

	CU_ASSERT_FATAL(sched_getaffinity(0, sizeof(mine), &mine) == 0);
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &mine))
			cpus[n++] = c;
	if (n < 2) {
		fprintf(stderr, "(one CPU: same-CPU preference not tested) ");
		return;
	}
	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_sleep\"; }") <
	    0)
		return;
	/* two environments, each pinned to a CPU of its own */
	invoke_two(&w, "{\"ms\":300}", pids);
	CU_ASSERT_FATAL(pids[0] != pids[1]);
	pin(pids[0], cpus[0]);
	pin(pids[1], cpus[1]);
	/* both reply once more, from their pinned CPUs */
	invoke_two(&w, "{\"ms\":300}", again);
	CU_ASSERT((again[0] == pids[0] && again[1] == pids[1]) ||
	    (again[0] == pids[1] && again[1] == pids[0]));
	for (int round = 0; round < 4; round++) {
		int k = round % 2;

		pin(0, cpus[k]); /* this thread */
		for (int i = 0; i < 3; i++) {
			invoke(&w, "f", "{\"ms\":0}", 0, &r);
			CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
			CU_ASSERT_EQUAL(r.env_pid, pids[k]);
			lb_invoke_result_clear(&r);
		}
	}
	CU_ASSERT(sched_setaffinity(0, sizeof(mine), &mine) == 0);
	world_stop(&w);
}

static void
test_function_error(void)
{
	struct world w;
	struct lb_invoke_result r1, r2;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_error\"; }") <
	    0)
		return;
	invoke(&w, "f", "{}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_FUNCTION_ERROR);
	CU_ASSERT_STRING_EQUAL(r1.error_type, "ValidationError");
	CU_ASSERT_STRING_EQUAL(r1.error_message, "bad input 42");
	CU_ASSERT(payload_is(&r1,
	    "{\"errorMessage\":\"bad input 42\","
	    "\"errorType\":\"ValidationError\"}"));
	/* a function error keeps the environment */
	invoke(&w, "f", "{}", 0, &r2);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_FUNCTION_ERROR);
	CU_ASSERT(!r2.cold);
	CU_ASSERT_EQUAL(r1.env_pid, r2.env_pid);
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	world_stop(&w);
}

static void
test_crash(void)
{
	struct world w;
	struct lb_invoke_result r1, r2, r3;
	int64_t t0;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_crash\"; "
	        "timeout = 10.0; },"
	        "{ name = \"x\"; module = \"@T\"; handler = \"env_exit\"; }") <
	    0)
		return;
	invoke(&w, "f", "{}", 0, &r1);
	invoke(&w, "f", "{}", 0, &r2);
	invoke(&w, "x", "{\"status\":3}", 0, &r3);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_CRASH);
	CU_ASSERT_STRING_EQUAL(r1.error_type, "Runtime.ExitError");
	/* (an ASan worker turns the SIGSEGV into a report and exit 1) */
	CU_ASSERT(strstr(r1.error_message, "signal: segmentation fault") ||
	    (strstr(lb_test_bin(), "asan") != NULL &&
	        strstr(r1.error_message, "exit status ")));
	CU_ASSERT_PTR_NOT_NULL(strstr(r1.error_message, "RequestId: "));
	CU_ASSERT_PTR_NOT_NULL(r1.payload);
	/* the crashed environment is gone: the next one is a cold start */
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_CRASH);
	CU_ASSERT(r1.cold && r2.cold);
	CU_ASSERT(r1.env_pid != r2.env_pid);
	/* reaped: no zombie left */
	CU_ASSERT(kill((pid_t)r1.env_pid, 0) < 0 && errno == ESRCH);
	CU_ASSERT_EQUAL(r3.status, LB_INVOKE_CRASH);
	CU_ASSERT_PTR_NOT_NULL(strstr(r3.error_message, "exit status 3"));
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	lb_invoke_result_clear(&r3);
	/* a child that keeps the worker's descriptors (no EOF) does not
	 * delay the crash report until the timeout: the exit is seen */
	t0 = lb_mono_ms();
	invoke(&w, "f", "{\"child\":6000}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_CRASH);
	CU_ASSERT(lb_mono_ms() - t0 < 2000);
	lb_invoke_result_clear(&r1);
	/* the same from a warm environment (on the loop: its watch on the
	 * reply wakes when the supervisor shuts rx down) */
	invoke(&w, "x", "{}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_OK);
	t0 = lb_mono_ms();
	invoke(&w, "x", "{\"status\":4,\"child\":6000}", 0, &r2);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_CRASH);
	CU_ASSERT(!r2.cold);
	CU_ASSERT_EQUAL(r1.env_pid, r2.env_pid);
	CU_ASSERT_PTR_NOT_NULL(strstr(r2.error_message, "exit status 4"));
	CU_ASSERT(lb_mono_ms() - t0 < 2000);
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	world_stop(&w);
}

static void
test_timeout(void)
{
	struct world w;
	struct lb_invoke_result r1, r2;
	int64_t t0;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_sleep\"; "
	        "timeout = 1.0; }") < 0)
		return;
	t0 = lb_mono_ms();
	invoke(&w, "f", "{\"ms\":10000}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_TIMEOUT);
	CU_ASSERT(lb_mono_ms() - t0 >= 900);
	CU_ASSERT(lb_mono_ms() - t0 < 5000);
	CU_ASSERT_STRING_EQUAL(r1.error_type, "Sandbox.Timedout");
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(r1.error_message, "Task timed out after 1.00 seconds"));
	/* the timed-out environment was killed */
	invoke(&w, "f", "{\"ms\":0}", 0, &r2);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_OK);
	CU_ASSERT(r2.cold);
	CU_ASSERT(r1.env_pid != r2.env_pid);
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	/* a child that outlives the worker with its descriptors (its own
	 * session: the kill does not reach it) delays nothing */
	t0 = lb_mono_ms();
	invoke(&w, "f", "{\"ms\":10000,\"child\":6000}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_TIMEOUT);
	CU_ASSERT(lb_mono_ms() - t0 < 4000);
	lb_invoke_result_clear(&r1);
	world_stop(&w);
}

static void
test_integration_timeout(void)
{
	struct world w;
	struct lb_invoke_result r1, r2, r3;
	int64_t t0, t1;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_sleep\"; "
	        "timeout = 1.0; reserved_concurrency = 1; }") < 0)
		return;
	t0 = lb_mono_ms();
	invoke(&w, "f", "{\"ms\":10000}", 200, &r1);
	t1 = lb_mono_ms();
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_INTEGRATION_TIMEOUT);
	CU_ASSERT(t1 - t0 >= 150);
	CU_ASSERT(t1 - t0 < 800);
	/* it still holds the only slot */
	invoke(&w, "f", "{\"ms\":0}", 0, &r2);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_THROTTLED);
	lb_invoke_result_clear(&r2);
	/* until its own timeout kills it (bounded wait) */
	do {
		sleep_ms(50);
		invoke(&w, "f", "{\"ms\":0}", 0, &r3);
		if (r3.status == LB_INVOKE_THROTTLED)
			lb_invoke_result_clear(&r3);
	} while (r3.status == LB_INVOKE_THROTTLED && lb_mono_ms() - t0 < 4000);
	CU_ASSERT_EQUAL(r3.status, LB_INVOKE_OK);
	CU_ASSERT(lb_mono_ms() - t0 >= 900);
	CU_ASSERT(r3.cold);
	CU_ASSERT(r3.env_pid != r1.env_pid);
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r3);
	world_stop(&w);
}

struct bg {
	struct world *w;
	struct lb_invoke_result res;
};

static void *
bg_invoke(void *arg)
{
	struct bg *b = arg;

	invoke(b->w, "f", "{\"ms\":1000}", 0, &b->res);
	return NULL;
}

static void
test_throttle(void)
{
	struct world w;
	struct bg b;
	struct lb_invoke_result r;
	pthread_t t;
	char buf[1024];

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_sleep\"; "
	        "reserved_concurrency = 1; }") < 0)
		return;
	b.w = &w;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, bg_invoke, &b) == 0);
	sleep_ms(300); /* the 1 s invocation is running by then */
	invoke(&w, "f", "{\"ms\":0}", 0, &r);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_THROTTLED);
	lb_invoke_result_clear(&r);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(b.res.status, LB_INVOKE_OK);
	CU_ASSERT(payload_is(&b.res, "{\"slept\":1000}"));
	lb_invoke_result_clear(&b.res);
	/* the slot is free again */
	invoke(&w, "f", "{\"ms\":0}", 0, &r);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
	CU_ASSERT(!r.cold);
	lb_invoke_result_clear(&r);
	stats(&w, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "function f:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "invocations=2 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "throttles=1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "cold_starts=1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "max_concurrent=1 "));
	world_stop(&w);
}

static void
test_account_concurrency(void)
{
	struct world w;
	struct bg b;
	struct lb_invoke_result r;
	pthread_t t;

	/* account 2, 1 reserved by "r": "f" and "g" share 1 */
	if (world_start(&w, "account_concurrency = 2;",
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_sleep\"; },"
	        "{ name = \"g\"; module = \"@T\"; handler = \"env_count\"; },"
	        "{ name = \"r\"; module = \"@T\"; handler = \"env_count\"; "
	        "reserved_concurrency = 1; }") < 0)
		return;
	b.w = &w;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, bg_invoke, &b) == 0);
	sleep_ms(300);
	invoke(&w, "g", "{}", 0, &r);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_THROTTLED);
	lb_invoke_result_clear(&r);
	invoke(&w, "r", "{}", 0, &r);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
	lb_invoke_result_clear(&r);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(b.res.status, LB_INVOKE_OK);
	lb_invoke_result_clear(&b.res);
	world_stop(&w);
}

static void
test_too_large(void)
{
	struct world w;
	struct lb_invoke_result r1, r2;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_big\"; }") <
	    0)
		return;
	invoke(&w, "f", "{\"bytes\":7340032}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(r1.error_type, "Function.ResponseSizeTooLarge");
	invoke(&w, "f", "{\"bytes\":1000}", 0, &r2);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_OK);
	CU_ASSERT_EQUAL(r2.payload_len, 1002);
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	world_stop(&w);
}

static void
test_init_error(void)
{
	struct world w;
	struct lb_invoke_result r1, r2;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@I\"; handler = \"env_never\"; },"
	        "{ name = \"g\"; module = \"@T\"; handler = \"env_missing\"; "
	        "}") < 0)
		return;
	invoke(&w, "f", "{}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(r1.error_type, "Runtime.InitError");
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(r1.error_message, "no database configured"));
	CU_ASSERT_PTR_NOT_NULL(r1.payload);
	invoke(&w, "g", "{}", 0, &r2);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_INIT_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(r2.error_message, "env_missing"));
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	world_stop(&w);
}

/* Copies file `from` over `to` in place (open with O_TRUNC, write): what
 * cp does, not mv.  Half of it when `half`. */
static void
overwrite(const char *from, const char *to, int half)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_TRUNC);
	ssize_t n;

	CU_ASSERT_FATAL(in >= 0 && out >= 0);
	while ((n = read(in, buf, half ? sizeof(buf) / 8 : sizeof(buf))) > 0) {
		CU_ASSERT_FATAL(write(out, buf, (size_t)n) == n);
		if (half)
			break;
	}
	close(in);
	close(out);
}

/* How many fds this process has open. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	CU_ASSERT_FATAL(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * lb_envs_new fails at a late step (the second function's module is gone
 * when its pools are made, after the first one's was pinned): it says why
 * and keeps no fd (the first module's pinned copy, the pipes); the ASan
 * run checks that it keeps no memory either.
 */
static void
test_new_fails_clean(void)
{
	char test_so[PATH_MAX], gone[64], cfgpath[64], err[512];
	struct lb_config *cfg;
	struct lb_envs *envs;
	FILE *f;
	int fd, before;

	module("env_test", test_so, sizeof(test_so));
	snprintf(gone, sizeof(gone), "/tmp/lb-test-gone-XXXXXX.so");
	fd = mkstemps(gone, 3);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	overwrite(test_so, gone, 0);
	snprintf(cfgpath, sizeof(cfgpath), "/tmp/lb-test-env-XXXXXX");
	fd = mkstemp(cfgpath);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f,
	    "gateway: { api = \"http\"; };\nfunctions = (\n"
	    "{ name = \"f\"; module = \"%s\"; handler = \"env_count\"; },\n"
	    "{ name = \"g\"; module = \"%s\"; handler = \"env_count\"; }\n"
	    ");\nroutes = ( { route = \"$default\"; function = \"f\"; } );\n",
	    test_so, gone);
	fclose(f);
	cfg = lb_config_load(cfgpath, NULL, err, sizeof(err));
	unlink(cfgpath);
	unlink(gone);
	if (cfg == NULL)
		fprintf(stderr, "config: %s\n", err);
	CU_ASSERT_FATAL(cfg != NULL);
	before = count_fds();
	err[0] = '\0';
	envs = lb_envs_new(cfg, lb_test_bin(), err, sizeof(err));
	CU_ASSERT_PTR_NULL(envs);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "functions[1].module"));
	CU_ASSERT_EQUAL(count_fds(), before);
	lb_envs_free(envs);
	lb_config_free(cfg);
}

/*
 * The module file changes in place under running environments: warm ones
 * and new ones (max_requests = 1: every request starts one) keep running
 * the code pinned when the pools were made, whatever is in the file.
 */
static void
test_module_replaced_in_place(void)
{
	char dir[] = "/tmp/lb-test-pin-XXXXXX", so[64], cfg[1024];
	char orig[PATH_MAX], other[PATH_MAX];
	struct world w;
	struct lb_invoke_result r;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(so, sizeof(so), "%s/m.so", dir);
	module("env_test", orig, sizeof(orig));
	module("forge", other, sizeof(other));
	fclose(fopen(so, "w"));
	overwrite(orig, so, 0);
	snprintf(cfg, sizeof(cfg),
	    "{ name = \"f\"; module = \"%s\"; handler = \"env_count\"; },"
	    "{ name = \"cold\"; module = \"%s\"; handler = \"env_count\";"
	    " max_requests = 1; }",
	    so, so);
	if (world_start(&w, NULL, cfg) < 0)
		return;
	invoke(&w, "f", "{}", 0, &r);
	CU_ASSERT(r.status == LB_INVOKE_OK && payload_is(&r, "{\"count\":1}"));
	lb_invoke_result_clear(&r);
	/* cut short, another module, garbage: none of it runs */
	for (int i = 0; i < 3; i++) {
		if (i == 0)
			overwrite(orig, so, 1);
		else if (i == 1)
			overwrite(other, so, 0);
		else
			overwrite("/proc/self/cmdline", so, 0);
		invoke(&w, "cold", "{}", 0, &r);
		CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
		CU_ASSERT(r.cold && payload_is(&r, "{\"count\":1}"));
		lb_invoke_result_clear(&r);
		invoke(&w, "f", "{}", 0, &r);
		CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
		CU_ASSERT(!r.cold);
		lb_invoke_result_clear(&r);
	}
	world_stop(&w);
	unlink(so);
	rmdir(dir);
}

/*
 * lb_envs_prime starts the functions that changed and reports one whose
 * lb_init fails; an unchanged one starts nothing, a primed one is warm.
 */
static void
test_prime(void)
{
	struct world a, b, c;
	struct lb_invoke_result r;
	char err[512] = "";

	if (world_start(&a, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_count\"; }") <
	    0)
		return;
	if (world_start(&b, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_count\"; },"
	        "{ name = \"g\"; module = \"@T\"; handler = \"env_count\"; "
	        "environment = { X = \"1\"; }; }") < 0)
		return;
	/* f runs alike in a: only g starts (and is warm at once) */
	CU_ASSERT_EQUAL(lb_envs_prime(b.envs, a.envs, err, sizeof(err)), 0);
	invoke(&b, "g", "{}", 0, &r);
	CU_ASSERT(r.status == LB_INVOKE_OK && !r.cold);
	lb_invoke_result_clear(&r);
	invoke(&b, "f", "{}", 0, &r);
	CU_ASSERT(r.status == LB_INVOKE_OK && r.cold);
	lb_invoke_result_clear(&r);
	world_stop(&b);
	if (world_start(&c, NULL,
	        "{ name = \"f\"; module = \"@I\"; handler = \"env_never\"; }") <
	    0)
		return;
	CU_ASSERT_EQUAL(lb_envs_prime(c.envs, a.envs, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "function 'f' cannot initialise"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no database configured"));
	world_stop(&c);
	world_stop(&a);
}

static void
test_out_of_memory(void)
{
	struct world w;
	struct lb_invoke_result r1, r2;

	/* an ASan worker has no RLIMIT_AS: the handler would eat the host */
	if (strstr(lb_test_bin(), "asan") != NULL)
		return;
	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@L\"; handler = \"leak_handler\"; "
	        "memory = 128; timeout = 10.0; }") < 0)
		return;
	/* malloc fails: the worker says so */
	invoke(&w, "f", "{}", 0, &r1);
	CU_ASSERT_EQUAL(r1.status, LB_INVOKE_CRASH);
	CU_ASSERT_STRING_EQUAL(r1.error_type, "Runtime.OutOfMemory");
	/* the handler writes through NULL at the limit: a SIGSEGV at the
	 * limit counts as out of memory too */
	invoke(
	    &w, "f", "{\"queryStringParameters\":{\"mode\":\"use\"}}", 0, &r2);
	CU_ASSERT_EQUAL(r2.status, LB_INVOKE_CRASH);
	CU_ASSERT(r2.cold);
	CU_ASSERT_STRING_EQUAL(r2.error_type, "Runtime.OutOfMemory");
	CU_ASSERT_PTR_NOT_NULL(strstr(r2.error_message, "signal: "));
	lb_invoke_result_clear(&r1);
	lb_invoke_result_clear(&r2);
	world_stop(&w);
}

/* Waits (bounded) until the spawner has a spare worker ready. */
static void
wait_spare(struct world *w)
{
	char buf[2048];

	for (int i = 0; i < 500; i++) {
		stats(w, buf, sizeof(buf));
		if (strstr(buf, "spare workers: ready=1") != NULL)
			return;
		sleep_ms(10);
	}
	CU_FAIL("no spare worker after 5 s");
}

/*
 * The environment a function's worker sees, started directly (spare_workers
 * = 0) or from a spare worker, which must see exactly the same.
 */
static void
check_environment(int spare)
{
	struct world w;
	struct lb_invoke_result r;
	json_object *o, *v;
	char root[PATH_MAX], *slash, buf[2048], path[64];
	FILE *f;

	if (world_start(&w, spare ? "spare_workers = 1;" : "spare_workers = 0;",
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_getenv\"; "
	        "memory = 256; environment = { FOO = \"bar\"; "
	        "TZ = \"Europe/Paris\"; }; }") < 0)
		return;
	if (spare)
		wait_spare(&w);
	invoke(&w, "f",
	    "{\"names\":[\"FOO\",\"TZ\",\"LANG\",\"AWS_LAMBDA_FUNCTION_NAME\","
	    "\"AWS_LAMBDA_FUNCTION_MEMORY_SIZE\","
	    "\"AWS_LAMBDA_FUNCTION_VERSION\",\"AWS_LAMBDA_LOG_GROUP_NAME\","
	    "\"AWS_LAMBDA_LOG_STREAM_NAME\",\"AWS_REGION\","
	    "\"AWS_DEFAULT_REGION\",\"AWS_EXECUTION_ENV\",\"_HANDLER\","
	    "\"LAMBDA_TASK_ROOT\",\"PATH\",\"_X_AMZN_TRACE_ID\"]}",
	    0, &r);
	CU_ASSERT_EQUAL_FATAL(r.status, LB_INVOKE_OK);
	o = json_tokener_parse(r.payload);
	CU_ASSERT_FATAL(o != NULL);
#define ENV_IS(k, want) \
	CU_ASSERT(json_object_object_get_ex(o, k, &v) && v != NULL && \
	    strcmp(json_object_get_string(v), want) == 0)
	ENV_IS("FOO", "bar");
	ENV_IS("TZ", "Europe/Paris");
	ENV_IS("LANG", "en_US.UTF-8");
	ENV_IS("AWS_LAMBDA_FUNCTION_NAME", "f");
	ENV_IS("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256");
	ENV_IS("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
	ENV_IS("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/f");
	ENV_IS("AWS_REGION", "us-east-1");
	ENV_IS("AWS_DEFAULT_REGION", "us-east-1");
	ENV_IS("AWS_EXECUTION_ENV", "lambdabridge");
	ENV_IS("_HANDLER", "env_getenv");
	ENV_IS("_X_AMZN_TRACE_ID", "Root=1-5f84c7a9-6e1b2a3c4d5e6f7a8b9c0d1e");
	module("env_test", root, sizeof(root));
	slash = strrchr(root, '/');
	if (slash != NULL)
		*slash = '\0';
	ENV_IS("LAMBDA_TASK_ROOT", root);
	CU_ASSERT(
	    json_object_object_get_ex(o, "AWS_LAMBDA_LOG_STREAM_NAME", &v) &&
	    v != NULL && strstr(json_object_get_string(v), "/[$LATEST]"));
	CU_ASSERT(json_object_object_get_ex(o, "PATH", &v) && v != NULL);
#undef ENV_IS
	json_object_put(o);
	CU_ASSERT(r.cold);
	stats(&w, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(buf, spare ? "spare_starts=1\n" : "spare_starts=0\n"));
	/* ps shows the function either way */
	snprintf(
	    path, sizeof(path), "/proc/%lld/cmdline", (long long)r.env_pid);
	f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf + strlen(buf) + 1, "__worker");
	lb_invoke_result_clear(&r);
	world_stop(&w);
}

static void
test_environment(void)
{
	check_environment(0);
}

static void
test_environment_spare(void)
{
	check_environment(1);
}

/*
 * _X_AMZN_TRACE_ID follows every invocation's trace id in one warm
 * environment, whatever the handler did to the environment before: set
 * it itself, grew the environment (a new environ array), removed it.
 */
static void
test_trace_env_follows(void)
{
	static const struct {
		const char *set, *trace, *want;
	} step[] = {
		{ "", "Root=1-a", "\"Root=1-a\"" },
		{ "", "Root=1-b", "\"Root=1-b\"" },
		{ "\"_X_AMZN_TRACE_ID\":\"mine\"", "Root=1-c", "\"mine\"" },
		{ "", "Root=1-d", "\"Root=1-d\"" },
		{ "\"G0\":\"1\",\"G1\":\"1\",\"G2\":\"1\",\"G3\":\"1\","
		  "\"G4\":\"1\",\"G5\":\"1\",\"G6\":\"1\",\"G7\":\"1\","
		  "\"G8\":\"1\",\"G9\":\"1\",\"H0\":\"1\",\"H1\":\"1\"",
		    "Root=1-e", "\"Root=1-e\"" },
		{ "", "Root=1-f", "\"Root=1-f\"" },
		{ "\"_X_AMZN_TRACE_ID\":null", "Root=1-g", "null" },
		{ "", "Root=1-h", "\"Root=1-h\"" },
		{ "", "", "null" },
		{ "", "Root=1-i", "\"Root=1-i\"" },
	};
	struct world w;
	struct lb_invoke_result r;
	char ev[512], want[64];
	int64_t pid = 0;

	if (world_start(&w, "spare_workers = 0;",
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_getenv\"; "
	        "}") < 0)
		return;
	for (size_t i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		snprintf(ev, sizeof(ev),
		    "{\"set\":{%s},\"names\":[\"_X_AMZN_TRACE_ID\"]}",
		    step[i].set);
		snprintf(want, sizeof(want), "{\"_X_AMZN_TRACE_ID\":%s}",
		    step[i].want);
		invoke_traced(&w, "f", ev, step[i].trace, 0, &r);
		CU_ASSERT_EQUAL_FATAL(r.status, LB_INVOKE_OK);
		CU_ASSERT(payload_is(&r, want));
		/* one environment throughout */
		if (i == 0)
			pid = r.env_pid;
		CU_ASSERT_EQUAL(r.env_pid, pid);
		lb_invoke_result_clear(&r);
	}
	world_stop(&w);
}

/*
 * A function whose environment sets what only a process start reads
 * (LD_LIBRARY_PATH here) never starts from a spare worker.
 */
static void
test_spare_not_for_startup_vars(void)
{
	struct world w;
	struct lb_invoke_result r;
	char buf[2048];

	if (world_start(&w, "spare_workers = 1;",
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_getenv\"; "
	        "environment = { LD_LIBRARY_PATH = \"/nonexistent\"; }; }") < 0)
		return;
	wait_spare(&w);
	invoke(&w, "f", "{\"names\":[\"LD_LIBRARY_PATH\"]}", 0, &r);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
	CU_ASSERT(payload_is(&r, "{\"LD_LIBRARY_PATH\":\"/nonexistent\"}"));
	lb_invoke_result_clear(&r);
	stats(&w, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "spare_starts=0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "spare workers: ready=1"));
	world_stop(&w);
}

static void
test_recycle(void)
{
	struct world w;
	struct lb_invoke_result r[4];

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_count\"; "
	        "max_requests = 2; },"
	        "{ name = \"g\"; module = \"@T\"; handler = \"env_count\"; "
	        "idle_timeout = 0.2; }") < 0)
		return;
	for (int i = 0; i < 3; i++)
		invoke(&w, "f", "{}", 0, &r[i]);
	CU_ASSERT_EQUAL(r[0].env_pid, r[1].env_pid);
	CU_ASSERT(r[2].env_pid != r[1].env_pid);
	CU_ASSERT(r[2].cold);
	CU_ASSERT(payload_is(&r[2], "{\"count\":1}"));
	for (int i = 0; i < 3; i++)
		lb_invoke_result_clear(&r[i]);
	invoke(&w, "g", "{}", 0, &r[0]);
	invoke(&w, "g", "{}", 0, &r[1]);
	sleep_ms(700); /* idle_timeout 0.2 s */
	invoke(&w, "g", "{}", 0, &r[2]);
	CU_ASSERT(!r[1].cold);
	CU_ASSERT_EQUAL(r[0].env_pid, r[1].env_pid);
	CU_ASSERT(r[2].cold);
	CU_ASSERT(r[2].env_pid != r[1].env_pid);
	CU_ASSERT(kill((pid_t)r[1].env_pid, 0) < 0 && errno == ESRCH);
	for (int i = 0; i < 3; i++)
		lb_invoke_result_clear(&r[i]);
	world_stop(&w);
}

static void
test_provisioned(void)
{
	struct world w;
	struct lb_invoke_result r;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_count\"; "
	        "provisioned = 1; idle_timeout = 0.1; }") < 0)
		return;
	sleep_ms(500); /* started and initialised by then; never reaped */
	invoke(&w, "f", "{}", 0, &r);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
	CU_ASSERT(!r.cold);
	lb_invoke_result_clear(&r);
	world_stop(&w);
}

/* Invokes the first function and returns what it logged to stderr (new). */
static char *
capture_stderr(
    struct world *w, const char *event, struct lb_invoke_result *r, char *rid)
{
	char path[] = "/tmp/lb-test-env-log-XXXXXX", *buf;
	int saved = dup(STDERR_FILENO), fd = mkstemp(path);
	struct lb_invoke_request rq;
	long n;
	FILE *f;

	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	unlink(path);
	lb_ids_uuid(rid);
	memset(&rq, 0, sizeof(rq));
	rq.request_id = rid;
	rq.event = event;
	rq.event_len = strlen(event);
	dup2(fd, STDERR_FILENO);
	run_invoke(w->envs, 0, &rq, r);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = lseek(fd, 0, SEEK_END);
	buf = calloc(1, (size_t)n + 1);
	f = fdopen(fd, "r");
	CU_ASSERT_FATAL(buf != NULL && f != NULL);
	rewind(f);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void
test_log_lines(void)
{
	struct world w;
	struct lb_invoke_result r;
	char rid[LB_IDS_UUID_LEN + 1], want[256], *log;

	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_print\"; "
	        "memory = 192; }") < 0)
		return;
	log = capture_stderr(&w, "{\"lines\":2,\"width\":3}", &r, rid);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
	snprintf(
	    want, sizeof(want), "START RequestId: %s Version: $LATEST\n", rid);
	CU_ASSERT(strstr(log, want) != NULL &&
	    strstr(log, want) < strstr(log, "line 0 yyy"));
	/* the function's own lines, tagged with the request id, in order */
	snprintf(want, sizeof(want), "\t%s\t[f]\tline 0 yyy\n", rid);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
	snprintf(want, sizeof(want), "\t%s\t[f]\tline 1 yyy\n", rid);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
	snprintf(want, sizeof(want), "END RequestId: %s\n", rid);
	CU_ASSERT(strstr(log, want) != NULL &&
	    strstr(log, want) > strstr(log, "line 1 yyy"));
	snprintf(want, sizeof(want), "REPORT RequestId: %s\tDuration: ", rid);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\tMemory Size: 192 MB\t"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\tInit Duration: "));
	free(log);
	lb_invoke_result_clear(&r);
	/* warm, and silent: START comes with END; no init duration */
	log = capture_stderr(&w, "{\"lines\":0}", &r, rid);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
	snprintf(want, sizeof(want),
	    "START RequestId: %s Version: $LATEST\nEND RequestId: %s\n", rid,
	    rid);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
	CU_ASSERT_PTR_NULL(strstr(strstr(log, "START") + 1, "START"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "REPORT RequestId: "));
	CU_ASSERT_PTR_NULL(strstr(log, "Init Duration"));
	free(log);
	lb_invoke_result_clear(&r);
	world_stop(&w);
}

static void
test_log_flood(void)
{
	struct world w;
	struct lb_invoke_result r;
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
	int64_t t0;

	CU_ASSERT_FATAL(saved >= 0 && null >= 0);
	if (world_start(&w, NULL,
	        "{ name = \"f\"; module = \"@T\"; handler = \"env_print\"; "
	        "timeout = 10.0; }") < 0)
		return;
	/* 8 MB of output, with lines longer than the line cap: the worker
	 * must never block on the pipe */
	dup2(null, STDERR_FILENO);
	t0 = lb_mono_ms();
	invoke(&w, "f", "{\"lines\":400,\"width\":20000}", 0, &r);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	CU_ASSERT_EQUAL(r.status, LB_INVOKE_OK);
	CU_ASSERT(payload_is(&r, "400"));
	CU_ASSERT(lb_mono_ms() - t0 < 8000);
	lb_invoke_result_clear(&r);
	world_stop(&w);
}

static int
loop_start(void)
{
	char err[256];

	loop = lb_loop_new(2, 8, err, sizeof(err));
	return loop != NULL ? 0 : -1;
}

static int
loop_stop(void)
{
	lb_loop_free(loop);
	loop = NULL;
	return 0;
}

void
lb_test_suite_env(void)
{
	static CU_TestInfo tests[] = {
		{ "cold then warm", test_cold_then_warm },
		{ "function error", test_function_error },
		{ "crash", test_crash },
		{ "killed idle, used at once", test_killed_idle_used_at_once },
		{ "forged reply frame", test_forged_reply },
		{ "same CPU preferred", test_same_cpu_preferred },
		{ "timeout", test_timeout },
		{ "integration timeout", test_integration_timeout },
		{ "throttle", test_throttle },
		{ "account concurrency", test_account_concurrency },
		{ "too large", test_too_large },
		{ "init error", test_init_error },
		{ "module replaced in place", test_module_replaced_in_place },
		{ "new fails clean", test_new_fails_clean },
		{ "prime before a reload", test_prime },
		{ "out of memory", test_out_of_memory },
		{ "environment", test_environment },
		{ "environment, from a spare", test_environment_spare },
		{ "trace id follows each invocation", test_trace_env_follows },
		{ "spare not for startup variables",
		    test_spare_not_for_startup_vars },
		{ "recycle", test_recycle },
		{ "provisioned", test_provisioned },
		{ "log lines", test_log_lines },
		{ "log flood", test_log_flood },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("env", tests);
	{
		CU_SuiteInfo si[] = { { "env on the loop", loop_start,
			                  loop_stop, NULL, NULL, tests },
			CU_SUITE_INFO_NULL };

		if (CU_register_suites(si) != CUE_SUCCESS)
			abort();
	}
}
