/*
 * accesslog.c - API Gateway's access log format: compiling a template into
 * literal runs and $context variables, and filling it for a request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apigw/accesslog.h"
#include "base/fmt.h"
#include "base/log.h"

#define PREFIX     "$context."
#define PREFIX_LEN (sizeof(PREFIX) - 1)

static const struct {
	const char *name;
	enum lb_accesslog_var var;
} names[] = {
	{ "requestId", LB_ACCESSLOG_REQUEST_ID },
	{ "extendedRequestId", LB_ACCESSLOG_EXTENDED_REQUEST_ID },
	{ "identity.sourceIp", LB_ACCESSLOG_SOURCE_IP },
	{ "identity.userAgent", LB_ACCESSLOG_USER_AGENT },
	{ "identity.apiKeyId", LB_ACCESSLOG_API_KEY_ID },
	{ "httpMethod", LB_ACCESSLOG_HTTP_METHOD },
	{ "routeKey", LB_ACCESSLOG_ROUTE_KEY },
	{ "resourcePath", LB_ACCESSLOG_RESOURCE_PATH },
	{ "path", LB_ACCESSLOG_PATH },
	{ "protocol", LB_ACCESSLOG_PROTOCOL },
	{ "status", LB_ACCESSLOG_STATUS },
	{ "responseLength", LB_ACCESSLOG_RESPONSE_LENGTH },
	{ "requestTime", LB_ACCESSLOG_REQUEST_TIME },
	{ "requestTimeEpoch", LB_ACCESSLOG_REQUEST_TIME_EPOCH },
	{ "integrationLatency", LB_ACCESSLOG_INTEGRATION_LATENCY },
	{ "integration.latency", LB_ACCESSLOG_INTEGRATION_LATENCY },
	{ "responseLatency", LB_ACCESSLOG_RESPONSE_LATENCY },
	{ "integrationStatus", LB_ACCESSLOG_INTEGRATION_STATUS },
	{ "integration.integrationStatus", LB_ACCESSLOG_INTEGRATION_STATUS },
	{ "integration.status", LB_ACCESSLOG_INTEGRATION_FN_STATUS },
	{ "integration.requestId", LB_ACCESSLOG_AWS_REQUEST_ID },
	{ "error.message", LB_ACCESSLOG_ERROR_MESSAGE },
	{ "error.responseType", LB_ACCESSLOG_ERROR_RESPONSE_TYPE },
	{ "authorizer.error", LB_ACCESSLOG_AUTHORIZER_ERROR },
	{ "integrationErrorMessage", LB_ACCESSLOG_INTEGRATION_ERROR },
	{ "integration.error", LB_ACCESSLOG_INTEGRATION_ERROR },
	{ "apiId", LB_ACCESSLOG_API_ID },
	{ "stage", LB_ACCESSLOG_STAGE },
	{ "domainName", LB_ACCESSLOG_DOMAIN_NAME },
};
#define NNAMES (sizeof(names) / sizeof(*names))

/* A piece of the template: literal text (var < 0) or a variable. */
struct piece {
	int var;
	size_t off, len; /* literal: its bytes in al->text */
};

struct lb_accesslog {
	char *text; /* the format, for the literal pieces */
	struct piece *pieces;
	size_t npieces;
	unsigned char uses[LB_ACCESSLOG_NVARS];
};

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/*
 * The variable named at s (after "$context."): the longest known name that
 * is not followed by another character of a name, or -1.
 */
static int
match_name(const char *s, size_t *len)
{
	int best = -1;
	size_t blen = 0;

	for (size_t i = 0; i < NNAMES; i++) {
		size_t n = strlen(names[i].name);

		if (n > blen && strncmp(s, names[i].name, n) == 0 &&
		    !name_char(s[n]) && !(s[n] == '.' && name_char(s[n + 1]))) {
			best = (int)names[i].var;
			blen = n;
		}
	}
	*len = blen;
	return best;
}

static int
add_piece(struct lb_accesslog *al, int var, size_t off, size_t len)
{
	struct piece *p;

	if (var < 0 && len == 0)
		return 0;
	p = realloc(al->pieces, (al->npieces + 1) * sizeof(*p));
	if (p == NULL)
		return -1;
	al->pieces = p;
	p[al->npieces].var = var;
	p[al->npieces].off = off;
	p[al->npieces].len = len;
	al->npieces++;
	if (var >= 0)
		al->uses[var] = 1;
	return 0;
}

