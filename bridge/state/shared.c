/*
 * shared.c - the shared state's addresses, key names, Lua scripts and
 * their replies (shared.h).
 *
 * Concurrency is counted per bridge instance in one hash per function
 * (per reserved function, or one for all unreserved functions): the field
 * is the instance id, the value the leases it holds (in use, or kept for
 * its next requests: admit.c's pool).  An instance keeps
 * its "alive" key (ALIVE_PREFIX + id) set with an expiry and renews it;
 * the admit script sums only the fields of instances that are alive and
 * drops the others, so the leases of a bridge that died come back once its
 * alive key expires.  A bucket is a hash {tokens, ts} refilled from the
 * server's own clock (TIME), so the bridges' clocks do not matter.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/shared.h"

static const char admit_lua[] =
    "local inst, alive = ARGV[1], ARGV[2]\n"
    "local nb, hq, hl = tonumber(ARGV[3]), tonumber(ARGV[4]), "
    "tonumber(ARGV[5])\n"
    "local a, k, st, used = 6, nb + 1, {}, 0\n"
    "if nb > 0 then\n"
    "  local t = redis.call('TIME')\n"
    "  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "  for i = 1, nb do\n"
    "    local rate, burst = tonumber(ARGV[a]), tonumber(ARGV[a + 1])\n"
    "    a = a + 2\n"
    "    local v = redis.call('HMGET', KEYS[i], 'tokens', 'ts')\n"
    "    local tok, ts = tonumber(v[1]), tonumber(v[2])\n"
    "    if tok == nil or ts == nil then tok, ts = burst, now end\n"
    "    if now > ts then\n"
    "      tok = math.min(burst, tok + rate * (now - ts) / 1e6)\n"
    "      ts = now\n"
    "    end\n"
    "    if tok < 1 then return {1, i} end\n"
    "    local ttl = 86400000\n"
    "    if rate > 0 then ttl = math.ceil(burst / rate * 1000) + 1000 end\n"
    "    st[i] = {tok - 1, ts, ttl}\n"
    "  end\n"
    "end\n"
    "if hq == 1 then\n"
    "  local lim = tonumber(ARGV[a])\n"
    "  used = tonumber(redis.call('GET', KEYS[k]) or '0')\n"
    "  if used >= lim then return {2, used} end\n"
    "end\n"
    "for i = 1, nb do\n"
    "  redis.call('HSET', KEYS[i], 'tokens', string.format('%.6f', "
    "st[i][1]), 'ts', string.format('%.0f', st[i][2]))\n"
    "  redis.call('PEXPIRE', KEYS[i], st[i][3])\n"
    "end\n"
    "if hq == 1 then\n"
    "  used = redis.call('INCR', KEYS[k])\n"
    "  redis.call('PEXPIREAT', KEYS[k], ARGV[a + 1])\n"
    "  a, k = a + 2, k + 1\n"
    "end\n"
    "if hl == 1 then\n"
    "  local lim, ex, keep = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), "
    "tonumber(ARGV[a + 2])\n"
    "  local n = 0\n"
    "  local h = redis.call('HGETALL', KEYS[k])\n"
    "  for i = 1, #h, 2 do\n"
    "    if redis.call('EXISTS', alive .. h[i]) == 1 then\n"
    "      n = n + tonumber(h[i + 1])\n"
    "    else\n"
    "      redis.call('HDEL', KEYS[k], h[i])\n"
    "    end\n"
    "  end\n"
    "  if n >= lim then return {3, n, 0, n} end\n"
    "  local g = 1\n"
    "  if ex > 0 and n + 1 + ex <= lim - keep then g = 1 + ex end\n"
    "  redis.call('HINCRBY', KEYS[k], inst, g)\n"
    "  return {0, used, g, n + g}\n"
    "end\n"
    "return {0, used, 0, 0}\n";

const char *const lb_shared_scripts[LB_SHARED_NSCRIPTS] = {
	[LB_SHARED_ADMIT] = admit_lua,
};

/* The decimal number of the n bytes at s, at most `max`; -1 when they are
 * not one or it is too large. */
