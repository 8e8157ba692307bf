/*
 * envlog.c - the functions' output: what a worker writes to its stdout and
 * stderr, logged line by line with the invocation's request id, after the
 * invocation's START line; and the platform's lines around it (START, END,
 * REPORT, or in the JSON log format their platform records: jsonlog.h).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "base/fmt.h"
#include "base/ids.h"
#include "base/log.h"
#include "lambda/env_int.h"
#include "lambda/jsonlog.h"

/* Logs env's pending START line, if any.  Holds env->logmu. */
static void
start_flush(struct env *env)
{
	if (env->start[0] != '\0') {
		lb_log_raw(env->start);
		env->start[0] = '\0';
	}
}

void
envi_log_line(struct env *env, const char *reqid, const char *msg)
{
	pthread_mutex_lock(&env->logmu);
	start_flush(env);
	lb_log_function(env->pool->fn->name, reqid, msg, strlen(msg));
	pthread_mutex_unlock(&env->logmu);
}

/*
 * In the JSON log format, a line that is a JSON object is the function's
 * structured record: kept as it is when its level passes the function's
 * application_log_level, dropped otherwise.  1 when it was handled.
 */
static int
json_line(const struct lb_function *fn, const char *line, size_t n)
{
	int level;

	if (!fn->log_json || (level = lb_jsonlog_line_level(line, n)) < 0)
		return 0;
	if (level >= fn->app_log_level)
		lb_log_verbatim(line, n);
	return 1;
}

static void
emit_line(struct env *env, const char *reqid)
{
	const struct lb_function *fn = env->pool->fn;
	size_t n = env->linelen;

	if (n > 0 && env->line[n - 1] == '\r')
		n--;
	/* START goes first even when the line is filtered out: its time is
	 * the invocation's */
	start_flush(env);
	if (!json_line(fn, env->line, n))
		lb_log_function(fn->name, reqid[0] ? reqid : "-", env->line, n);
	env->linelen = 0;
}

/* The fields of inv's platform records. */
static void
json_inv(const struct pool *p, const struct inv *inv, struct lb_jsonlog_inv *j)
{
	memset(j, 0, sizeof(*j));
	j->request_id = inv->request_id;
	j->function_name = p->fn->name;
	j->function_arn = p->arn;
	j->version = p->fn->version;
	j->memory_mb = p->fn->memory;
	j->time_ms = lb_now_ms();
}

/* Appends record r when the function's system_log_level lets it through,
 * a '\n' before it when f already holds a line. */
static void
put_record(struct lb_fmt *f, const char *buf, enum lb_jsonlog_record r,
    const struct lb_jsonlog_inv *j, int sys_level)
{
	char rec[LB_INVOKE_REPORT_MAX];
	size_t n;

	if ((int)lb_jsonlog_record_level(r) < sys_level)
		return;
	n = lb_jsonlog_record(r, j, rec, sizeof(rec));
	if (n == 0)
		return;
	if (f->p != buf)
		lb_fmt_str(f, "\n");
	lb_fmt_mem(f, rec, n);
}

void
envi_log_start(struct env *env, const struct inv *inv)
{
	const struct lb_function *fn = env->pool->fn;
	struct lb_jsonlog_inv j;
	struct lb_fmt f;

	lb_fmt_init(&f, env->start, sizeof(env->start));
	if (!fn->log_json) {
		lb_fmt_str(&f, "START RequestId: ");
		lb_fmt_str(&f, inv->request_id);
		lb_fmt_str(&f, " Version: ");
		lb_fmt_str(&f, fn->version);
		lb_fmt_done(&f, env->start);
		return;
	}
	json_inv(env->pool, inv, &j);
	if (inv->cold) {
		struct lb_jsonlog_inv init = j;

		init.time_ms = j.time_ms - (int64_t)inv->init_ms;
		put_record(&f, env->start, LB_JSONLOG_INIT_START, &init,
		    fn->sys_log_level);
	}
	put_record(&f, env->start, LB_JSONLOG_START, &j, fn->sys_log_level);
	lb_fmt_done(&f, env->start);
}

static enum lb_jsonlog_status
json_status(enum lb_invoke_status st)
{
	switch (st) {
	case LB_INVOKE_OK: return LB_JSONLOG_ST_SUCCESS;
	case LB_INVOKE_FUNCTION_ERROR: return LB_JSONLOG_ST_FAILURE;
	case LB_INVOKE_TIMEOUT: return LB_JSONLOG_ST_TIMEOUT;
	default: return LB_JSONLOG_ST_ERROR;
	}
}

void
envi_log_end(const struct pool *p, const struct inv *inv, uint64_t maxrss_kb,
    struct lb_fmt *f, const char *buf)
{
	const struct lb_invoke_result *res = &inv->res;
	double d = res->duration_ms;
	struct lb_jsonlog_inv j;

	if (!p->fn->log_json) {
		if (f->p != buf)
			lb_fmt_str(f, "\n");
		lb_fmt_str(f, "END RequestId: ");
		lb_fmt_str(f, inv->request_id);
		lb_fmt_str(f, "\nREPORT RequestId: ");
		lb_fmt_str(f, inv->request_id);
		lb_fmt_str(f, "\tDuration: ");
		lb_fmt_fixed2(f, d);
		lb_fmt_str(f, " ms\tBilled Duration: ");
		lb_fmt_i64(f, (int64_t)(d + 0.999999));
		lb_fmt_str(f, " ms\tMemory Size: ");
		lb_fmt_i64(f, p->fn->memory);
		lb_fmt_str(f, " MB\tMax Memory Used: ");
		lb_fmt_u64(f, (maxrss_kb + 1023) / 1024);
		lb_fmt_str(f, " MB");
		if (inv->cold) {
			lb_fmt_str(f, "\tInit Duration: ");
			lb_fmt_fixed2(f, inv->init_ms);
			lb_fmt_str(f, " ms");
		}
		return;
	}
	json_inv(p, inv, &j);
	j.duration_ms = d;
	j.max_memory_mb = (maxrss_kb + 1023) / 1024;
	j.init_ms = inv->cold ? inv->init_ms : 0;
	j.status = json_status(res->status);
	j.error_type = res->error_type;
	j.produced_bytes = res->status == LB_INVOKE_OK ? res->payload_len : 0;
	put_record(f, buf, LB_JSONLOG_RUNTIME_DONE, &j, p->fn->sys_log_level);
	put_record(f, buf, LB_JSONLOG_REPORT, &j, p->fn->sys_log_level);
}

/*
 * Reads what the log pipe has (at most `cap` bytes) and logs whole lines;
 * `flush` also logs a trailing partial line.  Any thread; takes env->logmu.
 */
void
envi_read_logs(struct env *env, const char *reqid, size_t cap, int flush)
{
	char buf[16384];
	size_t total = 0;

	pthread_mutex_lock(&env->logmu);
	while (env->logfd >= 0 &&
	    !__atomic_load_n(&env->log_eof, __ATOMIC_RELAXED) && total < cap) {
		ssize_t n = read(env->logfd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				__atomic_store_n(
				    &env->log_eof, 1, __ATOMIC_RELAXED);
			break;
		}
		total += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				emit_line(env, reqid);
				continue;
			}
			env->line[env->linelen++] = buf[i];
			if (env->linelen == sizeof(env->line))
				emit_line(env, reqid);
		}
	}
	if (flush && env->linelen > 0)
		emit_line(env, reqid);
	pthread_mutex_unlock(&env->logmu);
}
