/*
 * test_shared.c - the shared state's addresses, key names and the admit
 * script's replies (state/shared.c).
 */
#include <string.h>

#include "test.h"
#include "state/shared.h"

void lb_test_suite_shared(void);

static void
test_url_tcp(void)
{
	struct lb_shared_url u;

	CU_ASSERT_PTR_NULL(lb_shared_url_parse("redis://10.0.0.5:6380/3", &u));
	CU_ASSERT_STRING_EQUAL(u.host, "10.0.0.5");
	CU_ASSERT_EQUAL(u.port, 6380);
	CU_ASSERT_EQUAL(u.db, 3);
	CU_ASSERT_STRING_EQUAL(u.path, "");
	/* the port and the database have defaults */
	CU_ASSERT_PTR_NULL(lb_shared_url_parse("redis://cache.internal", &u));
	CU_ASSERT_STRING_EQUAL(u.host, "cache.internal");
	CU_ASSERT_EQUAL(u.port, 6379);
	CU_ASSERT_EQUAL(u.db, 0);
	CU_ASSERT_PTR_NULL(lb_shared_url_parse("redis://h/", &u));
	CU_ASSERT_EQUAL(u.db, 0);
	CU_ASSERT_PTR_NULL(lb_shared_url_parse("redis://[::1]:7000/1", &u));
	CU_ASSERT_STRING_EQUAL(u.host, "::1");
	CU_ASSERT_EQUAL(u.port, 7000);
	CU_ASSERT_EQUAL(u.db, 1);
}

static void
test_url_unix(void)
{
	struct lb_shared_url u;

	CU_ASSERT_PTR_NULL(
	    lb_shared_url_parse("unix:/run/redis/redis.sock", &u));
	CU_ASSERT_STRING_EQUAL(u.path, "/run/redis/redis.sock");
	CU_ASSERT_STRING_EQUAL(u.host, "");
	CU_ASSERT_EQUAL(u.db, 0);
}

static void
test_url_bad(void)
{
	static const char *const bad[] = {
		"",
		"redis:/h",
		"http://h:6379",
		"redis://",
		"redis://:6379",
		"redis://h:0",
		"redis://h:65536",
		"redis://h:port",
		"redis://h:63 79",
		"redis://h/db",
		"redis://h/-1",
		"redis://[::1",
		"redis://[::1]x",
		"redis://us er@h",
		"unix:relative.sock",
		"unix:",
	};
	struct lb_shared_url u;
	char longp[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = lb_shared_url_parse(bad[i], &u);

		CU_ASSERT_PTR_NOT_NULL(why);
		if (why == NULL)
			fprintf(stderr, "accepted '%s'\n", bad[i]);
	}
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, "unix:/", 6);
	longp[sizeof(longp) - 1] = '\0';
	CU_ASSERT_PTR_NOT_NULL(lb_shared_url_parse(longp, &u));
}

static void
test_keys(void)
{
	char prefix[64];
	char *k;

	CU_ASSERT_EQUAL(
	    lb_shared_prefix(prefix, sizeof(prefix), "a1b2c3d4e5", "$default"),
	    (int)strlen("lb:a1b2c3d4e5:$default:"));
	CU_ASSERT_STRING_EQUAL(prefix, "lb:a1b2c3d4e5:$default:");
	CU_ASSERT_EQUAL(lb_shared_prefix(prefix, 10, "a1b2c3d4e5", "prod"), -1);
	lb_shared_prefix(prefix, sizeof(prefix), "a1b2c3d4e5", "prod");
	k = lb_shared_key(prefix, "conc:fn", "hello");
	CU_ASSERT_STRING_EQUAL(k, "lb:a1b2c3d4e5:prod:conc:fn:hello");
	free(k);
	k = lb_shared_key(prefix, "tb:stage", NULL);
	CU_ASSERT_STRING_EQUAL(k, "lb:a1b2c3d4e5:prod:tb:stage");
	free(k);
	k = lb_shared_quota_key(prefix, "gold", 1767225600000LL);
	CU_ASSERT_STRING_EQUAL(
	    k, "lb:a1b2c3d4e5:prod:quota:gold:1767225600000");
	free(k);
}

/* {a, b} as the admit script returns it. */
static enum lb_shared_verdict
verdict2(int64_t a, int64_t b, int64_t *detail)
{
	struct lb_shared_reply el[2] = {
		{ .type = LB_SHARED_R_INTEGER, .integer = a },
		{ .type = LB_SHARED_R_INTEGER, .integer = b },
	};
	struct lb_shared_reply r = {
		.type = LB_SHARED_R_ARRAY, .nelements = 2, .elements = el
	};

	return lb_shared_verdict(&r, detail);
}