static long
number(const char *s, size_t n, long max)
{
	long v = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

const char *
lb_shared_url_parse(const char *s, struct lb_shared_url *u)
{
	const char *h, *end, *colon, *slash;
	size_t hlen;
	long v;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/')
			return "a unix socket's path must be absolute";
		if (snprintf(u->path, sizeof(u->path), "%s", s + 5) >=
		    (int)sizeof(u->path))
			return "the unix socket's path is too long";
		return NULL;
	}
	if (strncmp(s, "redis://", 8) != 0)
		return "must be \"redis://HOST:PORT/DB\" or \"unix:/path\"";
	h = s + 8;
	slash = strchr(h, '/');
	end = slash != NULL ? slash : h + strlen(h);
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (rb == NULL)
			return "an IPv6 address needs its ']'";
		hlen = (size_t)(rb - h - 1);
		h++;
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return "a ':' must follow the IPv6 address";
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		hlen = (size_t)((colon != NULL ? colon : end) - h);
	}
	if (hlen == 0 || hlen >= sizeof(u->host))
		return "no host, or a host name too long";
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)h[i]) &&
		    strchr(".-_:", h[i]) == NULL)
			return "the host has a character a host name cannot "
			       "have";
	memcpy(u->host, h, hlen);
	if (colon != NULL) {
		v = number(colon + 1, (size_t)(end - colon - 1), 65535);
		if (v <= 0)
			return "the port must be a number from 1 to 65535";
		u->port = (int)v;
	}
	if (slash != NULL && slash[1] != '\0') {
		v = number(slash + 1, strlen(slash + 1), 100000);
		if (v < 0)
			return "the database must be a number";
		u->db = (int)v;
	}
	return NULL;
}

int
lb_shared_prefix(char *buf, size_t len, const char *api_id, const char *stage)
{
	int n = snprintf(buf, len, "lb:%s:%s:", api_id, stage);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

char *
lb_shared_key(const char *prefix, const char *kind, const char *name)
{
	char *k;

	if (asprintf(&k, "%s%s%s%s", prefix, kind, name != NULL ? ":" : "",
	        name != NULL ? name : "") < 0)
		return NULL;
	return k;
}

char *
lb_shared_quota_key(const char *prefix, const char *name, int64_t period_end)
{
	char *k;

	if (asprintf(&k, "%squota:%s:%" PRId64, prefix, name, period_end) < 0)
		return NULL;
	return k;
}

enum lb_shared_verdict
lb_shared_verdict(const struct lb_shared_reply *r, int64_t *detail)
{
	const struct lb_shared_reply *e;

	if (r == NULL || r->type != LB_SHARED_R_ARRAY || r->nelements < 2 ||
	    r->elements[0].type != LB_SHARED_R_INTEGER ||
	    r->elements[1].type != LB_SHARED_R_INTEGER)
		return LB_SHARED_FAILED;
	e = r->elements;
	if (detail != NULL)
		*detail = e[1].integer;
	switch (e[0].integer) {
	case 0: return LB_SHARED_OK;
	case 1: return LB_SHARED_THROTTLED;
	case 2: return LB_SHARED_OVER_QUOTA;
	case 3: return LB_SHARED_NO_LEASE;
	default: return LB_SHARED_FAILED;
	}
}

int
lb_shared_lease(
    const struct lb_shared_reply *r, int64_t *granted, int64_t *total)
{
	if (lb_shared_verdict(r, NULL) != LB_SHARED_OK || r->nelements != 4 ||
	    r->elements[2].type != LB_SHARED_R_INTEGER ||
	    r->elements[3].type != LB_SHARED_R_INTEGER ||
	    r->elements[2].integer < 0)
		return -1;
	*granted = r->elements[2].integer;
	*total = r->elements[3].integer;
	return 0;
}

int
lb_shared_noscript(const char *err)
{
	return err != NULL && strncmp(err, "NOSCRIPT", 8) == 0;
}
