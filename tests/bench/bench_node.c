/*
 * Node benchmark (docs/design.md §5–6): start latency, failover after kill -9 and
 * SIGTERM (real amid processes), loop-iteration rate with zero delay against
 * the raw runtime, a neighbour's rate beside a 60 KB-line log flood against
 * the same worker alone, and RSS/idle CPU per sleeping worker at 1,000 workers
 * (10,000 with AMI_BENCH_10K=1).  Store: SQLite, synchronous=NORMAL.
 *
 * Output rows (see tests/bench/run):  name TAB value TAB unit TAB baseline-name TAB baseline-value [TAB lower]
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ami.h"
#include "ami/node.h"
#include "ami/runtime.h"
#include "ami/election.h"

static char dir[512];
static const char *build;

static void nap_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_node: %s: %s\n", what, ami_error_last());
    exit(1);
}

static ami_node *open_node(const char *db, const char *nid, int capacity, int loop_delay)
{
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    char uri[700];
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    o.store_uri = uri;
    o.nid = nid;
    o.capacity = capacity;
    o.loop_delay_ms = loop_delay;
    o.lease_ms = 1000;
    o.renew_ms = 300;
    o.retry_ms = 100;
    o.heartbeat_ms = 1000;
    o.stats_ms = 2000;
    o.resync_ms = 5000;
    ami_node *n = NULL;
    if (ami_node_open(&n, &o)) die("ami_node_open");
    return n;
}

static char *create(ami_store *st, const char *body_json)
{
    json_error_t err;
    json_t *body = json_loads(body_json, 0, &err), *e = NULL;
    if (!body) { fprintf(stderr, "bad JSON: %s\n", err.text); exit(1); }
    if (ami_registry_create(&e, st, "s-0001", body)) die("ami_registry_create");
    char *sid = strdup(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "sid")));
    json_decref(e);
    json_decref(body);
    return sid;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t read_t(ami_store *st, const char *a, const char *sid)
{
    json_t *k = ami_key_new(a, sid, NULL), *e = NULL;
    int64_t t = 0;
    if (ami_store_get(&e, st, k) == 0)
        t = json_integer_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "t"));
    json_decref(e);
    json_decref(k);
    return t;
}

/* update active:true → the first iteration's Date.now(), in ms (wall clock, same host) */
static void start_latency(void)
{
    char db[600];
    snprintf(db, sizeof db, "%s/start.db", dir);
    ami_node *n = open_node(db, "s-0001", 1024, -1);
    ami_store *st = ami_node_store(n);
    if (ami_node_start(n)) die("start");
    enum { N = 40 };
    int64_t lat[N];
    int got = 0;
    for (int i = 0; i < N; i++) {
        char *sid = create(st, "{\"scriptContent\":\"Stels.net.set(['b', Stels.config.sid], {t: Date.now()}); await Stels.sleep(100000);\",\"priority\":\"high\"}");
        nap_ms(20);
        json_t *raw = json_pack("{s:b}", "active", 1), *e = NULL;
        int64_t t0 = ami_time_now_ms();
        if (ami_registry_update(&e, st, sid, raw, NULL)) die("update");
        json_decref(e);
        json_decref(raw);
        int64_t t = 0;
        for (int w = 0; w < 2000 && !(t = read_t(st, "b", sid)); w++) nap_ms(1);
        if (t) lat[got++] = t - t0;
        raw = json_pack("{s:b}", "active", 0);
        ami_registry_update(&e, st, sid, raw, NULL);
        json_decref(e);
        json_decref(raw);
        free(sid);
    }
    ami_node_free(n);
    /* baseline: a fresh heap plus one run of the same script, in-process */
    json_t *w = json_pack("{s:s, s:s}", "sid", "bench", "script", "var t = Date.now();");
    int64_t b0 = ami_time_mono_ms();
    int reps = 200;
    for (int i = 0; i < reps; i++) {
        ami_runtime_options ro = AMI_RUNTIME_OPTIONS_INIT;
        ro.worker = w;
        ami_runtime *rt = NULL;
        if (ami_runtime_new(&rt, &ro)) die("ami_runtime_new");
        ami_runtime_run(rt, NULL);
        ami_runtime_free(rt);
    }
    double base = (double)(ami_time_mono_ms() - b0) / reps;
    json_decref(w);
    if (!got) { printf("# start latency: no iteration seen\n"); return; }
    qsort(lat, (size_t)got, sizeof lat[0], cmp_i64);
    printf("# start latency: %d updates; the node sees a commit through the change feed (<= 50 ms across processes)\n", got);
    printf("node start latency p50\t%lld\tms\truntime new+run\t%.3f\tlower\n", (long long)lat[got / 2], base);
    printf("node start latency p99\t%lld\tms\truntime new+run\t%.3f\tlower\n", (long long)lat[(got * 99) / 100 < got ? (got * 99) / 100 : got - 1], base);
}

