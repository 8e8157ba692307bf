/*
 * ids.c - request identifiers and clocks.  A per-thread xoshiro256** state
 * seeded from getrandom(2) keeps ids cheap on the hot path.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/ids.h"

static _Thread_local uint64_t rng[4];
static _Thread_local int seeded;

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
next64(void)
{
	uint64_t *s = rng, result, t;

	if (!seeded) {
		if (getrandom(rng, sizeof(rng), 0) != (ssize_t)sizeof(rng)) {
			/* no entropy source: fall back to time and ids */
			rng[0] = (uint64_t)lb_mono_ms() ^ (uint64_t)getpid();
			rng[1] = (uint64_t)(uintptr_t)&seeded;
			rng[2] = (uint64_t)lb_now_ms();
			rng[3] = 0x9e3779b97f4a7c15ULL;
		}
		seeded = 1;
	}
	result = rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static const char hex[] = "0123456789abcdef";

void
lb_ids_uuid(char *out)
{
	uint64_t a = next64(), b = next64();
	unsigned char bytes[16];
	char *o = out;

	memcpy(bytes, &a, 8);
	memcpy(bytes + 8, &b, 8);
	bytes[6] = (bytes[6] & 0x0f) | 0x40; /* version 4 */
	bytes[8] = (bytes[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[bytes[i] >> 4];
		*o++ = hex[bytes[i] & 15];
	}
	*o = '\0';
}

void
lb_ids_short(char *out)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint64_t a = next64(), b = next64();

	/* 15 base64 characters of randomness and the '=' AWS ends with */
	for (int i = 0; i < 10; i++, a >>= 6)
		out[i] = b64[a & 63];
	for (int i = 10; i < 15; i++, b >>= 6)
		out[i] = b64[b & 63];
	/* the 15th char encodes 4 bits followed by '=' padding: keep it valid */
	out[14] = b64[(b & 15) << 2];
	out[15] = '=';
	out[16] = '\0';
}

void
lb_ids_trace(char *out, int64_t ms)
{
	uint64_t a = next64(), b = next64();
	char *o = out;

	memcpy(o, "Root=1-", 7);
	o += 7;
	for (int i = 7; i >= 0; i--)
		*o++ = hex[((uint64_t)(ms / 1000) >> (i * 4)) & 15];
	*o++ = '-';
	for (int i = 0; i < 16; i++, a >>= 4)
		*o++ = hex[a & 15];
	for (int i = 0; i < 8; i++, b >>= 4)
		*o++ = hex[b & 15];
	*o = '\0';
}

int64_t
lb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
lb_mono_ms(void)
{
	return lb_mono_us() / 1000;
}

int64_t
lb_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
