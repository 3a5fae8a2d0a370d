/* Claim: every worker script in the spec documents (copied to tests/js/spec)
 * lowers and compiles in Duktape; the snippets that are not valid JavaScript
 * (tests/js/spec/invalid, rejected by Node too) get a lowering error with a
 * position inside the snippet, never a Duktape parse error.  With a Stels
 * stub (tests/js/stels_stub.js) each script logs the same lines and makes the
 * same store writes as under Node. */
#include <dirent.h>
#include "jsrun.h"

static int count_lines(const char *s)
{
    int n = 1;
    for (; *s; s++) if (*s == '\n') n++;
    return n;
}

static void each(const char *dir, int want_ok, int *count)
{
    DIR *d = opendir(dir);
    REQUIRE(d);
    struct dirent *de;
    duk_context *ctx = js_new_heap();
    REQUIRE(ctx);
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 4 || strcmp(de->d_name + l - 3, ".js") != 0) continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        char *src = js_read_file(path, &len);
        REQUIRE(src);
        js_result r;
        js_run(ctx, src, len, &r, 1);
        if (want_ok) {
            if (!r.compiled) { check_failures++; fprintf(stderr, "  %s: %s\n", path, r.error); }
        } else {
            CHECK(!r.lowered);
            if (r.lowered || r.lerr.line < 1 || r.lerr.line > count_lines(src) || r.lerr.column < 1) {
                check_failures++;
                fprintf(stderr, "  %s: expected a positioned lowering error, got lowered=%d %s\n", path, r.lowered, r.error);
            } else {
                fprintf(stderr, "  %s -> %s\n", de->d_name, r.error);
            }
        }
        (*count)++;
        free(src);
    }
    closedir(d);
    js.destroy_heap(ctx);
}

/* Run each script after tests/js/stels_stub.js; compare with Node's output. */
static void spec_scripts_behave_as_under_node(void)
{
    const char *dir = "tests/js/spec";
    DIR *d = opendir(dir);
    REQUIRE(d);
    char *stub = js_read_file("tests/js/stels_stub.js", NULL);
    REQUIRE(stub);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 4 || strcmp(de->d_name + l - 3, ".js") != 0) continue;
        char path[600], epath[600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        snprintf(epath, sizeof epath, "%s/%.*sexpected", dir, (int)(l - 2), de->d_name);
        size_t len;
        char *src = js_read_file(path, &len);
        char *want = js_read_file(epath, NULL);
        REQUIRE(src && want);
        duk_context *ctx = js_new_heap();
        REQUIRE(ctx);
        REQUIRE(js_eval_global(ctx, stub, "stels_stub.js") == 0);
        ami_buf_clear(&js_out);
        js_result r;
        js_run(ctx, src, len, &r, 0);
        if (!r.compiled) ami_buf_printf(&js_out, "LOWER/COMPILE ERROR %s\n", r.error);
        else if (r.threw) ami_buf_printf(&js_out, "UNCAUGHT %s\n", r.error);
        if (strcmp(js_out.ptr ? js_out.ptr : "", want) != 0) {
            check_failures++;
            fprintf(stderr, "  MISMATCH %s\n--- node\n%s--- lowered in duktape\n%s---\n", path, want, js_out.ptr ? js_out.ptr : "");
        }
        n++;
        js.destroy_heap(ctx);
        free(src);
        free(want);
    }
    closedir(d);
    free(stub);
    fprintf(stderr, "  %d worker scripts behave as under node\n", n);
    CHECK(n >= 30);
}

static void spec_scripts_compile(void)
{
    int n = 0;
    each("tests/js/spec", 1, &n);
    fprintf(stderr, "  %d worker scripts compiled\n", n);
    CHECK(n >= 30);
}

static void invalid_snippets_get_positioned_errors(void)
{
    int n = 0;
    each("tests/js/spec/invalid", 0, &n);
    CHECK(n >= 3);
}

int main(void)
{
    RUN(spec_scripts_compile);
    RUN(spec_scripts_behave_as_under_node);
    RUN(invalid_snippets_get_positioned_errors);
    ami_buf_dispose(&js_out);
    return check_done();
}
