/* Internal: the runtime instance and what its files share. */
#ifndef AMI_RUNTIME_INTERNAL_H
#define AMI_RUNTIME_INTERNAL_H
#include <pthread.h>
#include <jansson.h>
#include "duktape.h"
#include "ami/runtime.h"
#include "runtime/loop.h"

/* File name the worker script is compiled under (stack traces, line lookup). */
#define AMI__SCRIPT_FILENAME "worker.js"

/* Why the current run is being torn down; sticky until the run ends (stop: until reset). */
enum {
    AMI__ABORT_NONE = 0,
    AMI__ABORT_STOP,      /* ami_runtime_stop */
    AMI__ABORT_LEASE,     /* guarded net write conflicted */
    AMI__ABORT_SLICE,     /* synchronous slice too long */
    AMI__ABORT_EXIT       /* Deno.exit(): this run only (exit_code) */
};

#define AMI__SLICE_ARMED (-1)

/* Host operations counted for Deno.metrics(). */
enum { AMI__OP_GET, AMI__OP_SET, AMI__OP_DELETE, AMI__OP_LIST, AMI__OP_SUBSCRIBE,
       AMI__OP_SLEEP, AMI__OP_LOG, AMI__OP_WEBFIX, AMI__OP_NOW, AMI__OP_COUNT };

/* Tries of one guarded net write whose check conflicted while the guard says the tenure holds. */
#define AMI__GUARD_RETRIES 20

typedef struct ami__sub {
    int id;
    int which;                /* 0 net, 1 local */
    json_t *key;
    char vs[AMI_VERSIONSTAMP_LEN + 1];
    int live;                 /* has an "update" handler and is not closed */
    struct ami__sub *next;
    /* the change feed's hub (subhub.c); hk NULL: polled every poll_ms instead */
    char after[AMI_VERSIONSTAMP_LEN + 1];   /* the store's versionstamp before the key was read */
    void *hk;                 /* the hub's entry for the key (under the hub's lock) */
    struct ami__sub *hprev, *hnext;          /* the key's subscribers (under the hub's lock) */
    struct ami_runtime *owner;
} ami__sub;

/* Promise.prototype.then and the ring of pending children in C (promise.c):
 * heap pointers to the prelude's objects, and the ring's counters */
typedef struct ami__promise_core {
    void *key[8];              /* host.promiseKeys */
    void *proto, *ring, *jobs, *job3, *unhandled, *await, *job1;
    unsigned ring_next, ring_live;
} ami__promise_core;

struct ami_runtime {
    duk_context *ctx;

    /* counting allocator */
    size_t heap_max;
    size_t heap_used;         /* read by other threads with __atomic loads */
    size_t heap_peak;
    size_t heap_after_gc;     /* heap_used after the last collection at a run's start (loop.c) */
    int heap_hit;             /* an allocation was refused during this run */
    int running;              /* JS runs for a run/pump: allocations may be refused to unwind */
    unsigned alloc_tick;
    size_t refuse_size;       /* small allocation being refused while a run is torn down */
    int refuse_left;          /* Duktape's retries of it still to refuse */
    int64_t refuse_end;       /* monotonic ms the last refusal (with its retries) ended */
    unsigned hook_ticks;
    int stack_checked;        /* the running thread's stack size was looked at */

    /* stop and slice (exec-timeout hook) */
    int stop;                 /* AMI__ABORT_STOP/LEASE; set from any thread */
    int abort;                /* sticky reason while unwinding the current run */
    int resetting;            /* the prelude's reset runs: no stop or slice may interrupt it */
    int exit_code;            /* Deno.exit(code) of the run ending with AMI__ABORT_EXIT */
    int64_t slice_ms;         /* <= 0: none */
    int64_t slice_deadline;   /* coarse monotonic ms; 0 = not in a slice; AMI__SLICE_ARMED = started, not stamped yet */
    pthread_mutex_t mu;
    pthread_cond_t cv;

    /* identity and options */
    ami_store *stores[2];     /* net, local */
    char *nid, *sid, *network;
    int64_t term, pending_term;
    int term_dirty;
    size_t log_max;
    int poll_ms;
    int64_t last_log_ts;
    int64_t start_time;
    ami_runtime_log_fn log;
    void *log_payload;
    ami_runtime_guard_fn guard;
    void *guard_payload;

