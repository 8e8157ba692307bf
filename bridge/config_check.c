/*
 * config_check.c - the validators of the configuration's string settings,
 * named in config.c's tables: each returns NULL when the value is fine,
 * else the reason.  Pure but for the user and group look-ups.
 */
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <string.h>

#include "config_int.h"
#include "base/cidr.h"
#include "fastcgi/http.h"
#include "fastcgi/listen.h"
#include "state/shared.h"

static int
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

/* Non-zero when every byte of s is alnum or in `extra`, and 1..max long. */
static int
chars_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if (!is_alnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

const char *
lb_config__check_nonempty(const char *s)
{
	return *s == '\0' ? "must not be empty" : NULL;
}

/* gateway.state_dir: an absolute path, as a service's state is named. */
const char *
lb_config__check_state_dir(const char *s)
{
	return s[0] != '/' ? "must be an absolute path" : NULL;
}

const char *
lb_config__check_listen(const char *s)
{
	struct lb_listen_addr a;

	return lb_listen_parse(s, &a);
}

/* A user or group (listen_owner, listen_group): a name, or an id. */
const char *
lb_config__check_owner(const char *s)
{
	return s[strspn(s, "0123456789")] == '\0' || getpwnam(s) != NULL
	    ? NULL
	    : "no such user";
}

const char *
lb_config__check_group(const char *s)
{
	return s[strspn(s, "0123456789")] == '\0' || getgrnam(s) != NULL
	    ? NULL
	    : "no such group";
}

const char *
lb_config__check_stage(const char *s)
{
	if (strcmp(s, "$default") == 0 || chars_ok(s, "_-", 128))
		return NULL;
	return "must be \"$default\" or 1 to 128 characters from A-Z a-z 0-9 "
	       "_ -";
}

const char *
lb_config__check_stage_var_key(const char *s)
{
	return chars_ok(s, "_", 64) ? NULL
	                            : "stage variable names are 1 to 64 "
	                              "characters from A-Z a-z 0-9 _";
}

const char *
lb_config__check_stage_var_value(const char *s)
{
	/* API Gateway: alphanumerics and -._~:/?#&=, up to 512 characters */
	if (*s == '\0' || chars_ok(s, "-._~:/?#&=,", 512))
		return NULL;
	return "stage variable values are at most 512 characters from A-Z "
	       "a-z 0-9 - . _ ~ : / ? # & = ,";
}

const char *
lb_config__check_media_type(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL || slash == s || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || !chars_ok(s, "/*.+-_!#$&^", 255))
		return "expected a media type such as \"image/png\", "
		       "\"image/*\" or \"*/*\"";
	return NULL;
}

const char *
lb_config__check_region(const char *s)
{
	return chars_ok(s, "-", 32) ? NULL
	                            : "expected a region name such as "
	                              "\"us-east-1\"";
}

const char *
lb_config__check_account_id(const char *s)
{
	if (strlen(s) != 12)
		return "expected 12 digits";
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return "expected 12 digits";
	return NULL;
}

const char *
lb_config__check_api_id(const char *s)
{
	if (strlen(s) != 10)
		return "expected 10 characters from a-z 0-9";
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return "expected 10 characters from a-z 0-9";
	return NULL;
}

const char *
lb_config__check_domain(const char *s)
{
	return chars_ok(s, ".-", 253) ? NULL : "expected a host name";
}

const char *
lb_config__check_key_name(const char *s)
{
	return chars_ok(s, "_-. ", 128) ? NULL
	                                : "expected 1-128 characters from "
	                                  "A-Z a-z 0-9 _ - . and spaces";
}

/* API Gateway: 20 to 128 characters; printable ASCII without spaces here,
 * since it travels in a header. */
const char *
lb_config__check_key_value(const char *s)
{
	size_t n = strlen(s);

	if (n < 20 || n > 128)
		return "expected 20 to 128 characters";
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			return "expected printable ASCII without spaces";
	return NULL;
}

const char *
lb_config__check_quota_period(const char *s)
{
	return strcmp(s, "DAY") == 0 || strcmp(s, "WEEK") == 0 ||
	        strcmp(s, "MONTH") == 0
	    ? NULL
	    : "expected \"DAY\", \"WEEK\" or \"MONTH\"";
}

const char *
lb_config__check_seccomp(const char *s)
{
	return strcmp(s, "default") == 0 || strcmp(s, "none") == 0
	    ? NULL
	    : "must be \"default\" or \"none\"";
}

const char *
lb_config__check_runtime(const char *s)
{
	return strcmp(s, "native") == 0 || strcmp(s, "provided") == 0
	    ? NULL
	    : "must be \"native\" or \"provided\"";
}

