/*
 * Runtime benchmark: worker instances against raw Duktape doing the same work
 * in the same process.
 *   - iterations/s of a trivial worker body through ami_runtime_run vs a raw
 *     duk_pcall of the same compiled function (goal: >= 0.8x);
 *   - instance create+destroy/s vs raw duk_create_heap+duk_destroy_heap;
 *   - bytes per idle instance vs a raw heap (counting allocator on both);
 *   - stop latency of a busy loop (ms from ami_runtime_stop to run returning).
 *
 * Output rows (see tests/bench/run): name TAB value TAB unit TAB baseline-name TAB baseline-value [TAB lower]
 * AMI_BENCH_SECONDS scales the time per measurement (default 0.5 s per round, best of 3 rounds).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "duktape.h"
#include "ami.h"

#define BODY "var x = 1 + 1;"
enum { ROUNDS = 3 };

static double round_s = 0.5;
static ami_store *net, *local;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this thread: what a run costs, unaffected by other load on a shared machine. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_runtime: %s: %s\n", what, ami_error_last());
    exit(1);
}


static ami_runtime *make_instance(const char *script)
{
    json_t *w = json_pack("{s:s, s:s}", "sid", "bench", "script", script);
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.net = net;
    o.local = local;
    o.worker = w;
    o.nid = "bench-node";
    o.network = "benchnet";
    o.slice_ms = 60000;   /* a wall-clock limit: long scripts on a loaded machine still finish */
    ami_runtime *inst = NULL;
    if (ami_runtime_new(&inst, &o)) die("ami_runtime_new");
    json_decref(w);
    return inst;
}

/* ---- iterations ----
 * The machine may be shared: rounds of both sides alternate and the best
 * round of each counts, so a burst of load hits both alike. */

static double iteration_round(ami_runtime *inst, duk_context *raw)
{
    long n = 0;
    double t0 = cpu_s(), t;
    do {
        for (int i = 0; i < 1000; i++) {
            if (inst) {
                if (ami_runtime_run(inst, NULL)) die("run");
            } else {
                duk_dup(raw, -1);
                if (duk_pcall(raw, 0)) die("raw call");
                duk_pop(raw);
            }
        }
        n += 1000;
    } while ((t = cpu_s() - t0) < round_s / 4);
    return n / t;
}

static void iterations(double *ours, double *raw)
{
    ami_runtime *inst = make_instance(BODY);
    duk_context *ctx = duk_create_heap_default();
    duk_push_string(ctx, "bench");
    if (duk_pcompile_string_filename(ctx, DUK_COMPILE_FUNCTION, "function(){" BODY "\n}")) die("raw compile");
    *ours = *raw = 0;
    for (int r = 0; r < ROUNDS * 4; r++) {
        double o = iteration_round(inst, NULL), w = iteration_round(NULL, ctx);
        if (o > *ours) *ours = o;
        if (w > *raw) *raw = w;
    }
    duk_destroy_heap(ctx);
    ami_runtime_free(inst);
}

/* ---- async calls and generators vs the same work in ES5 ----
 * CPU seconds of one run of a script (best of 3, after a warm-up run). */

static double script_s(const char *script)
{
    ami_runtime *inst = make_instance(script);
    ami_runtime_result res;
    if (ami_runtime_run(inst, &res)) { fprintf(stderr, "%s: %s\n", res.name, res.message); die("script"); }
    ami_runtime_result_dispose(&res);
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        double t0 = cpu_s();
        if (ami_runtime_run(inst, NULL)) die("script");
        double t = cpu_s() - t0;
        if (t < best) best = t;
    }
    ami_runtime_free(inst);
    return best;
}

#define ASYNC_CALLS "async function f(i) { await null; return i + 1; }\n" \
                    "let s = 0; for (let i = 0; i < 10000; i++) s += await f(i);\n"
#define ASYNC_ES5_THEN "function f(i) { return Promise.resolve(null).then(function () { return i + 1; }); }\n" \
                       "var s = 0, i = 0;\n" \
                       "return new Promise(function (done) { (function step() {\n" \
                       "  if (i >= 10000) return done(s);\n" \
                       "  f(i++).then(function (v) { s += v; step(); }); })(); });\n"
#define ASYNC_ES5_CB "function f(i, cb) { cb(i + 1); }\n" \
                     "var s = 0; for (var i = 0; i < 10000; i++) f(i, function (v) { s += v; });\n"
