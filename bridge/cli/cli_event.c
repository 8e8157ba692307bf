/*
 * cli_event.c - `lambdabridge event v1|v2 METHOD PATH [-H 'K: V']...
 * [-d BODY] [-c FILE]`: prints the event the gateway would build for that
 * request (the on-prem `sam local generate-event`); `lambdabridge event
 * authorizer token|request|v1|v2 METHOD PATH ...` the event its Lambda
 * authorizer would get (apigw/authorizer.h).  The arguments become the
 * CGI params nginx (Debian's fastcgi_params) would send, and the event comes
 * from the gateway's own front of the pipeline, lb_request_prepare (route,
 * then event), with the payload format forced to v1 or v2.  Exit status: 0
 * printed, 1 bad arguments or no route (the reason on stderr).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "config.h"
#include "apigw/authorizer.h"
#include "apigw/request.h"
#include "fastcgi/http.h"
#include "base/ids.h"
#include "apigw/router.h"

#define MAX_HEADERS 256
#define BODY_MAX    ((size_t)INT_MAX) /* -d @FILE, -d @- */

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: lambdabridge event v1|v2 METHOD PATH [-H 'Name: value']... "
	    "[-d BODY|@FILE|@-] [-c FILE]\n"
	    "       lambdabridge event authorizer token|request|v1|v2 METHOD "
	    "PATH [-H ...] [-c FILE]\n"
	    "  PATH is the request target as the web server receives it "
	    "(with the stage\n"
	    "  and the query, still percent-encoded): '/dev/users/42?a=1'.\n"
	    "  Without -c: v1 is a REST API (routes 'ANY /' and "
	    "'ANY /{proxy+}'), v2 an\n"
	    "  HTTP API (route '$default'), stage '$default'.  With -c the "
	    "config's API,\n"
	    "  stage and routes are used, with the payload format forced to "
	    "v1 or v2.\n"
	    "  authorizer: the event of a Lambda authorizer: a REST API's "
	    "TOKEN (the\n"
	    "  Authorization header) or REQUEST one, an HTTP API's REQUEST one "
	    "with payload\n"
	    "  1.0 or 2.0.  With -c, the route's own authorizer.\n");
}

/* The command line, once parsed: borrowed from argv. */
struct args {
	int version; /* payload format: 1 or 2 */
	/* `event authorizer`: "token", "request", "v1" or "v2"; else NULL */
	const char *authorizer;
	const char *method; /* an HTTP token */
	const char *target; /* the request target, starting with '/' */
	const char *conf;   /* -c FILE, or NULL for the built-in config */
	int explicit_cl;    /* a -H set Content-Length */
};

/* Everything the command owns; released by state_free(). */
struct state {
	struct lb_config *loaded; /* from -c, owned */
	struct lb_router *router; /* owned */
	struct lb_param params[MAX_HEADERS + 32];
	size_t nparams;
	char *owned[MAX_HEADERS * 2 + 32]; /* strings the params point to */
	size_t nowned;
	char *body; /* owned */
	size_t body_len;
	int have_body;
	char clbuf[32]; /* CONTENT_LENGTH of -d */
	struct lb_http_request req;
	struct lb_request q; /* the route and the event, owned */
	char request_id[LB_IDS_UUID_LEN + 1];
	char short_id[LB_IDS_SHORT_LEN + 1];
	char trace_id[LB_IDS_TRACE_LEN + 1];
};

static void
state_free(struct state *st)
{
	lb_request_clear(&st->q);
	for (size_t i = 0; i < st->nowned; i++)
		free(st->owned[i]);
	free(st->body);
	lb_router_free(st->router);
	lb_config_free(st->loaded);
}

/* Keeps `s` (malloc'ed, may be NULL) until state_free.  Returns s. */
static char *
keep(struct state *st, char *s)
{
	if (s == NULL)
		return NULL;
	if (st->nowned >= sizeof(st->owned) / sizeof(st->owned[0])) {
		free(s);
		return NULL;
	}
	st->owned[st->nowned++] = s;
	return s;
}

