/*
 * procstat.h - what the kernel says about this process, as Prometheus's
 * Go and Python clients report it (process_* metrics): CPU time, resident
 * memory, descriptors open and allowed, start time.  Reads /proc.
 */
#ifndef LB_PROCSTAT_H
#define LB_PROCSTAT_H

#include <stdint.h>

struct lb_procstat {
	double cpu_seconds;      /* user + system, /proc/self/stat */
	double start_time;       /* since the epoch: boot time + starttime */
	uint64_t resident_bytes; /* rss pages * page size */
	uint64_t virtual_bytes;  /* vsize */
	int64_t open_fds;        /* entries of /proc/self/fd */
	int64_t max_fds;         /* RLIMIT_NOFILE's soft limit */
};

/*
 * Fills *st for the calling process.  Returns 0, or -1 when /proc cannot
 * be read (what could be read is filled, the rest is -1 or 0).
 */
int lb_procstat_read(struct lb_procstat *st);

#endif /* LB_PROCSTAT_H */
