/*
 * env_test.c - handlers for the execution environment tests
 * (tests/unit/test_env.c): each misbehaves in one way on purpose.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lambdabridge.h>

lb_handler env_count;
lb_handler env_sleep;
lb_handler env_crash;
lb_handler env_exit;
lb_handler env_error;
lb_handler env_big;
lb_handler env_getenv;
lb_handler env_print;

static int count;

/* {"count": n}: n grows by one per invocation in the same environment. */
json_object *
env_count(json_object *event, const lb_context *ctx)
{
	json_object *o = json_object_new_object();

	(void)event;
	(void)ctx;
	json_object_object_add(o, "count", json_object_new_int(++count));
	return o;
}

static int
event_int(json_object *event, const char *key, int def)
{
	json_object *v;

	if (json_object_object_get_ex(event, key, &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int(v);
	return def;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/*
 * With {"child": M}: leaves a child behind, in a session of its own, that
 * keeps every inherited descriptor for M milliseconds.
 */
static void
leave_child(json_object *event)
{
	int child = event_int(event, "child", 0);

	if (child > 0 && fork() == 0) {
		setsid();
		sleep_ms(child);
		_exit(0);
	}
}

/* Sleeps {"ms": N} milliseconds, then answers {"slept": N}; "child". */
json_object *
env_sleep(json_object *event, const lb_context *ctx)
{
	int ms = event_int(event, "ms", 0);
	json_object *o;

	(void)ctx;
	leave_child(event);
	sleep_ms(ms);
	o = json_object_new_object();
	json_object_object_add(o, "slept", json_object_new_int(ms));
	return o;
}

json_object *
env_crash(json_object *event, const lb_context *ctx)
{
	(void)ctx;
	leave_child(event);
	fflush(stdout);
	raise(SIGSEGV);
	return NULL;
}

/* With {"status": N}: exits with N ("child" too); else answers {}. */
json_object *
env_exit(json_object *event, const lb_context *ctx)
{
	(void)ctx;
	if (!json_object_object_get_ex(event, "status", NULL))
		return json_object_new_object();
	leave_child(event);
	exit(event_int(event, "status", 1));
}

json_object *
env_error(json_object *event, const lb_context *ctx)
{
	(void)event;
	(void)ctx;
	return lb_error("ValidationError", "bad input %d", 42);
}

/* A string result of {"bytes": N} bytes. */
json_object *
env_big(json_object *event, const lb_context *ctx)
{
	int n = event_int(event, "bytes", 7 * 1024 * 1024);
	char *s = malloc((size_t)n + 1);
	json_object *o;

	(void)ctx;
	if (s == NULL)
		return NULL;
	memset(s, 'x', (size_t)n);
	s[n] = '\0';
	o = json_object_new_string_len(s, n);
	free(s);
	return o;
}

/* The values of the variables named in {"names": [...]} (null if unset),
 * after setting those in {"set": {name: value or null}}. */
json_object *
env_getenv(json_object *event, const lb_context *ctx)
{
	json_object *names, *set, *o = json_object_new_object();

	(void)ctx;
	if (json_object_object_get_ex(event, "set", &set) &&
	    json_object_is_type(set, json_type_object)) {
		json_object_object_foreach(set, k, v)
		{
			if (v == NULL)
				unsetenv(k);
			else
				setenv(k, json_object_get_string(v), 1);
		}
	}
	if (json_object_object_get_ex(event, "names", &names) &&
	    json_object_is_type(names, json_type_array))
		for (size_t i = 0; i < json_object_array_length(names); i++) {
			const char *k = json_object_get_string(
			    json_object_array_get_idx(names, i));
			const char *v = getenv(k);

			json_object_object_add(
			    o, k, v != NULL ? json_object_new_string(v) : NULL);
		}
	return o;
}

/* Prints {"lines": N} lines of {"width": W} characters, then answers. */
json_object *
env_print(json_object *event, const lb_context *ctx)
{
	int lines = event_int(event, "lines", 1);
	int width = event_int(event, "width", 10);

	(void)ctx;
	for (int i = 0; i < lines; i++) {
		printf("line %d ", i);
		for (int j = 0; j < width; j++)
			putchar('y');
		putchar('\n');
	}
	return json_object_new_int(lines);
}
