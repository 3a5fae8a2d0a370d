/* Claim: every script in tests/js/web (URL, URLSearchParams, TextEncoder and
 * TextDecoder, atob/btoa, structuredClone, crypto, Headers, Request,
 * Response, AbortController), run as a worker, logs through console.log
 * exactly what Node printed for it (recorded in .expected by
 * tests/js/record-web.sh). */
#include <dirent.h>
#include "rt.h"

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

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void web_corpus_matches_node(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    const char *dir = "tests/js/web";
    DIR *d = opendir(dir);
    REQUIRE(d);
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t l = strlen(de->d_name);
        if (l > 3 && !strcmp(de->d_name + l - 3, ".js")) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    for (int i = 0; i < n; i++) {
        char path[600], epath[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(epath, sizeof epath, "%s/%.*sexpected", dir, (int)(strlen(names[i]) - 2), names[i]);
        char *src = js_read_file(path, NULL), *want = js_read_file(epath, NULL);
        REQUIRE(src && want);
        rt_logs logs;
        rt_logs_init(&logs);
        ami_runtime_result res;
        int rc = rt_run(net, local, src, &logs, &res);
        ami_buf got = AMI_BUF_INIT;
        for (size_t k = 0; k < json_array_size(logs.lines); k++) ami_buf_printf(&got, "%s\n", rt_log_msg(&logs, k));
        if (rc) ami_buf_printf(&got, "UNCAUGHT %s\n", res.name ? res.name : "?");
        const char *g = got.ptr ? got.ptr : "";
        if (strcmp(g, want)) {
            check_failures++;
            fprintf(stderr, "  MISMATCH %s\n--- expected (node)\n%s--- got (libami)\n%s---\n", names[i], want, g);
        }
        ami_runtime_result_dispose(&res);
        ami_buf_dispose(&got);
        rt_logs_dispose(&logs);
        free(src);
        free(want);
        free(names[i]);
    }
    CHECK(n >= 6);
    ami_store_free(local);
    ami_store_free(net);
}

int main(void)
{
    RUN(web_corpus_matches_node);
    return check_done();
}
