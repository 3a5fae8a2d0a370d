/* Claim: every case in tests/js/cases, lowered and run in Duktape, prints
 * exactly what Node printed for the original (recorded in .expected), also
 * when the file has CRLF line ends; every TypeScript case in tests/js/ts
 * (X.ts) prints what Node printed for the same file with its types removed
 * by hand (X.js, recorded in X.expected). */
#include <dirent.h>
#include "jsrun.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_dir(const char *dir, const char *ext)
{
    DIR *d = opendir(dir);
    REQUIRE(d);
    char *names[1024];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 1024) {
        size_t l = strlen(de->d_name);
        if (l > 3 && strcmp(de->d_name + l - 3, ext) == 0) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    const char *only = getenv("AMI_JS_CASE");
    int ran = 0;
    for (int i = 0; i < n; i++) {
        if (only && !strstr(names[i], only)) { free(names[i]); continue; }
        char path[600], epath[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(epath, sizeof epath, "%s/%.*sexpected", dir, (int)(strlen(names[i]) - 2), names[i]);
        size_t len;
        char *src = js_read_file(path, &len);
        char *want = js_read_file(epath, NULL);
        CHECK(src && want);
        if (!src || !want) { fprintf(stderr, "  missing %s or its .expected\n", path); free(src); free(want); free(names[i]); continue; }
        /* as written, and with CRLF line ends (scripts edited on Windows) */
        for (int crlf = 0; crlf < 2; crlf++) {
            ami_buf in = AMI_BUF_INIT;
            for (size_t k = 0; k < len; k++) {
                if (crlf && src[k] == '\n') ami_buf_put(&in, "\r", 1);
                ami_buf_put(&in, src + k, 1);
            }
            duk_context *ctx = js_new_heap();
            REQUIRE(ctx);
            ami_buf_clear(&js_out);
            js_result r;
            js_run(ctx, in.ptr ? in.ptr : "", in.size, &r, 0);
            if (!r.lowered || !r.compiled) ami_buf_printf(&js_out, "LOWER/COMPILE ERROR %s\n", r.error);
            else if (r.threw) ami_buf_printf(&js_out, "UNCAUGHT %s\n", r.error);
            const char *got = js_out.ptr ? js_out.ptr : "";
            if (strcmp(got, want) != 0) {
                check_failures++;
                fprintf(stderr, "  MISMATCH %s%s\n--- expected (node)\n%s--- got (lowered, duktape)\n%s---\n", names[i],
                        crlf ? " (CRLF)" : "", want, got);
            }
            js.destroy_heap(ctx);
            ami_buf_dispose(&in);
        }
        ran++;
        free(src);
        free(want);
        free(names[i]);
    }
    fprintf(stderr, "  %s: %d cases\n", dir, ran);
    CHECK(ran > 0);
    ami_buf_dispose(&js_out);
}

static void corpus_matches_node(void)
{
    js_lang = AMI__LANG_AUTO;
    run_dir("tests/js/cases", ".js");
}

static void typescript_matches_node_on_stripped(void)
{
    js_lang = AMI__LANG_TS;
    run_dir("tests/js/ts", ".ts");
    js_lang = AMI__LANG_AUTO;
}

int main(void)
{
    RUN(corpus_matches_node);
    RUN(typescript_matches_node_on_stripped);
    return check_done();
}
