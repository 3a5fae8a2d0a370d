/*
 * Node benchmark (docs/design.md §5–6): start latency, failover after kill -9 and
 * SIGTERM (real amid processes), loop-iteration rate with zero delay against
 * the raw runtime, a neighbour's rate beside a 60 KB-line log flood against
 * the same loop without logging at the budget's pace, a zero-delay neighbour's rate and a
 * paced neighbour's write latency beside a 60 KB value writer, RSS/idle CPU per sleeping worker and timer wake-up
 * lateness at 10,000 workers (NSLEEP=N for another count), idle CPU and
 * delivery time of 1,000 subscribed sleeping workers, and 1,000 busy workers
 * against a raw duk_pcall loop per core.  Store: SQLite, synchronous=NORMAL.
 *
 * Output rows (see tests/bench/run):  name TAB value TAB unit TAB baseline-name TAB baseline-value [TAB lower]
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
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
#include "duktape.h"
#include "check.h"   /* check_each_thread */
#include "runtime/slab.h"   /* ami__slab_stats: where the instances' blocks are */

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
    /* a 1 s heartbeat: five times the default's commits; AMI_BENCH_NODE_DEFAULTS=1 keeps
     * the node's defaults for the periods (heartbeat 5 s) */
    if (!getenv("AMI_BENCH_NODE_DEFAULTS")) {
        o.heartbeat_ms = 1000;
        o.stats_ms = 2000;
        o.resync_ms = 5000;
    }
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

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
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
    double sum[2] = { 0, 0 }, lsum = 0;
    int cnt[2] = { 0, 0 }, lcnt = 0;
    char rounds[200] = "";
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
        int64_t first = 0, handed = 0;
        for (int w = 0; w < 10000 && !first; w++) {
            /* the lease itself: another node holds it */
            if (how && !handed && ami_election_get(&l, st, sid) == 0 && !l.expired && strcmp(l.leader, nids[li]))
                handed = ami_time_now_ms();
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
        if (handed) {
            lsum += (double)(handed - t0);
            lcnt++;
            size_t rl = strlen(rounds);
            snprintf(rounds + rl, sizeof rounds - rl, " %lld", (long long)(handed - t0));
        }
        pids[li] = spawn(db, nids[li]);
    }
    for (int i = 0; i < 3; i++) kill(pids[i], SIGTERM);
    for (int i = 0; i < 3; i++) waitpid(pids[i], NULL, 0);
    printf("# failover: 3 amid processes, lease 1000 / renew 300 / retry 100 ms; time from the signal to the new leader's first iteration\n");
    if (cnt[0]) printf("failover after kill -9\t%.0f\tms\tlease+renew bound\t1300\tlower\n", sum[0] / cnt[0]);
    if (cnt[1]) printf("failover after SIGTERM\t%.0f\tms\tgoal\t200\tlower\n", sum[1] / cnt[1]);
    printf("# lease handoff: from SIGTERM until another node holds the lease (the rest of the failover is its instance start); "
           "rounds (ms):%s\n", rounds);
    if (lcnt) printf("lease handoff after SIGTERM\t%.1f\tms\tgoal\t20\tlower\n", lsum / lcnt);
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

/* CPU seconds of this process (all threads). */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- a log-flooding neighbour ----
 * A worker writing Stels.local as fast as it can (the neighbour), alone,
 * beside a worker logging 60 KB lines in a loop, and beside the same loop
 * without the logging at the pace the log budget holds the flood to (it
 * runs once, then waits for the end of its one-second budget window): the
 * flood's own cost to its neighbours is the difference between the last two.
 * Rounds alternate on one node, in a rotating order; the best round of each
 * side counts.  Then the CPU the node spends per second with only the flood
 * running, with only the paced loop, and idle (load-independent). */

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

static void set_active(ami_store *st, const char *sid, int on)
{
    json_t *e = NULL;
    if (sid && ami_registry_set_active(&e, st, sid, on)) die("set_active");
    json_decref(e);
}

