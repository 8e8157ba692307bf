/*
 * lambdabridge.h - the handler ABI of lambdabridge.
 *
 * This is the only header a handler includes (with <json-c/json.h>).  It is
 * a public contract: LB_ABI_VERSION changes whenever anything here changes
 * incompatibly, and the bridge refuses to load a module built against another
 * version.
 *
 * A handler is a function of type lb_handler exported from a shared object:
 *
 *	#include <lambdabridge.h>
 *
 *	json_object *
 *	hello_handler(json_object *event, const lb_context *ctx)
 *	{
 *		json_object *res = json_object_new_object();
 *		json_object_object_add(res, "statusCode", json_object_new_int(200));
 *		json_object_object_add(res, "body", json_object_new_string("hi"));
 *		return res;
 *	}
 *
 * built with `cc -shared -fPIC -o hello.so hello.c -I.../bridge/include`.
 * The lb_* helpers below live in the lambdabridge binary and are resolved when
 * the module is loaded, so a module links against nothing but json-c.
 */
#ifndef LAMBDABRIDGE_H
#define LAMBDABRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LB_ABI_VERSION 1
/*
 * Additions that keep LB_ABI_VERSION (a module built against an older minor
 * version still loads): 1 adds lb_event_body.  Test it with
 * `#if LB_ABI_MINOR >= 1`.
 */
#define LB_ABI_MINOR 1

/* What a handler knows about its invocation; valid during the call only. */
typedef struct lb_context {
	const char *aws_request_id;
	const char *function_name;
	const char *function_version; /* "$LATEST" unless configured */
	const char *invoked_function_arn;
	const char *log_group_name;
	const char *log_stream_name;
	int memory_limit_in_mb;
	int64_t deadline_ms; /* wall clock, ms since the epoch */
} lb_context;

/*
 * A handler.  `event` is borrowed: do not free it and do not keep it past the
 * call (the next event is parsed into the same objects).  The returned object is owned by the caller (the bridge puts it).
 * NULL signals a function error: the client sees the API type's 502/500 body.
 */
typedef json_object *lb_handler(json_object *event, const lb_context *ctx);

/* Milliseconds left before the function's timeout; 0 once it has passed. */
int64_t lb_remaining_time_ms(const lb_context *ctx);

/*
 * Records this invocation's error as {"errorType": error_type,
 * "errorMessage": <printf of fmt>} (logged, and printed by `lambdabridge
 * invoke`) and returns NULL, so that a handler can write
 * `return lb_error("ValidationError", "bad id '%s'", id);`.
 */
json_object *lb_error(const char *error_type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The request body of an API Gateway proxy event (payload 1.0 or 2.0) as
 * the client sent it: the event's "body", base64-decoded when
 * "isBase64Encoded" is true.  API Gateway encodes a REST API's body when
 * its Content-Type matches one of the API's binary media types, and an
 * HTTP API's whenever the Content-Type is not text (text/..., JSON, XML,
 * JavaScript, form data...) or is missing (docs/handlers.md).
 *
 * Returns the bytes (NUL-terminated after *len, but they may hold NULs)
 * and sets *len; the memory belongs to the invocation: valid until the
 * handler returns, freed by the bridge after it.  Returns NULL with *len 0
 * and errno ENOENT when the event has no body (null or absent), EINVAL
 * when it is marked base64 but is not, ENOMEM when out of memory.  `len`
 * may be NULL.
 */
const char *lb_event_body(const struct json_object *event, size_t *len);

/*
 * Optional module hooks, looked up by name:
 *   int  lb_init(void);      once per environment before the first event;
 *                            non-zero is an init error (Runtime.InitError)
 *   void lb_shutdown(void);  best effort, on orderly environment shutdown
 */
int lb_init(void);
void lb_shutdown(void);

/*
 * The ABI stamp: every module that includes this header exports
 * lb_abi_version, which the bridge checks before it calls anything.  The
 * definition is weak so that a module of several files links.
 */
#ifndef LB_BUILDING_BRIDGE
__attribute__((weak, visibility("default"))) const int lb_abi_version =
    LB_ABI_VERSION;
#endif

#ifdef __cplusplus
}
#endif

#endif /* LAMBDABRIDGE_H */
