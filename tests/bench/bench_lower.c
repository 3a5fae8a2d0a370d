/*
 * Lowering benchmark.
 *  - lowering throughput over the corpus and spec scripts (MB/s of input),
 *    against Duktape compiling the lowered output (the cost it adds to);
 *  - a loop-heavy modern script, lowered, against the same logic written by
 *    hand in ES5, both run in Duktape (time per run; lower is better).
 * Duktape comes from the Debian package via dlopen (see tests/unit/lower/jsrun.h).
 */
#include <dirent.h>
#include <time.h>
#include "../unit/lower/jsrun.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *files[256];
static size_t lens[256];
static int nfiles;

static void load_dir(const char *dir) { nfiles = js_load_dir(dir, files, lens, nfiles, 256); }

static const char modern[] =
    "const points = [];\n"
    "for (let i = 0; i < 2000; i++) points.push({ x: i, y: i * 2, tag: `p${i}` });\n"
    "let sum = 0;\n"
    "for (const { x, y } of points) sum += x * y;\n"
    "const scaled = points.map(({ x, y }) => ({ x: x * 2, y: y * 2 }));\n"
    "const names = scaled.filter(p => p.x % 3 === 0).map(p => `${p.x}:${p.y}`);\n"
    "const total = [...names].length + (points[0]?.tag ?? 'none').length;\n"
    "class Acc { constructor() { this.n = 0; } add(v) { this.n += v; return this; } }\n"
    "const acc = new Acc();\n"
    "for (const p of points) acc.add(p.x);\n"
    "return sum + total + acc.n;\n";

static const char es5[] =
    "var points = [];\n"
    "for (var i = 0; i < 2000; i++) points.push({ x: i, y: i * 2, tag: 'p' + i });\n"
    "var sum = 0;\n"
    "for (var j = 0; j < points.length; j++) sum += points[j].x * points[j].y;\n"
    "var scaled = points.map(function (p) { return { x: p.x * 2, y: p.y * 2 }; });\n"
    "var names = scaled.filter(function (p) { return p.x % 3 === 0; }).map(function (p) { return p.x + ':' + p.y; });\n"
    "var first = points[0] == null ? void 0 : points[0].tag;\n"
    "var total = names.slice().length + (first != null ? first : 'none').length;\n"
    "function Acc() { this.n = 0; }\n"
    "Acc.prototype.add = function (v) { this.n += v; return this; };\n"
    "var acc = new Acc();\n"
    "for (var k = 0; k < points.length; k++) acc.add(points[k].x);\n"
    "return sum + total + acc.n;\n";

/* compile "(function(){ body })" once; returns 0 and leaves the function on the stack */
static int compile_fn(duk_context *ctx, const char *body, size_t len)
{
    ami_buf code = AMI_BUF_INIT;
    ami_buf_puts(&code, "(function(){");
    ami_buf_put(&code, body, len);
    ami_buf_puts(&code, "\n})");
    int rc = js.compile_raw(ctx, code.ptr, code.size, JS_COMPILE_EVAL | JS_COMPILE_SAFE | JS_COMPILE_NOSOURCE | JS_COMPILE_NOFILENAME) || js.pcall(ctx, 0);
    ami_buf_dispose(&code);
    return rc;
}

int main(void)
{
    load_dir("tests/js/cases");
    load_dir("tests/js/spec");
    if (!nfiles) { fprintf(stderr, "bench_lower: no corpus (run from the source tree)\n"); return 1; }
    duk_context *ctx = js_new_heap();
    if (!ctx) return 1;

    /* throughput */
    size_t bytes = 0, outbytes = 0;
    double t0 = now_s(), tl = 0;
    int rounds = 0;
    while (now_s() - t0 < 1.0) {
        for (int f = 0; f < nfiles; f++) {
            ami_buf out = AMI_BUF_INIT;
            double a = now_s();
            if (ami__lower(files[f], lens[f], &out, NULL) == 0) outbytes += out.size;
            tl += now_s() - a;
            bytes += lens[f];
            ami_buf_dispose(&out);
        }
        rounds++;
    }
    /* Duktape compiling the lowered output of the same files */
    size_t cbytes = 0;
    double tc = 0;
    for (int r = 0; r < rounds; r++)
        for (int f = 0; f < nfiles; f++) {
            ami_buf out = AMI_BUF_INIT;
            if (ami__lower(files[f], lens[f], &out, NULL) == 0) {
                double a = now_s();
                if (compile_fn(ctx, out.ptr, out.size) == 0) cbytes += lens[f];
                tc += now_s() - a;
                js.pop(ctx);
            }
            ami_buf_dispose(&out);
        }
    printf("# %d files, %zu bytes per round, %d rounds; output/input size %.2f\n", nfiles, bytes / (size_t)rounds, rounds,
           (double)outbytes / (double)bytes);
    printf("lowering throughput\t%.2f\tMB/s\tduktape compile of the output\t%.2f\n", bytes / tl / 1e6, cbytes / tc / 1e6);

    /* loop-heavy script: lowered vs hand-written ES5 */
    ami_buf low = AMI_BUF_INIT;
    if (ami__lower(modern, sizeof modern - 1, &low, NULL)) { fprintf(stderr, "lower failed: %s\n", ami_error_last()); return 1; }
    double best[2] = { 1e9, 1e9 };
    const char *srcs[2] = { low.ptr, es5 };
    size_t slen[2] = { low.size, sizeof es5 - 1 };
    for (int which = 0; which < 2; which++) {
        if (compile_fn(ctx, srcs[which], slen[which])) { fprintf(stderr, "compile: %s\n", js.safe_to_lstring(ctx, -1, NULL)); return 1; }
        js.put_global_string(ctx, which ? "__bench_es5" : "__bench_low");
    }
    for (int which = 0; which < 2; which++) {
        for (int round = 0; round < 5; round++) {
            double a = now_s();
            for (int i = 0; i < 20; i++) {
                js.get_global_string(ctx, which ? "__bench_es5" : "__bench_low");
                js.push_undefined(ctx);
                if (js.pcall_method(ctx, 0)) { fprintf(stderr, "run: %s\n", js.safe_to_lstring(ctx, -1, NULL)); return 1; }
                js.pop(ctx);
            }
            double t = (now_s() - a) / 20;
            if (t < best[which]) best[which] = t;
        }
    }
    printf("# loop-heavy script (2000 points: for-of, destructuring, arrows, templates, spread, ?., ??, class), best of 5x20 runs\n");
    printf("loop script, lowered\t%.3f\tms/run\thand-written ES5\t%.3f\tlower\n", best[0] * 1e3, best[1] * 1e3);
    ami_buf_dispose(&low);
    js.destroy_heap(ctx);
    ami_buf_dispose(&js_out);
    return 0;
}
