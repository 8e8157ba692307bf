/*
 * suggest.c - "did you mean ...?" (suggest.h): optimal string alignment
 * distance over three rows of at most 65 counts, on the stack.
 */
#include <string.h>

#include "base/suggest.h"

#define WORD_MAX 64

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t
lb_suggest_distance(const char *a, const char *b, size_t cap)
{
	size_t rows[3][WORD_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;
	size_t la = strlen(a), lb = strlen(b);

	if (la > WORD_MAX || lb > WORD_MAX)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t best;

		cur[0] = i;
		best = cur[0];
		for (size_t j = 1; j <= lb; j++) {
			unsigned char ca = lower((unsigned char)a[i - 1]);
			unsigned char cb = lower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;

			cur[j] = min3(
			    prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 &&
			    ca == lower((unsigned char)b[j - 2]) &&
			    lower((unsigned char)a[i - 2]) == cb &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
			if (cur[j] < best)
				best = cur[j];
		}
		if (best > cap)
			return cap + 1;
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] > cap ? cap + 1 : prev[lb];
}

const char *
lb_suggest_pick(const char *word, const char *const *names, size_t n)
{
	size_t len = strlen(word);
	size_t cap = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	const char *best = NULL;
	size_t best_d = cap + 1;

	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (names[i] == NULL)
			continue;
		if (strcmp(names[i], word) == 0)
			return NULL;
		d = lb_suggest_distance(word, names[i], cap);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}
