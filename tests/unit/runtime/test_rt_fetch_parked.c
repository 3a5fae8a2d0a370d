/* Claim: an instance a scheduler drives (ami_runtime_step with a `ready`
 * callback, no thread held while it waits) gets its fetch responses: the
 * process-wide watcher polls the parked instance's sockets and calls `ready`
 * when a response arrives — sequential fetches, ten at once under
 * Promise.all (overlapping: well under their summed time), a timeout — and
 * the instance is stepped a few times per request, not polled in a loop. */
#define _GNU_SOURCE 1
#include "rt.h"
#include "net_harness.h"
#include "util/util.h"

static ami_store *net, *local;
static net_server srv;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int readies;

static void on_ready(void *payload)
{
    (void)payload;
    pthread_mutex_lock(&mu);
    readies++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Run the body by steps; between them wait only for `ready` (and a timer
 * deadline the step names) — never poll.  Returns the run's code; *steps. */
static int run_parked(const char *script, int fetch_timeout_ms, int *steps, ami_runtime_result *res)
{
    char *full = NULL;
    if (asprintf(&full, "const BASE = 'http://127.0.0.1:%d';\n%s", srv.port, script) < 0) abort();
    json_t *w = rt_worker("sid-parked", full);
    free(full);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.allow_net = "127.0.0.1";
    o.fetch_timeout_ms = fetch_timeout_ms;
    o.ready = on_ready;
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    REQUIRE(ami_runtime_start(inst) == 0);
    *steps = 0;
    int64_t give_up = ami_time_mono_ms() + 30000;
    for (;;) {
        pthread_mutex_lock(&mu);
        int seen = readies;
        pthread_mutex_unlock(&mu);
        int64_t wake = -1;
        int rc = ami_runtime_step(inst, &wake, res);
        (*steps)++;
        if (rc == AMI_RUNTIME_DONE) break;
        REQUIRE(rc == 0);
        int64_t until = wake < 0 ? give_up : ami_time_mono_ms() + wake;
        pthread_mutex_lock(&mu);
        while (readies == seen && ami_time_mono_ms() < until) ami__cond_wait_mono_ms(&cv, &mu, until - ami_time_mono_ms());
        pthread_mutex_unlock(&mu);
        if (ami_time_mono_ms() >= give_up) {
            CHECK(!"the instance was never woken");
            ami_runtime_stop(inst);
        }
    }
    ami_runtime_free(inst);
    return res->code;
}

static void sequential_and_concurrent_fetches_wake_the_instance(void)
{
    int steps = 0;
    ami_runtime_result res;
    int rc = run_parked("let n = 0;\n"
                        "for (let i = 0; i < 5; i++) n += (await (await fetch(BASE + '/delay?ms=50')).json()).delayed;\n"
                        "const t0 = Date.now();\n"
                        "const all = await Promise.all(Array.from({ length: 10 }, () => fetch(BASE + '/delay?ms=300').then(r => r.json())));\n"
                        "return [n, all.length, all[9].delayed, Date.now() - t0];\n",
                        0, &steps, &res);
    CHECK_INT(rc, 0);
    json_t *v = res.value ? json_loads(res.value, 0, NULL) : NULL;
    CHECK_INT(json_integer_value(json_array_get(v, 0)), 250);
    CHECK_INT(json_integer_value(json_array_get(v, 1)), 10);
    CHECK_INT(json_integer_value(json_array_get(v, 2)), 300);
    /* ten 300 ms requests one after another would take 3 s */
    CHECK(json_integer_value(json_array_get(v, 3)) < 2000);
    json_decref(v);
    /* a step per readiness, not a busy loop: 15 requests */
    CHECK(steps < 200);
    ami_runtime_result_dispose(&res);
}

static void a_timeout_wakes_the_instance(void)
{
    int steps = 0;
    ami_runtime_result res;
    int64_t t0 = ami_time_mono_ms();
    int rc = run_parked("try { await fetch(BASE + '/slow'); return 'answered'; } catch (e) { return e.name; }\n", 500, &steps,
                        &res);
    CHECK_INT(rc, 0);
    CHECK_STR(res.value, "\"RequestTimeout\"");
    CHECK(ami_time_mono_ms() - t0 < 10000);
    ami_runtime_result_dispose(&res);
}

int main(void)
{
    rt_stores(&net, &local);
    srv = net_server_start("http.port", NULL, NULL);
    RUN(sequential_and_concurrent_fetches_wake_the_instance);
    RUN(a_timeout_wakes_the_instance);
    net_server_stop(&srv);
    ami_store_free(local);
    ami_store_free(net);
    return check_done();
}
