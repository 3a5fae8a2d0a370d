/* Claim: an instance whose run completed a fetch (an I/O completion posted
 * into its loop) runs its body again, as a loop-mode worker's next iteration
 * does: the task did not wipe the body kept on the instance's stack. */
#include "rt.h"
#include "net_harness.h"

int main(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    net_server srv = net_server_start("http.port", NULL, NULL);
    char script[300];
    snprintf(script, sizeof script,
             "const r = await fetch('http://127.0.0.1:%d/json');\n"
             "return (await r.json()).n;\n", srv.port);
    json_t *w = rt_worker("sid-rerun", script);
    rt_logs logs;
    rt_logs_init(&logs);
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
        CHECK_STR(res.value, "42");
        ami_runtime_result_dispose(&res);
    }
    ami_runtime_free(inst);
    rt_logs_dispose(&logs);
    net_server_stop(&srv);
    ami_store_free(local);
    ami_store_free(net);
    return check_done();
}