    /* subscriptions */
    ami__sub *subs;
    int next_sub_id;
    char seen[2][AMI_VERSIONSTAMP_LEN + 1];   /* store versionstamp at the last poll */
    struct ami__subhub *hubs[2];              /* the change-feed hubs of stores[0] and [1] (subhub.c) */
    int subs_posted;                          /* a poll task from a hub is queued (atomic) */

    unsigned long ops[AMI__OP_COUNT];

    /* the event loop (loop.c) */
    ami__loop loop;
    ami__promise_core promise;   /* promise.c */
    int closing;              /* being freed: posts are refused (under mu) */
    int body_async;           /* the body awaits at its top level: it runs as a coroutine */
    struct ami__web *web;     /* web globals, permissions, network I/O (lib/runtime/web) */
};

/* Milliseconds on the coarse monotonic clock (slice deadlines). */
int64_t ami__runtime_slice_clock(void);

/* The counting allocator of an instance's heap (udata: the ami_runtime) and
 * Duktape's fatal handler (limits.c). */
void *ami__runtime_alloc(void *udata, duk_size_t size);
void *ami__runtime_realloc(void *udata, void *ptr, duk_size_t size);
void ami__runtime_free_block(void *udata, void *ptr);
void ami__runtime_fatal(void *udata, const char *msg);

/* Compiled scripts shared by instances (script_cache.c): the body's bytecode
 * by the script's SHA-256, length and language (AMI__LANG_*).  Only dumps
 * made by this process go in; nothing a user controls is ever loaded. */
typedef struct { char hash[65]; size_t len; int lang; } ami__script_key;
typedef struct ami__script_code ami__script_code;
void ami__script_key_make(ami__script_key *key, const char *script, size_t len, int lang);
/* A cached body: the entry (held until ami__script_cache_release) and its
 * dump, size and whether it awaits at its top level; NULL when not cached. */
const ami__script_code *ami__script_cache_get(const ami__script_key *key, const void **code, size_t *size, int *body_async);
void ami__script_cache_release(const ami__script_code *held);
/* Keep a copy of a body's dump (made by duk_dump_function in this process). */
void ami__script_cache_put(const ami__script_key *key, const void *code, size_t size, int body_async);
/* How many scripts instances compiled (cache misses), for tests. */
void ami__script_cache_count_compile(void);
unsigned long ami__script_cache_compiles(void);

/* Compile the prelude and its parts to bytecode, once per process (prelude.c). */
void ami__runtime_prelude_init(void);
/* Run the prelude in a new heap (its hooks into the stash, the helpers'
 * accessors, the removed globals); throws on failure (run it protected). */
void ami__runtime_setup_prelude(duk_context *ctx, ami_runtime *inst);
/* Make the functions of a dump this process made (duk_dump_function) that
 * not named as constructors (a capital first letter) non-constructable: no .prototype
 * objects (bytecode.c).  ctx: a scratch heap for the one-time self-check.
 * 0, or -1 with the dump unchanged. */
int ami__bytecode_unconstruct(duk_context *ctx, void *code, size_t size);
/* Give every function of a dump this process made an empty fileName and line
 * table: Duktape (scripts/duk_lean.patch) then loads them without fileName
 * and _Pc2line, and their closures without caller/arguments throwers (the
 * prelude's own code).  The dump shrinks in place (*size updated); 0, or -1
 * with the dump unchanged.  bytecode.c */
int ami__bytecode_strip(void *code, size_t *size);
/* ami__bytecode_share: the instructions of a dump this process keeps
 * unchanged for its whole life (prelude.c: the prelude, its parts, the
 * lowering's helpers; called after unconstruct and strip, under the
 * prelude's once) run from one copy per process in every heap that loads
 * it (scripts/duk_lean.patch); 0, or -1 when the dump does not parse (it
 * then loads as before).  ami__duk_shared_code (called by Duktape's loader,
 * from any thread): that copy of the count instructions at p, a position in
 * such a dump, or NULL. */
int ami__bytecode_share(const void *code, size_t size);
uint32_t *ami__duk_shared_code(const void *p, uint32_t count);
/* Push the function a bytecode dump made by this process holds (see prelude.c). */
void ami__runtime_load_code(duk_context *ctx, const void *code, size_t size, int keep_prototype);

