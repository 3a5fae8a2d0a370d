/* Claim: amid nodes in separate network namespaces ("machines" sharing no file,
 * reaching a three-member etcd cluster over a bridge) form one cluster: the
 * leader worker moves after kill -9 (within lease + renew) and SIGTERM; a
 * leader whose link is cut for longer than its lease fences itself, another
 * node takes over, its late writes are refused, and after the link returns the
 * per-iteration history shows no two leaders overlapping; killing the etcd
 * leader member while workers write loses no acknowledged write.
 * Needs root for `ip netns` (skips, saying so, only when that is impossible). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "cluster_history.h"
#include "ami/node.h"
#include "ami/election.h"

#define LEASE 1000
#define RENEW 300
#define N 3

static char id[32], eps[512], uri[700], etcd_dir[512];
static ami_store *st;
static const char *nids[N] = { "m-0001", "m-0002", "m-0003" };
static pid_t pids[N];
static char *lead, *counter;

static void nap_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

#define WAIT_FOR(cond, ms) ({ int64_t t0_ = ami_time_mono_ms(), r_ = -1; \
    while (ami_time_mono_ms() - t0_ < (ms)) { if (cond) { r_ = ami_time_mono_ms() - t0_; break; } nap_ms(5); } r_; })

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd);
}

static void cleanup(void)
{
    for (int i = 0; i < N; i++) if (pids[i] > 0) { kill(pids[i], SIGKILL); waitpid(pids[i], NULL, 0); }
    if (etcd_dir[0]) sh("tests/lib/etcd.sh stop '%s'%s", etcd_dir, "");
    if (id[0]) sh("tests/lib/netns.sh down %s 3%s", id, "");
}

static pid_t spawn(int i)
{
    char amid[512], log[600], local[600], ns[64];
    snprintf(amid, sizeof amid, "%s/amid", check_build_dir());
    snprintf(log, sizeof log, "%s/%s.log", check_tmpdir(), nids[i]);
    snprintf(local, sizeof local, "sqlite:%s/%s.local", check_tmpdir(), nids[i]);   /* its own file */
    snprintf(ns, sizeof ns, "ami%sn%d", id, i + 1);
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
        execlp("ip", "ip", "netns", "exec", ns, amid, "--nid", nids[i], "--db", uri, "--local-db", local,
               "--lease-ms", "1000", "--renew-ms", "300", "--retry-ms", "100", "--heartbeat-ms", "200",
               "--stats-ms", "200", "--graceful-shutdown-ms", "1000", (char *)NULL);
        _exit(127);
    }
    return p;
}

static int reap(pid_t p)
{
    int status = 0;
    waitpid(p, &status, 0);
    return status;
}

static char *create(const char *body_json)
{
    json_t *body = check_json(body_json), *e = NULL;
    REQUIRE(ami_registry_create(&e, st, nids[0], body) == 0);
    char *sid = strdup(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "sid")));
    json_decref(e);
    json_decref(body);
    return sid;
}

static json_t *list(const char *a, const char *sid)
{
    json_t *prefix = ami_key_new(a, sid, NULL), *out = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    REQUIRE(ami_store_list(&out, st, &lo) == 0);
    json_decref(prefix);
    return out;
}

static int leader_index(void)
{
    ami_lease l;
    if (ami_election_get(&l, st, lead) || l.expired) return -1;
    for (int i = 0; i < N; i++) if (!strcmp(l.leader, nids[i]) && pids[i] > 0) return i;
    return -1;
}

static int64_t first_run_elsewhere(int old, int64_t since)
{
    json_t *h = list("hist", lead);
    int64_t best = 0;
    size_t i;
    json_t *e;
    json_array_foreach(h, i, e) {
        json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
        int64_t s = json_integer_value(json_object_get(raw, "start"));
        const char *nid = json_string_value(json_object_get(raw, "nid"));
        if (nid && strcmp(nid, nids[old]) && s >= since && (!best || s < best)) best = s;
    }
    json_decref(h);
    return best;
}

static const char *HIST =
    "var t0 = Date.now(); Stels.sleep(15); "
    "Stels.net.set(['hist', Stels.config.sid, t0, Stels.config.nid], "
    "{term: Stels.config.term, nid: Stels.config.nid, start: t0, end: Date.now()});";