static int
add_param(struct state *st, const char *name, const char *value)
{
	if (name == NULL || value == NULL ||
	    st->nparams >= sizeof(st->params) / sizeof(st->params[0]))
		return -1;
	st->params[st->nparams].name = name;
	st->params[st->nparams].value = value;
	st->nparams++;
	return 0;
}

static int
has_param(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->nparams; i++)
		if (strcmp(st->params[i].name, name) == 0)
			return 1;
	return 0;
}

static int
is_token(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!lb_http_is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Reads all of `f` into st->body.  Returns 0 or -1. */
static int
read_body(struct state *st, FILE *f)
{
	st->body = lb_cli__read_all(f, BODY_MAX, &st->body_len);
	return st->body != NULL ? 0 : -1;
}

/* -d BODY, -d @FILE, -d @- (stdin). */
static int
set_body(struct state *st, const char *arg)
{
	FILE *f;
	int rc;

	free(st->body);
	st->body = NULL;
	st->have_body = 1;
	if (arg[0] != '@') {
		st->body_len = strlen(arg);
		st->body = malloc(st->body_len + 1);
		if (st->body == NULL)
			return -1;
		memcpy(st->body, arg, st->body_len + 1);
		return 0;
	}
	if (strcmp(arg, "@-") == 0)
		return read_body(st, stdin);
	f = fopen(arg + 1, "rb");
	if (f == NULL) {
		fprintf(stderr, "lambdabridge: cannot read '%s': %s\n", arg + 1,
		    strerror(errno));
		return -1;
	}
	rc = read_body(st, f);
	fclose(f);
	if (rc < 0)
		fprintf(stderr, "lambdabridge: cannot read '%s'\n", arg + 1);
	return rc;
}

/*
 * One -H 'Name: value' as nginx passes it: HTTP_NAME (upper case, '-' ->
 * '_'), and CONTENT_TYPE/CONTENT_LENGTH too for those two.  Returns 0, 1 when
 * the header sets Content-Length, or -1 (message printed).
 */
static int
add_header(struct state *st, const char *arg)
{
	const char *colon = strchr(arg, ':'), *v;
	size_t nlen;
	char *name, *value;
	int is_cl;

	if (colon == NULL || !is_token(arg, (size_t)(colon - arg))) {
		fprintf(stderr,
		    "lambdabridge: bad header '%s' (expected 'Name: value')\n",
		    arg);
		return -1;
	}
	nlen = (size_t)(colon - arg);
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	name = keep(st, malloc(nlen + 6));
	value = keep(st, strdup(v));
	if (name == NULL || value == NULL)
		goto toomany;
	/* trailing whitespace is not part of a field value */
	for (size_t l = strlen(value);
	     l > 0 && (value[l - 1] == ' ' || value[l - 1] == '\t'); l--)
		value[l - 1] = '\0';
	memcpy(name, "HTTP_", 5);
	for (size_t i = 0; i < nlen; i++) {
		char c = arg[i];

		if (c == '-')
			c = '_';
		else if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		name[5 + i] = c;
	}
	name[5 + nlen] = '\0';
	is_cl = strcmp(name, "HTTP_CONTENT_LENGTH") == 0;
	if (strcmp(name, "HTTP_CONTENT_TYPE") == 0 &&
	    add_param(st, "CONTENT_TYPE", value) < 0)
		goto toomany;
	if (is_cl && add_param(st, "CONTENT_LENGTH", value) < 0)
		goto toomany;
	if (add_param(st, name, value) < 0)
		goto toomany;
	return is_cl;
toomany:
	fprintf(stderr, "lambdabridge: too many headers (at most %d)\n",
	    MAX_HEADERS);
	return -1;
}

/* The built-in configuration: see usage(). */
struct default_config {
	struct lb_config cfg;
	struct lb_function fn;
	struct lb_route routes[2];
	char *binary[2];
	char stage[16], region[16], account[16], api_id[16], fname[16];
	char key_root[8], key_proxy[16], any[4], root[4], proxy[16];
	char bin_octet[32], bin_image[8];
};

static void
default_config(struct default_config *d, int version)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->stage, sizeof(d->stage), "$default");
	snprintf(d->region, sizeof(d->region), "us-east-1");
	snprintf(d->account, sizeof(d->account), "123456789012");
	snprintf(d->api_id, sizeof(d->api_id), "1234567890");
	snprintf(d->fname, sizeof(d->fname), "function");
	snprintf(d->any, sizeof(d->any), "ANY");
	snprintf(d->root, sizeof(d->root), "/");
	snprintf(d->proxy, sizeof(d->proxy), "/{proxy+}");
	snprintf(d->key_root, sizeof(d->key_root), "ANY /");
	snprintf(
	    d->bin_octet, sizeof(d->bin_octet), "application/octet-stream");
	snprintf(d->bin_image, sizeof(d->bin_image), "image/*");
	d->fn.name = d->fname;
	d->fn.timeout = 3.0;
	d->fn.memory = 128;
	d->fn.reserved_concurrency = -1;
	d->cfg.api = version == 1 ? LB_API_REST : LB_API_HTTP;
	d->cfg.payload_format = version;
	d->cfg.stage = d->stage;
	d->cfg.integration_timeout = version == 1 ? 29.0 : 30.0;
	d->cfg.account_concurrency = 1000;
	d->cfg.max_request_body = 10485760;
	d->cfg.threads = 1;
	d->cfg.region = d->region;
	d->cfg.account_id = d->account;
	d->cfg.api_id = d->api_id;
	d->cfg.functions = &d->fn;
	d->cfg.nfunctions = 1;
	d->cfg.routes = d->routes;
	if (version == 1) {
		snprintf(d->key_proxy, sizeof(d->key_proxy), "ANY /{proxy+}");
		d->binary[0] = d->bin_octet;
		d->binary[1] = d->bin_image;
		d->cfg.binary_media_types = d->binary;
		d->cfg.nbinary_media_types = 2;
		d->routes[0].key = d->key_root;
		d->routes[0].method = d->any;
		d->routes[0].path = d->root;
		d->routes[1].key = d->key_proxy;
		d->routes[1].method = d->any;
		d->routes[1].path = d->proxy;
		d->routes[0].payload_format = d->routes[1].payload_format = 1;
		d->cfg.nroutes = 2;
	} else {
		snprintf(d->key_proxy, sizeof(d->key_proxy), "$default");
		d->routes[0].key = d->key_proxy;
		d->routes[0].payload_format = 2;
		d->cfg.nroutes = 1;
	}
}