/* Turn a user script into what Duktape compiles (an ES5 function body).
 * This is the one place where the modern-JS lowering (lib/runtime/lower,
 * ami__lower) plugs in.  On failure returns AMI_ESCRIPT with *se filled
 * (se may be NULL). */
/* The running thread takes an interrupt at its next instruction (defined in
 * scripts/duk_interrupt_now.c, appended to Duktape's source by the build). */
void ami__duk_interrupt_now(duk_context *ctx);
/* Free a heap that has no finalizers without its collections (0; -1: use
 * duk_destroy_heap).  scripts/duk_lean.c, appended to Duktape's source by the build. */
int ami__duk_destroy_heap_nofin(duk_context *ctx);
/* The next voluntary collection counted as if one ran now (duk_lean.c). */
void ami__duk_gc_settle(duk_context *ctx);
/* Between calls (no activation on ctx's thread): shrink its value stack to
 * what it holds plus the API's reserve, at least a fresh heap's size, and
 * with `coroutines` the heap's suspended coroutines' to their reserve (a
 * walk of the heap's objects; duk_lean.c); a no-op inside a call. */
void ami__duk_valstack_trim(duk_context *ctx, int coroutines);
/* The slots allocated to ctx's value stack, or with `coroutines` to the
 * heap's other threads' together; for tests (duk_lean.c). */
size_t ami__duk_valstack_slots(duk_context *ctx, int coroutines);
/* The instructions of the heap's compiled functions (one count per data
 * buffer): in *shared those run from a process-wide copy (bytecode.c,
 * ami__bytecode_share), in *own those copied into the heap (tests;
 * scripts/duk_lean.c). */
void ami__duk_code_stats(duk_context *ctx, size_t *shared, size_t *own);
/* Compact the property table of the closed scope the compiled function at
 * idx closes over (the prelude's variables after it returned); a no-op for
 * anything else (duk_lean.c).  May throw (out of memory). */
void ami__duk_compact_scope(duk_context *ctx, duk_idx_t idx);
/* Whether the heap's string table or the shared strings hold s, without
 * interning it (tests; duk_lean.c). */
int ami__duk_has_string(duk_context *ctx, const char *s);
/* Copy every string of ctx's heap into the table of strings shared by all
 * heaps made after, read-only, for the process's life: the number copied;
 * 0 when a table exists already (it is made once), -1 out of memory
 * (nothing shared).  Not thread-safe against itself: call it once
 * (scripts/duk_shared_strings.c; runtime.c, the template instance). */
int ami__duk_strings_share(duk_context *ctx);
/* The number of shared strings (0: no table yet), their bytes in *bytes
 * when bytes is not NULL (tests, bench). */
size_t ami__duk_strings_shared(size_t *bytes);
/* The number of strings in the heap's own table (tests). */
size_t ami__duk_strings_own(duk_context *ctx);
/* The shared strings a heap wrote to (their count or flags changed): 0
 * unless something bypassed the READONLY checks (tests). */
size_t ami__duk_strings_shared_written(void);
/* After a synchronous body's call: 2 when the run is over with undefined on
 * top, 1 over with another primitive, 0 when the prelude must settle it (an
 * object on top, or microtasks or parked coroutines left in the arrays jobs
 * and pool).  scripts/duk_sync_done.c, appended to Duktape's source. */
int ami__duk_sync_done(duk_context *ctx, void *jobs, void *pool);

int ami__runtime_prepare_source(const char *src, size_t len, int lang, ami_buf *out, ami_script_error *se);   /* lang: AMI__LANG_* */

/* Compile `src` (already prepared) as a worker body onto ctx's stack.
 * On a syntax error returns AMI_ESCRIPT with *se filled (name, message, line, column). */
int ami__runtime_compile(duk_context *ctx, const char *src, size_t len, ami_script_error *se);

/* The prelude (ES5 polyfills and the Stels/logger/Deno objects): lib/runtime/js/prelude*.js,
 * turned into C data at build time by scripts/js2c.sh. */
