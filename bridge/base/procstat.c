/*
 * procstat.c - this process as /proc shows it (procstat.h), read the way
 * Prometheus's Go client (procfs) reads it: fields 14, 15, 22, 23 and 24
 * of /proc/self/stat, btime of /proc/stat, the entries of /proc/self/fd.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/procstat.h"

/* The whole of a small /proc file into buf; its length, or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* The boot time (seconds since the epoch) from /proc/stat, or -1. */
static double
boot_time(void)
{
	char buf[16384];
	const char *b;

	if (read_small("/proc/stat", buf, sizeof(buf)) < 0 ||
	    (b = strstr(buf, "\nbtime ")) == NULL)
		return -1;
	return strtod(b + 7, NULL);
}

static int
read_stat(struct lb_procstat *st)
{
	char buf[2048];
	unsigned long long utime, stime, start, vsize;
	long long rss;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	const char *p;
	double boot;

	if (read_small("/proc/self/stat", buf, sizeof(buf)) < 0)
		return -1;
	/* the command name may hold spaces and parentheses: after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime(14) stime(15) cutime cstime priority nice
	 * num_threads itrealvalue starttime(22) vsize(23) rss(24) */
	if (sscanf(p + 1,
	        " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d "
	        "%*d %*d %*d %*d %*d %llu %llu %lld",
	        &utime, &stime, &start, &vsize, &rss) != 5 ||
	    tck <= 0)
		return -1;
	st->cpu_seconds = (double)(utime + stime) / (double)tck;
	st->virtual_bytes = vsize;
	st->resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	boot = boot_time();
	st->start_time = boot < 0 ? 0 : boot + (double)start / (double)tck;
	return boot < 0 ? -1 : 0;
}

static int64_t
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int64_t n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
lb_procstat_read(struct lb_procstat *st)
{
	struct rlimit rl;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = read_stat(st);
	st->open_fds = count_fds();
	st->max_fds = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		st->max_fds =
		    rl.rlim_cur == RLIM_INFINITY ? -1 : (int64_t)rl.rlim_cur;
	return rc < 0 || st->open_fds < 0 ? -1 : 0;
}
