/*
 * worker.c - the worker side of an execution environment (`lambdabridge
 * __worker` and `__spare`), and loading a module (the worker's and the
 * probe child's: lb_worker_load).
 *
 * A worker is single-threaded.  It moves its channel (LB_WORKER_FD in,
 * LB_WORKER_OUT_FD out) to high close-on-exec descriptors, loads one module,
 * runs its lb_init once, says READY, then answers INVOKE frames one at a
 * time, each reply carrying its INVOKE's sequence number, until the gateway
 * closes its end (or kills it).
 * Everything that goes wrong inside it becomes a frame the gateway can map:
 * INIT_ERROR, ERROR or OOM; a crash is seen by the gateway as EOF plus the
 * exit status.  A worker of a provided runtime loads no module: it hands
 * over to lb_provided_main (provided.c) once its arguments are read.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <link.h>

#include <json-c/json.h>

#include "lambda/frame.h"
#include "base/ids.h"
#include "base/json.h"
#include "lambdabridge.h"
#include "lambda/provided.h"
#include "lambda/runtime.h"
#include "lambda/sandbox.h"
#include "lambda/worker.h"

#if defined(__SANITIZE_ADDRESS__)
#define LB_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LB_UNDER_ASAN 1
#endif
#endif

/*
 * The worker's address-space limit is the function's `memory` plus what the
 * runtime itself has mapped when the worker starts (the binary, libc, json-c,
 * ... typically 10-20 MB of virtual memory), plus this fixed allowance for
 * stack growth.  The runtime's per-invocation buffers (event, parsed event,
 * serialised result) count against `memory`, as on Lambda.
 */
#define RUNTIME_ALLOWANCE_MB 4

/* Depth cap for parsing the event (API Gateway events are shallow). */
#define EVENT_MAX_DEPTH 64
/* The last event's tree is kept for the next to be parsed into
 * (lb_json_reparse) when its text was at most this long; a bigger one is
 * freed rather than kept while the environment idles. */
#define LAST_EVENT_MAX (64 * 1024)
/* A result's text buffer is kept for the next up to this size; strings of
 * OUT_SLICE_MIN bytes or more are sent from where they lie instead. */
#define OUT_KEEP_MAX  (256 * 1024)
#define OUT_SLICE_MIN 8192

/* The channel's descriptors move at or above this (channel_hide). */
#define CHANNEL_FD_MIN 1000

/* ---- loading a module (worker and probe) ------------------------------- */

/*
 * Whether `addr`, which dlsym returned for `symbol`, is code.  The ELF
 * symbol at that address must be a function (or an IFUNC, whose resolved
 * target may have no symbol of its own: an address that starts no exported
 * symbol is let through).  A data symbol would be called and crash.
 */
static int
is_function(void *addr)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info info;
	int type;

	if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 ||
	    sym == NULL || info.dli_saddr != addr)
		return 1;
	type = ELF64_ST_TYPE(sym->st_info);
	return type == STT_FUNC || type == STT_GNU_IFUNC;
}

void *
lb_worker_load(const char *path, const char *module, const char *symbol,
    void **fn, const char **errtype, char *err, size_t errlen)
{
	const int *abi;
	void *dl;
	const char *why;

	*fn = NULL;
	*errtype = "Runtime.ImportModuleError";
	dl = dlopen(path != NULL ? path : module, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load '%s': %s", module,
		    why != NULL ? why : "unknown error");
		return NULL;
	}
	dlerror();
	abi = dlsym(dl, "lb_abi_version");
	if (abi == NULL) {
		snprintf(err, errlen,
		    "'%s' has no 'lb_abi_version': not built with "
		    "lambdabridge.h",
		    module);
		goto fail;
	}
	if (*abi != LB_ABI_VERSION) {
		snprintf(err, errlen,
		    "'%s' was built for handler ABI %d, this lambdabridge "
		    "has %d",
		    module, *abi, LB_ABI_VERSION);
		goto fail;
	}
	dlerror();
	*fn = dlsym(dl, symbol);
	if (*fn == NULL) {
		*errtype = "Runtime.HandlerNotFound";
		snprintf(
		    err, errlen, "'%s' does not export '%s'", module, symbol);
		goto fail;
	}
	if (!is_function(*fn)) {
		*fn = NULL;
		*errtype = "Runtime.HandlerNotFound";
		snprintf(err, errlen, "handler '%s' in '%s' is not a function",
		    symbol, module);
		goto fail;
	}
	return dl;
