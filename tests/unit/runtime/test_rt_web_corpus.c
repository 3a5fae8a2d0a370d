/* Claim: every script in tests/js/web (URL, URLSearchParams, TextEncoder and
 * TextDecoder, atob/btoa, structuredClone, crypto, Headers, Request,
 * Response, AbortController), run as a worker, logs through console.log
 * exactly what Node printed for it (recorded in .expected by
 * tests/js/record-web.sh). */
#include "rt.h"

static void web_corpus_matches_node(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    const char *dir = "tests/js/web";
    char *names[256];
    int n = rt_corpus_names(dir, names, 256);
    REQUIRE(n >= 0);
    for (int i = 0; i < n; i++) {
        char path[600], epath[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(epath, sizeof epath, "%s/%.*sexpected", dir, (int)(strlen(names[i]) - 2), names[i]);
        char *src = rt_read_file(path), *want = rt_read_file(epath);
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
