/* b64.h - standard base64 (RFC 4648, with padding), and the URL-safe
 * alphabet without padding that JOSE uses.  Pure. */
#ifndef LB_B64_H
#define LB_B64_H

#include <stddef.h>

/* Bytes needed to encode `len` bytes, including the terminating NUL. */
size_t lb_b64_encoded_size(size_t len);

/*
 * Encodes `len` bytes of `src` into `dst` (lb_b64_encoded_size(len) bytes),
 * NUL-terminated.  Returns the encoded length.
 */
size_t lb_b64_encode(const void *src, size_t len, char *dst);

/*
 * Decodes `len` characters of `src` into `dst` (at least len / 4 * 3 + 3
 * bytes).  Padding is optional; whitespace is not allowed.  Returns the
 * decoded length, or -1 when src is not valid base64.
 */
long lb_b64_decode(const char *src, size_t len, void *dst);

/*
 * base64url (RFC 4648 §5) without padding, as JOSE writes it, into `dst`
 * (at least len / 4 * 3 + 3 bytes).  Returns the decoded length, or -1 for
 * any character outside the URL-safe alphabet (also '=' and whitespace).
 */
long lb_b64url_decode(const char *src, size_t len, void *dst);

/*
 * For the tests: caps the vector code at `cap` (0 scalar, 1 SSSE3, 2 AVX2,
 * 3 AVX-512 VBMI; -1 the best this CPU has) and, but for -1, uses AVX2 and
 * AVX-512 at every length, not from 4 KB on.  Returns the level in use.
 */
int lb_b64_simd_cap(int cap);

#endif /* LB_B64_H */
