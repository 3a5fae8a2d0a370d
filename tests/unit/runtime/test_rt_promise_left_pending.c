/* Claim: a promise chain a run leaves pending for ever (nothing can settle
 * its root) is garbage once the run is over: a script that leaves 60,000
 * such links each run runs five times on one instance with the default 64 MiB
 * heap, and the heap after the last run is back near what it was after the
 * first (the collector's list of pending children no longer keeps them). */
#include "check.h"

int main(void)
{
    REQUIRE(ami_init() >= 0);
    json_t *w = json_pack("{s:s, s:s}", "sid", "t", "script",
                          "let c = new Promise(function () {});\n"
                          "for (let i = 0; i < 60000; i++) c = c.then(v => v + 1);\n"
                          "return 'left';");
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.worker = w;
    o.slice_ms = 60000;   /* the claim is the heap: under ASan on a loaded machine 60,000 links may take > 5 s */
    ami_runtime *rt = NULL;
    REQUIRE(ami_runtime_new(&rt, &o) == 0);
    size_t first = 0;
    for (int i = 0; i < 5; i++) {
        ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
        CHECK_INT(ami_runtime_run(rt, &res), 0);
        if (res.name) fprintf(stderr, "    run %d: %s: %s\n", i + 1, res.name, res.message ? res.message : "");
        CHECK_STR(res.value, "\"left\"");
        ami_runtime_result_dispose(&res);
        size_t used = ami_runtime_heap_used(rt);
        fprintf(stderr, "    run %d: heap %zu KiB\n", i + 1, used >> 10);
        if (i == 0) first = used;
    }
    CHECK(ami_runtime_heap_used(rt) < first + ((size_t)16 << 20));
    ami_runtime_free(rt);
    json_decref(w);
    ami_shutdown();
    return check_done();
}
