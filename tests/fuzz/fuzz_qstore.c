/*
 * fuzz_qstore.c - any bytes as gateway.state_dir's quotas.db (qstore.c):
 * the store either refuses the file with one line naming it, or opens it
 * and every row it hands over is one the bridge writes (a known period, a
 * count that is not negative); nothing crashes or leaks either way.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apigw/qstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[128], wal[136], shm[136];

static int
check_row(void *arg, const struct lb_qstore_row *row)
{
	(void)arg;
	if (row->id == NULL || row->used < 0 || row->period < LB_QUOTA_DAY ||
	    row->period > LB_QUOTA_MONTH)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_qstore *s;
	char err[1024], moved[256], want[160];
	int fd;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/lb-fuzz-qstore-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/" LB_QSTORE_FILE, dir);
		snprintf(wal, sizeof(wal), "%s-wal", path);
		snprintf(shm, sizeof(shm), "%s-shm", path);
	}
	unlink(wal);
	unlink(shm);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	s = lb_qstore_open(dir, 0, moved, sizeof(moved), err, sizeof(err));
	if (s == NULL) {
		snprintf(want, sizeof(want), "state file '%s': ", path);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strchr(err, '\n') != NULL || moved[0] != '\0')
			abort();
		return 0;
	}
	if (lb_qstore_load(s, check_row, NULL, err, sizeof(err)) < 0)
		abort(); /* open checked every row already */
	lb_qstore_close(s);
	return 0;
}