static void
test_verdicts(void)
{
	int64_t d = -1;

	CU_ASSERT_EQUAL(verdict2(0, 3, &d), LB_SHARED_OK);
	CU_ASSERT_EQUAL(d, 3);
	CU_ASSERT_EQUAL(verdict2(1, 2, &d), LB_SHARED_THROTTLED);
	CU_ASSERT_EQUAL(d, 2);
	CU_ASSERT_EQUAL(verdict2(2, 5, NULL), LB_SHARED_OVER_QUOTA);
	CU_ASSERT_EQUAL(verdict2(3, 2, NULL), LB_SHARED_NO_LEASE);
	CU_ASSERT_EQUAL(verdict2(4, 0, NULL), LB_SHARED_FAILED);
	CU_ASSERT_EQUAL(verdict2(-1, 0, NULL), LB_SHARED_FAILED);
}

static void
test_verdict_bad_shapes(void)
{
	struct lb_shared_reply one[1] = { { .type = LB_SHARED_R_INTEGER } };
	struct lb_shared_reply mixed[2] = {
		{ .type = LB_SHARED_R_INTEGER, .integer = 0 },
		{ .type = LB_SHARED_R_OTHER, .str = "0" },
	};
	struct lb_shared_reply err = { .type = LB_SHARED_R_ERROR,
		.str = "ERR Error running script" };
	struct lb_shared_reply num = { .type = LB_SHARED_R_INTEGER };
	struct lb_shared_reply arr1 = {
		.type = LB_SHARED_R_ARRAY, .nelements = 1, .elements = one
	};
	struct lb_shared_reply arrm = {
		.type = LB_SHARED_R_ARRAY, .nelements = 2, .elements = mixed
	};

	CU_ASSERT_EQUAL(lb_shared_verdict(NULL, NULL), LB_SHARED_FAILED);
	CU_ASSERT_EQUAL(lb_shared_verdict(&err, NULL), LB_SHARED_FAILED);
	CU_ASSERT_EQUAL(lb_shared_verdict(&num, NULL), LB_SHARED_FAILED);
	CU_ASSERT_EQUAL(lb_shared_verdict(&arr1, NULL), LB_SHARED_FAILED);
	CU_ASSERT_EQUAL(lb_shared_verdict(&arrm, NULL), LB_SHARED_FAILED);
}

static void
test_noscript(void)
{
	CU_ASSERT(lb_shared_noscript(
	    "NOSCRIPT No matching script. Please use EVAL."));
	CU_ASSERT(!lb_shared_noscript("ERR unknown command"));
	CU_ASSERT(!lb_shared_noscript(NULL));
}

static void
test_leases(void)
{
	struct lb_shared_reply el[4] = {
		{ .type = LB_SHARED_R_INTEGER, .integer = 0 },
		{ .type = LB_SHARED_R_INTEGER, .integer = 0 },
		{ .type = LB_SHARED_R_INTEGER, .integer = 9 },
		{ .type = LB_SHARED_R_INTEGER, .integer = 40 },
	};
	struct lb_shared_reply r = {
		.type = LB_SHARED_R_ARRAY, .nelements = 4, .elements = el
	};
	int64_t g = -1, t = -1;

	CU_ASSERT_EQUAL(lb_shared_verdict(&r, NULL), LB_SHARED_OK);
	CU_ASSERT_EQUAL(lb_shared_lease(&r, &g, &t), 0);
	CU_ASSERT_EQUAL(g, 9);
	CU_ASSERT_EQUAL(t, 40);
	/* a refusal, a negative grant, a short reply, a bad element */
	el[0].integer = 3;
	CU_ASSERT_EQUAL(lb_shared_verdict(&r, NULL), LB_SHARED_NO_LEASE);
	CU_ASSERT_EQUAL(lb_shared_lease(&r, &g, &t), -1);
	el[0].integer = 0;
	el[2].integer = -1;
	CU_ASSERT_EQUAL(lb_shared_lease(&r, &g, &t), -1);
	el[2].integer = 1;
	r.nelements = 2;
	CU_ASSERT_EQUAL(lb_shared_lease(&r, &g, &t), -1);
	el[3].type = LB_SHARED_R_OTHER;
	r.nelements = 4;
	CU_ASSERT_EQUAL(lb_shared_lease(&r, &g, &t), -1);
}

static void
test_scripts_present(void)
{
	/* the admit script reads its ARGV in the order admit.c sends it */
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(lb_shared_scripts[LB_SHARED_ADMIT], "ARGV[1], ARGV[2]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(lb_shared_scripts[LB_SHARED_ADMIT],
	    "if n >= lim then return {3, n, 0, n} end"));
}

void
lb_test_suite_shared(void)
{
	static CU_TestInfo tests[] = {
		{ "url_tcp", test_url_tcp },
		{ "url_unix", test_url_unix },
		{ "url_bad", test_url_bad },
		{ "keys", test_keys },
		{ "verdicts", test_verdicts },
		{ "verdict_bad_shapes", test_verdict_bad_shapes },
		{ "noscript", test_noscript },
		{ "leases", test_leases },
		{ "scripts_present", test_scripts_present },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("shared", tests);
}