/* ms of this process's CPU per second with only `sid` running (NULL: none) */
static double cpu_ms_per_s(ami_store *st, const char *sid)
{
    set_active(st, sid, 1);
    nap_ms(1000);
    double c0 = cpu_s();
    int64_t t0 = ami_time_mono_ms();
    nap_ms(2000);
    double ms = (cpu_s() - c0) * 1e6 / (double)(ami_time_mono_ms() - t0);
    set_active(st, sid, 0);
    nap_ms(300);
    return ms;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void log_flood_neighbour(void)
{
    enum { ROUNDS = 4 };
    char db[600];
    snprintf(db, sizeof db, "%s/flood.db", dir);
    ami_node *n = open_node(db, "s-0001", 1024, 0);
    ami_store *st = ami_node_store(n);
    char *calm = create(st, "{\"scriptContent\":\"await Stels.local.set(['c'], Date.now());\",\"active\":true}");
    char *flood = create(st, "{\"scriptContent\":\"const s = 'x'.repeat(60000);\\n"
                             "for (let i = 0; i < 20; i++) logger.info(s + i);\",\"active\":false}");
    /* the same loop building the same strings without logging them, once a second */
    char *paced = create(st, "{\"scriptContent\":\"const s = 'x'.repeat(60000); let n = 0;\\n"
                             "for (let i = 0; i < 20; i++) n += (s + i).length;\\n"
                             "await Stels.sleep(1000);\",\"active\":false}");
    if (ami_node_start(n)) die("start");
    nap_ms(1000);
    const char *other[3] = { NULL, flood, paced };
    double best[3] = { 0, 0, 0 }, ratio[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double rate[3];
        for (int j = 0; j < 3; j++) {
            int k = (r + j) % 3;
            set_active(st, other[k], 1);
            nap_ms(500);
            rate[k] = neighbour_round(n, calm, 1200);
            if (rate[k] > best[k]) best[k] = rate[k];
            set_active(st, other[k], 0);
            nap_ms(300);
        }
        ratio[r] = rate[2] > 0 ? rate[1] / rate[2] : 0;
    }
    set_active(st, calm, 0);
    nap_ms(500);
    double idle = cpu_ms_per_s(st, NULL), fl = cpu_ms_per_s(st, flood), pc = cpu_ms_per_s(st, paced);
    ami_node_free(n);
    free(calm);
    free(flood);
    free(paced);
    qsort(ratio, ROUNDS, sizeof ratio[0], cmp_double);
    double alone = best[0], beside = best[1], beside_paced = best[2];
    printf("# neighbour of a 60 KB-line log flood: a worker writing Stels.local with zero delay, best of %d rounds of "
           "1.2 s in rotating order: %.1f%% slower beside the flood than beside the same loop without logging at the "
           "budget's pace (goal <= 10%%; median of the rounds' ratios %.1f%%); against the worker alone (%.0f it/s): "
           "%.1f%% beside the flood, %.1f%% beside the paced loop (CPU shared on this machine)\n",
           ROUNDS, beside_paced > 0 ? (1 - beside / beside_paced) * 100 : 0, (1 - ratio[ROUNDS / 2]) * 100, alone,
           alone > 0 ? (1 - beside / alone) * 100 : 0, alone > 0 ? (1 - beside_paced / alone) * 100 : 0);
    printf("# the node's CPU per second: idle %.1f ms, with the flood alone %.1f ms, with the paced loop alone %.1f ms\n",
           idle, fl, pc);
    printf("iterations beside a 60 KB log flood\t%.0f\tit/s\tbeside the same loop without logging\t%.0f\n", beside,
           beside_paced);
}

/* ---- a neighbour of a worker writing 60 KB values ----
 * The same neighbour (Stels.local.set with zero delay) alone, beside a worker
 * writing 60 KB values to the same store in a zero-delay loop, and beside the
 * same loop writing a 2-byte value: one SQLite writer at a time, so the
 * value's size is what the last two differ in.  Best of rotating rounds.
 * A zero-delay neighbour mostly measures its share of the 2 cores and of the
 * one writer; what the issue is about — how long an ordinary worker's write
 * takes — is the paced neighbour's: one Stels.local.set timed with
 * performance.now(), then Stels.sleep(3), in its own rounds (the zero-delay
 * neighbour stopped).  It keeps 20 timings and stores them under
 * ["lat", Date.now()] (that write untimed); the bench takes the lists
 * stored inside each round's window. */

#define PACED_SCRIPT "globalThis.L = globalThis.L || [];\\n" \
    "const t0 = performance.now();\\n" \
    "await Stels.local.set(['p'], Date.now());\\n" \
    "L.push(Math.round((performance.now() - t0) * 1000));\\n" \
    "if (L.length >= 20) { const l = L; globalThis.L = []; await Stels.local.set(['lat', Date.now()], l); }\\n" \
    "await Stels.sleep(3);"

typedef struct { double *v; size_t n, cap; } samples;

static void samples_add(samples *s, double x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) { perror("realloc"); exit(1); }
    }
    s->v[s->n++] = x;
}

/* The timings (µs) the paced worker stored with a time in [from, to) (wall ms). */
static void paced_collect(ami_store *local, int64_t from, int64_t to, samples *out)
{
    json_t *prefix = ami_key_new("lat", NULL), *list = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    if (ami_store_list(&list, local, &lo)) die("list");
    size_t i, j;
    json_t *e, *x;
    json_array_foreach(list, i, e) {
        int64_t at = (int64_t)json_number_value(json_array_get(json_object_get(e, "key"), 1));
        if (at < from || at >= to) continue;
        json_t *v = json_object_get(e, "value");
        if (json_is_object(v) && json_object_get(v, "raw")) v = json_object_get(v, "raw");
        json_array_foreach(v, j, x) samples_add(out, json_number_value(x));
    }
    json_decref(list);
    json_decref(prefix);
}

static double quantile(samples *s, double q)
{
    if (!s->n) return 0;
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    size_t k = (size_t)(q * (double)(s->n - 1) + 0.5);
    return s->v[k];
}

static double mean_of(const samples *s)
{
    double sum = 0;
    for (size_t i = 0; i < s->n; i++) sum += s->v[i];
    return s->n ? sum / (double)s->n : 0;
}

