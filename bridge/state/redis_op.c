/*
 * redis_op.c - the Redis client's commands (redis_int.h): made, failed,
 * kept in flight in the order they were sent, their replies taken apart
 * for shared.c, and their deadlines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "state/redis_int.h"

/* A new op: keys then args copied into one allocation. */
struct op *
lb_redis__op_new(enum op_kind kind, const char *const *keys, size_t nkeys,
    const char *const *args, size_t nargs)
{
	size_t n = nkeys + nargs, bytes = 0, off;
	struct op *op;
	char *p;

	for (size_t i = 0; i < n; i++)
		bytes += strlen(i < nkeys ? keys[i] : args[i - nkeys]) + 1;
	off = sizeof(*op) + n * (sizeof(char *) + sizeof(size_t));
	op = calloc(1, off + bytes);
	if (op == NULL)
		return NULL;
	op->kind = kind;
	op->nkeys = nkeys;
	op->nargs = nargs;
	op->v = (char **)(op + 1);
	op->len = (size_t *)(op->v + n);
	p = (char *)op + off;
	for (size_t i = 0; i < n; i++) {
		const char *s = i < nkeys ? keys[i] : args[i - nkeys];

		op->len[i] = strlen(s);
		memcpy(p, s, op->len[i] + 1);
		op->v[i] = p;
		p += op->len[i] + 1;
	}
	return op;
}

/* Ends op without a reply (a caller's done is told NULL). */
void
lb_redis__op_fail(struct lb_redis *R, struct op *op)
{
	if (op->kind == OP_SCRIPT && !op->abandoned) {
		lb_redis__count(&R->st.failed);
		op->done(op->arg, NULL, 0);
	}
	free(op);
}

/* A release of n leases of hash `key` (kept, not sent); NULL when out of
 * memory. */
struct op *
lb_redis__release_op(const char *key, int64_t n)
{
	char neg[24];
	const char *k[] = { key }, *a[] = { neg };
	struct op *op;

	snprintf(neg, sizeof(neg), "-%lld", (long long)n);
	op = lb_redis__op_new(OP_RELEASE, k, 1, a, 1);
	return op;
}

void
lb_redis__flight_push(struct lb_redis *R, struct op *op)
{
	op->next = NULL;
	if (R->ftail != NULL)
		R->ftail->next = op;
	else
		R->fhead = op;
	R->ftail = op;
}

void
lb_redis__flight_remove(struct lb_redis *R, struct op *op)
{
	struct op **pp = &R->fhead, *prev = NULL;

	while (*pp != NULL && *pp != op) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp == NULL)
		return;
	*pp = op->next;
	if (R->ftail == op)
		R->ftail = prev;
}

/* hiredis's reply into the form shared.c reads (arrays of at most
 * MAX_ELEMENTS, one level deep). */
void
lb_redis__convert(const redisReply *r, struct lb_shared_reply *out,
    struct lb_shared_reply *el)
{
	memset(out, 0, sizeof(*out));
	switch (r->type) {
	case REDIS_REPLY_INTEGER:
		out->type = LB_SHARED_R_INTEGER;
		out->integer = r->integer;
		break;
	case REDIS_REPLY_ERROR:
		out->type = LB_SHARED_R_ERROR;
		out->str = r->str;
		break;
	case REDIS_REPLY_ARRAY:
		/* too long, or nested (el NULL): not a reply of ours */
		if (el == NULL || r->elements > MAX_ELEMENTS) {
			out->type = LB_SHARED_R_OTHER;
			break;
		}
		out->type = LB_SHARED_R_ARRAY;
		out->nelements = r->elements;
		out->elements = el;
		for (size_t i = 0; i < r->elements; i++)
			lb_redis__convert(r->element[i], &el[i], NULL);
		break;
	default:
		out->type = LB_SHARED_R_OTHER;
		out->str = r->type == REDIS_REPLY_STATUS ||
		        r->type == REDIS_REPLY_STRING
		    ? r->str
		    : NULL;
	}
}

/* When op's wait ends: its deadline, or, once its caller went on
 * without it, the point where the connection is given up. */
static int64_t
op_until(const struct lb_redis *R, const struct op *op)
{
	return op->abandoned ? op->queued_ms + R->dead_ms : op->deadline_ms;
}

/* The earliest end of a wait in flight, or INT64_MAX. */
int64_t
lb_redis__flight_deadline(struct lb_redis *R)
{
	int64_t d = INT64_MAX;

	for (struct op *op = R->fhead; op != NULL; op = op->next)
		if (op_until(R, op) < d)
			d = op_until(R, op);
	return d;
}

/*
 * A caller's command past its deadline fails now (the caller goes on with
 * local limits) and its reply, when it comes, is dropped (late_reply).
 * Returns 1 when the connection must be given up: a set-up command past
 * its deadline, or nothing answered for dead_ms.
 */
int
lb_redis__flight_expire(struct lb_redis *R, int64_t now)
{
	for (struct op *op = R->fhead; op != NULL; op = op->next) {
		if (op_until(R, op) > now)
			continue;
		if (op->abandoned ||
		    (op->kind != OP_SCRIPT && op->kind != OP_RELEASE))
			return 1;
		op->abandoned = 1;
		lb_redis__count(&R->st.timeouts);
		if (op->kind == OP_SCRIPT) {
			lb_redis__count(&R->st.failed);
			op->done(op->arg, NULL, 0);
		}
	}
	return 0;
}