fail:
	/* Nothing of the module ran but its constructors: safe to close. */
	dlclose(dl);
	return NULL;
}

/* ---- the worker -------------------------------------------------------- */

/* /proc/self/status, opened once (close-on-exec), or -1. */
static int status_fd = -1;

/*
 * The peak resident set size of this process in KB.  VmHWM belongs to the
 * address space, which execve replaced; getrusage's ru_maxrss would also
 * count the gateway's RSS at fork time (Linux keeps it across execve).
 * Reading /proc/self/status costs more than a warm invocation, and the peak
 * can only have grown if the process took page faults since the last read:
 * getrusage's fault counters tell, for the price of one cheap syscall.
 */
static uint64_t
maxrss_kb(void)
{
	static uint64_t hwm;
	static long faults = -1;
	struct rusage ru;
	char buf[2048];
	const char *p;
	ssize_t n;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return hwm;
	if (ru.ru_minflt + ru.ru_majflt == faults && hwm > 0)
		return hwm;
	faults = ru.ru_minflt + ru.ru_majflt;
	if (status_fd >= 0 &&
	    (n = pread(status_fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		p = strstr(buf, "VmHWM:");
		if (p != NULL)
			return hwm = strtoull(p + 6, NULL, 10);
	}
	return hwm = (uint64_t)ru.ru_maxrss;
}

/*
 * Sets _X_AMZN_TRACE_ID for one invocation, or removes it.  putenv with a
 * buffer of our own: environ then points at it, and later invocations only
 * rewrite the buffer (setenv would allocate and scan every time).  Where
 * environ holds it is remembered too, so that an invocation does not scan
 * the environment (getenv) unless the handler changed it.
 */
static void
set_trace_env(const char *trace, size_t len)
{
	static const char name[] = "_X_AMZN_TRACE_ID=";
	static char var[sizeof(name) + 256];
	static char **env_at; /* environ when var was found in it, or NULL */
	static size_t slot;   /* and where */

	if (len == 0) {
		unsetenv("_X_AMZN_TRACE_ID");
		env_at = NULL;
		return;
	}
	if (len > 255)
		len = 255;
	memcpy(var, name, sizeof(name) - 1);
	memcpy(var + sizeof(name) - 1, trace, len);
	var[sizeof(name) - 1 + len] = '\0';
	/*
	 * Still in place?  An environ array the handler did not replace is
	 * at least as large as when var was found in it (setenv grows it
	 * into a new array, unsetenv shifts entries within it).
	 */
	if (env_at != NULL && env_at == environ && environ[slot] == var)
		return;
	/* the handler may have set it itself: then point environ back */
	if (getenv("_X_AMZN_TRACE_ID") != var + sizeof(name) - 1)
		putenv(var);
	env_at = NULL;
	for (size_t i = 0; environ != NULL && environ[i] != NULL; i++)
		if (environ[i] == var) {
			env_at = environ;
			slot = i;
			break;
		}
}

/*
 * The channel to the gateway: LB_WORKER_FD and LB_WORKER_OUT_FD until
 * channel_hide moves them out of a handler's way.
 */
static int chan_in = LB_WORKER_FD, chan_out = LB_WORKER_OUT_FD;
/* The sequence number of the INVOKE being answered; 0 before the first. */
static uint64_t cur_seq;

/*
 * Moves fd to a high, close-on-exec number and closes the low one.  A
 * handler that opens files, or writes to "fd 4" by mistake, gets EBADF or
 * its own file instead of the channel; its exec'd children inherit nothing.
 * Where the descriptor limit is too low for CHANNEL_FD_MIN, as high as it
 * allows.
 */
static int
hide_fd(int fd)
{
	struct rlimit rl;
	long lo = CHANNEL_FD_MIN;
	int hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && (rlim_t)lo + 8 > rl.rlim_cur)
		lo = rl.rlim_cur > 16 ? (long)rl.rlim_cur - 8 : 10;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, (int)lo);
	if (hi < 0)
		hi = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

/* Hides the channel's descriptors, once (a spare goes on as a worker). */
static void
channel_hide(void)
{
	if (chan_in != LB_WORKER_FD)
		return;
	chan_in = hide_fd(LB_WORKER_FD);
	chan_out = hide_fd(LB_WORKER_OUT_FD);
}

/* A reply frame: the metadata, then body[0..n). */
static int
reply_iov(uint32_t type, const struct lb_frame_meta *m,
    const struct iovec *body, int n)
{
	unsigned char meta[LB_FRAME_META_LEN];
	struct iovec iov[2 * LB_JBUF_SLICES_MAX + 2];

	lb_frame_meta_encode(meta, m);
	iov[0].iov_base = meta;
	iov[0].iov_len = sizeof(meta);
	memcpy(iov + 1, body, (size_t)n * sizeof(*iov));
	return lb_frame_send(chan_out, type, iov, n + 1, 0);
}

int
lb_worker_chan_in(void)
{
	return chan_in;
}

int
lb_worker_reply(
    uint32_t type, const struct lb_frame_meta *m, const char *body, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)body, len };

	return reply_iov(type, m, &iov, 1);
}