static void big_value_neighbour(void)
{
    enum { ROUNDS = 4 };
    char db[600];
    snprintf(db, sizeof db, "%s/bigvalue.db", dir);
    ami_node *n = open_node(db, "s-0001", 1024, 0);
    ami_store *st = ami_node_store(n);
    char *calm = create(st, "{\"scriptContent\":\"await Stels.local.set(['c'], Date.now());\",\"active\":true}");
    char *big = create(st, "{\"scriptContent\":\"await Stels.local.set(['big'], 'x'.repeat(60000));\",\"active\":false}");
    char *small = create(st, "{\"scriptContent\":\"'x'.repeat(60000); await Stels.local.set(['big'], 'x');\",\"active\":false}");
    if (ami_node_start(n)) die("start");
    nap_ms(1000);
    const char *other[3] = { NULL, big, small };
    double best[3] = { 0, 0, 0 };
    for (int r = 0; r < ROUNDS; r++)
        for (int j = 0; j < 3; j++) {
            int k = (r + j) % 3;
            set_active(st, other[k], 1);
            nap_ms(500);
            double rate = neighbour_round(n, calm, 1200);
            if (rate > best[k]) best[k] = rate;
            set_active(st, other[k], 0);
            nap_ms(300);
        }
    set_active(st, calm, 0);
    /* the paced neighbour, in rounds of its own */
    char *paced = create(st, "{\"scriptContent\":\"" PACED_SCRIPT "\",\"active\":true}");
    ami_store *local = ami_node_local_store(n);
    samples lat[3] = { { NULL, 0, 0 }, { NULL, 0, 0 }, { NULL, 0, 0 } };
    nap_ms(500);
    for (int r = 0; r < ROUNDS; r++)
        for (int j = 0; j < 3; j++) {
            int k = (r + j) % 3;
            set_active(st, other[k], 1);
            nap_ms(500);
            int64_t from = ami_time_now_ms();
            nap_ms(1200);
            int64_t to = ami_time_now_ms();
            set_active(st, other[k], 0);
            nap_ms(300);
            paced_collect(local, from, to, &lat[k]);
        }
    set_active(st, paced, 0);
    long long big_writes = executions_of(n, big);
    ami_node_free(n);
    free(paced);
    free(calm);
    free(big);
    free(small);
    printf("# neighbour of a 60 KB-value writer: a worker writing Stels.local with zero delay, best of %d rounds of 1.2 s "
           "in rotating order: %.1f%% slower beside the 60 KB writer than beside the same loop writing 2 bytes "
           "(goal <= 10%%); against the worker alone (%.0f it/s): %.1f%% beside the 60 KB writer, %.1f%% beside the "
           "2-byte writer (CPU shared on this machine); %lld 60 KB commits in all\n",
           ROUNDS, best[2] > 0 ? (1 - best[1] / best[2]) * 100 : 0, best[0],
           best[0] > 0 ? (1 - best[1] / best[0]) * 100 : 0, best[0] > 0 ? (1 - best[2] / best[0]) * 100 : 0, big_writes);
    printf("iterations beside a 60 KB value writer\t%.0f\tit/s\tthe same worker alone\t%.0f\n", best[1], best[0]);
    double med[3], p90[3], avg[3];
    for (int k = 0; k < 3; k++) {
        avg[k] = mean_of(&lat[k]);
        med[k] = quantile(&lat[k], 0.5);
        p90[k] = quantile(&lat[k], 0.9);
    }
    printf("# paced neighbour of a 60 KB-value writer: one Stels.local.set timed with performance.now(), then "
           "Stels.sleep(3), %d rounds of 1.2 s in rotating order; its set's median / 90th percentile / mean: alone "
           "%.0f / %.0f / %.0f us (%zu sets), beside the 60 KB writer %.0f / %.0f / %.0f us (%zu), beside the 2-byte "
           "writer %.0f / %.0f / %.0f us (%zu): the median %.1f%% slower beside the 60 KB writer than beside the "
           "2-byte writer (goal <= 10%%), %.1f%% slower than alone\n",
           ROUNDS, med[0], p90[0], avg[0], lat[0].n, med[1], p90[1], avg[1], lat[1].n, med[2], p90[2], avg[2], lat[2].n,
           med[2] > 0 ? (med[1] / med[2] - 1) * 100 : 0, med[0] > 0 ? (med[1] / med[0] - 1) * 100 : 0);
    printf("paced store write beside a 60 KB value writer (median)\t%.0f\tus\tbeside the same loop writing 2 bytes\t%.0f\tlower\n",
           med[1], med[2]);
    printf("paced store write beside a 60 KB value writer (median, vs alone)\t%.0f\tus\tthe same worker alone\t%.0f\tlower\n",
           med[1], med[0]);
    for (int k = 0; k < 3; k++) free(lat[k].v);
}

/* ---- memory and idle CPU per sleeping worker ---- */

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