static void leader_moves_on_kill9_and_sigterm(void)
{
    char body[1200];
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\",\"executionMode\":\"leader\"}", HIST);
    lead = create(body);
    int li = -1;
    CHECK(WAIT_FOR((li = leader_index()) >= 0, 10000) >= 0);
    REQUIRE(li >= 0);
    nap_ms(500);   /* let the first term run a few iterations (the history check counts changes of leader) */
    int64_t t = ami_time_now_ms(), first = 0;
    kill(pids[li], SIGKILL);
    reap(pids[li]);
    CHECK(WAIT_FOR((first = first_run_elsewhere(li, t)) > 0, 10000) >= 0);
    fprintf(stderr, "    failover after kill -9: %lld ms (lease %d + renew %d)\n", (long long)(first - t), LEASE, RENEW);
    CHECK(first > 0 && first - t < 3 * (LEASE + RENEW));
    pids[li] = spawn(li);

    CHECK(WAIT_FOR((li = leader_index()) >= 0, 5000) >= 0);
    REQUIRE(li >= 0);
    t = ami_time_now_ms();
    kill(pids[li], SIGTERM);
    CHECK(WAIT_FOR((first = first_run_elsewhere(li, t)) > 0, 10000) >= 0);
    int status = reap(pids[li]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fprintf(stderr, "    failover after SIGTERM: %lld ms (goal 200)\n", (long long)(first - t));
    CHECK(first > 0 && first - t < 1500);
    pids[li] = spawn(li);
}

static void cut_off_leader_fences_itself(void)
{
    int li = -1;
    CHECK(WAIT_FOR((li = leader_index()) >= 0, 10000) >= 0);
    REQUIRE(li >= 0);
    nap_ms(500);
    char which[16];
    snprintf(which, sizeof which, "%d", li + 1);
    int64_t t = ami_time_now_ms(), first = 0;
    REQUIRE(sh("tests/lib/netns.sh cut %s %s", id, which) == 0);
    CHECK(WAIT_FOR((first = first_run_elsewhere(li, t)) > 0, 15000) >= 0);
    fprintf(stderr, "    new leader ran %lld ms after the old one's link was cut\n", (long long)(first - t));
    nap_ms(3 * LEASE);   /* well past the lease, then the link comes back */
    REQUIRE(sh("tests/lib/netns.sh heal %s %s", id, which) == 0);
    nap_ms(2500);
    /* the cut-off node said why it stopped */
    char path[600], line[4096];
    snprintf(path, sizeof path, "%s/%s.log", check_tmpdir(), nids[li]);
    FILE *f = fopen(path, "r");
    int said = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "self-fenced") || strstr(line, "LeaseLost") || strstr(line, "lost to another node")) said = 1;
    if (f) fclose(f);
    CHECK(said);
    /* none of its iterations started after the new leader's first one (late writes refused) */
    json_t *h = list("hist", lead);
    size_t i;
    json_t *e;
    int late = 0;
    json_array_foreach(h, i, e) {
        json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
        const char *nid = json_string_value(json_object_get(raw, "nid"));
        if (nid && !strcmp(nid, nids[li]) && json_integer_value(json_object_get(raw, "start")) >= first &&
            json_integer_value(json_object_get(raw, "start")) < first + 3 * LEASE)
            late++;
    }
    json_decref(h);
    CHECK_INT(late, 0);
}

/* Which member leads etcd: index into the endpoint list, or -1. */
static int etcd_leader(void)
{
    char ep[8][128];
    int n = 0;
    for (const char *p = eps; *p && n < 8;) {
        size_t l = strcspn(p, ",");
        snprintf(ep[n++], sizeof ep[0], "%.*s", (int)l, p);
        p += l + (p[l] == ',');
    }
    for (int i = 0; i < n; i++) {
        char out[4096], cmd[400];
        snprintf(cmd, sizeof cmd, "curl -s -m 2 -X POST -d '{}' http://%s/v3/maintenance/status", ep[i]);
        json_t *j = json_loads(check_run(out, sizeof out, NULL, cmd), 0, NULL);
        const char *leader = json_string_value(json_object_get(j, "leader"));
        const char *me = json_string_value(json_object_get(json_object_get(j, "header"), "member_id"));
        int is = leader && me && !strcmp(leader, me);
        json_decref(j);
        if (is) return i;
    }
    return -1;
}

static long max_acked(int i)
{
    char path[600], line[4096];
    snprintf(path, sizeof path, "%s/%s.log", check_tmpdir(), nids[i]);
    FILE *f = fopen(path, "r");
    long best = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *a = strstr(line, "acked ");
        if (a && strstr(line, counter)) { long v = atol(a + 6); if (v > best) best = v; }
    }
    if (f) fclose(f);
    return best;
}