/* Lambda's length for any runtime; a native handler must also be a symbol,
 * a provided one have no spaces (lb_config__load_functions). */
const char *
lb_config__check_handler(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || n > 128 ? "expected 1 to 128 characters" : NULL;
}

const char *
lb_config__check_handler_chars(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return "no spaces or control characters";
	return NULL;
}

const char *
lb_config__check_function_name(const char *s)
{
	return chars_ok(s, "_-", 64) ? NULL
	                             : "function names are 1 to 64 "
	                               "characters from A-Z a-z 0-9 _ -";
}

const char *
lb_config__check_symbol(const char *s)
{
	if (!chars_ok(s, "_", 255) || (*s >= '0' && *s <= '9'))
		return "expected a C symbol name";
	return NULL;
}

const char *
lb_config__check_version(const char *s)
{
	if (strcmp(s, "$LATEST") == 0)
		return NULL;
	for (const char *p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return "expected \"$LATEST\" or a version number";
	if (*s == '\0' || *s == '0' || strlen(s) > 10)
		return "expected \"$LATEST\" or a version number";
	return NULL;
}

/* Variables Lambda sets itself and refuses in a function's configuration. */
static const char *const reserved_env[] = {
	"_HANDLER",
	"_X_AMZN_TRACE_ID",
	"AWS_DEFAULT_REGION",
	"AWS_REGION",
	"AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME",
	"AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY",
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API",
	"LAMBDA_TASK_ROOT",
	"LAMBDA_RUNTIME_DIR",
};

const char *
lb_config__check_env_key(const char *s)
{
	if (!chars_ok(s, "_", 255) || (*s >= '0' && *s <= '9'))
		return "environment variable names are letters, digits and _, "
		       "not starting with a digit";
	for (size_t i = 0; i < sizeof(reserved_env) / sizeof(*reserved_env);
	     i++)
		if (strcmp(s, reserved_env[i]) == 0)
			return "reserved: Lambda sets this variable itself";
	return NULL;
}

const char *
lb_config__check_header_name(const char *s)
{
	return chars_ok(s, "!#$%&'*+-.^_`|~", 255) ? NULL
	                                           : "invalid header name";
}

const char *
lb_config__check_method(const char *s)
{
	return chars_ok(s, "!#$%&'*+-.^_`|~", 32) ? NULL : "invalid method";
}

const char *
lb_config__check_origin(const char *s)
{
	return lb_cors_check_origin(s);
}

const char *
lb_config__check_header_value(const char *s)
{
	for (; *s != '\0'; s++)
		if (lb_http_is_value_ctl((unsigned char)*s))
			return "header values may not contain control "
			       "characters";
	return NULL;
}

const char *
lb_config__check_authorizer_name(const char *s)
{
	return chars_ok(s, "_-", 128) ? NULL
	                              : "authorizer names are 1 to 128 "
	                                "characters from A-Z a-z 0-9 _ -";
}

/* An issuer or a JWKS address: http(s)://host..., no spaces. */
const char *
lb_config__check_url(const char *s)
{
	const char *host;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return "expected an https:// (or http://) URL";
	if (*host == '\0' || *host == '/')
		return "the URL has no host";
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return "a URL has no spaces or control characters";
	return NULL;
}

const char *
lb_config__check_api_key_source(const char *s)
{
	return strcmp(s, "HEADER") == 0 || strcmp(s, "AUTHORIZER") == 0
	    ? NULL
	    : "expected \"HEADER\" or \"AUTHORIZER\"";
}

/* gateway.metrics_path: an absolute path without query, fragment, spaces
 * or control characters (it is compared with REQUEST_URI's path as is). */
const char *
lb_config__check_metrics_path(const char *s)
{
	if (s[0] != '/')
		return "must start with '/'";
	if (strlen(s) > 1024)
		return "is over 1024 characters";
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '?' ||
		    *s == '#')
			return "must not hold spaces, control characters, '?' "
			       "or '#'";
	return NULL;
}

/* gateway.metrics_allow: a network, "127.0.0.1/32" or "::1/128". */
const char *
lb_config__check_cidr(const char *s)
{
	struct lb_cidr n;

	return lb_cidr_parse(s, &n);
}

/* gateway.shared_state: where Redis is (state/shared.h). */
const char *
lb_config__check_shared_state(const char *s)
{
	struct lb_shared_url u;

	return lb_shared_url_parse(s, &u);
}

/* gateway.shared_state_failure: what to do without Redis. */
const char *
lb_config__check_shared_failure(const char *s)
{
	return strcmp(s, "local") == 0 || strcmp(s, "closed") == 0
	    ? NULL
	    : "must be \"local\" or \"closed\"";
}
