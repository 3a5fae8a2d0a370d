/* Claim: instances of one script created at the same time on 8 threads (the
 * first ones racing to compile it, the others loading the shared compiled
 * form) all run correctly, next to instances of per-thread scripts; the
 * script is compiled at most once per racing thread, not once per instance. */
#include "rt.h"
#include "runtime/internal.h"

enum { THREADS = 8, ROUNDS = 25 };

static ami_store *net, *local;
static pthread_barrier_t start;

static const char *shared_script =
    "async function f(i) { await null; return i * 2; }\n"
    "let s = 0; for (let i = 0; i < 10; i++) s += await f(i);\n"
    "return { s, gen: [...(function* () { yield 1; yield 2; })()] };";

static int run_value(const char *script, char *out, size_t cap)
{
    json_t *w = rt_worker("threads", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    int rc = ami_runtime_new(&inst, &o);
    json_decref(w);
    if (rc) return rc;
    ami_runtime_result res;
    rc = ami_runtime_run(inst, &res);
    snprintf(out, cap, "%s", res.value ? res.value : "");
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
    return rc;
}

static void *worker(void *p)
{
    long id = (long)p, bad = 0;
    char own[128], want[32], v[256];
    snprintf(own, sizeof own, "return %ld + [1, 2].length;", id);
    snprintf(want, sizeof want, "%ld", id + 2);
    pthread_barrier_wait(&start);
    for (int i = 0; i < ROUNDS; i++) {
        if (run_value(shared_script, v, sizeof v) || strcmp(v, "{\"s\":90,\"gen\":[1,2]}")) {
            fprintf(stderr, "thread %ld: shared script gave '%s' (%s)\n", id, v, ami_error_last());
            bad++;
        }
        if (run_value(own, v, sizeof v) || strcmp(v, want)) {
            fprintf(stderr, "thread %ld: own script gave '%s', expected %s\n", id, v, want);
            bad++;
        }
    }
    return (void *)bad;
}

static void concurrent_instances_run_correctly(void)
{
    unsigned long c0 = ami__script_cache_compiles();
    pthread_t t[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (long i = 0; i < THREADS; i++) REQUIRE(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    long bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    pthread_barrier_destroy(&start);
    CHECK_INT(bad, 0);
    /* each thread's own script once, the shared one at most once per thread */
    unsigned long compiles = ami__script_cache_compiles() - c0;
    CHECK(compiles >= THREADS + 1 && compiles <= 2 * THREADS);
}

int main(void)
{
    ami_init();
    rt_stores(&net, &local);
    RUN(concurrent_instances_run_correctly);
    ami_store_free(net);
    ami_store_free(local);
    ami_shutdown();
    return check_done();
}
