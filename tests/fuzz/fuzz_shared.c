/*
 * fuzz_shared.c - libFuzzer target for what the shared state reads from
 * outside (`make fuzz`): the input as gateway.shared_state's address
 * (shared.c), and as bytes from a Redis server, taken apart by hiredis's
 * reader and then by the client (redis_op.c) and shared.c as the admit
 * script's reply.  An accepted address names a host or a socket, never
 * both, with a port in 1-65535 and a database >= 0; every reply is one of
 * the verdicts, and a reply that grants leases grants none below 0.
 * Crashes, leaks and undefined behaviour are caught by ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "state/redis_int.h"
#include "state/shared.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
address(const uint8_t *data, size_t size)
{
	struct lb_shared_url u;
	char s[512];

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (lb_shared_url_parse(s, &u) != NULL)
		return;
	if ((u.host[0] == '\0') == (u.path[0] == '\0'))
		abort();
	if (u.port < 1 || u.port > 65535 || u.db < 0)
		abort();
	if (u.path[0] != '\0' && u.path[0] != '/')
		abort();
}

static void
replies(const uint8_t *data, size_t size)
{
	redisReader *rd = redisReaderCreate();
	void *reply;

	if (rd == NULL)
		return;
	if (redisReaderFeed(rd, (const char *)data, size) != REDIS_OK)
		goto out;
	while (redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL) {
		struct lb_shared_reply r, el[8];
		enum lb_shared_verdict v;
		int64_t detail = 0, granted, total;

		lb_redis__convert(reply, &r, el);
		v = lb_shared_verdict(&r, &detail);
		if (v != LB_SHARED_OK && v != LB_SHARED_THROTTLED &&
		    v != LB_SHARED_OVER_QUOTA && v != LB_SHARED_NO_LEASE &&
		    v != LB_SHARED_FAILED)
			abort();
		if (lb_shared_lease(&r, &granted, &total) == 0 &&
		    (v != LB_SHARED_OK || granted < 0))
			abort();
		(void)lb_shared_noscript(
		    r.type == LB_SHARED_R_ERROR ? r.str : NULL);
		freeReplyObject(reply);
	}
out:
	redisReaderFree(rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		address(data + 1, size - 1);
	else
		replies(data + 1, size - 1);
	return 0;
}