extern const char ami__prelude_js[];
extern const char ami__prelude_mapset_js[];   /* loaded on first use */
extern const char ami__prelude_poly_js[];     /* loaded on first use */
extern const char ami__prelude_promise_js[];  /* loaded on first use */
extern const char ami__prelude_deno_js[];     /* loaded on first use */
extern const char ami__prelude_timers_js[];   /* loaded on first use */
extern const char ami__prelude_stels_js[];    /* loaded on first use */
extern const char ami__prelude_more_js[];     /* loaded on first use */
extern const char ami__prelude_gen_js[];      /* loaded on first use */
extern const char ami__prelude_web_js[];      /* loaded on first use */
extern const char ami__cex_js[];              /* Stels.runtime.cex, loaded on first use */

/* host.cexHosted(): the connectors the host registered (cex_host.c, include/ami/cex.h). */
duk_ret_t ami__runtime_cex_hosted(duk_context *ctx);

/* Register the native host functions on the object on top of the stack. */
void ami__runtime_push_host(duk_context *ctx, ami_runtime *inst);

/* Throw an Error with the given name (never returns). */
duk_ret_t ami__runtime_throw(duk_context *ctx, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Entry of every host call: throws when the run is being torn down, else restarts the slice. */
void ami__runtime_host_enter(duk_context *ctx, ami_runtime *inst);

/* Deliver changed subscribed keys to their callbacks; returns how many (may throw on stop/slice). */
int ami__runtime_poll_subs(duk_context *ctx, ami_runtime *inst);

/* The loop's host functions (timer, clearTimer, settled, check) on the object on top. */
void ami__loop_push_host(duk_context *ctx);
/* Add the promise core's host functions (promise.c) to the object at the top. */
void ami__promise_push_host(duk_context *ctx);
/* Empty the ring of pending children (a hint for the collector only): a run
 * starts without the chains an earlier run left pending, which would else
 * stay reachable through it until their slots are reused.  Not in a call. */
void ami__promise_ring_forget(ami_runtime *r);

/* End of a run: the error on top of the stack (popped) as a result and code. */
int ami__runtime_finish_error(ami_runtime *inst, ami_runtime_result *res);
/* A run that ends because of a stop (or lost lease): its result and code. */
int ami__runtime_stopped_result(ami_runtime *inst, ami_runtime_result *res);
/* The run's value (on top, popped) as JSON text into res->value. */
void ami__runtime_keep_value(ami_runtime *inst, ami_runtime_result *res);
/* Warn once per process when the running thread's stack is too small. */
void ami__runtime_check_stack(ami_runtime *inst);

/* Free every subscription. */
void ami__runtime_subs_free(ami_runtime *inst);
int ami__runtime_live_subs(const ami_runtime *inst);
/* Live subscriptions not followed by a change-feed hub: polled every poll_ms. */
int ami__runtime_polled_subs(const ami_runtime *inst);

/* Change-feed hubs (subhub.c), instance thread.  add: S (live) is followed by
 * its store's hub; 0, or -1 when it cannot be (it is polled then).  remove:
 * no longer followed.  detach: every subscription of INST removed and its
 * hubs released (the last user stops a hub's thread); before freeing INST. */
int ami__subhub_add(ami_runtime *inst, ami__sub *s);
void ami__subhub_remove(ami_runtime *inst, ami__sub *s);
void ami__subhub_detach(ami_runtime *inst);
/* Changes of STORE's feed its hub has handled so far (0 without a hub); tests. */
uint64_t ami__subhub_rounds(ami_store *store);

/* CESU-8 (Duktape's strings) to UTF-8: surrogate pairs become 4-byte
 * sequences, lone surrogates U+FFFD.  The result (res, reslen) is `in` when nothing
 * changes, else at the text of `out`.  0 or AMI_ENOMEM. */
int ami__cesu8_to_utf8(const char *in, size_t len, ami_buf *out, const char **res, size_t *reslen);
/* JSON text (UTF-8) for JSON.parse in Duktape: characters outside the BMP
 * become \uXXXX surrogate escape pairs.  Same conventions. */
int ami__json_for_duktape(const char *in, size_t len, ami_buf *out, const char **res, size_t *reslen);

/* Emit one log record (truncating to the line cap). */
void ami__runtime_log(ami_runtime *inst, ami_log_level level, const char *msg, size_t len);

#endif
