/* Test helper: run lowered scripts in Duktape 2.7.
 *
 * libami compiles Duktape in only once a runtime source exists, so these tests
 * load the Debian package's libduktape.so.207 at run time (dlopen) instead of
 * linking it: no Makefile change, and nothing clashes when the runtime lands.
 * The heap gets the lowering helpers, tests/js/harness.js (Promise, Map, Set,
 * __ami_await stand-ins) and print(), which appends a line to `out`. */
#ifndef AMI_TEST_JSRUN_H
#define AMI_TEST_JSRUN_H
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "runtime/lower/lower.h"

typedef struct duk_hthread duk_context;
typedef int (*duk_c_function)(duk_context *);
#define JS_COMPILE_EVAL (1U << 3)
#define JS_COMPILE_SAFE (1U << 7)
#define JS_COMPILE_NOSOURCE (1U << 9)
#define JS_COMPILE_NOFILENAME (1U << 11)
#define JS_VARARGS (-1)

static struct {
    void *lib;
    duk_context *(*create_heap)(void *, void *, void *, void *, void *);
    void (*destroy_heap)(duk_context *);
    int (*push_c_function)(duk_context *, duk_c_function, int);
    int (*put_global_string)(duk_context *, const char *);
    int (*get_global_string)(duk_context *, const char *);
    int (*get_top)(duk_context *);
    const char *(*safe_to_lstring)(duk_context *, int, size_t *);
    int (*compile_raw)(duk_context *, const char *, size_t, unsigned);
    int (*pcall)(duk_context *, int);
    int (*pcall_method)(duk_context *, int);
    void (*push_undefined)(duk_context *);
    void (*pop)(duk_context *);
    int (*get_prop_string)(duk_context *, int, const char *);
    int (*get_int)(duk_context *, int);
    int (*is_object)(duk_context *, int);
} js;

static ami_buf js_out = AMI_BUF_INIT;

/* Duktape strings hold astral characters as CESU-8 surrogate pairs: print UTF-8 */
static void js_put_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (i + 5 < len && p[i] == 0xED && (p[i + 1] & 0xF0) == 0xA0 && p[i + 3] == 0xED && (p[i + 4] & 0xF0) == 0xB0) {
            unsigned hi = 0xD000 | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
            unsigned lo = 0xD000 | ((p[i + 4] & 0x3F) << 6) | (p[i + 5] & 0x3F);
            unsigned c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            char o[4] = { (char)(0xF0 | (c >> 18)), (char)(0x80 | ((c >> 12) & 0x3F)), (char)(0x80 | ((c >> 6) & 0x3F)), (char)(0x80 | (c & 0x3F)) };
            ami_buf_put(&js_out, o, 4);
            i += 5;
            continue;
        }
        ami_buf_put(&js_out, s + i, 1);
    }
}

static int js_print(duk_context *ctx)
{
    int n = js.get_top(ctx);
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *s = js.safe_to_lstring(ctx, i, &len);
        if (i) ami_buf_puts(&js_out, " ");
        js_put_utf8(s, len);
    }
    ami_buf_puts(&js_out, "\n");
    return 0;
}

static int js_load(void)
{
    if (js.lib) return 0;
    js.lib = dlopen("libduktape.so.207", RTLD_NOW | RTLD_LOCAL);
    if (!js.lib) js.lib = dlopen("libduktape.so", RTLD_NOW | RTLD_LOCAL);
    if (!js.lib) { fprintf(stderr, "cannot load libduktape (apt-get install duktape-dev): %s\n", dlerror()); return -1; }
#define SYM(f, name) do { *(void **)&js.f = dlsym(js.lib, name); if (!js.f) { fprintf(stderr, "missing %s\n", name); return -1; } } while (0)
    SYM(create_heap, "duk_create_heap");
    SYM(destroy_heap, "duk_destroy_heap");
    SYM(push_c_function, "duk_push_c_function");
    SYM(put_global_string, "duk_put_global_string");
    SYM(get_global_string, "duk_get_global_string");
    SYM(get_top, "duk_get_top");
    SYM(safe_to_lstring, "duk_safe_to_lstring");
    SYM(compile_raw, "duk_compile_raw");
    SYM(pcall, "duk_pcall");
    SYM(pcall_method, "duk_pcall_method");
    SYM(push_undefined, "duk_push_undefined");
    SYM(pop, "duk_pop");
    SYM(get_prop_string, "duk_get_prop_string");
    SYM(get_int, "duk_get_int");
    SYM(is_object, "duk_is_object");
#undef SYM
    return 0;
}

static char *js_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); p = NULL; }
    fclose(f);
    if (p) { p[n] = 0; if (len) *len = (size_t)n; }
    return p;
}