/*
 * Reads the command line into *a, the -H headers into st->params and the
 * -d body into st->body, in their order.  Returns 0, 1 when it printed the
 * help, or -1 (the reason printed).
 */
static int
parse_args(struct state *st, int argc, char **argv, struct args *a)
{
	const char *pos[4] = { NULL, NULL, NULL, NULL };
	size_t npos = 0, want = 3;

	memset(a, 0, sizeof(*a));
	/* argv[0] is "event"; options may come anywhere */
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(o, "-H") == 0 || strcmp(o, "-d") == 0 ||
		    strcmp(o, "-c") == 0) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;
			int r;

			if (v == NULL) {
				fprintf(stderr,
				    "lambdabridge: option %s needs a value\n",
				    o);
				goto usage;
			}
			if (o[1] == 'c') {
				a->conf = v;
			} else if (o[1] == 'd') {
				if (set_body(st, v) < 0)
					return -1;
			} else if ((r = add_header(st, v)) < 0) {
				return -1;
			} else if (r == 1) {
				a->explicit_cl = 1;
			}
			continue;
		}
		if (o[0] == '-' && o[1] != '\0') {
			fprintf(
			    stderr, "lambdabridge: unknown option '%s'\n", o);
			goto usage;
		}
		if (npos == 0 && strcmp(o, "authorizer") == 0)
			want = 4;
		if (npos == want) {
			fprintf(stderr,
			    "lambdabridge: unexpected argument '%s'\n", o);
			goto usage;
		}
		pos[npos++] = o;
	}
	if (npos < want) {
		fprintf(stderr,
		    "lambdabridge: event needs v1|v2 (or authorizer "
		    "token|request|v1|v2), a method and a path\n");
		goto usage;
	}
	if (want == 4) {
		/* authorizer KIND: REST's token and request, HTTP's v1, v2 */
		a->authorizer = pos[1];
		if (strcmp(pos[1], "token") == 0 ||
		    strcmp(pos[1], "request") == 0) {
			a->version = 1;
		} else if (strcmp(pos[1], "v1") == 0 ||
		    strcmp(pos[1], "v2") == 0) {
			a->version = 2;
		} else {
			fprintf(stderr,
			    "lambdabridge: unknown authorizer '%s' (token, "
			    "request, v1 or v2)\n",
			    pos[1]);
			goto usage;
		}
		pos[1] = pos[2];
		pos[2] = pos[3];
	} else if (strcmp(pos[0], "v1") == 0 || strcmp(pos[0], "1.0") == 0) {
		a->version = 1;
	} else if (strcmp(pos[0], "v2") == 0 || strcmp(pos[0], "2.0") == 0) {
		a->version = 2;
	} else {
		fprintf(stderr,
		    "lambdabridge: unknown payload format '%s' (v1 or v2)\n",
		    pos[0]);
		goto usage;
	}
	if (!is_token(pos[1], strlen(pos[1]))) {
		fprintf(stderr, "lambdabridge: bad method '%s'\n", pos[1]);
		goto usage;
	}
	if (pos[2][0] != '/') {
		fprintf(stderr,
		    "lambdabridge: bad path '%s' (it must start with '/')\n",
		    pos[2]);
		goto usage;
	}
	a->method = pos[1];
	a->target = pos[2];
	return 0;