/* The metadata of a reply to the current invocation. */
static void
reply_meta(struct lb_frame_meta *m, int64_t started_us)
{
	int64_t d = lb_mono_us() - started_us;

	m->duration_us = d > 0 ? (uint64_t)d : 0;
	m->maxrss_kb = maxrss_kb();
	m->cpu = sched_getcpu(); /* see envi_pick_idle in env.c */
	m->seq = cur_seq;
}

/* Sends a reply frame for the current invocation: metadata then `body`.
 * 0 or -1. */
static int
send_reply(uint32_t type, int64_t started_us, const char *body, size_t len)
{
	struct lb_frame_meta m;

	reply_meta(&m, started_us);
	return lb_worker_reply(type, &m, body, len);
}

/*
 * Appends `s` to out[*n] as JSON string content, escaping what JSON needs
 * (no allocation: this also runs when memory is exhausted).
 */
static void
put_json_string(char *out, size_t cap, size_t *n, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s != '\0' && *n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[(*n)++] = '\\';
			out[(*n)++] = (char)c;
		} else if (c < 0x20) {
			out[(*n)++] = '\\';
			out[(*n)++] = 'u';
			out[(*n)++] = '0';
			out[(*n)++] = '0';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 15];
		} else {
			out[(*n)++] = (char)c;
		}
	}
}

size_t
lb_worker_error_json(
    char *out, size_t cap, const char *etype, const char *message)
{
	size_t n;

	memcpy(out, "{\"errorMessage\":\"", 17);
	n = 17;
	put_json_string(out, cap - 64 - 128, &n, message);
	memcpy(out + n, "\",\"errorType\":\"", 15);
	n += 15;
	put_json_string(out, cap - 8, &n, etype);
	memcpy(out + n, "\"}", 2);
	n += 2;
	return n;
}

/*
 * Sends {"errorMessage":..,"errorType":..} as a frame of `type`, built in a
 * stack buffer so that it works at the memory limit too.
 */
static int
send_error(
    uint32_t type, int64_t started_us, const char *etype, const char *message)
{
	char buf[4096 + 256];
	size_t n = lb_worker_error_json(buf, sizeof(buf), etype, message);

	return send_reply(type, started_us, buf, n);
}

/* Out of memory: tell the gateway, then die without touching the heap. */
static void
die_oom(int64_t started_us)
{
	send_error(LB_FRAME_OOM, started_us, "Runtime.OutOfMemory",
	    "Runtime exited with error: out of memory");
	_exit(137);
}