/* Load every *.js file of `dir` (up to `max`) into files[]/lens[] (malloc'd); returns how many. */
static inline int js_load_dir(const char *dir, char **files, size_t *lens, int n, int max)
{
    DIR *d = opendir(dir);
    if (!d) return n;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        size_t l = strlen(de->d_name);
        if (l < 4 || (strcmp(de->d_name + l - 3, ".js") != 0 && strcmp(de->d_name + l - 3, ".ts") != 0)) continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        files[n] = js_read_file(path, &lens[n]);
        if (files[n]) n++;
    }
    closedir(d);
    return n;
}

/* Evaluate ES5 source as global code; 0 or -1 (message printed). */
static int js_eval_global(duk_context *ctx, const char *src, const char *what)
{
    if (js.compile_raw(ctx, src, strlen(src), JS_COMPILE_EVAL | JS_COMPILE_SAFE | JS_COMPILE_NOSOURCE | JS_COMPILE_NOFILENAME) ||
        js.pcall(ctx, 0)) {
        fprintf(stderr, "%s: %s\n", what, js.safe_to_lstring(ctx, -1, NULL));
        js.pop(ctx);
        return -1;
    }
    js.pop(ctx);
    return 0;
}

__attribute__((unused)) static duk_context *js_new_heap(void)
{
    if (js_load()) return NULL;
    duk_context *ctx = js.create_heap(NULL, NULL, NULL, NULL, NULL);
    if (!ctx) return NULL;
    js.push_c_function(ctx, js_print, JS_VARARGS);
    js.put_global_string(ctx, "print");
    char *h = js_read_file("tests/js/harness.js", NULL);
    int bad = !h || js_eval_global(ctx, ami__lower_helpers_js, "helpers") || js_eval_global(ctx, h, "harness");
    free(h);
    if (bad) { js.destroy_heap(ctx); return NULL; }
    return ctx;
}

typedef struct js_result {
    int lowered;            /* lowering succeeded */
    int compiled;           /* Duktape compiled the output */
    int threw;              /* the script threw (uncaught) */
    int error_line;         /* lineNumber of the uncaught error (0 if none) */
    char error[300];        /* lowering/compile error or uncaught error text */
    ami_lower_error lerr;
} js_result;

/* Source language js_run lowers with (AMI__LANG_*; AUTO by default). */
static int js_lang;

/* Lower `src`, compile it as a function body, run it, then drain the job
 * queue.  Output of print() is appended to js_out.  compile_only: stop
 * after compiling. */
__attribute__((unused)) static void js_run(duk_context *ctx, const char *src, size_t len, js_result *r, int compile_only)
{
    memset(r, 0, sizeof *r);
    ami_buf code = AMI_BUF_INIT;
    ami_buf_puts(&code, "(function(){");
    if (ami__lower_lang(src, len, js_lang, &code, &r->lerr, NULL) != 0) {
        snprintf(r->error, sizeof r->error, "%d:%d: %s", r->lerr.line, r->lerr.column, r->lerr.message);
        ami_buf_dispose(&code);
        return;
    }
    r->lowered = 1;
    ami_buf_puts(&code, "\n})");
    if (getenv("AMI_SHOW_LOWERED")) fprintf(stderr, "---- lowered:\n%s\n----\n", code.ptr);
    if (js.compile_raw(ctx, code.ptr, code.size, JS_COMPILE_EVAL | JS_COMPILE_SAFE | JS_COMPILE_NOSOURCE | JS_COMPILE_NOFILENAME) ||
        js.pcall(ctx, 0)) {
        snprintf(r->error, sizeof r->error, "compile: %s", js.safe_to_lstring(ctx, -1, NULL));
        js.pop(ctx);
        ami_buf_dispose(&code);
        return;
    }
    ami_buf_dispose(&code);
    r->compiled = 1;
    if (compile_only) { js.pop(ctx); return; }
    js.push_undefined(ctx);
    int rc = js.pcall_method(ctx, 0);
    if (rc == 0) {
        js.pop(ctx);
        js.get_global_string(ctx, "__harness_drain");
        rc = js.pcall(ctx, 0);
    }
    if (rc != 0) {
        r->threw = 1;
        if (js.is_object(ctx, -1)) {
            js.get_prop_string(ctx, -1, "lineNumber");
            r->error_line = js.get_int(ctx, -1);
            js.pop(ctx);
            js.get_prop_string(ctx, -1, "name");
            snprintf(r->error, sizeof r->error, "%s", js.safe_to_lstring(ctx, -1, NULL));
            js.pop(ctx);
        } else {
            snprintf(r->error, sizeof r->error, "%s", js.safe_to_lstring(ctx, -1, NULL));
        }
    }
    js.pop(ctx);
}
#endif