/* ---- failover between amid processes ---- */

static pid_t spawn(const char *db, const char *nid)
{
    char amid[600], log[700];
    snprintf(amid, sizeof amid, "%s/amid", build);
    snprintf(log, sizeof log, "%s/%s.log", dir, nid);
    pid_t p = fork();
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
        char local[700];
        snprintf(local, sizeof local, "sqlite:%s/%s.local", dir, nid);
        execl(amid, "amid", "--nid", nid, "--db", db, "--local-db", local, "--lease-ms", "1000", "--renew-ms", "300",
              "--retry-ms", "100", "--heartbeat-ms", "200", (char *)NULL);
        _exit(127);
    }
    return p;
}

static void failover(void)
{
    /* AMI_BENCH_STORE (an etcd:// URI, from bench_etcd) replaces the SQLite file */
    const char *other = getenv("AMI_BENCH_STORE");
    char db[600], uri[700];
    snprintf(db, sizeof db, "%s/failover.db", dir);
    if (other && *other) snprintf(db, sizeof db, "%s", other);
    snprintf(uri, sizeof uri, "%s%s", other && *other ? "" : "sqlite:", db);
    ami_store *st = NULL;
    if (ami_store_open(&st, uri)) die("open");
    const char *nids[3] = { "s-0001", "s-0002", "s-0003" };
    pid_t pids[3];
    for (int i = 0; i < 3; i++) pids[i] = spawn(db, nids[i]);
    char *sid = create(st, "{\"scriptContent\":\"Stels.net.set(['f', Stels.config.sid, Stels.config.nid], {t: Date.now()});\","
                           "\"priority\":\"critical\",\"executionMode\":\"leader\",\"active\":true}");
    double sum[2] = { 0, 0 };
    int cnt[2] = { 0, 0 };
    for (int round = 0; round < 6; round++) {
        int how = round % 2;   /* 0: kill -9, 1: SIGTERM */
        ami_lease l;
        int li = -1;
        for (int w = 0; w < 5000 && li < 0; w++) {
            if (ami_election_get(&l, st, sid) == 0 && !l.expired)
                for (int i = 0; i < 3; i++) if (!strcmp(l.leader, nids[i])) li = i;
            if (li < 0) nap_ms(1);
        }
        if (li < 0) break;
        nap_ms(300);
        int64_t t0 = ami_time_now_ms();
        kill(pids[li], how ? SIGTERM : SIGKILL);
        int64_t first = 0;
        for (int w = 0; w < 10000 && !first; w++) {
            for (int i = 0; i < 3; i++) {
                if (i == li) continue;
                json_t *k = ami_key_new("f", sid, nids[i], NULL), *e = NULL;
                ami_store_get(&e, st, k);
                int64_t t = json_integer_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "t"));
                if (t >= t0 && (!first || t < first)) first = t;
                json_decref(e);
                json_decref(k);
            }
            if (!first) nap_ms(1);
        }
        waitpid(pids[li], NULL, 0);
        if (first) { sum[how] += (double)(first - t0); cnt[how]++; }
        pids[li] = spawn(db, nids[li]);
    }
    for (int i = 0; i < 3; i++) kill(pids[i], SIGTERM);
    for (int i = 0; i < 3; i++) waitpid(pids[i], NULL, 0);
    printf("# failover: 3 amid processes, lease 1000 / renew 300 / retry 100 ms; time from the signal to the new leader's first iteration\n");
    if (cnt[0]) printf("failover after kill -9\t%.0f\tms\tlease+renew bound\t1300\tlower\n", sum[0] / cnt[0]);
    if (cnt[1]) printf("failover after SIGTERM\t%.0f\tms\tgoal\t200\tlower\n", sum[1] / cnt[1]);
    free(sid);
    ami_store_free(st);
}

/* ---- loop rate ---- */

