/* Claim: an un-awaited Stels.sleep(1e20) does not keep a run alive: the run
 * ends when the body has, twice in a row on one instance. */
#include "rt.h"

int main(void)
{
    REQUIRE(ami_init() >= 0);
    ami_store *net, *local;
    rt_stores(&net, &local);
    json_t *w = rt_worker("sleepy", "Stels.sleep(1e20); Stels.sleep(Infinity); logger.info('body done');");
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_options o = rt_options(net, local, w, &logs);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    for (int i = 0; i < 2; i++) {
        int64_t t0 = ami_time_mono_ms();
        ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
        CHECK_INT(ami_runtime_run(inst, &res), 0);
        int64_t took = ami_time_mono_ms() - t0;
        fprintf(stderr, "    run %d ended after %lld ms\n", i + 1, (long long)took);
        CHECK(took < 5000);
        ami_runtime_result_dispose(&res);
    }
    CHECK_STR(rt_log_msg(&logs, 1), "body done");
    ami_runtime_free(inst);
    rt_logs_dispose(&logs);
    json_decref(w);
    ami_store_free(net);
    ami_store_free(local);
    ami_shutdown();
    return check_done();
}