/* CPU time of each thread of this process, by name, summed per name.  From
 * /proc/self/task/<tid>/schedstat (its first field: ns on a CPU, counted at every
 * switch), not stat's utime+stime: those are clock-tick samples, and a thread that
 * wakes for a few microseconds once a second can be charged a whole tick at a wake-up. */
typedef struct { char name[32]; int64_t ns, slices; } thr_cpu;

typedef struct { thr_cpu *out; int n, max; } thr_cpu_list;

static void add_thread_cpu(const char *name, const char *fields, const char *task_dir, void *arg)
{
    (void)fields;
    thr_cpu_list *l = arg;
    char path[400];
    snprintf(path, sizeof path, "%s/schedstat", task_dir);
    FILE *f = fopen(path, "r");
    long long ns = -1, wait_ns = 0, slices = 0;   /* on a CPU, waiting for one, times run (switched in) */
    if (f) {
        if (fscanf(f, "%lld %lld %lld", &ns, &wait_ns, &slices) != 3) ns = -1;
        fclose(f);
    }
    if (ns < 0) return;   /* the thread ended meanwhile (or no schedstat) */
    int k;
    for (k = 0; k < l->n; k++) if (!strcmp(l->out[k].name, name)) break;
    if (k == l->n) {
        if (l->n == l->max) return;
        snprintf(l->out[l->n].name, sizeof l->out[l->n].name, "%s", name);
        l->out[l->n].ns = 0;
        l->out[l->n++].slices = 0;
    }
    l->out[k].ns += ns;
    l->out[k].slices += slices;
}

static int thread_cpu(thr_cpu *out, int max)
{
    thr_cpu_list l = { out, 0, max };
    check_each_thread(add_thread_cpu, &l);
    return l.n;
}

static int threads_now(void)
{
    return check_each_thread(NULL, NULL);
}

/* Sum of `field` over this node's workers, and how many are running with a heap entered. */
static double stats_sum(ami_node *n, const char *field, int *running)
{
    json_t *s = NULL;
    double sum = 0;
    if (running) *running = 0;
    if (ami_node_stats(&s, n)) return 0;
    size_t i;
    json_t *ws;
    json_array_foreach(json_object_get(s, "workers"), i, ws) {
        sum += (double)json_integer_value(json_object_get(ws, field));
        if (running && json_is_true(json_object_get(ws, "isRunning")) && json_is_integer(json_object_get(ws, "lastRun")))
            (*running)++;
    }
    json_decref(s);
    return sum;
}

/* A node whose `count` worker records exist before it starts (one listing
 * instead of `count` change-feed reports).  Waits until all run. */
static ami_node *node_with(const char *db, int count, const char *body, int loop_delay, int64_t *start_ms)
{
    ami_node *n = open_node(db, "s-0001", count + 100, loop_delay);
    ami_store *st = ami_node_store(n);
    for (int i = 0; i < count; i++) free(create(st, body));
    int64_t t0 = ami_time_mono_ms();
    if (ami_node_start(n)) die("start");
    int running = 0;
    for (int w = 0; w < 1200; w++) {
        stats_sum(n, "executions", &running);
        if (running >= count) break;
        nap_ms(count >= 50000 ? 2000 : 500);
    }
    *start_ms = ami_time_mono_ms() - t0;
    if (running < count) fprintf(stderr, "bench_node: only %d of %d workers running\n", running, count);
    return n;
}

/* RSS of 1,000 raw Duktape heaps, each with a small function compiled (KiB each),
 * measured first thing and kept until the end (freed memory would be reused later). */
enum { RAW_HEAPS = 1000 };
static duk_context *raw_heaps[RAW_HEAPS];
static double raw_kb;

static void raw_heaps_measure(void)
{
    long before = check_rss_kb();
    for (int i = 0; i < RAW_HEAPS; i++) {
        raw_heaps[i] = duk_create_heap_default();
        if (!raw_heaps[i] || duk_pcompile_string(raw_heaps[i], DUK_COMPILE_FUNCTION, "function(){ return 1; }")) die("raw heap");
    }
    raw_kb = (double)(check_rss_kb() - before) / RAW_HEAPS;
}

static void parked_ready(void *payload) { (void)payload; }

/* Bytes an instance of SCRIPT holds once its body waits (the runtime's
 * counting allocator), KiB: after its first step, parked as the node's are
 * (a `ready` callback: a long wait gives back the value stacks the run grew). */
static double instance_kb(const char *script)
{
    json_t *w = json_pack("{s:s, s:s}", "sid", "bench", "script", script);
    ami_runtime_options ro = AMI_RUNTIME_OPTIONS_INIT;
    ro.worker = w;
    ro.ready = parked_ready;
    ami_runtime *rt = NULL;
    if (ami_runtime_new(&rt, &ro)) die("ami_runtime_new");
    int64_t wake;
    ami_runtime_start(rt);
    ami_runtime_step(rt, &wake, NULL);
    double kb = (double)ami_runtime_heap_used(rt) / 1024.0;
    ami_runtime_free(rt);
    json_decref(w);
    return kb;
}

/* Lateness of a plain thread's 10 ms nanosleep (ms), the wake-up baseline,
 * sampled on its own thread while the workers sample theirs (the machine's
 * load at the time counts for both). */
