/*
 * suggest.h - "did you mean ...?": the known name nearest to a misspelt
 * one, by optimal string alignment distance (Levenshtein's insertions,
 * deletions and substitutions, plus Damerau's transposition of two
 * neighbours, each counting 1).  Pure: no I/O, no globals.
 */
#ifndef LB_SUGGEST_H
#define LB_SUGGEST_H

#include <stddef.h>

/*
 * The optimal string alignment distance between a and b, compared
 * byte by byte and ignoring ASCII case; at most `cap` + 1 (the count stops
 * there: enough to know that two words are far apart).  Words longer
 * than 64 bytes are as far as cap + 1.
 */
size_t lb_suggest_distance(const char *a, const char *b, size_t cap);

/*
 * The name among names[0 .. n-1] nearest to `word`, when it is near
 * enough to be a typing mistake: at most 1 edit for words of up to 4
 * bytes, 2 up to 8, 3 beyond; the first of equally near names.  NULL
 * when none is (or word is one of them).  Returns a borrowed pointer into
 * names.
 */
const char *lb_suggest_pick(
    const char *word, const char *const *names, size_t n);

#endif /* LB_SUGGEST_H */
