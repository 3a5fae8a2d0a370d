/* Claim: 10,000 workers sleeping in Stels.sleep on one node (a SQLite file)
 * all start, 100 of them hot-reload to a new script and 100 others stop
 * (active:false), and the node shuts down gracefully, each within generous
 * bounds; meanwhile the process has at most runner_threads + a few service
 * threads (/proc/self/task): a sleeping worker holds no OS thread.
 * (1,000 under AddressSanitizer, whose heaps are several times larger;
 * AMI_SCALE_WORKERS=N sets another count.  10,000 start in ~7 s on the
 * 2-core machine since instances share their strings; the bounds below leave
 * room for every core being busy with other tests.) */
#include <dirent.h>
#include "node_helpers.h"

#if defined(__SANITIZE_ADDRESS__)
enum { N_DEFAULT = 1000 };
#else
enum { N_DEFAULT = 10000 };
#endif
static int N = N_DEFAULT;
enum { M = 100 };
enum { RUNNERS = 2, SERVICE = 8 };   /* scheduler, election, housekeeping, log writer, main, store feed, spare */

static char **sids;

static void tweak(ami_node_options *o)
{
    o->runner_threads = RUNNERS;
    o->capacity = N + 10;
    o->stats_ms = 2000;
    o->resync_ms = 5000;
    o->graceful_shutdown_ms = 1000;
}

static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

/* Workers of `sids[from..to)` listed as running with a heap entered (lastRun
 * set) and, when hash is given, that script. */
static int count_running(ami_node *n, int from, int to, const char *hash, int *max_threads)
{
    int t = threads();
    if (t > *max_threads) *max_threads = t;
    json_t *all = NULL;
    if (ami_node_stats(&all, n)) return -1;
    json_t *want = json_object();
    for (int i = from; i < to; i++) json_object_set_new(want, sids[i], json_true());
    int c = 0;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(all, "workers"), i, w) {
        if (!json_object_get(want, json_string_value(json_object_get(w, "sid")))) continue;
        if (!json_is_true(json_object_get(w, "isRunning")) || !json_is_integer(json_object_get(w, "lastRun"))) continue;
        if (hash && strcmp(json_string_value(json_object_get(w, "scriptHash")) ?: "", hash)) continue;
        c++;
    }
    json_decref(want);
    json_decref(all);
    return c;
}

static void many_sleepers(void)
{
    char db[500];
    snprintf(db, sizeof db, "%s", check_path("scale.db"));
    const char *env = getenv("AMI_SCALE_WORKERS");
    if (env && atoi(env) > 2 * M) N = atoi(env);
    sids = calloc((size_t)N, sizeof *sids);
    ami_node *node = open_node(db, "s-0001", tweak);
    ami_store *st = ami_node_store(node);
    int base = threads();
    /* the records first: a node follows registry changes by listing it again */
    for (int i = 0; i < N; i++)
        sids[i] = make_worker(st, "s-0001", "{\"scriptContent\":\"await Stels.sleep(3600000);\",\"priority\":\"low\",\"active\":true}");
    int64_t t0 = ami_time_mono_ms();
    CHECK_RC(ami_node_start(node));
    int max_threads = 0, got = 0;
    for (int64_t w0 = ami_time_mono_ms(); ami_time_mono_ms() - w0 < 100000; nap_ms(1000))
        if ((got = count_running(node, 0, N, NULL, &max_threads)) == N) break;
    CHECK_INT(got, N);
    fprintf(stderr, "  %d workers started in %lld ms; threads %d before start, at most %d after\n", N,
            (long long)(ami_time_mono_ms() - t0), base, max_threads);
    CHECK(max_threads <= base + RUNNERS + SERVICE);

    /* hot reload of the first M, stop of the next M */
    char h0[256];
    snprintf(h0, sizeof h0, "%s", stat_str(node, sids[0], "scriptHash"));
    int64_t t1 = ami_time_mono_ms();
    for (int i = 0; i < M; i++)
        update_worker(st, sids[i], "{\"script\":\"await Stels.sleep(3600001);\"}");
    for (int i = M; i < 2 * M; i++) update_worker(st, sids[i], "{\"active\":false}");
    fprintf(stderr, "  %d updates written in %lld ms\n", 2 * M, (long long)(ami_time_mono_ms() - t1));
    int reloaded = 0, stopped = 0;
    for (int64_t w0 = ami_time_mono_ms(); ami_time_mono_ms() - w0 < 40000; nap_ms(1000)) {
        json_t *s = worker_stats(node, sids[0]);
        const char *h = s ? json_string_value(json_object_get(s, "scriptHash")) : NULL;
        char hnew[16] = "";
        if (h) snprintf(hnew, sizeof hnew, "%s", h);
        json_decref(s);
        reloaded = count_running(node, 0, M, hnew, &max_threads);
        stopped = M - count_running(node, M, 2 * M, NULL, &max_threads);
        if (reloaded == M && stopped == M && strcmp(hnew, h0)) break;
    }
    CHECK_INT(reloaded, M);
    CHECK_INT(stopped, M);
    CHECK_INT(count_running(node, 2 * M, N, NULL, &max_threads), N - 2 * M);
    fprintf(stderr, "  %d reloaded and %d stopped in %lld ms; at most %d threads\n", M, M,
            (long long)(ami_time_mono_ms() - t1), max_threads);
    CHECK(max_threads <= base + RUNNERS + SERVICE);

    /* shutdown: the sleepers do not finish their run within the graceful time, then are interrupted */
    int64_t t2 = ami_time_mono_ms();
    CHECK_RC(ami_node_stop(node));
    int64_t stop_ms = ami_time_mono_ms() - t2;
    fprintf(stderr, "  shutdown of %d sleeping workers took %lld ms (graceful 1000 ms)\n", N - M, (long long)stop_ms);
    CHECK(stop_ms < 60000);
    CHECK_INT(count_running(node, 0, N, NULL, &max_threads), 0);
    ami_node_free(node);
    for (int i = 0; i < N; i++) free(sids[i]);
    free(sids);
}

int main(void)
{
    RUN(many_sleepers);
    return check_done();
}
