/* Claim: nothing a stopped run left behind runs later: promise jobs, a
 * pending chain and timers of a run stopped in a busy loop are gone when the
 * same instance runs again (after ami_runtime_reset_stop), and what the
 * stopped run held is released at once (the heap shrinks back). */
#include <unistd.h>
#include "rt.h"

static ami_store *net, *local;

typedef struct { ami_runtime *inst; } stopper;

static void *stop_soon(void *p)
{
    usleep(300000);
    ami_runtime_stop(((stopper *)p)->inst);
    return NULL;
}

static void stopped_run_leaves_nothing(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    json_t *w = rt_worker("stop-reset",
        "if (!globalThis.__second) {\n"
        "  globalThis.__second = true;\n"
        "  let c = Promise.resolve(0);\n"
        "  for (let i = 0; i < 30000; i++) c = c.then(v => v + 1);\n"
        "  c.then(() => logger.info('left: chain'));\n"
        "  Promise.resolve().then(function again() { globalThis.__spins = (globalThis.__spins || 0) + 1; });\n"
        "  setTimeout(() => logger.info('left: timer'), 100);\n"
        "  for (;;) {}\n"
        "}\n"
        "await Stels.sleep(400);\n"
        "logger.info('second run, spins ' + (globalThis.__spins || 0));\n");
    ami_runtime_options o = rt_options(net, local, w, &logs);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    stopper s = { inst };
    pthread_t t;
    pthread_create(&t, NULL, stop_soon, &s);
    ami_runtime_result res;
    size_t peak = 0;
    CHECK_INT(ami_runtime_run(inst, &res), AMI_ESTOPPED);
    pthread_join(t, NULL);
    ami_runtime_result_dispose(&res);
    size_t after_stop = ami_runtime_heap_used(inst);
    peak = ami_runtime_heap_peak(inst);
    ami_runtime_reset_stop(inst);
    CHECK_INT(ami_runtime_run(inst, &res), 0);
    ami_runtime_result_dispose(&res);
    fprintf(stderr, "    heap: peak %zu KB, after the stop %zu KB\n", peak / 1024, after_stop / 1024);
    CHECK_INT(json_array_size(logs.lines), 1);
    CHECK_STR(rt_log_msg(&logs, 0), "second run, spins 0");
    CHECK(after_stop < peak / 2);
    ami_runtime_free(inst);
    rt_logs_dispose(&logs);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    rt_stores(&net, &local);
    RUN(stopped_run_leaves_nothing);
    ami_store_free(net);
    ami_store_free(local);
    ami_shutdown();
    return check_done();
}