static void loop_rate(void)
{
    char db[600];
    snprintf(db, sizeof db, "%s/loop.db", dir);
    ami_node *n = open_node(db, "s-0001", 1024, 0);
    ami_store *st = ami_node_store(n);
    char *sid = create(st, "{\"scriptContent\":\"var x = 1 + 1;\",\"priority\":\"critical\",\"active\":true}");
    if (ami_node_start(n)) die("start");
    nap_ms(500);
    json_t *s0 = NULL, *s1 = NULL;
    ami_node_stats(&s0, n);
    int64_t t0 = ami_time_mono_ms();
    nap_ms(1000);
    ami_node_stats(&s1, n);
    int64_t t1 = ami_time_mono_ms();
    double e0 = (double)json_integer_value(json_object_get(s0, "totalExecutions"));
    double e1 = (double)json_integer_value(json_object_get(s1, "totalExecutions"));
    json_decref(s0);
    json_decref(s1);
    ami_node_free(n);
    free(sid);
    double rate = (e1 - e0) * 1000.0 / (double)(t1 - t0);
    /* raw: the same script, a warm instance called in a loop */
    json_t *w = json_pack("{s:s, s:s}", "sid", "bench", "script", "var x = 1 + 1;");
    ami_runtime_options ro = AMI_RUNTIME_OPTIONS_INIT;
    ro.worker = w;
    ami_runtime *rt = NULL;
    if (ami_runtime_new(&rt, &ro)) die("ami_runtime_new");
    long iters = 0;
    int64_t r0 = ami_time_mono_ms();
    while (ami_time_mono_ms() - r0 < 1000) { ami_runtime_run(rt, NULL); iters++; }
    double raw = (double)iters * 1000.0 / (double)(ami_time_mono_ms() - r0);
    ami_runtime_free(rt);
    json_decref(w);
    printf("# loop rate: one worker, loop_delay_ms 0, iterations counted by the node's stats\n");
    printf("node loop iterations (zero delay)\t%.0f\tit/s\traw ami_runtime_run\t%.0f\n", rate, raw);
}

/* ---- a log-flooding neighbour ----
 * A worker writing Stels.local as fast as it can, alone and beside a worker
 * logging 60 KB lines in a loop (started and stopped through the registry),
 * in alternating rounds on one node; best round of each side. */

static long long executions_of(ami_node *n, const char *sid)
{
    json_t *s = NULL;
    long long v = -1;
    if (ami_node_stats(&s, n)) return -1;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(s, "workers"), i, w)
        if (!strcmp(json_string_value(json_object_get(w, "sid")), sid)) v = json_integer_value(json_object_get(w, "executions"));
    json_decref(s);
    return v;
}

static double neighbour_round(ami_node *n, const char *sid, int ms)
{
    long long e0 = executions_of(n, sid);
    int64_t t0 = ami_time_mono_ms();
    nap_ms(ms);
    long long e1 = executions_of(n, sid);
    return (double)(e1 - e0) * 1000.0 / (double)(ami_time_mono_ms() - t0);
}

static void log_flood_neighbour(void)
{
    char db[600];
    snprintf(db, sizeof db, "%s/flood.db", dir);
    ami_node *n = open_node(db, "s-0001", 1024, 0);
    ami_store *st = ami_node_store(n);
    char *calm = create(st, "{\"scriptContent\":\"await Stels.local.set(['c'], Date.now());\",\"active\":true}");
    char *flood = create(st, "{\"scriptContent\":\"const s = 'x'.repeat(60000);\\n"
                             "for (let i = 0; i < 20; i++) logger.info(s + i);\",\"active\":false}");
    /* the same loop building the same strings without logging them: what any busy neighbour costs */
    char *busy = create(st, "{\"scriptContent\":\"const s = 'x'.repeat(60000); let n = 0;\\n"
                            "for (let i = 0; i < 20; i++) n += (s + i).length;\",\"active\":false}");
    if (ami_node_start(n)) die("start");
    nap_ms(1000);
    double alone = 0, beside = 0, beside_busy = 0;
    const char *other[2] = { flood, busy };
    double *best[2] = { &beside, &beside_busy };
    for (int r = 0; r < 3; r++) {
        double a = neighbour_round(n, calm, 1500);
        if (a > alone) alone = a;
        for (int k = 0; k < 2; k++) {
            json_t *e = NULL;
            if (ami_registry_set_active(&e, st, other[k], 1)) die("set_active");
            json_decref(e);
            nap_ms(500);
            double b = neighbour_round(n, calm, 1500);
            if (b > *best[k]) *best[k] = b;
            if (ami_registry_set_active(&e, st, other[k], 0)) die("set_active");
            json_decref(e);
            nap_ms(500);
        }
    }
    ami_node_free(n);
    free(calm);
    free(flood);
    free(busy);
    printf("# neighbour of a 60 KB-line log flood: a worker writing Stels.local with zero delay, best of 3 alternating "
           "rounds of 1.5 s; %.1f%% slower beside the flood (goal <= 10%%), %.1f%% beside the same loop without "
           "logging (%.0f it/s: CPU shared on this machine)\n", alone > 0 ? (1 - beside / alone) * 100 : 0,
           alone > 0 ? (1 - beside_busy / alone) * 100 : 0, beside_busy);
    printf("iterations beside a 60 KB log flood\t%.0f\tit/s\tthe same worker alone\t%.0f\n", beside, alone);
}

/* ---- memory and idle CPU per sleeping worker ---- */

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

