/*
 * ami/runtime.h — the worker runtime: one sandboxed Duktape heap per running
 * worker instance, with the Stels API, logger and Deno shims (docs/design.md §8).
 *
 * An instance is used by one thread at a time (the thread that runs it);
 * only ami_runtime_stop(), ami_runtime_heap_used() and
 * ami_runtime_stop_requested() may be called from other threads.
 */
#ifndef AMI_RUNTIME_H
#define AMI_RUNTIME_H

#include <jansson.h>
#include "ami/common.h"
#include "ami/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A worker instance: a heap with the script compiled once. */
typedef struct ami_runtime ami_runtime;

/** Log levels of the `logger` object. */
typedef enum { AMI_LOG_DEBUG, AMI_LOG_INFO, AMI_LOG_WARN, AMI_LOG_ERROR } ami_log_level;

/** Static name of a log level ("debug", "info", "warn", "error"). */
AMI_EXTERN(const char *) ami_log_level_name(ami_log_level level);

/**
 * One log line of a worker.  Every field is borrowed for the duration of the
 * callback.  `ts` is milliseconds since the epoch and strictly increases
 * within an instance (so [network,"logs",sid,ts] is unique per worker).
 * `msg` is at most log_line_max bytes plus a truncation marker.
 */
typedef struct ami_log_record {
    int64_t ts;
    ami_log_level level;
    const char *level_name;   /* "info", … */
    const char *nid;
    const char *sid;
    const char *msg;          /* NUL-terminated UTF-8 (a lone surrogate becomes U+FFFD) */
    size_t msg_len;
} ami_log_record;

/** The host's log sink; called on the instance's thread. */
typedef void (*ami_runtime_log_fn)(const ami_log_record *rec, void *payload);

/**
 * The net mutation guard: called on the instance's thread with the batch of
 * every Stels.net mutation just before it is committed, so the host can add
 * checks (e.g. the leader lease's versionstamp).  Return 1 when a check was
 * added, 0 when not, a negative AMI_E… code to fail the mutation (the script
 * gets a StoreError).  When a commit whose batch got a guard check conflicts
 * (nothing of it landed), the runtime calls the guard again with batch NULL:
 * a result > 0 means the tenure still holds (e.g. the host renewed the lease
 * in between) and that one mutation is tried again with a fresh batch (up to
 * 20 times); anything else gives the script an error named LeaseLost and the
 * instance stops (ami_runtime_stop semantics; the run ends with AMI_ELEASE).
 */
typedef int (*ami_runtime_guard_fn)(ami_atomic *batch, void *payload);

/**
 * Called from ANY thread (a service thread posting an I/O completion, the
 * thread calling ami_runtime_stop) when the instance has work to do at once:
 * an external scheduler queues it and calls ami_runtime_step (or pump) on its
 * own thread.  Must not call into the instance; keep it short.
 */
typedef void (*ami_runtime_ready_fn)(void *payload);

/** Options for ami_runtime_new.  Initialise with AMI_RUNTIME_OPTIONS_INIT. */
typedef struct ami_runtime_options {
    unsigned int version;            /* AMI_RUNTIME_OPTIONS_VERSION */
    ami_store *net;                  /* Stels.net: shared store (borrowed, must outlive the instance; NULL: calls throw StoreError) */
    ami_store *local;                /* Stels.local: node-local store (same rules) */
    const json_t *worker;            /* WorkerScript raw (borrowed; what is needed is copied): "script" required, "sid" */
    const char *nid;                 /* node id for Stels.config.nid and log records (copied; NULL = "") */
    const char *network;             /* Stels.config.network (copied; NULL = "") */
    int64_t term;                    /* Stels.config.term for leader workers; <= 0 gives null */
    const json_t *workers;           /* Stels.config.workers: a JSON array (borrowed, copied into the heap); NULL = [] */
    size_t heap_max_bytes;           /* heap cap; 0 = 64 MiB */
    int slice_ms;                    /* longest synchronous stretch without sleep/await/API call; 0 = 5000, < 0 = no limit */
    size_t log_line_max;             /* bytes of one log line before truncation; 0 = 64 KiB */
    int sub_poll_ms;                 /* how often subscriptions poll a store without a change feed; 0 = 20 (with one, they wait on it) */
    ami_runtime_log_fn log;          /* log sink (NULL: log lines are dropped) */
    void *log_payload;
    ami_runtime_guard_fn net_guard;  /* net mutation guard (NULL: none) */
    void *guard_payload;
    /* version 2: */
    ami_runtime_ready_fn ready;      /* the instance has become ready to step (NULL: none; see ami_runtime_step) */
    void *ready_payload;
    /* version 3: network and environment permissions (docs/design.md §11), lists separated by commas
     * or blanks; NULL or "" allows nothing.  Copied. */
    const char *allow_net;           /* hosts fetch/WebSocket may reach: "host", "host:port", "*.domain", "*" */
    const char *allow_listen;        /* ports Deno.serve may bind: "8080", "9000-9100" */
    const char *allow_env;           /* variables Deno.env.get may read: "HOME", "*" */
    const char *ca_file;             /* extra PEM CA file trusted for https/wss besides the system store (copied) */
    int fetch_timeout_ms;            /* one request, connect to last byte; 0 = 30000 */
    size_t fetch_body_max;           /* bytes of one response body; 0 = 16 MiB */
    int fetch_max;                   /* requests in flight per instance; 0 = 32 */
    int sockets_max;                 /* open WebSockets per instance; 0 = 16 */
    /* version 4: */
    const char *cex;                 /* "paper": every Stels.runtime.cex connector trades on a paper book
                                        (docs/scripting.md "Exchanges"); NULL, "" or "live": as the script configures */
} ami_runtime_options;
#define AMI_RUNTIME_OPTIONS_VERSION 4
#define AMI_RUNTIME_OPTIONS_INIT { AMI_RUNTIME_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, \
                                   0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, \
                                   NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL }

/* The smallest thread stack on which every recursion limit of the bundled
 * Duktape (native calls, compiler, JSON, RegExp compiler and executor) ends
 * in a RangeError rather than a crash (measured at -O2: RegExp nesting needs
 * about 2 MiB, the rest 640 KiB), plus ~800 KiB for the garbage collector's
 * marking, which may start at any of those depths (8192 levels); sanitizer
 * builds need about four times more.  Threads that run instances must have at
 * least this much stack (only touched pages count towards RSS). */
#define AMI_RUNTIME_STACK_MIN         (3u * 1024u * 1024u)

#define AMI_RUNTIME_HEAP_DEFAULT      (64u * 1024u * 1024u)
#define AMI_RUNTIME_SLICE_DEFAULT_MS  5000
#define AMI_RUNTIME_LOG_LINE_DEFAULT  (64u * 1024u)
#define AMI_RUNTIME_FETCH_TIMEOUT_DEFAULT_MS 30000
#define AMI_RUNTIME_FETCH_BODY_DEFAULT (16u * 1024u * 1024u)
#define AMI_RUNTIME_FETCH_MAX_DEFAULT 32
#define AMI_RUNTIME_SOCKETS_MAX_DEFAULT 16

/**
 * Create an instance: a fresh heap with the sandbox globals and the script
 * compiled (once) as the body of a function.  *out is the caller's (free with
 * ami_runtime_free).  Errors: AMI_EINVAL (bad options, no script),
 * AMI_ESCRIPT (does not compile; ami_error_last_script() says where, ami_error_last() says
 * "SyntaxError: … (line L, column C)"), AMI_ENOMEM (incl. the heap cap).
 */
AMI_EXTERN(int) ami_runtime_new(ami_runtime **out, const ami_runtime_options *opts);

/** Destroy an instance and its heap (NULL is fine).  Not while another thread runs it. */
AMI_EXTERN(void) ami_runtime_free(ami_runtime *inst);

/**
 * What one run ended with.  Owned by the caller after a run; release with
 * ami_runtime_result_dispose().  Initialise with AMI_RUNTIME_RESULT_INIT.
 */
typedef struct ami_runtime_result {
    int ok;          /* 1: the body returned normally */
    int code;        /* 0, or the run's AMI_E… code (AMI_ESCRIPT, AMI_ELIMIT, AMI_ESTOPPED, AMI_ELEASE) */
    char *name;      /* error name ("TypeError", "Stopped", "SliceLimitExceeded", "HeapLimitExceeded", "LeaseLost", user names); NULL when ok */
    char *message;   /* error message; NULL when ok */
    char *stack;     /* Duktape stack trace, or NULL */
    int line;        /* the user's script line the error comes from; 0 when unknown */
    char *value;     /* what the body returned, as compact JSON text ("42", "{\"a\":1}"; a promise: its
                        settled value); NULL when it returned undefined, a function or failed */
} ami_runtime_result;
#define AMI_RUNTIME_RESULT_INIT { 0, 0, NULL, NULL, NULL, 0, NULL }

/** Free the strings of a result and reset it (NULL is fine). */
AMI_EXTERN(void) ami_runtime_result_dispose(ami_runtime_result *result);

/**
 * One run of the script body, step by step (the event loop; docs/design.md §8).
 *
 * ami_runtime_start() begins a run: the body is called as an async function
 * at the first step.  ami_runtime_step() runs what is ready now — the body's
 * start, tasks posted by I/O, due timers, subscription deliveries, each a
 * macrotask that restarts the slice clock and is followed by the promise
 * jobs (microtasks) — and returns without blocking:
 *   AMI_RUNTIME_DONE (1): the run ended (the body's promise settled, an
 *     uncaught error in a callback ended it, or a stop); `result` (may be
 *     NULL; dispose it before reuse) holds the outcome as ami_runtime_run
 *     describes, and result->code the run's code.  Timers and handles the
 *     body left keep running in later steps of pump.
 *   0: the run waits.  *wake_ms (may be NULL) gets the milliseconds until the
 *     next timer or subscription poll is due (0: ready again now), or -1 when
 *     only a post or a stop can wake it (the `ready` callback says when).
 *   AMI_EINVAL: NULL instance, or start/step out of order.
 * A body that waits on a promise nothing can settle (no timer, task, handle
 * or subscription left) ends the run with an Error saying so.
 * One thread at a time; no OS thread is held between steps.
 */