usage:
	usage(stderr);
	return -1;
}

/*
 * The configuration and the router the gateway would run: -c FILE's, else
 * the built-in one in *def.  Returns the configuration (borrowed from st or
 * def), or NULL (the reason printed).
 */
static const struct lb_config *
load_config(struct state *st, const struct args *a, struct default_config *def)
{
	const struct lb_config *cfg;
	char err[1024];
	size_t bad;

	if (a->conf != NULL) {
		st->loaded = lb_config_load(a->conf, NULL, err, sizeof(err));
		if (st->loaded == NULL) {
			fprintf(stderr, "lambdabridge: %s\n", err);
			return NULL;
		}
		cfg = st->loaded;
	} else {
		default_config(def, a->version);
		cfg = &def->cfg;
	}
	st->router =
	    lb_router_new(cfg->routes, cfg->nroutes, &bad, err, sizeof(err));
	if (st->router == NULL) {
		fprintf(stderr, "lambdabridge: %s\n", err);
		return NULL;
	}
	lb_router_set_rest(st->router, cfg->api == LB_API_REST);
	return cfg;
}

/*
 * Completes st->params with what nginx sends (docs/fastcgi-facts.md 2.1,
 * Debian fastcgi_params) and fills st->req.  Returns 0, or -1 (the reason
 * printed).
 */
static int
build_request(struct state *st, const struct args *a)
{
	const char *qs = strchr(a->target, '?');

	if (st->have_body && !a->explicit_cl) {
		snprintf(st->clbuf, sizeof(st->clbuf), "%zu", st->body_len);
		if (add_param(st, "CONTENT_LENGTH", st->clbuf) < 0 ||
		    add_param(st, "HTTP_CONTENT_LENGTH", st->clbuf) < 0)
			goto toomany;
	}
	if ((!has_param(st, "HTTP_HOST") &&
	        add_param(st, "HTTP_HOST", "localhost") < 0) ||
	    add_param(st, "REQUEST_METHOD", a->method) < 0 ||
	    add_param(st, "REQUEST_URI", a->target) < 0 ||
	    add_param(st, "QUERY_STRING", qs != NULL ? qs + 1 : "") < 0 ||
	    add_param(st, "SERVER_PROTOCOL", "HTTP/1.1") < 0 ||
	    add_param(st, "REQUEST_SCHEME", "https") < 0 ||
	    add_param(st, "HTTPS", "on") < 0 ||
	    add_param(st, "REMOTE_ADDR", "127.0.0.1") < 0 ||
	    add_param(st, "SERVER_PORT", "443") < 0 ||
	    add_param(st, "SERVER_NAME", "") < 0 ||
	    add_param(st, "GATEWAY_INTERFACE", "CGI/1.1") < 0)
		goto toomany;
	/* nginx sends CONTENT_TYPE empty when there is none */
	if (!has_param(st, "CONTENT_TYPE") &&
	    add_param(st, "CONTENT_TYPE", "") < 0)
		goto toomany;

	memset(&st->req, 0, sizeof(st->req));
	st->req.method = a->method;
	st->req.uri = a->target;
	st->req.params = st->params;
	st->req.nparams = st->nparams;
	st->req.body = st->body;
	st->req.body_len = st->body_len;
	return 0;
toomany:
	fprintf(stderr, "lambdabridge: too many headers (at most %d)\n",
	    MAX_HEADERS);
	return -1;
}