typedef struct { double p50, p99; } raw_sleep;

static void *raw_sleep_lateness(void *arg)
{
    raw_sleep *out = arg;
    enum { S = 200 };
    double lat[S];
    for (int i = 0; i < S; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        nap_ms(10);
        clock_gettime(CLOCK_MONOTONIC, &b);
        lat[i] = (double)(b.tv_sec - a.tv_sec) * 1000.0 + (double)(b.tv_nsec - a.tv_nsec) / 1e6 - 10.0;
    }
    qsort(lat, S, sizeof lat[0], cmp_dbl);
    out->p50 = lat[S / 2];
    out->p99 = lat[S * 99 / 100];
    return NULL;
}

/* Timer wake-up lateness of workers sleeping 10 ms at a time among the sleepers (ms).
 * The samples start together once all P workers run (each says so under
 * ["lat","ready",sid]): creating them is P registry changes and P heaps
 * built, which is start-up work, not the wake-up of a sleeping worker. */
static void wake_lateness(ami_node *n, double *p50, double *p99, raw_sleep *raw)
{
    enum { P = 20, S = 100 };
    ami_store *st = ami_node_store(n);
    char *sids[P];
    for (int i = 0; i < P; i++)
        sids[i] = create(st, "{\"scriptContent\":\"await Stels.net.set(['lat', 'ready', Stels.config.sid], true); "
                             "while (!(await Stels.net.get(['lat', 'go'])).value) await Stels.sleep(20); "
                             "const lat = []; for (let i = 0; i < 100; i++) { const t = performance.now(); "
                             "await Stels.sleep(10); lat.push(performance.now() - t - 10); } "
                             "await Stels.net.set(['lat', Stels.config.sid], lat); await Stels.sleep(3600000);\","
                             "\"priority\":\"low\",\"active\":true}");
    for (int i = 0; i < P; i++) {
        json_t *k = ami_key_new("lat", "ready", sids[i], NULL), *e = NULL;
        for (int w = 0; w < 600; w++) {
            json_decref(e);
            e = NULL;
            if (ami_store_get(&e, st, k) == 0 && json_is_true(json_object_get(json_object_get(e, "value"), "raw"))) break;
            nap_ms(50);
        }
        json_decref(e);
        json_decref(k);
    }
    nap_ms(1000);   /* the start-up work settles */
    json_t *go = ami_key_new("lat", "go", NULL), *yes = json_true();
    if (ami_store_set(st, go, yes, 0, NULL)) die("set go");
    json_decref(go);
    json_decref(yes);
    pthread_t raw_thr;
    if (pthread_create(&raw_thr, NULL, raw_sleep_lateness, raw)) die("thread");
    double *lat = calloc(P * S, sizeof *lat);
    int got = 0;
    for (int i = 0; i < P; i++) {
        json_t *k = ami_key_new("lat", sids[i], NULL), *e = NULL;
        for (int w = 0; w < 600; w++) {
            json_decref(e);
            e = NULL;
            if (ami_store_get(&e, st, k) == 0 && json_is_array(json_object_get(json_object_get(e, "value"), "raw"))) break;
            nap_ms(100);
        }
        json_t *arr = json_object_get(json_object_get(e, "value"), "raw");
        size_t j;
        json_t *v;
        json_array_foreach(arr, j, v) if (got < P * S) lat[got++] = json_number_value(v);
        json_decref(e);
        json_decref(k);
        free(sids[i]);
    }
    pthread_join(raw_thr, NULL);
    *p50 = *p99 = -1;
    if (got < P * S) fprintf(stderr, "bench_node: %d of %d wake-up samples\n", got, P * S);
    if (got) {
        qsort(lat, (size_t)got, sizeof lat[0], cmp_dbl);
        *p50 = lat[got / 2];
        *p99 = lat[(size_t)got * 99 / 100];
    }
    free(lat);
}