#define AMI_RUNTIME_DONE 1
AMI_EXTERN(int) ami_runtime_start(ami_runtime *inst);
AMI_EXTERN(int) ami_runtime_step(ami_runtime *inst, int64_t *wake_ms, ami_runtime_result *result);

/**
 * Run the body once on the calling thread: ami_runtime_start, then steps,
 * blocking between them until a timer is due, a task is posted or a stop.
 * Returns 0 when the body's promise fulfilled; otherwise AMI_ESCRIPT (it
 * threw or rejected, or a callback threw before it settled), AMI_ELIMIT
 * (slice or heap limit: name SliceLimitExceeded / HeapLimitExceeded;
 * recursion gives a RangeError and AMI_ESCRIPT), AMI_ESTOPPED (stop
 * requested), AMI_ELEASE (a guarded net write lost the lease).  `result`
 * (may be NULL) is filled either way (dispose it first if reused);
 * ami_error_last() holds "Name: message".  A failed or stopped run clears
 * what it left behind (timers, pending tasks, resources).
 */
AMI_EXTERN(int) ami_runtime_run(ami_runtime *inst, ami_runtime_result *result);

/**
 * Serve the loop between runs: timers, tasks posted by I/O, subscription
 * deliveries and promise jobs, for at most timeout_ms (< 0: until no
 * handle is left or stopped).  Callback errors are logged (level error), not
 * returned.  Returns 0 when no handle is left (ami_runtime_handles() == 0)
 * or the time is up, AMI_ESTOPPED when stopped (what the instance left behind
 * is cleared and its resources closed).
 */
AMI_EXTERN(int) ami_runtime_pump(ami_runtime *inst, int timeout_ms);

/**
 * Keep-alive handles of the instance: live subscriptions, active timers made
 * by setTimeout/setInterval (not Stels.sleep), in-flight I/O, open servers and
 * sockets.  While it is above zero pump keeps serving (a single-mode worker
 * stays alive, as in Deno).  Instance thread.
 */
AMI_EXTERN(int) ami_runtime_handles(const ami_runtime *inst);

/** Number of live subscriptions (part of ami_runtime_handles). */
AMI_EXTERN(int) ami_runtime_subscriptions(const ami_runtime *inst);

/**
 * Ask the instance to stop; thread-safe, returns at once.  A sleeping or
 * waiting script wakes immediately, busy code is interrupted within 100 ms;
 * the current and every later run/pump return AMI_ESTOPPED until
 * ami_runtime_reset_stop().
 */
AMI_EXTERN(void) ami_runtime_stop(ami_runtime *inst);

/** Whether a stop was requested (or the lease was lost) and not reset.  Thread-safe. */
AMI_EXTERN(int) ami_runtime_stop_requested(const ami_runtime *inst);

/** Clear a stop request so the instance can run again. Not while it runs. */
AMI_EXTERN(void) ami_runtime_reset_stop(ami_runtime *inst);

/** Update Stels.config.term (leader workers); applied at the next run. */
AMI_EXTERN(void) ami_runtime_set_term(ami_runtime *inst, int64_t term);

/** Bytes the instance's heap holds now (counting allocator).  Thread-safe. */
AMI_EXTERN(size_t) ami_runtime_heap_used(const ami_runtime *inst);

/** Highest heap_used seen so far.  Thread-safe. */
AMI_EXTERN(size_t) ami_runtime_heap_peak(const ami_runtime *inst);

/**
 * Compile a script (as a worker body: lowered, then compiled by Duktape)
 * without running it.  Returns 0, or AMI_ESCRIPT with *err filled (class,
 * reason, the user's line and column; err may be NULL) and the same error in
 * ami_error_last() ("SyntaxError: … (line L, column C)") and
 * ami_error_last_script().  AMI_EINVAL for a NULL script, AMI_ENOMEM.
 * Thread-safe (a throw-away heap per call).  The registry calls it on every
 * create and update that carries a script.
 */
AMI_EXTERN(int) ami_runtime_check_script(const char *script, size_t len, ami_script_error *err);

/**
 * The language of a script as the worker record names it: "ts" when it uses
 * TypeScript-only syntax (an annotation, interface, type alias, enum, `as`,
 * an access modifier…), else "js" (also when it does not compile).  A static
 * string, never NULL.  The registry stores it on create and on a script
 * change that does not give "language"; the runtime lowers a "ts" record as
 * TypeScript from its first line (so f<T>(x) is a call with a type argument).
 */
AMI_EXTERN(const char *) ami_runtime_detect_language(const char *script, size_t len);

#ifdef __cplusplus
}
#endif
#endif