/*
 * Routes st->req and builds its event as the gateway does, with the payload
 * format forced to a->version: st->q.event.  Returns 0, or -1 (the reason
 * printed).
 */
static int
make_event(struct state *st, const struct args *a, const struct lb_config *cfg)
{
	struct lb_request *q = &st->q;
	char err[1024];

	memset(q, 0, sizeof(*q));
	q->cfg = cfg;
	q->router = st->router;
	q->req = &st->req;
	q->payload_format = a->version;
	q->time_ms = lb_now_ms();
	lb_ids_uuid(st->request_id);
	lb_ids_short(st->short_id);
	lb_ids_trace(st->trace_id, q->time_ms);
	q->request_id = st->request_id;
	q->short_id = st->short_id;
	q->trace_id = st->trace_id;
	if (lb_request_prepare(q, NULL, NULL, err, sizeof(err)) ==
	    LB_GWERR_NONE)
		return 0;
	if (q->match.route == NULL)
		fprintf(stderr,
		    "lambdabridge: no route matches %s %s (the gateway would "
		    "answer %s)\n",
		    st->req.method, st->req.uri,
		    cfg->api == LB_API_REST ? "403 Missing Authentication Token"
		                            : "404 Not Found");
	else
		fprintf(
		    stderr, "lambdabridge: cannot build the event: %s\n", err);
	return -1;
}

static int print_event(const char *text, size_t len);

/*
 * The authorizer `event authorizer KIND` stands for: with -c the route's
 * own (a Lambda one of that kind), else one made up: a TOKEN authorizer
 * of the Authorization header, a REST REQUEST one without identity
 * sources, an HTTP API REQUEST one of the Authorization header when the
 * request has one.  Fills *out (its identity list borrowed from `hdr`).
 * Returns 0, or -1 (the reason printed).
 */
static int
pick_authorizer(struct state *st, const struct args *a,
    const struct lb_route *route, struct lb_authorizer *out,
    struct lb_identity_source *hdr)
{
	int token = strcmp(a->authorizer, "token") == 0;
	int v1 = strcmp(a->authorizer, "v1") == 0;
	enum lb_authorizer_type want =
	    token ? LB_AUTHORIZER_TOKEN : LB_AUTHORIZER_REQUEST;

	memset(out, 0, sizeof(*out));
	if (a->conf != NULL) {
		if (route->authorizer == NULL ||
		    route->authorizer->type != want) {
			fprintf(stderr,
			    "lambdabridge: route '%s' has no %s authorizer\n",
			    route->key != NULL ? route->key : "$default",
			    token ? "TOKEN" : "REQUEST");
			return -1;
		}
		*out = *route->authorizer;
		if (st->loaded->api == LB_API_HTTP)
			out->payload_format = v1 ? 1 : 2;
		return 0;
	}
	memset(hdr, 0, sizeof(*hdr));
	hdr->kind = LB_IDENTITY_HEADER;
	hdr->name = (char *)"authorization";
	out->name = (char *)"authorizer";
	out->type = want;
	out->payload_format = a->version == 1 || v1 ? 1 : 2;
	if (token || (a->version == 2 && has_param(st, "HTTP_AUTHORIZATION"))) {
		out->identity = hdr;
		out->nidentity = 1;
	}
	return 0;
}

/*
 * `event authorizer`: routes st->req, reads the authorizer's identity
 * sources and prints its event.  Returns 0, or -1 (the reason printed).
 */