#define CHAIN_PROMISE "let c = Promise.resolve(0);\n" \
                      "for (let i = 0; i < 100000; i++) c = c.then(v => v + 1);\n" \
                      "if (await c !== 100000) throw new Error('chain');\n"
#define CHAIN_ES5_CB "var fs = [];\n" \
                     "for (var i = 0; i < 100000; i++) fs.push(function (v) { return v + 1; });\n" \
                     "var v = 0; for (i = 0; i < fs.length; i++) v = fs[i](v);\n" \
                     "if (v !== 100000) throw new Error('chain');\n"
#define GEN_VALUES "function* g() { for (let i = 0; i < 100000; i++) yield i; }\n" \
                   "let s = 0; for (const v of g()) s += v;\n"
#define GEN_ES5_ITER "function g() { var i = 0; return { next: function () {\n" \
                     "  return i < 100000 ? { value: i++, done: false } : { value: undefined, done: true }; } }; }\n" \
                     "var s = 0, it = g(), r; while (!(r = it.next()).done) s += r.value;\n"
#define GEN_ES5_LOOP "var s = 0; for (var i = 0; i < 100000; i++) s += i;\n"

static void async_rows(void)
{
    double a = script_s(ASYNC_CALLS), then = script_s(ASYNC_ES5_THEN), cb = script_s(ASYNC_ES5_CB);
    printf("10,000 awaited async calls\t%.1f\tms\tES5 promise .then chain\t%.1f\tlower\n", a * 1e3, then * 1e3);
    printf("# async/await vs ES5 .then chain: %.2fx (goal >= 0.5); vs synchronous ES5 callbacks (%.2f ms): %.3fx\n",
           then / a, cb * 1e3, cb / a);
    double pc = script_s(CHAIN_PROMISE), ec = script_s(CHAIN_ES5_CB);
    printf("100,000-link promise chain\t%.1f\tms\tES5 callbacks, 100,000 chained\t%.1f\tlower\n", pc * 1e3, ec * 1e3);
    printf("# promise chain vs ES5 callbacks: %.2fx the time\n", pc / ec);
    double g = script_s(GEN_VALUES), it = script_s(GEN_ES5_ITER), loop = script_s(GEN_ES5_LOOP);
    printf("generator of 100,000 values\t%.1f\tms\tES5 iterator object\t%.1f\tlower\n", g * 1e3, it * 1e3);
    printf("# generator vs ES5 iterator object: %.2fx (goal >= 0.5); vs a plain ES5 loop (%.2f ms): %.3fx\n",
           it / g, loop * 1e3, loop / g);
}

/* ---- create + destroy ----
 * ours and raw in alternating rounds (best of each): on a shared machine the
 * load changes between rounds, and both sides then see the same phases */

static double ours_round(const char *script, double secs)
{
    long n = 0;
    double t0 = cpu_s(), t;
    do {
        ami_runtime_free(make_instance(script));
        n++;
    } while ((t = cpu_s() - t0) < secs);
    return n / t;
}

static double raw_round(double secs)
{
    long n = 0;
    double t0 = cpu_s(), t;
    do {
        duk_context *ctx = duk_create_heap_default();
        duk_destroy_heap(ctx);
        n++;
    } while ((t = cpu_s() - t0) < secs);
    return n / t;
}

static void create_rates(const char *script, double *ours, double *raw)
{
    *ours = *raw = 0;
    for (int r = 0; r < ROUNDS * 2; r++) {
        double o = ours_round(script, round_s / 2), w = raw_round(round_s / 2);
        if (o > *ours) *ours = o;
        if (w > *raw) *raw = w;
    }
}

/* ---- bytes ---- */

/* counted like the runtime's allocator: what malloc reports usable per block */
static size_t raw_bytes;
static void *cnt_alloc(void *u, duk_size_t n)
{
    (void)u;
    void *p = malloc(n);
    if (p) raw_bytes += malloc_usable_size(p);
    return p;
}
static void cnt_free(void *u, void *ptr)
{
    (void)u;
    if (!ptr) return;
    raw_bytes -= malloc_usable_size(ptr);
    free(ptr);
}
static void *cnt_realloc(void *u, void *ptr, duk_size_t n)
{
    if (!ptr) return cnt_alloc(u, n);
    if (!n) { cnt_free(u, ptr); return NULL; }
    size_t old = malloc_usable_size(ptr);
    void *q = realloc(ptr, n);
    if (!q) return NULL;
    raw_bytes += malloc_usable_size(q);
    raw_bytes -= old;
    return q;
}