struct worker {
	int provided; /* runtime "provided": lb_provided_main */
	struct lb_provided prov;
	const char *module;
	const char *handler;
	lb_context ctx; /* the fixed fields; the rest per invocation */
	lb_handler *fn;
	void (*shutdown)(void);
	json_tokener *tok;
	json_object *last_event; /* its tree, or NULL: see LAST_EVENT_MAX */
	struct lb_jbuf out;      /* the last result's text, kept */
};

static int
parse_args(struct worker *w, int argc, char **argv, char *err, size_t errlen)
{
	char *end;
	long v, mem;

	if (argc < 1 + LB_WARG_COUNT) {
		snprintf(err, errlen, "expected %d arguments, got %d",
		    LB_WARG_COUNT, argc - 1);
		return -1;
	}
	argv++;
	if (strcmp(argv[LB_WARG_RUNTIME], "provided") == 0) {
		w->provided = 1;
		if (argc == 1 + LB_WARG_COUNT ||
		    argv[LB_WARG_COUNT][0] != '/') {
			snprintf(err, errlen,
			    "a provided runtime needs the bootstrap's "
			    "absolute path");
			return -1;
		}
	} else if (strcmp(argv[LB_WARG_RUNTIME], "native") != 0) {
		snprintf(
		    err, errlen, "unknown runtime '%s'", argv[LB_WARG_RUNTIME]);
		return -1;
	} else if (argc != 1 + LB_WARG_COUNT) {
		snprintf(err, errlen, "expected %d arguments, got %d",
		    LB_WARG_COUNT, argc - 1);
		return -1;
	}
	v = strtol(argv[LB_WARG_VERSION], &end, 10);
	if (*end != '\0' || v != LB_FRAME_VERSION) {
		snprintf(err, errlen,
		    "frame version '%s' is not this binary's %d",
		    argv[LB_WARG_VERSION], LB_FRAME_VERSION);
		return -1;
	}
	errno = 0;
	mem = strtol(argv[LB_WARG_MEMORY], &end, 10);
	if (errno != 0 || *end != '\0' || mem <= 0 || mem > 1048576) {
		snprintf(
		    err, errlen, "bad memory size '%s'", argv[LB_WARG_MEMORY]);
		return -1;
	}
	w->module = argv[LB_WARG_MODULE];
	w->handler = argv[LB_WARG_HANDLER];
	w->ctx.function_name = argv[LB_WARG_FUNCTION];
	w->ctx.function_version = argv[LB_WARG_FVERSION];
	w->ctx.memory_limit_in_mb = (int)mem;
	w->ctx.invoked_function_arn = argv[LB_WARG_ARN];
	w->ctx.log_group_name = argv[LB_WARG_GROUP];
	w->ctx.log_stream_name = argv[LB_WARG_STREAM];
	w->prov.code_dir = argv[LB_WARG_CODE_DIR];
	w->prov.argv = argv + LB_WARG_COUNT;
	w->prov.arn = argv[LB_WARG_ARN];
	w->prov.memory_mb = (int)mem;
	return 0;
}

