/* Claim: an instance runs its body again after a run in which a posted task
 * ran (a fetch answer from a real local server): the second and third runs
 * start the body (a loop worker that fetches does not fail on its second
 * iteration with "cannot read property 'apply' of undefined"). */
#define _GNU_SOURCE 1
#include "rt.h"
#include "net_harness.h"

static ami_store *net, *local;
static net_server srv;

static void body_runs_again_after_a_fetch(void)
{
    char *script = NULL;
    if (asprintf(&script, "const r = await fetch('http://127.0.0.1:%d/json');\n"
                          "logger.info('run', r.status, (await r.json()).n);\n", srv.port) < 0) abort();
    rt_logs logs;
    rt_logs_init(&logs);
    json_t *w = rt_worker("sid-rerun", script);
    free(script);
    ami_runtime_options o = rt_options(net, local, w, &logs);
    o.allow_net = "127.0.0.1";
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    for (int i = 0; i < 3; i++) {
        ami_runtime_result res;
        int rc = ami_runtime_run(inst, &res);
        if (rc) fprintf(stderr, "  run %d: %s: %s\n", i + 1, res.name, res.message);
        CHECK_INT(rc, 0);
        ami_runtime_result_dispose(&res);
    }
    CHECK_INT(json_array_size(logs.lines), 3);
    for (size_t i = 0; i < json_array_size(logs.lines); i++) CHECK_STR(rt_log_msg(&logs, i), "run 200 42");
    ami_runtime_free(inst);
    rt_logs_dispose(&logs);
}

int main(void)
{
    rt_stores(&net, &local);
    srv = net_server_start("http.port", NULL, NULL);
    RUN(body_runs_again_after_a_fetch);
    net_server_stop(&srv);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