static void sleepers(int count, int latency)
{
    char db[600];
    snprintf(db, sizeof db, "%s/mem%d.db", dir, count);
    long before = check_rss_kb();
    long st0, hp0, an0;
    rss_parts(&st0, &hp0, &an0);
    struct mallinfo2 mi0 = mallinfo2();
    ami__slab_stat sl0;
    ami__slab_stats(&sl0);
    int64_t start_ms = 0;
    ami_node *n = node_with(db, count, "{\"scriptContent\":\"await Stels.sleep(3600000);\",\"priority\":\"low\",\"active\":true}", -1,
                            &start_ms);
    nap_ms(2000);
    long after = check_rss_kb();
    long st1, hp1, an1;
    rss_parts(&st1, &hp1, &an1);
    struct mallinfo2 mi1 = mallinfo2();   /* all arenas */
    ami__slab_stat sl1;
    ami__slab_stats(&sl1);
    int thr = threads_now();
    thr_cpu tc0[64], tc1[64];
    int ntc0 = thread_cpu(tc0, 64);
    /* 30 s: long enough to take in the periodic passes (stats every 2 s, resync every 5 s, the
     * stats refresh every 30 s); AMI_BENCH_IDLE_S sets another window */
    int idle_s = getenv("AMI_BENCH_IDLE_S") && atoi(getenv("AMI_BENCH_IDLE_S")) > 0 ? atoi(getenv("AMI_BENCH_IDLE_S")) : 30;
    double c0 = cpu_s();
    int64_t t0 = ami_time_mono_ms();
    nap_ms(idle_s * 1000);
    long settled = check_rss_kb();   /* after the idle window: the node's trim of start-up's free space has run */
    double wall_s = (double)(ami_time_mono_ms() - t0) / 1000.0;
    double cpu_ru = (cpu_s() - c0) / wall_s * 100.0;
    int ntc1 = thread_cpu(tc1, 64);
    /* the row: the threads' schedstat time over the window (a thread that ended
     * inside it is not counted; getrusage's figure, which counts it, is printed beside) */
    char idle_by[1024] = "";
    int64_t sum_ns = 0;
    for (int i = 0; i < ntc1; i++) {
        int64_t t = tc1[i].ns, sl = tc1[i].slices;
        for (int j = 0; j < ntc0; j++)
            if (!strcmp(tc0[j].name, tc1[i].name)) {
                t -= tc0[j].ns;
                sl -= tc0[j].slices;
            }
        if (t > 0) sum_ns += t;
        size_t l = strlen(idle_by);
        if (t > 0 && l < sizeof idle_by - 64)
            snprintf(idle_by + l, sizeof idle_by - l, " %.31s %.3f%% (%.1f runs/s)", tc1[i].name, (double)t / 1e7 / wall_s,
                     (double)sl / wall_s);
    }
    double cpu = (double)sum_ns / 1e7 / wall_s;
    double l50 = -1, l99 = -1, r50 = 0, r99 = 0;
    if (latency) {
        raw_sleep rs = { 0, 0 };
        wake_lateness(n, &l50, &l99, &rs);
        r50 = rs.p50;
        r99 = rs.p99;
    }
    int64_t s0 = ami_time_mono_ms();
    ami_node_free(n);
    int64_t stop_ms = ami_time_mono_ms() - s0;
    double raw = raw_kb, inst = instance_kb("await Stels.sleep(3600000);");
    printf("# %d sleeping workers (in Stels.sleep): started in %lld ms, RSS %ld -> %ld KiB, %d threads; stop of all took %lld ms "
           "(graceful wait 5000 ms, then interrupted)\n", count, (long long)start_ms, before, after, thr, (long long)stop_ms);
    printf("# per sleeping worker: %.1f KiB thread stacks, %.1f KiB main malloc heap, %.1f KiB other anonymous memory "
           "(malloc arenas of the runner threads); the instance's heap (counting allocator): %.1f KiB; a raw Duktape heap with a "
           "function compiled: %.1f KiB\n",
           (double)(st1 - st0) / count, (double)(hp1 - hp0) / count, (double)(an1 - an0) / count, inst, raw);
    printf("# of which: the slab's pages %.1f KiB (%.1f KiB in %.0f small blocks; %.1f KiB empty kept or given back), malloc's "
           "blocks in use %.1f KiB, malloc's free space %.1f KiB (mallinfo2, all arenas, headers counted in use)\n",
           (double)(sl1.pages_used - sl0.pages_used) * AMI__SLAB_PAGE / 1024 / count, (double)(sl1.bytes - sl0.bytes) / 1024 / count,
           (double)(sl1.blocks - sl0.blocks) / count,
           ((double)(sl1.pages_empty + sl1.pages_released) - (double)(sl0.pages_empty + sl0.pages_released)) * AMI__SLAB_PAGE / 1024 / count,
           ((double)(mi1.uordblks + mi1.hblkhd) - (double)(mi0.uordblks + mi0.hblkhd)) / 1024 / count,
           ((double)mi1.fordblks - (double)mi0.fordblks) / 1024 / count);
    printf("RSS per sleeping worker (%d)\t%.1f\tKB\traw Duktape heap\t%.1f\tlower\n", count, (double)(after - before) * 1.024 / count,
           raw * 1.024);
    printf("RSS per sleeping worker (%d) after %d s asleep\t%.1f\tKB\traw Duktape heap\t%.1f\tlower\n", count, idle_s,
           (double)(settled - before) * 1.024 / count, raw * 1.024);
    printf("# idle CPU by thread (/proc/self/task/*/schedstat: ns on a CPU, and times switched in, over %d s):%s; getrusage (process, tick-based split): "
           "%.2f%%\n", idle_s, idle_by, cpu_ru);
    printf("idle CPU with %d sleeping workers\t%.2f\t%%core\tgoal\t5\tlower\n", count, cpu);
    if (latency && l99 >= 0) {
        printf("# wake-up: 20 workers sleeping 10 ms 100 times each among %d sleepers (performance.now), sampled "
               "together once all 20 run; baseline: a plain thread's 10 ms nanosleep at the same time\n", count);
        printf("timer wake-up lateness p50 (%d sleeping)\t%.2f\tms\tthread nanosleep\t%.2f\tlower\n", count, l50, r50);
        printf("timer wake-up lateness p99 (%d sleeping)\t%.2f\tms\tthread nanosleep\t%.2f\tlower\n", count, l99, r99);
    }
}

