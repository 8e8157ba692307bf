/*
 * spare.c - spare workers and their spawner thread.
 *
 * Starting a process (vfork, execve, the dynamic linker) is most of a cold
 * start on this kind of machine: ~3 ms of ~5.  With gateway.spare_workers
 * set, the spawner thread keeps that many workers started ahead, in
 * `lambdabridge __spare` mode; a new environment takes one and sends it a
 * START frame with the arguments and environment it would have been
 * started with, and the spare loads the function from there.  The spare is
 * the gateway's child like any worker.  Not for a function whose
 * environment sets what only a process start reads (spare_ok).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "base/ids.h"
#include "base/log.h"
#include "lambda/env_int.h"
#include "lambda/frame.h"

/* Kills and reaps a spare that will not be used. */
void
envi_spare_discard(struct env *env)
{
	envi_kill_reap(env->pid);
	envi_env_free(env);
}

/* Starts a spare worker.  NULL on failure (logged). */
static struct env *
spare_spawn(struct lb_envs *E)
{
	/* room for the arguments the spare will show (show_args); blank in
	 * ps meanwhile */
	char pad[1024];
	char version[16], err[256], *argv[5];
	char **envp = E->spare_envp;
	struct env *env = envi_env_new(NULL);

	if (env == NULL)
		return NULL;
	memset(pad, ' ', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(version, sizeof(version), "%d", LB_FRAME_VERSION);
	argv[0] = E->self_exe;
	argv[1] = "__spare";
	argv[2] = version;
	argv[3] = pad;
	argv[4] = NULL;
	if (envi_env_start(E, env, argv, envp, err, sizeof(err)) < 0) {
		lb_log(LB_LOG_ERROR, "cannot start a spare worker: %s", err);
		envi_env_free(env);
		return NULL;
	}
	return env;
}

/*
 * Takes a spare worker and makes it start as args/envp say (args without
 * the program name).  NULL when there is none or it failed (it is then
 * discarded); the caller starts a worker itself.
 */
struct env *
envi_spare_take(struct lb_envs *E, char **args, size_t nargs, char **envp)
{
	struct env *env;
	struct iovec iov;
	char *payload;
	size_t len;
	int rc;

	pthread_mutex_lock(&E->mu);
	env = E->spares;
	if (env != NULL) {
		E->spares = env->idle_next;
		env->idle_next = NULL;
		E->nspares--;
		/*
		 * Start another, but not at once: starting a process takes
		 * ~3 ms of CPU, which would compete with the cold start this
		 * spare is for (measured: +1.3 ms instead of +3.1 ms).
		 */
		E->spare_after = lb_mono_ms() + SPARE_DELAY_MS;
		pthread_cond_signal(&E->spare_cond);
	}
	pthread_mutex_unlock(&E->mu);
	if (env == NULL)
		return NULL;
	payload = lb_frame_start_encode(args, nargs, envp, &len);
	if (payload == NULL) {
		envi_spare_discard(env);
		return NULL;
	}
	iov.iov_base = payload;
	iov.iov_len = len;
	/* the pipe is empty and has room: this does not wait */
	rc = lb_frame_write(
	    env->tx, LB_FRAME_START, &iov, 1, lb_mono_ms() + INIT_TIMEOUT_MS);
	free(payload);
	if (rc < 0) {
		/* it died while waiting (EPIPE) */
		envi_spare_discard(env);
		return NULL;
	}
	return env;
}

void *
envi_spawner(void *arg)
{
	struct lb_envs *E = arg;

	pthread_mutex_lock(&E->mu);
	while (!E->closing) {
		struct env *env;

		if (E->nspares >= E->cfg->spare_workers) {
			pthread_cond_wait(&E->spare_cond, &E->mu);
			continue;
		}
		if (lb_mono_ms() < E->spare_after) {
			envi_cond_wait_until(
			    &E->spare_cond, &E->mu, E->spare_after);
			continue;
		}
		pthread_mutex_unlock(&E->mu);
		env = spare_spawn(E);
		pthread_mutex_lock(&E->mu);
		if (env == NULL) {
			/* do not spin on a failing spawn */
			envi_cond_wait_until(&E->spare_cond, &E->mu,
			    lb_mono_ms() + RESPAWN_BACKOFF_MS);
			continue;
		}
		env->idle_next = E->spares;
		E->spares = env;
		E->nspares++;
	}
	pthread_mutex_unlock(&E->mu);
	return NULL;
}