struct lb_accesslog *
lb_accesslog_parse(const char *format, char *err, size_t errlen)
{
	size_t n = strlen(format), lit = 0, i = 0;
	struct lb_accesslog *al;

	if (n == 0) {
		snprintf(err, errlen, "empty format");
		return NULL;
	}
	if (n > LB_ACCESSLOG_FORMAT_MAX) {
		snprintf(err, errlen,
		    "%zu bytes: API Gateway takes a format of at most %d", n,
		    LB_ACCESSLOG_FORMAT_MAX);
		return NULL;
	}
	for (size_t j = 0; j < n; j++)
		if ((unsigned char)format[j] < 0x20 || format[j] == 0x7f) {
			snprintf(err, errlen,
			    "control character 0x%02x at offset %zu: a format "
			    "is one line",
			    (unsigned char)format[j], j);
			return NULL;
		}
	al = calloc(1, sizeof(*al));
	if (al == NULL || (al->text = strdup(format)) == NULL)
		goto oom;
	while (i < n) {
		size_t len;
		int v;

		if (strncmp(format + i, PREFIX, PREFIX_LEN) != 0) {
			i++;
			continue;
		}
		v = match_name(format + i + PREFIX_LEN, &len);
		if (v < 0) {
			size_t k = i + PREFIX_LEN;

			while (k < n &&
			    (name_char(format[k]) ||
			        (format[k] == '.' && name_char(format[k + 1]))))
				k++;
			snprintf(err, errlen, "unknown variable '%.*s'",
			    (int)(k - i > 128 ? 128 : k - i), format + i);
			lb_accesslog_free(al);
			return NULL;
		}
		if (add_piece(al, -1, lit, i - lit) < 0 ||
		    add_piece(al, v, 0, 0) < 0)
			goto oom;
		i += PREFIX_LEN + len;
		lit = i;
	}
	if (add_piece(al, -1, lit, n - lit) < 0)
		goto oom;
	if (!al->uses[LB_ACCESSLOG_REQUEST_ID] &&
	    !al->uses[LB_ACCESSLOG_EXTENDED_REQUEST_ID]) {
		snprintf(err, errlen,
		    "must name $context.requestId or "
		    "$context.extendedRequestId (API Gateway demands one)");
		lb_accesslog_free(al);
		return NULL;
	}
	return al;
oom:
	snprintf(err, errlen, "out of memory");
	lb_accesslog_free(al);
	return NULL;
}

void
lb_accesslog_free(struct lb_accesslog *al)
{
	if (al == NULL)
		return;
	free(al->text);
	free(al->pieces);
	free(al);
}

int
lb_accesslog_uses(const struct lb_accesslog *al, enum lb_accesslog_var v)
{
	return v < LB_ACCESSLOG_NVARS && al->uses[v];
}

void
lb_accesslog_values_init(struct lb_accesslog_values *v)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < LB_ACCESSLOG_NVARS; i++)
		v->num[i] = -1;
	v->time_ms = -1;
}

void
lb_accesslog_clf_time(int64_t t, char out[32])
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t s = (time_t)(t / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
	    mon[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

/* Room for escaping a value: each byte may take 4. */
#define ESC_MAX 4096

static void
put_value(struct lb_fmt *f, const struct lb_accesslog_values *v, int var)
{
	char tbuf[32];
	const char *s = v->str[var];

	if (var == LB_ACCESSLOG_REQUEST_TIME && s == NULL && v->time_ms >= 0) {
		lb_accesslog_clf_time(v->time_ms, tbuf);
		lb_fmt_str(f, tbuf);
		return;
	}
	if (var == LB_ACCESSLOG_REQUEST_TIME_EPOCH && s == NULL &&
	    v->time_ms >= 0) {
		lb_fmt_i64(f, v->time_ms);
		return;
	}
	if (s == NULL) {
		if (v->num[var] >= 0)
			lb_fmt_i64(f, v->num[var]);
		else
			lb_fmt_str(f, "-");
		return;
	}
	if (*s == '\0') {
		lb_fmt_str(f, "-");
		return;
	}
	{
		char esc[ESC_MAX + 1];
		size_t len = strnlen(s, ESC_MAX / 4);

		lb_fmt_mem(f, esc,
		    lb_log_escape(esc, sizeof(esc), s, len, LB_LOG_ESC_QUOTE));
	}
}

size_t
lb_accesslog_render(const struct lb_accesslog *al,
    const struct lb_accesslog_values *v, char *out, size_t cap)
{
	struct lb_fmt f;
	size_t n;

	lb_fmt_init(&f, out, cap - 1); /* room for the '\n' */
	for (size_t i = 0; i < al->npieces; i++) {
		const struct piece *p = &al->pieces[i];

		if (p->var < 0)
			lb_fmt_mem(&f, al->text + p->off, p->len);
		else
			put_value(&f, v, p->var);
	}
	n = lb_fmt_done(&f, out);
	out[n++] = '\n';
	out[n] = '\0';
	return n;
}