/* ---- subscribed sleeping workers ----
 * COUNT workers each subscribed to its own key and asleep: the node's idle
 * CPU, and the time from a commit to one worker's key until the write its
 * callback makes is seen (a watch on that key), against a watcher thread on
 * the same handle seeing a commit (the change feed's own latency). */

static double mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

typedef struct { ami_store *st; ami_versionstamp from; double seen_at; } raw_watch;

static void *raw_watcher(void *arg)
{
    raw_watch *rw = arg;
    json_t *k = ami_key_new("rawsub", NULL);
    ami_versionstamp vs;
    if (ami_store_watch(rw->st, k, rw->from, 5000, vs) == 0) rw->seen_at = mono_us();
    json_decref(k);
    return NULL;
}

static void subscribers(void)
{
    const int COUNT = 1000;
    enum { P = 20 };
    char db[600];
    snprintf(db, sizeof db, "%s/subs.db", dir);
    int64_t start_ms = 0;
    ami_node *n = node_with(db, COUNT, "{\"scriptContent\":\"const s = Stels.net.subscribe(['subs', Stels.config.sid]); "
                                       "s.on('update', (v) => { Stels.net.set(['subgot', Stels.config.sid], v.raw); }); "
                                       "await Stels.sleep(3600000);\",\"priority\":\"low\",\"active\":true}", -1, &start_ms);
    ami_store *st = ami_node_store(n);
    nap_ms(2000);
    double c0 = cpu_s();
    int64_t t0 = ami_time_mono_ms();
    nap_ms(3000);
    double cpu = (cpu_s() - c0) / ((double)(ami_time_mono_ms() - t0) / 1000.0) * 100.0;
    /* delivery: one commit at a time to P workers' keys */
    json_t *stats = NULL;
    if (ami_node_stats(&stats, n)) die("stats");
    json_t *ws = json_object_get(stats, "workers");
    double lat = 0, raw = 0;
    int got = 0, rgot = 0;
    for (int i = 0; i < P && i < (int)json_array_size(ws); i++) {
        const char *sid = json_string_value(json_object_get(json_array_get(ws, (size_t)(i * 37) % json_array_size(ws)), "sid"));
        json_t *k = ami_key_new("subs", sid, NULL), *gk = ami_key_new("subgot", sid, NULL), *v = json_integer(i + 1);
        ami_versionstamp cur = "", vs;
        ami_store_current(st, cur);
        double ts = mono_us();
        if (ami_store_set(st, k, v, 0, NULL)) die("set");
        if (ami_store_watch(st, gk, cur, 5000, vs) == 0) {
            lat += mono_us() - ts;
            got++;
        }
        json_decref(k);
        json_decref(gk);
        json_decref(v);
        /* the feed alone: a watcher thread on the same handle, already waiting */
        raw_watch rw = { st, "", 0 };
        ami_store_current(st, rw.from);
        pthread_t thr;
        pthread_create(&thr, NULL, raw_watcher, &rw);
        nap_ms(20);
        json_t *rk = ami_key_new("rawsub", NULL), *rv = json_integer(i);
        double rts = mono_us();
        if (ami_store_set(st, rk, rv, 0, NULL)) die("set");
        pthread_join(thr, NULL);
        if (rw.seen_at > 0) {
            raw += rw.seen_at - rts;
            rgot++;
        }
        json_decref(rk);
        json_decref(rv);
        nap_ms(20);
    }
    json_decref(stats);
    ami_node_free(n);
    printf("# %d workers each subscribed to its own key and asleep (started in %lld ms): idle CPU; a commit to one "
           "worker's key until the write of its callback is seen, mean of %d, against a watcher thread on the same "
           "handle seeing a commit\n", COUNT, (long long)start_ms, got);
    printf("idle CPU with %d subscribed sleeping workers\t%.2f\t%%core\tgoal\t5\tlower\n", COUNT, cpu);
    if (got && rgot)
        printf("subscription delivery (%d subscribed)\t%.3f\tms\traw ami_store_watch wake-up\t%.3f\tlower\n", COUNT,
               lat / got / 1000.0, raw / rgot / 1000.0);
}

/* ---- 1,000 busy workers against a raw duk_pcall loop per core ---- */

