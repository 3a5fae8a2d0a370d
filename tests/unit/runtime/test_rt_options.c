/* Claim: ami_runtime_new validates its options (AMI_EINVAL with a message),
 * a heap cap too small for the sandbox is AMI_ENOMEM, and heap_used/peak
 * report the counting allocator's figures (freed with the instance). */
#include "rt.h"

static void bad_options_are_einval(void)
{
    json_t *w = rt_worker("s", "return 1;"), *noscript = check_json("{\"sid\":\"s\"}"), *obj = check_json("{}");
    ami_runtime *inst = NULL;
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    CHECK_INT(ami_runtime_new(NULL, &o), AMI_EINVAL);
    CHECK_INT(ami_runtime_new(&inst, NULL), AMI_EINVAL);
    o.version = 99;
    CHECK_INT(ami_runtime_new(&inst, &o), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "version") != NULL);
    o = rt_options(NULL, NULL, noscript, NULL);
    CHECK_INT(ami_runtime_new(&inst, &o), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "script") != NULL);
    o = rt_options(NULL, NULL, NULL, NULL);
    CHECK_INT(ami_runtime_new(&inst, &o), AMI_EINVAL);
    o = rt_options(NULL, NULL, w, NULL);
    o.workers = obj;
    CHECK_INT(ami_runtime_new(&inst, &o), AMI_EINVAL);
    CHECK(inst == NULL);
    CHECK_INT(ami_runtime_run(NULL, NULL), AMI_EINVAL);
    CHECK_INT(ami_runtime_pump(NULL, 0), AMI_EINVAL);
    ami_runtime_free(NULL);
    ami_runtime_stop(NULL);
    ami_runtime_result_dispose(NULL);
    CHECK_INT(ami_runtime_heap_used(NULL), 0);
    json_decref(w);
    json_decref(noscript);
    json_decref(obj);
}

static void tiny_heap_cap_is_enomem(void)
{
    json_t *w = rt_worker("s", "var a = []; for (var i = 0; i < 100; i++) a.push({i: i}); return a.length;");
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    ami_runtime *inst = NULL;
    o.heap_max_bytes = 1;
    CHECK_INT(ami_runtime_new(&inst, &o), AMI_ENOMEM);
    CHECK(inst == NULL);
    CHECK(strstr(ami_error_last(), "heap limit") != NULL);
    /* every cap either makes a working instance or fails cleanly */
    int made = 0;
    for (size_t cap = 16 * 1024; cap <= 1024 * 1024; cap += 16 * 1024) {
        o.heap_max_bytes = cap;
        int rc = ami_runtime_new(&inst, &o);
        CHECK(rc == 0 || rc == AMI_ENOMEM);
        if (rc == 0) {
            made++;
            rc = ami_runtime_run(inst, NULL);
            CHECK(rc == 0 || rc == AMI_ELIMIT);
            ami_runtime_free(inst);
        }
    }
    CHECK(made > 0);
    json_decref(w);
}

static void heap_figures(void)
{
    json_t *w = rt_worker("s", "globalThis.keep = new Array(100001).join('m');");
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    size_t idle = ami_runtime_heap_used(inst);
    CHECK(idle > 50 * 1024 && idle < 2 * 1024 * 1024);
    CHECK(ami_runtime_heap_peak(inst) >= idle);
    CHECK_RC(ami_runtime_run(inst, NULL));
    CHECK(ami_runtime_heap_used(inst) >= idle + 100000);
    CHECK(ami_runtime_heap_peak(inst) >= ami_runtime_heap_used(inst));
    ami_runtime_free(inst);
}

int main(void)
{
    RUN(bad_options_are_einval);
    RUN(tiny_heap_cap_is_enomem);
    RUN(heap_figures);
    return check_done();
}