/* The virtual memory the process has mapped now, in bytes (0 if unknown). */
static __attribute__((unused)) uint64_t
vm_size(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* RLIMIT_AS = what is mapped now + memory MB + RUNTIME_ALLOWANCE_MB. */
static void
limit_memory(int mb)
{
#ifndef LB_UNDER_ASAN
	uint64_t lim =
	    vm_size() + ((uint64_t)mb + RUNTIME_ALLOWANCE_MB) * 1024 * 1024;
	struct rlimit rl = { (rlim_t)lim, (rlim_t)lim };

	if (setrlimit(RLIMIT_AS, &rl) < 0)
		fprintf(stderr,
		    "lambdabridge worker: cannot limit memory: %s\n",
		    strerror(errno));
#else
	(void)mb; /* ASan reserves terabytes of shadow: no RLIMIT_AS */
#endif
}

/*
 * Loads the module from its pinned copy and runs lb_init; on failure sends
 * INIT_ERROR.
 */
static int
init_module(struct worker *w, int64_t started_us)
{
	char msg[1024], path[64];
	const char *etype, *lt, *lm;
	int (*init)(void);
	void *dl, *fn;
	int rc, code = lb_frame_recv_fd(chan_out);

	if (code < 0) {
		snprintf(msg, sizeof(msg),
		    "cannot load '%s': no module from the gateway", w->module);
		fprintf(stderr, "%s\n", msg);
		send_error(LB_FRAME_INIT_ERROR, started_us,
		    "Runtime.ImportModuleError", msg);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", code);
	dl = lb_worker_load(
	    path, w->module, w->handler, &fn, &etype, msg, sizeof(msg));
	close(code); /* the mapping stays */
	if (dl == NULL) {
		fprintf(stderr, "%s\n", msg);
		send_error(LB_FRAME_INIT_ERROR, started_us, etype, msg);
		return -1;
	}
	*(void **)&w->fn = fn;
	*(void **)&init = dlsym(dl, "lb_init");
	*(void **)&w->shutdown = dlsym(dl, "lb_shutdown");
	if (init != NULL) {
		lb_runtime_begin();
		errno = 0;
		rc = init();
		fflush(stdout);
		fflush(stderr);
		if (rc != 0) {
			if (lb_runtime_error(&lt, &lm))
				snprintf(msg, sizeof(msg), "%s: %s", lt, lm);
			else if (errno == ENOMEM)
				die_oom(started_us);
			else
				snprintf(msg, sizeof(msg),
				    "lb_init of '%s' returned %d", w->module,
				    rc);
			send_error(LB_FRAME_INIT_ERROR, started_us,
			    "Runtime.InitError", msg);
			return -1;
		}
	}
	return 0;
}

/* Copies a length-delimited id into a NUL-terminated buffer of 256. */
static void
copy_id(char *out, const char *s, size_t len)
{
	if (len > 255)
		len = 255;
	if (len > 0)
		memcpy(out, s, len);
	out[len] = '\0';
}

static int
only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

/* Runs one INVOKE payload; 0, or -1 when the gateway is gone. */
static int
invoke(struct worker *w, const char *payload, size_t len)
{
	struct lb_frame_invoke iv;
	char rid[256], trace[256], msg[512];
	const char *etype, *emsg;
	char *out;
	json_object *event = NULL, *result;
	enum json_tokener_error jerr;
	int64_t started = lb_mono_us();
	size_t outlen, end;
	lb_context ctx;
	int rc;

	if (lb_frame_invoke_decode(payload, len, &iv) < 0)
		return send_error(LB_FRAME_ERROR, started,
		    "Runtime.InvalidInvoke", "malformed INVOKE frame");
	cur_seq = iv.seq;
	copy_id(rid, iv.request_id, iv.request_id_len);
	copy_id(trace, iv.trace_id, iv.trace_id_len);
	set_trace_env(trace, strlen(trace));
	ctx = w->ctx;
	ctx.aws_request_id = rid;
	ctx.deadline_ms = iv.deadline_ms;

	/*
	 * The gateway's events take the fast path (json.h), into the last
	 * event's tree: the handler only borrowed it (lambdabridge.h), so
	 * once its result is freed nobody else holds it.
	 */
	event = lb_json_reparse(
	    w->last_event, iv.event, iv.event_len, EVENT_MAX_DEPTH);
	w->last_event = NULL;
	if (event == NULL) {
		json_tokener_reset(w->tok);
		errno = 0;
		/*
		 * The reader NUL-terminates the payload: passing the NUL too
		 * tells json-c where the input ends (else a bare number stays
		 * "continue").
		 */
		event = json_tokener_parse_ex(
		    w->tok, iv.event, (int)iv.event_len + 1);
		jerr = json_tokener_get_error(w->tok);
		end = json_tokener_get_parse_end(w->tok);
	} else {
		jerr = json_tokener_success;
		end = iv.event_len;
	}
	if (jerr != json_tokener_success ||
	    (end < iv.event_len &&
	        !only_space(iv.event + end, iv.event_len - end))) {
		if (errno == ENOMEM)
			die_oom(started);
		json_object_put(event);
		snprintf(msg, sizeof(msg), "cannot parse the event: %s",
		    jerr == json_tokener_continue ? "incomplete JSON"
		        : jerr != json_tokener_success
		        ? json_tokener_error_desc(jerr)
		        : "trailing data");
		return send_error(
		    LB_FRAME_ERROR, started, "Runtime.InvalidEvent", msg);
	}

	lb_runtime_begin();
	errno = 0;
	result = w->fn(event, &ctx);
	lb_runtime_end();
	if (result == NULL && errno == ENOMEM &&
	    !lb_runtime_error(&etype, &emsg))
		die_oom(started);
	fflush(stdout);
	fflush(stderr);

	if (result == NULL) {
		if (!lb_runtime_error(&etype, &emsg)) {
			etype = "Runtime.HandlerError";
			emsg = "the handler returned NULL";
		}
		rc = send_error(LB_FRAME_ERROR, started, etype, emsg);
		json_object_put(event);
		return rc;
	}
	/*
	 * json-c's text, written a string run at a time (json.h); long
	 * strings with nothing to escape (a body) go out from where they lie.
	 */
	out = lb_json_serialize_to(&w->out, result) == 0 ? w->out.buf : NULL;
	outlen = w->out.len + w->out.sliced;
	if (out == NULL && errno != EDOM)
		die_oom(started);
	if (out == NULL) {
		/* NaN or Infinity: json-c would write them, JSON has neither */
		rc = send_error(LB_FRAME_ERROR, started, "Runtime.MarshalError",
		    "Unable to marshal response: NaN and Infinity are not "
		    "valid JSON");
	} else if (outlen > LB_FRAME_RESULT_LIMIT) {
		/* Lambda's own error; not worth moving megabytes to say it. */
		snprintf(msg, sizeof(msg),
		    "Response payload size (%zu bytes) exceeded maximum "
		    "allowed payload size (%d bytes).",
		    outlen, LB_FRAME_RESULT_LIMIT);
		rc = send_error(LB_FRAME_ERROR, started,
		    "Function.ResponseSizeTooLarge", msg);
	} else {
		struct iovec iov[2 * LB_JBUF_SLICES_MAX + 1];
		struct lb_frame_meta m;

		reply_meta(&m, started);
		rc = reply_iov(
		    LB_FRAME_RESULT, &m, iov, lb_jbuf_iov(&w->out, iov));
	}
	/* the buffer is kept for the next result, unless it grew large */
	if (w->out.cap > OUT_KEEP_MAX) {
		free(w->out.buf);
		w->out.buf = NULL;
		w->out.cap = 0;
	}
	/* freed once the reply is on its way: the gateway goes on meanwhile */
	json_object_put(result);
	if (iv.event_len <= LAST_EVENT_MAX)
		w->last_event = event;
	else
		json_object_put(event);
	return rc;
}

int
lb_worker_main(int argc, char **argv)
{
	struct worker w;
	struct lb_frame_reader rd;
	struct sigaction sa;
	int64_t started = lb_mono_us();
	char err[256];
	int rc;

	/* before any handler code: its descendants end with it */
	lb_sandbox_worker_guard();
	memset(&w, 0, sizeof(w));
	channel_hide();
	if (parse_args(&w, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "lambdabridge __worker: %s\n", err);
		return 2;
	}
	/* The gateway may go away; writes then fail with EPIPE instead. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Log lines reach the gateway as they are written, like Lambda's. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (w.provided) {
		/* no RLIMIT_AS: provided.c samples the bootstrap's RSS */
		w.prov.started_us = started;
		return lb_provided_main(&w.prov);
	}
	limit_memory(w.ctx.memory_limit_in_mb);
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	w.out.slice_min = OUT_SLICE_MIN;
	w.tok = json_tokener_new_ex(EVENT_MAX_DEPTH);
	if (w.tok == NULL)
		die_oom(started);
	if (init_module(&w, started) < 0) {
		json_tokener_free(w.tok);
		return 1;
	}
	if (send_reply(LB_FRAME_READY, started, "", 0) < 0) {
		json_tokener_free(w.tok);
		return 1;
	}

	lb_frame_reader_init(&rd, LB_FRAME_MAX, 0);
	for (;;) {
		char *payload;
		size_t len;

		rc = lb_frame_reader_pump(&rd, chan_in);
		if (rc == LB_FRAME_EOF) {
			rc = 0;
			break;
		}
		if (rc == LB_FRAME_EIO && errno == ENOMEM)
			die_oom(lb_mono_us());
		if (rc != LB_FRAME_DONE || rd.type != LB_FRAME_INVOKE) {
			fprintf(stderr,
			    "lambdabridge worker: bad frame from the "
			    "gateway (%d, type %u)\n",
			    rc, (unsigned)rd.type);
			rc = 2;
			break;
		}
		payload = lb_frame_reader_take(&rd, &len);
		rc = invoke(&w, payload, len);
		free(payload);
		if (rc < 0) {
			rc = 1;
			break;
		}
	}
	lb_frame_reader_reset(&rd);
	json_tokener_free(w.tok);
	json_object_put(w.last_event);
	free(w.out.buf);
	free(w.out.slices);
	/* Orderly shutdown (the gateway closed its end): lb_shutdown. */
	if (rc == 0 && w.shutdown != NULL)
		w.shutdown();
	fflush(stdout);
	fflush(stderr);
	return rc;
}

/* ---- spare workers ----------------------------------------------------- */

/* The START payload: environ and the worker point into it to the end
 * (volatile: a store only, which must not be optimised away, so that leak
 * checkers see the memory as referenced). */
static char *volatile spare_payload;

/*
 * Writes args[0..n) over the spare's own arguments (from argv[0] to the end
 * of argv[argc - 1], contiguous as execve laid them out), keeping argv[0],
 * so that ps shows the function as for a worker started directly.  Nothing
 * when they do not fit.
 */
static void
show_args(int argc, char **argv, char **args, size_t n)
{
	char *start = argv[0], *end, *p;
	size_t need = strlen(argv[0]) + 1;

	for (int i = 0; i + 1 < argc; i++)
		if (argv[i] + strlen(argv[i]) + 1 != argv[i + 1])
			return;
	end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	for (size_t i = 0; i < n; i++)
		need += strlen(args[i]) + 1;
	if (need > (size_t)(end - start))
		return;
	p = start + strlen(argv[0]) + 1;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(args[i]) + 1;

		memcpy(p, args[i], l);
		p += l;
	}
	memset(p, '\0', (size_t)(end - p));
}

