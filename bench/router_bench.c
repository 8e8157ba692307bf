/*
 * router_bench.c - the router's cost against the number of routes (`make
 * bench-curves`, docs/performance.md): builds tables of N routes and times
 * lb_router_match over paths that hit every one of them, and a path that
 * hits none.
 *
 *   router_bench N...
 *
 * Route i of N is one of three templates on a shared first segment, the
 * same ones bench/curves writes into a configuration for the req/s curve:
 *
 *   i % 3 == 0   GET /api/sI/items
 *   i % 3 == 1   GET /api/sI/items/{id}
 *   i % 3 == 2   ANY /api/sI/files/{proxy+}
 *
 * Prints one JSON object per N: {"routes": N, "build_ms": ..., "match_ns":
 * ..., "miss_ns": ...}, the times per match the best of 5 rounds.  Exits 1 when a path does not match its route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "apigw/router.h"

#define MIN_MATCHES 200000
#define ROUNDS      5

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Route i's template suffix and a path that matches it. */
static const char *const tmpl[] = { "items", "items/{id}", "files/{proxy+}" };
static const char *const hit[] = { "items", "items/42", "files/a/b/c.txt" };

static void
key_of(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s /api/s%zu/%s", i % 3 == 2 ? "ANY" : "GET", i,
	    tmpl[i % 3]);
}

static void
path_of(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "/api/s%zu/%s", i, hit[i % 3]);
}

static int
run(size_t n)
{
	struct lb_route *routes = calloc(n, sizeof(*routes));
	char **paths = calloc(n, sizeof(*paths));
	struct lb_router *r;
	struct lb_router_match m;
	char key[128], err[256];
	size_t bad = 0, reps, done = 0;
	double t0, tb, t1, t2, sink = 0, best_hit = 0, best_miss = 0;
	double best_one = 0;
	/* a {var} route in the middle of the table, as bench/curves asks for */
	size_t one = n / 2 - (n / 2) % 3 + 1 < n ? n / 2 - (n / 2) % 3 + 1 : 0;
	int rc = 1;

	if (routes == NULL || paths == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		key_of(i, key, sizeof(key));
		routes[i].key = strdup(key);
		routes[i].function = i;
		routes[i].payload_format = 2;
		path_of(i, key, sizeof(key));
		paths[i] = strdup(key);
		if (routes[i].key == NULL || paths[i] == NULL ||
		    lb_router_parse_key(routes[i].key, &routes[i].method,
		        &routes[i].path, err, sizeof(err)) < 0) {
			fprintf(
			    stderr, "router_bench: route %zu: %s\n", i, err);
			goto out;
		}
	}
	t0 = now_ns();
	r = lb_router_new(routes, n, &bad, err, sizeof(err));
	tb = now_ns();
	if (r == NULL) {
		fprintf(stderr, "router_bench: route %zu: %s\n", bad, err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (lb_router_match(r, "GET", paths[i], strlen(paths[i]), &m) <
		        0 ||
		    m.route != &routes[i]) {
			fprintf(stderr,
			    "router_bench: '%s' did not match '%s'\n", paths[i],
			    routes[i].key);
			lb_router_free(r);
			goto out;
		}
	/* the best of ROUNDS rounds: other work on the machine only ever
	 * adds time */
	reps = (MIN_MATCHES + n - 1) / n;
	for (int round = 0; round < ROUNDS; round++) {
		static const char miss[] = "/api/nowhere/items";
		double t3, t4;

		done = 0;
		t1 = now_ns();
		for (size_t k = 0; k < reps; k++)
			for (size_t i = 0; i < n; i++) {
				lb_router_match(
				    r, "GET", paths[i], strlen(paths[i]), &m);
				sink += (double)m.nparams;
				done++;
			}
		t2 = now_ns();
		if (round == 0 || (t2 - t1) / (double)done < best_hit)
			best_hit = (t2 - t1) / (double)done;
		t3 = now_ns();
		for (size_t k = 0; k < MIN_MATCHES; k++)
			sink += lb_router_match(
			    r, "GET", miss, sizeof(miss) - 1, &m);
		t4 = now_ns();
		if (round == 0 || (t4 - t3) / MIN_MATCHES < best_miss)
			best_miss = (t4 - t3) / MIN_MATCHES;
		/* one {var} route over and over: the table's size without
		 * its cache misses */
		t3 = now_ns();
		for (size_t k = 0; k < MIN_MATCHES; k++)
			sink += lb_router_match(
			    r, "GET", paths[one], strlen(paths[one]), &m);
		t4 = now_ns();
		if (round == 0 || (t4 - t3) / MIN_MATCHES < best_one)
			best_one = (t4 - t3) / MIN_MATCHES;
	}
	printf("{\"routes\": %zu, \"build_ms\": %.3f, \"match_ns\": %.1f, "
	       "\"miss_ns\": %.1f, \"one_ns\": %.1f, \"matches\": %zu, "
	       "\"rounds\": %d, "
	       "\"sink\": %.0f}\n",
	    n, (tb - t0) / 1e6, best_hit, best_miss, best_one, done, ROUNDS,
	    sink);
	lb_router_free(r);
	rc = 0;
out:
	for (size_t i = 0; routes != NULL && paths != NULL && i < n; i++) {
		free(routes[i].key);
		free(routes[i].method);
		free(routes[i].path);
		free(paths[i]);
	}
	free(routes);
	free(paths);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: router_bench N...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		long n = strtol(argv[i], NULL, 10);

		if (n < 1 || n > 1000000) {
			fprintf(stderr, "router_bench: bad N '%s'\n", argv[i]);
			return 2;
		}
		if (run((size_t)n) != 0)
			return 1;
		fflush(stdout);
	}
	return 0;
}
