/*
 * envlog.c - the functions' output: what a worker writes to its stdout and
 * stderr, logged line by line with the invocation's request id, after the
 * invocation's START line.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "lambda/env_int.h"

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

static void
emit_line(struct env *env, const char *reqid)
{
	size_t n = env->linelen;

	start_flush(env);
	if (n > 0 && env->line[n - 1] == '\r')
		n--;
	lb_log_function(
	    env->pool->fn->name, reqid[0] ? reqid : "-", env->line, n);
	env->linelen = 0;
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
