/*
 * fswatch.c - --watch on inotify (see fswatch.h).  A watch per directory,
 * with the names wanted in it: watching a file itself would lose it when
 * it is replaced by a rename, or when it does not exist yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/fswatch.h"

/* written (at close), renamed or linked in, created, removed, touched */
#define EVENTS \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | \
	    IN_DELETE | IN_ATTRIB)

struct entry {
	int wd;     /* its directory's watch */
	char *path; /* as given, for the log */
	char *name; /* the last component, matched against events */
};

struct lb_fswatch {
	int fd;
	struct entry *v;
	size_t n, cap;
};

struct lb_fswatch *
lb_fswatch_new(char *err, size_t errlen)
{
	struct lb_fswatch *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		snprintf(err, errlen, "inotify_init1: %s", strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

int
lb_fswatch_fd(const struct lb_fswatch *w)
{
	return w->fd;
}

static void
clear(struct lb_fswatch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		int last = 1;

		for (size_t j = i + 1; j < w->n; j++)
			if (w->v[j].wd == w->v[i].wd)
				last = 0;
		if (last)
			inotify_rm_watch(w->fd, w->v[i].wd);
		free(w->v[i].path);
		free(w->v[i].name);
	}
	w->n = 0;
}

/* Watches `path` through its directory.  0, or -1 with errno. */
static int
add(struct lb_fswatch *w, const char *path, const char *shown)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct entry *e;
	int wd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (slash != NULL && slash[1] == '\0') {
		errno = EISDIR;
		return -1;
	}
	/* the same directory gives the same wd */
	wd = inotify_add_watch(w->fd, dir, EVENTS | IN_ONLYDIR);
	if (wd < 0)
		return -1;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct entry *v = realloc(w->v, cap * sizeof(*v));

		if (v == NULL) {
			errno = ENOMEM;
			return -1;
		}
		w->v = v;
		w->cap = cap;
	}
	e = &w->v[w->n];
	e->wd = wd;
	e->path = strdup(shown);
	e->name = strdup(slash != NULL ? slash + 1 : path);
	if (e->path == NULL || e->name == NULL) {
		free(e->path);
		free(e->name);
		errno = ENOMEM;
		return -1;
	}
	w->n++;
	return 0;
}

int
lb_fswatch_set(struct lb_fswatch *w, const char *const *paths, size_t n,
    char *err, size_t errlen)
{
	int rc = 0;

	clear(w);
	for (size_t i = 0; i < n; i++) {
		char *real;

		if (paths[i] == NULL)
			continue;
		if (add(w, paths[i], paths[i]) < 0 && rc == 0) {
			snprintf(err, errlen, "cannot watch '%s': %s", paths[i],
			    strerror(errno));
			rc = -1;
		}
		/* a link: its target too (a symlink to a build output) */
		real = realpath(paths[i], NULL);
		if (real != NULL && strcmp(real, paths[i]) != 0)
			add(w, real, paths[i]);
		free(real);
	}
	return rc;
}

int
lb_fswatch_read(struct lb_fswatch *w, char *changed, size_t len)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	int hits = 0;

	changed[0] = '\0';
	for (;;) {
		ssize_t r = read(w->fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (char *p = buf; p < buf + r;) {
			const struct inotify_event *ev = (void *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* events were lost: anything may have changed */
				if (hits++ == 0)
					snprintf(changed, len, "(many files)");
				continue;
			}
			if (ev->len == 0)
				continue;
			for (size_t i = 0; i < w->n; i++) {
				if (w->v[i].wd != ev->wd ||
				    strcmp(w->v[i].name, ev->name) != 0)
					continue;
				if (hits++ == 0)
					snprintf(
					    changed, len, "%s", w->v[i].path);
				break;
			}
		}
	}
	return hits;
}

void
lb_fswatch_free(struct lb_fswatch *w)
{
	if (w == NULL)
		return;
	clear(w);
	free(w->v);
	close(w->fd);
	free(w);
}