int
lb_worker_spare(int argc, char **argv)
{
	struct lb_frame_reader rd;
	char *payload, **args, **envp, *end;
	size_t len, n;
	int rc;

	lb_sandbox_worker_guard();
	if (argc < 3 || strtol(argv[2], &end, 10) != LB_FRAME_VERSION ||
	    *end != '\0') {
		fprintf(stderr,
		    "lambdabridge __spare: frame version '%s' is "
		    "not this binary's %d\n",
		    argc < 3 ? "" : argv[2], LB_FRAME_VERSION);
		return 2;
	}
	channel_hide();
	lb_frame_reader_init(&rd, LB_FRAME_MAX, 0);
	rc = lb_frame_reader_pump(&rd, chan_in);
	if (rc == LB_FRAME_EOF) {
		lb_frame_reader_reset(&rd);
		return 0;
	}
	if (rc != LB_FRAME_DONE || rd.type != LB_FRAME_START) {
		fprintf(stderr,
		    "lambdabridge __spare: bad frame from the gateway (%d, "
		    "type %u)\n",
		    rc, (unsigned)rd.type);
		lb_frame_reader_reset(&rd);
		return 2;
	}
	payload = lb_frame_reader_take(&rd, &len);
	lb_frame_reader_reset(&rd);
	if (payload == NULL ||
	    lb_frame_start_decode(payload, len, &args, &n, &envp) < 0 ||
	    n < 1 || n > INT_MAX) {
		fprintf(
		    stderr, "lambdabridge __spare: malformed START frame\n");
		return 2;
	}
	spare_payload = payload;
	/* the environment the worker would have been started with */
	clearenv();
	for (char **e = envp; *e != NULL; e++)
		if (putenv(*e) != 0)
			return 2;
	show_args(argc, argv, args, n);
	rc = lb_worker_main((int)n, args);
	free(args); /* the strings stay */
	return rc;
}
