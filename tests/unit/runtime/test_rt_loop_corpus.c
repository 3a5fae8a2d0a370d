/* Claim: every case in tests/js/loop (async interleaving, Promise.race/all,
 * await in loops, unawaited calls, timers against promise jobs, generators,
 * async generators), run by the runtime as a worker body, prints exactly what
 * Node printed for it (recorded in .expected by tests/js/record.sh). */
#include "rt.h"

/* print() for the sandbox, on the script's first line so line numbers stay the user's */
#define PRINT_JS "const print = (...a) => logger.info(a.map(String).join(' ')); "

static void loop_corpus_matches_node(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    const char *dir = "tests/js/loop";
    char *names[256];
    int n = rt_corpus_names(dir, names, 256);
    REQUIRE(n >= 0);
    CHECK(n >= 6);
    for (int i = 0; i < n; i++) {
        char path[600], epath[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(epath, sizeof epath, "%s/%.*s.expected", dir, (int)(strlen(names[i]) - 3), names[i]);
        char *src = rt_read_file(path), *want = rt_read_file(epath);
        CHECK(src && want);
        if (!src || !want) { free(src); free(want); free(names[i]); continue; }
        char *script = malloc(strlen(src) + sizeof PRINT_JS);
        sprintf(script, "%s%s", PRINT_JS, src);
        rt_logs logs;
        rt_logs_init(&logs);
        ami_runtime_result res;
        /* the corpus checks what a script prints, not how fast: generators.js's 100,000
         * yields passed the default 5 s slice in an ASan build at load 12 */
        int rc = rt_run_slice(net, local, script, &logs, &res, 60000);
        ami_buf got = AMI_BUF_INIT;
        for (size_t k = 0; k < json_array_size(logs.lines); k++) {
            ami_buf_puts(&got, rt_log_msg(&logs, k));
            ami_buf_puts(&got, "\n");
        }
        if (rc) {
            ami_buf_puts(&got, "UNCAUGHT ");
            ami_buf_puts(&got, res.name ? res.name : "?");
            ami_buf_puts(&got, "\n");
        }
        const char *g = got.ptr ? got.ptr : "";
        if (strcmp(g, want)) {
            check_failures++;
            fprintf(stderr, "  %s differs from Node:\n--- got\n%s--- node\n%s", names[i], g, want);
        } else {
            fprintf(stderr, "  %s: same as Node\n", names[i]);
        }
        ami_buf_dispose(&got);
        ami_runtime_result_dispose(&res);
        rt_logs_dispose(&logs);
        free(script);
        free(src);
        free(want);
        free(names[i]);
    }
    ami_store_free(net);
    ami_store_free(local);
}

int main(void)
{
    RUN(loop_corpus_matches_node);
    return check_done();
}