static int
make_authorizer_event(
    struct state *st, const struct args *a, const struct lb_config *cfg)
{
	struct lb_request *q = &st->q;
	struct lb_authorizer_identity id;
	struct lb_authorizer_input in;
	struct lb_identity_source hdr;
	struct lb_authorizer au;
	char err[256], *arn = NULL, *ev = NULL;
	size_t len;
	int rc = -1, r;

	memset(q, 0, sizeof(*q));
	memset(&id, 0, sizeof(id));
	q->cfg = cfg;
	q->router = st->router;
	q->req = &st->req;
	q->time_ms = lb_now_ms();
	lb_ids_uuid(st->request_id);
	lb_ids_short(st->short_id);
	lb_ids_trace(st->trace_id, q->time_ms);
	q->request_id = st->request_id;
	q->short_id = st->short_id;
	q->trace_id = st->trace_id;
	if (lb_request_route(q) != LB_GWERR_NONE) {
		fprintf(stderr, "lambdabridge: no route matches %s %s\n",
		    st->req.method, st->req.uri);
		return -1;
	}
	if (pick_authorizer(st, a, q->match.route, &au, &hdr) < 0)
		return -1;
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.a = &au;
	in.req = &st->req;
	in.match = &q->match;
	in.path = q->path;
	in.path_len = q->path_len;
	in.query = q->query;
	in.request_id = q->request_id;
	in.short_id = q->short_id;
	in.trace_id = q->trace_id;
	in.time_ms = q->time_ms;
	if ((r = lb_authorizer_identity(&in, &id)) != 0) {
		fprintf(stderr,
		    r < 0 ? "lambdabridge: out of memory\n"
		          : "lambdabridge: an identity source is missing or "
		            "empty (or the token does not match "
		            "validation_expression): the gateway would answer "
		            "401 without invoking the authorizer\n");
		goto out;
	}
	arn = lb_authorizer_arn(cfg, st->req.method, q->path, q->path_len);
	if (arn != NULL)
		ev = lb_authorizer_event(&in, &id, arn, &len, err, sizeof(err));
	if (ev == NULL) {
		fprintf(stderr, "lambdabridge: cannot build the event: %s\n",
		    arn == NULL ? "out of memory" : err);
		goto out;
	}
	rc = print_event(ev, len);
out:
	free(ev);
	free(arn);
	lb_authorizer_identity_clear(&id);
	return rc;
}

/* Prints the event's JSON text indented on stdout.  Returns 0 or -1. */
static int
print_event(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	json_object *ev = NULL;
	const char *out = NULL;
	int rc = -1;

	if (tok != NULL && len <= INT_MAX)
		ev = json_tokener_parse_ex(tok, text, (int)len);
	if (ev != NULL)
		out = json_object_to_json_string_ext(ev,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		        JSON_C_TO_STRING_NOSLASHESCAPE);
	if (out != NULL && printf("%s\n", out) >= 0 && fflush(stdout) == 0)
		rc = 0;
	else
		fprintf(stderr, "lambdabridge: cannot write the event\n");
	json_object_put(ev);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

int
lb_cli_event(int argc, char **argv)
{
	struct state *st = calloc(1, sizeof(*st));
	struct default_config *def = calloc(1, sizeof(*def));
	const struct lb_config *cfg;
	struct args a;
	int rc = 1, r;

	if (st == NULL || def == NULL) {
		fprintf(stderr, "lambdabridge: out of memory\n");
		goto out;
	}
	if ((r = parse_args(st, argc, argv, &a)) != 0) {
		rc = r == 1 ? 0 : 1;
		goto out;
	}
	if ((cfg = load_config(st, &a, def)) == NULL ||
	    build_request(st, &a) < 0)
		goto out;
	if (a.authorizer != NULL) {
		if (make_authorizer_event(st, &a, cfg) < 0)
			goto out;
	} else if (make_event(st, &a, cfg) < 0 ||
	    print_event(st->q.event, st->q.event_len) < 0) {
		goto out;
	}
	rc = 0;
out:
	if (st != NULL)
		state_free(st);
	free(st);
	free(def);
	return rc;
}
