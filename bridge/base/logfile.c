/*
 * logfile.c - an append-only log file shared by threads and reopened on
 * demand.  Writers hold a read lock for the one write(2) of a line, so that
 * a reopen never closes the descriptor under a write in progress nor lets
 * its number be reused while a writer still holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/logfile.h"

struct lb_logfile {
	pthread_rwlock_t lock;
	int fd;
	unsigned long lost; /* atomic */
	char *path;
};

static int
open_path(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		snprintf(
		    err, errlen, "cannot open '%s': %s", path, strerror(errno));
	return fd;
}

struct lb_logfile *
lb_logfile_open(const char *path, char *err, size_t errlen)
{
	struct lb_logfile *lf = calloc(1, sizeof(*lf));

	if (lf == NULL || (lf->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(lf);
		return NULL;
	}
	lf->fd = open_path(path, err, errlen);
	if (lf->fd < 0) {
		free(lf->path);
		free(lf);
		return NULL;
	}
	pthread_rwlock_init(&lf->lock, NULL);
	return lf;
}

int
lb_logfile_write(struct lb_logfile *lf, const char *buf, size_t len)
{
	size_t off = 0;
	int rc = 0, err = 0;

	pthread_rwlock_rdlock(&lf->lock);
	while (off < len) {
		ssize_t w = write(lf->fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC;
			__atomic_add_fetch(&lf->lost, 1, __ATOMIC_RELAXED);
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	pthread_rwlock_unlock(&lf->lock);
	if (rc < 0)
		errno = err;
	return rc;
}

int
lb_logfile_reopen(struct lb_logfile *lf, char *err, size_t errlen)
{
	int fd = open_path(lf->path, err, errlen), old;

	if (fd < 0)
		return -1;
	pthread_rwlock_wrlock(&lf->lock);
	old = lf->fd;
	lf->fd = fd;
	pthread_rwlock_unlock(&lf->lock);
	close(old);
	return 0;
}

unsigned long
lb_logfile_lost(const struct lb_logfile *lf)
{
	return __atomic_load_n(&lf->lost, __ATOMIC_RELAXED);
}

const char *
lb_logfile_path(const struct lb_logfile *lf)
{
	return lf->path;
}

void
lb_logfile_close(struct lb_logfile *lf)
{
	if (lf == NULL)
		return;
	close(lf->fd);
	pthread_rwlock_destroy(&lf->lock);
	free(lf->path);
	free(lf);
}