static void etcd_member_killed_while_writing(void)
{
    counter = create("{\"scriptContent\":\"const k = ['cnt', Stels.config.nid]; const e = await Stels.net.get(k); "
                     "const n = ((e.value && e.value.raw) || 0) + 1; await Stels.net.set(k, n); "
                     "logger.info('acked ' + n + ' ' + Stels.config.sid);\",\"active\":true,\"priority\":\"high\"}");
    CHECK(WAIT_FOR(max_acked(0) > 5 && max_acked(1) > 5 && max_acked(2) > 5, 10000) >= 0);
    int m = etcd_leader();
    CHECK(m >= 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "kill -KILL $(cut -d' ' -f%d '%s/pids')", m + 1, etcd_dir);
    char out[64];
    int rc = -1;
    check_run(out, sizeof out, &rc, cmd);
    CHECK_INT(rc, 0);
    long before[N];
    for (int i = 0; i < N; i++) before[i] = max_acked(i);
    /* writes go on without the member (a request in flight on it may wait out etcd's own timeout first) */
    int64_t resumed = WAIT_FOR(max_acked(0) > before[0] + 3 && max_acked(1) > before[1] + 3 && max_acked(2) > before[2] + 3, 20000);
    fprintf(stderr, "    every node acknowledged 3 more writes %lld ms after the etcd leader member was killed\n", (long long)resumed);
    CHECK(resumed >= 0);
    /* stop the writers, then compare what they were told with what etcd holds */
    json_t *e = NULL, *upd = check_json("{\"active\":false}");
    CHECK_RC(ami_registry_update(&e, st, counter, upd, NULL));
    json_decref(e); json_decref(upd);
    nap_ms(1000);
    for (int i = 0; i < N; i++) {
        long acked = max_acked(i);
        json_t *k = ami_key_new("cnt", nids[i], NULL), *got = NULL;
        CHECK_RC(ami_store_get(&got, st, k));
        long stored = (long)json_integer_value(json_object_get(json_object_get(got, "value"), "raw"));
        fprintf(stderr, "    %s: %ld acknowledged (%ld after the member died), %ld stored\n", nids[i], acked, acked - before[i], stored);
        CHECK(acked > before[i]);   /* writes went on without the member */
        CHECK(stored >= acked);
        json_decref(k); json_decref(got);
    }
}

static void history_has_no_double_leadership(void)
{
    json_t *h = list("hist", lead);
    int terms = 0;
    CHECK_INT(cluster_history_overlaps(h, &terms), 0);
    fprintf(stderr, "    %zu iterations over %d changes of leader\n", json_array_size(h), terms);
    CHECK(terms >= 3);
    if (terms < 3) {   /* say which terms ran where */
        size_t i;
        json_t *e;
        long long last = -1;
        json_array_foreach(h, i, e) {
            json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
            long long term = json_integer_value(json_object_get(raw, "term"));
            if (term != last)
                fprintf(stderr, "    term %lld on %s from %lld\n", term, json_string_value(json_object_get(raw, "nid")),
                        (long long)json_integer_value(json_object_get(raw, "start")));
            last = term;
        }
    }
    json_decref(h);
}

int main(void)
{
    if (getuid() != 0) { printf("SKIP: needs root for ip netns\n"); return 0; }
    char out[1024];
    int rc = -1;
    snprintf(id, sizeof id, "%d", (int)getpid());
    check_run(out, sizeof out, &rc, "command -v etcd >/dev/null && command -v ip >/dev/null");
    REQUIRE(rc == 0);
    atexit(cleanup);
    if (sh("tests/lib/netns.sh up %s 3%s", id, "") != 0) {
        id[0] = '\0';
        printf("SKIP: cannot create network namespaces here (ip netns add failed)\n");
        return 0;
    }
    snprintf(etcd_dir, sizeof etcd_dir, "%s/etcd", check_tmpdir());
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ETCD_HOST=10.77.0.1 ETCD_EXEC='ip netns exec ami%se' tests/lib/etcd.sh start 3 '%s'", id, etcd_dir);
    check_run(eps, sizeof eps, &rc, cmd);
    eps[strcspn(eps, "\n")] = '\0';
    REQUIRE(rc == 0 && eps[0]);
    /* this process joins the etcd "machine" to watch the cluster (before any thread exists) */
    char nspath[128];
    snprintf(nspath, sizeof nspath, "/var/run/netns/ami%se", id);
    int fd = open(nspath, O_RDONLY);
    REQUIRE(fd >= 0 && setns(fd, CLONE_NEWNET) == 0);
    close(fd);
    REQUIRE(ami_init() >= 0);
    snprintf(uri, sizeof uri, "etcd://%s/netns", eps);
    REQUIRE(ami_store_open(&st, uri) == 0);
    for (int i = 0; i < N; i++) pids[i] = spawn(i);
    RUN(leader_moves_on_kill9_and_sigterm);
    RUN(cut_off_leader_fences_itself);
    RUN(etcd_member_killed_while_writing);
    RUN(history_has_no_double_leadership);
    for (int i = 0; i < N; i++) if (pids[i] > 0) kill(pids[i], SIGTERM);
    for (int i = 0; i < N; i++) if (pids[i] > 0) {
        int status = reap(pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        pids[i] = 0;
    }
    free(lead);
    free(counter);
    ami_store_free(st);
    ami_shutdown();
    return check_done();
}