/* Where the resident memory is, from /proc/self/smaps: instance thread
 * stacks (anonymous read-write mappings of exactly the stack size), the main
 * malloc heap ([heap]) and the other anonymous mappings (malloc's per-thread
 * arenas, big blocks), in KiB. */
static void rss_parts(long *stacks, long *heap, long *anon)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    long size = 0;
    int kind = 0;   /* 0 other, 1 stack, 2 [heap], 3 anonymous */
    *stacks = *heap = *anon = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8], path[256] = "";
        const char *dash = strchr(line, '-'), *sp = strchr(line, ' ');
        if (dash && sp && dash < sp && sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, path) >= 3) {
            size = (long)((hi - lo) / 1024);
            if (!strcmp(path, "[heap]")) kind = 2;
            else if (path[0] || perms[0] != 'r') kind = 0;
            else kind = size == (long)(AMI_RUNTIME_STACK_MIN / 1024) ? 1 : 3;
            path[0] = 0;
        } else if (!strncmp(line, "Rss:", 4)) {
            long kb = atol(line + 4);
            if (kind == 1) *stacks += kb;
            else if (kind == 2) *heap += kb;
            else if (kind == 3) *anon += kb;
        }
    }
    if (f) fclose(f);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void per_worker(int count)
{
    char db[600];
    snprintf(db, sizeof db, "%s/mem%d.db", dir, count);
    ami_node *n = open_node(db, "s-0001", count + 10, -1);
    ami_store *st = ami_node_store(n);
    if (ami_node_start(n)) die("start");
    nap_ms(300);
    long before = rss_kb();
    long st0, hp0, an0;
    rss_parts(&st0, &hp0, &an0);
    /* create them in one commit per 500 (the registry's create is one commit each) */
    for (int i = 0; i < count; i++) {
        char *sid = create(st, "{\"scriptContent\":\"await Stels.sleep(3600000);\",\"priority\":\"low\",\"active\":true}");
        free(sid);
    }
    int running = 0;
    for (int w = 0; w < 600; w++) {
        json_t *s = NULL;
        ami_node_stats(&s, n);
        /* running with a heap: lastRun is set once the script has been entered */
        running = 0;
        size_t i;
        json_t *ws;
        json_array_foreach(json_object_get(s, "workers"), i, ws)
            if (json_is_true(json_object_get(ws, "isRunning")) && json_is_integer(json_object_get(ws, "lastRun"))) running++;
        json_decref(s);
        if (running >= count) break;
        nap_ms(100);
    }
    nap_ms(1000);
    long after = rss_kb();
    long st1, hp1, an1;
    rss_parts(&st1, &hp1, &an1);
    double c0 = cpu_s();
    int64_t t0 = ami_time_mono_ms();
    nap_ms(3000);
    double cpu = (cpu_s() - c0) / ((double)(ami_time_mono_ms() - t0) / 1000.0) * 100.0;
    int64_t s0 = ami_time_mono_ms();
    ami_node_free(n);
    int64_t stop_ms = ami_time_mono_ms() - s0;
    printf("# %d sleeping workers (%d running, in Stels.sleep): RSS %ld -> %ld KiB; stop of all took %lld ms "
           "(graceful wait %d ms, then interrupted)\n", count, running, before, after, (long long)stop_ms, 5000);
    printf("# per sleeping worker: %.1f KiB thread stack, %.1f KiB main malloc heap, %.1f KiB other anonymous memory "
           "(malloc's per-thread arenas); Duktape heap of an idle instance: see bench_runtime\n",
           (double)(st1 - st0) / count, (double)(hp1 - hp0) / count, (double)(an1 - an0) / count);
    printf("RSS per sleeping worker (%d)\t%.0f\tKB\tgoal\t200\tlower\n", count, (double)(after - before) * 1.024 / count);
    printf("idle CPU with %d sleeping workers\t%.2f\t%%core\tgoal\t5\tlower\n", count, cpu);
}

int main(void)
{
    build = getenv("AMI_BUILD") && *getenv("AMI_BUILD") ? getenv("AMI_BUILD") : "build";
    snprintf(dir, sizeof dir, "%s/bench-node-XXXXXX", build);
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    if (ami_init() < 0) return 1;
    const char *only = getenv("AMI_BENCH_ONLY");   /* start|loop|flood|failover|mem */
    if (!only || !strcmp(only, "start")) start_latency();
    if (!only || !strcmp(only, "loop")) loop_rate();
    if (!only || !strcmp(only, "flood")) log_flood_neighbour();
    if (!only || !strcmp(only, "failover")) failover();
    if (!only || !strcmp(only, "mem")) per_worker(1000);
    if (getenv("AMI_BENCH_10K")) per_worker(10000);
    ami_shutdown();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
    return 0;
}