typedef struct { volatile int *stop; double n, cpu; int runtime; } raw_arg;

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *raw_loop(void *p)
{
    raw_arg *a = p;
    if (a->runtime) {   /* a warm instance of the same script, run again and again */
        json_t *w = json_pack("{s:s, s:s}", "sid", "bench", "script", "var x = 1 + 1;");
        ami_runtime_options ro = AMI_RUNTIME_OPTIONS_INIT;
        ro.worker = w;
        ami_runtime *rt = NULL;
        if (ami_runtime_new(&rt, &ro)) die("ami_runtime_new");
        long n = 0;
        double c0 = thread_cpu_s();
        while (!*a->stop) {
            ami_runtime_run(rt, NULL);
            n++;
        }
        a->cpu = thread_cpu_s() - c0;
        a->n = (double)n;
        ami_runtime_free(rt);
        json_decref(w);
        return NULL;
    }
    duk_context *ctx = duk_create_heap_default();
    if (duk_pcompile_string(ctx, DUK_COMPILE_FUNCTION, "function(){ var x = 1 + 1; }")) die("raw compile");
    long n = 0;
    double c0 = thread_cpu_s();
    while (!*a->stop) {
        duk_dup(ctx, -1);
        if (duk_pcall(ctx, 0)) die("raw call");
        duk_pop(ctx);
        n++;
    }
    a->cpu = thread_cpu_s() - c0;
    a->n = (double)n;
    duk_destroy_heap(ctx);
    return NULL;
}

static double raw_rate_per_core(int cores, int ms, int runtime)
{
    volatile int stop = 0;
    pthread_t t[64];
    raw_arg a[64];
    for (int i = 0; i < cores; i++) {
        a[i].stop = &stop;
        a[i].n = 0;
        a[i].runtime = runtime;
        pthread_create(&t[i], NULL, raw_loop, &a[i]);
    }
    nap_ms(ms);
    stop = 1;
    double sum = 0, cpu = 0;
    for (int i = 0; i < cores; i++) {
        pthread_join(t[i], NULL);
        sum += a[i].n;
        cpu += a[i].cpu;
    }
    return cpu > 0 ? sum / cpu : 0;   /* per CPU second: the machine may be shared */
}

static void busy_rate(void)
{
    const int COUNT = 1000;
    char db[600];
    snprintf(db, sizeof db, "%s/busy.db", dir);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    if (cores > 64) cores = 64;
    /* the raw baseline half before the node's window, half after: on a shared
     * machine the load drifts, and one baseline 3 s after the node's window
     * moved the ratio by up to 0.3 (0.50x to 0.87x in alternating runs) */
    double raw_before = raw_rate_per_core((int)cores, 1500, 0);
    int64_t start_ms = 0;
    ami_node *n = node_with(db, COUNT, "{\"scriptContent\":\"var x = 1 + 1;\",\"priority\":\"normal\",\"active\":true}", 0, &start_ms);
    nap_ms(500);
    double e0 = stats_sum(n, "executions", NULL);
    double c0 = cpu_s();
    int64_t t0 = ami_time_mono_ms();
    nap_ms(3000);
    double e1 = stats_sum(n, "executions", NULL);
    double c1 = cpu_s();
    double wall = (e1 - e0) * 1000.0 / (double)(ami_time_mono_ms() - t0);
    double rate = c1 > c0 ? (e1 - e0) / (c1 - c0) : 0;   /* every thread of the node counts */
    ami_node_free(n);
    double raw = (raw_before + raw_rate_per_core((int)cores, 1500, 0)) / 2, run = raw_rate_per_core((int)cores, 3000, 1);
    printf("# busy: %d workers looping with loop_delay_ms 0 on %ld runner threads (the default: one per core), %.0f it/s "
           "wall; rates per CPU second of the whole process (the machine may be shared); baselines: one raw duk_pcall "
           "loop of the same body per core (the mean of 1.5 s before and 1.5 s after), one warm ami_runtime_run loop per core\n", COUNT, cores, wall);
    printf("node iterations, %d busy workers\t%.0f\tit/cpu-s\traw duk_pcall per core\t%.0f\n", COUNT, rate, raw);
    printf("node iterations, %d busy workers (vs runtime)\t%.0f\tit/cpu-s\tami_runtime_run per core\t%.0f\n", COUNT, rate, run);
}

int main(void)
{
    build = getenv("AMI_BUILD") && *getenv("AMI_BUILD") ? getenv("AMI_BUILD") : "build";
    snprintf(dir, sizeof dir, "%s/bench-node-XXXXXX", build);
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    if (ami_init() < 0) return 1;
    raw_heaps_measure();
    const char *only = getenv("AMI_BENCH_ONLY");   /* start|loop|flood|bigvalue|failover|mem|subs|busy|mem100k */
    if (!only || !strcmp(only, "start")) start_latency();
    if (!only || !strcmp(only, "loop")) loop_rate();
    if (!only || !strcmp(only, "flood")) log_flood_neighbour();
    if (!only || !strcmp(only, "bigvalue")) big_value_neighbour();
    if (!only || !strcmp(only, "failover")) failover();
    if (!only || !strcmp(only, "mem")) sleepers(getenv("NSLEEP") ? atoi(getenv("NSLEEP")) : 10000, 1);
    if (!only || !strcmp(only, "subs")) subscribers();
    if (!only || !strcmp(only, "busy")) busy_rate();
    if ((!only && getenv("AMI_BENCH_100K")) || (only && !strcmp(only, "mem100k"))) sleepers(100000, 0);
    for (int i = 0; i < RAW_HEAPS; i++) duk_destroy_heap(raw_heaps[i]);
    ami_shutdown();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!getenv("AMI_BENCH_KEEP") && system(cmd)) {}
    return 0;
}