static double raw_heap_bytes(void)
{
    duk_context *ctx = duk_create_heap(cnt_alloc, cnt_realloc, cnt_free, NULL, NULL);
    duk_push_string(ctx, "bench");
    duk_pcompile_string_filename(ctx, DUK_COMPILE_FUNCTION, "function(){" BODY "\n}");
    duk_gc(ctx, 0);
    double b = (double)raw_bytes;
    duk_destroy_heap(ctx);
    return b;
}

/* ---- stop latency ---- */

typedef struct { ami_runtime *inst; double at; } stopper_arg;

static void *stopper(void *p)
{
    stopper_arg *a = p;
    usleep(100 * 1000);
    a->at = now_s();
    ami_runtime_stop(a->inst);
    return NULL;
}

static double stop_latency_ms(const char *script)
{
    double worst = 0;
    for (int r = 0; r < 5; r++) {
        ami_runtime *inst = make_instance(script);
        stopper_arg a = { inst, 0 };
        pthread_t t;
        pthread_create(&t, NULL, stopper, &a);
        ami_runtime_run(inst, NULL);
        double back = now_s();
        pthread_join(t, NULL);
        ami_runtime_free(inst);
        if ((back - a.at) * 1000 > worst) worst = (back - a.at) * 1000;
    }
    return worst;
}

int main(void)
{
    const char *s = getenv("AMI_BENCH_SECONDS");
    if (s && atof(s) > 0) round_s = atof(s);
    ami_init();
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/bench-runtime-XXXXXX", getenv("AMI_BUILD") ? getenv("AMI_BUILD") : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    snprintf(p, sizeof p, "%s/net.db", dir);
    if (ami_store_open(&net, p)) die("open");
    snprintf(p, sizeof p, "%s/local.db", dir);
    if (ami_store_open(&local, p)) die("open");

    printf("# trivial body: \"%s\"; iterations: best of %d alternating rounds of %.2f s per side\n", BODY, ROUNDS * 4,
           round_s / 4);
    printf("# iterations and create+destroy are per second of this thread's CPU time (the machine may be shared)\n");
    /* AMI_BENCH_ROWS=async: only the async/generator rows (while working on them) */
    const char *rows = getenv("AMI_BENCH_ROWS");
    if (!rows || strcmp(rows, "async")) {
        double ours, raw;
        iterations(&ours, &raw);
        printf("runtime iterations\t%.0f\titer/s\traw duk_pcall\t%.0f\n", ours, raw);
        printf("# runtime/raw iteration ratio %.2f (goal >= 0.8)\n", ours / raw);
        double co, cr;
        create_rates(BODY, &co, &cr);
        printf("instance create+destroy\t%.0f\tinst/s\traw heap create+destroy\t%.0f\n", co, cr);
        /* a real worker (a built-in template): lowering and compiling it is what
         * instances of one script share */
        json_t *tpl = NULL;
        if (ami_template_worker_body(&tpl, "grid-trading")) die("template");
        const char *tscript = json_string_value(json_object_get(tpl, "scriptContent"));
        if (!tscript) die("template script");
        create_rates(tscript, &co, &cr);
        printf("instance create+destroy, grid-trading template (%zu bytes)\t%.0f\tinst/s\traw heap create+destroy\t%.0f\n",
               strlen(tscript), co, cr);
        json_decref(tpl);
        ami_runtime *idle = make_instance(BODY);
        printf("bytes per idle instance\t%zu\tbytes\traw heap + compiled body\t%.0f\tlower\n",
               ami_runtime_heap_used(idle), raw_heap_bytes());
        ami_runtime_free(idle);
        printf("stop latency, busy loop (worst of 5)\t%.1f\tms\t\t\tlower\n", stop_latency_ms("while (true) {}"));
        printf("stop latency, sleeping (worst of 5)\t%.1f\tms\t\t\tlower\n", stop_latency_ms("await Stels.sleep(60000);"));
    }
    async_rows();

    ami_store_free(net);
    ami_store_free(local);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
    ami_shutdown();
    return 0;
}
