/* Claim: amid processes sharing one SQLite file (or, with AMI_TEST_ETCD set, one etcd
 * cluster: tests/integration/test_node_cluster_etcd.sh) split the work as docs/design.md §5–6
 * say — parallel on all, exclusive on its node, leader on exactly one,
 * local-scope on its origin — and leadership moves after kill -9 (within
 * lease + renew) and SIGTERM (at once), never with two leaders' iterations
 * overlapping, even when the leader is frozen with SIGSTOP past its lease.
 * Heartbeats of a dead node expire.  Real processes, real signals. */
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "cluster_history.h"
#include "ami/node.h"
#include "ami/election.h"

#define LEASE 1000
#define RENEW 300

static char db[512];
static ami_store *st;
static const char *nids[3] = { "s-0001", "s-0002", "s-0003" };
static pid_t pids[3];

static void nap_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static pid_t spawn(int i)
{
    char amid[512], log[600];
    snprintf(amid, sizeof amid, "%s/amid", check_build_dir());
    snprintf(log, sizeof log, "%s/%s.log", check_tmpdir(), nids[i]);
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
        char local[600];
        snprintf(local, sizeof local, "sqlite:%s/%s.local", check_tmpdir(), nids[i]);
        execl(amid, "amid", "--nid", nids[i], "--db", db, "--local-db", local, "--lease-ms", "1000", "--renew-ms", "300",
              "--retry-ms", "100", "--heartbeat-ms", "200", "--stats-ms", "200",
              "--graceful-shutdown-ms", "1000", (char *)NULL);
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
    REQUIRE(ami_registry_create(&e, st, "s-0003", body) == 0);
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

/* Which nodes wrote ['seen', sid, nid]: bit i set for nids[i]. */
static int seen_mask(const char *sid)
{
    json_t *l = list("seen", sid);
    int mask = 0;
    size_t i;
    json_t *e;
    json_array_foreach(l, i, e) {
        const char *nid = json_string_value(json_array_get(json_object_get(e, "key"), 2));
        for (int k = 0; k < 3; k++) if (nid && !strcmp(nid, nids[k])) mask |= 1 << k;
    }
    json_decref(l);
    return mask;
}

#define WAIT_FOR(cond, ms) ({ int64_t t0_ = ami_time_mono_ms(), r_ = -1; \
    while (ami_time_mono_ms() - t0_ < (ms)) { if (cond) { r_ = ami_time_mono_ms() - t0_; break; } nap_ms(5); } r_; })

static const char *SEEN = "Stels.net.set(['seen', Stels.config.sid, Stels.config.nid], {t: Date.now()});";
/* Every iteration of the leader worker appends (term, nid, start, end). */
static const char *HIST =
    "var t0 = Date.now(); await Stels.sleep(15); "
    "Stels.net.set(['hist', Stels.config.sid, t0, Stels.config.nid], "
    "{term: Stels.config.term, nid: Stels.config.nid, start: t0, end: Date.now()});";

static char *lead;

static void modes_split_the_work(void)
{
    char body[1200];
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\"}", SEEN);
    char *par = create(body);
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\",\"executionMode\":\"exclusive\",\"assignedNode\":\"s-0002\"}", SEEN);
    char *exc = create(body);
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\",\"scope\":\"local\"}", SEEN);
    char *loc = create(body);   /* origin s-0003 */
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\",\"executionMode\":\"leader\"}", HIST);
    lead = create(body);
    CHECK(WAIT_FOR(seen_mask(par) == 7, 8000) >= 0);
    CHECK(WAIT_FOR(seen_mask(exc) == 2 && seen_mask(loc) == 4, 8000) >= 0);
    nap_ms(500);
    CHECK_INT(seen_mask(par), 7);
    CHECK_INT(seen_mask(exc), 2);
    CHECK_INT(seen_mask(loc), 4);
    json_t *h = NULL;
    CHECK(WAIT_FOR((json_decref(h), h = list("hist", lead), json_array_size(h) > 3), 8000) >= 0);
    /* exactly one node ran the leader worker */
    const char *first = NULL;
    size_t i;
    json_t *e;
    int one = 1;
    json_array_foreach(h, i, e) {
        const char *nid = json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "nid"));
        if (!first) first = nid;
        else if (!nid || strcmp(first, nid)) one = 0;
    }
    CHECK(one);
    json_decref(h);
    free(par); free(exc); free(loc);
}

static int leader_index(void)
{
    ami_lease l;
    if (ami_election_get(&l, st, lead) || l.expired) return -1;
    for (int i = 0; i < 3; i++) if (!strcmp(l.leader, nids[i]) && pids[i] > 0) return i;
    return -1;
}

/* Start time of the first iteration by a node other than nids[old] starting after `since` (wall ms), or 0. */
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

static void failover_after_kill9(void)
{
    int li = -1;
    CHECK(WAIT_FOR((li = leader_index()) >= 0, 5000) >= 0);
    REQUIRE(li >= 0);
    json_t *live = NULL;
    CHECK(ami_node_list(&live, st) == 0 && json_array_size(live) == 3);   /* all three heartbeats */
    json_decref(live);
    int64_t t = ami_time_now_ms();
    kill(pids[li], SIGKILL);
    reap(pids[li]);
    int64_t first = 0;
    CHECK(WAIT_FOR((first = first_run_elsewhere(li, t)) > 0, 10000) >= 0);
    fprintf(stderr, "    failover after kill -9: %lld ms (lease %d + renew %d = %d)\n", (long long)(first - t), LEASE, RENEW, LEASE + RENEW);
    CHECK(first > 0 && first - t < 3 * (LEASE + RENEW));
    /* the dead node's heartbeat expires (3 x 200 ms) */
    json_t *nodes = NULL;
    int64_t gone = WAIT_FOR((json_decref(nodes), nodes = NULL, ami_node_list(&nodes, st) == 0 && json_array_size(nodes) == 2), 5000);
    fprintf(stderr, "    heartbeat of the killed node gone %lld ms after the failover (expiry 3 x 200 ms)\n", (long long)gone);
    CHECK(gone >= 0);
    json_decref(nodes);
    pids[li] = spawn(li);   /* back to three */
}

static void failover_after_sigterm(void)
{
    int li = -1;
    CHECK(WAIT_FOR((li = leader_index()) >= 0, 5000) >= 0);
    REQUIRE(li >= 0);
    int64_t t = ami_time_now_ms();
    kill(pids[li], SIGTERM);
    int64_t first = 0;
    CHECK(WAIT_FOR((first = first_run_elsewhere(li, t)) > 0, 10000) >= 0);
    int status = reap(pids[li]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fprintf(stderr, "    failover after SIGTERM: %lld ms (goal 200)\n", (long long)(first - t));
    CHECK(first > 0 && first - t < 1500);
    pids[li] = spawn(li);
}

/* Can another process write to the store right now (within 500 ms)?  A process
 * frozen inside a SQLite write transaction holds the file's single write lock. */
static int store_writable(void)
{
    pid_t p = fork();
    if (p == 0) {
        ami_store *s2 = NULL;
        char uri[600];
        snprintf(uri, sizeof uri, "%s%s", check_store_is_etcd() ? "" : "sqlite:", db);
        if (ami_store_open(&s2, uri)) _exit(1);
        json_t *k = ami_key_new("probe", NULL), *v = json_true();
        ami_versionstamp vs;
        _exit(ami_store_set(s2, k, v, 0, vs) ? 1 : 0);
    }
    for (int i = 0; i < 100; i++) {
        int status;
        if (waitpid(p, &status, WNOHANG) == p) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        nap_ms(5);
    }
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
    return 0;
}

static void frozen_leader_fences_itself(void)
{
    int li = -1;
    int64_t t = 0, first = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        CHECK(WAIT_FOR((li = leader_index()) >= 0, 5000) >= 0);
        REQUIRE(li >= 0);
        t = ami_time_now_ms();
        kill(pids[li], SIGSTOP);
        nap_ms(50);
        if (store_writable()) break;
        /* frozen inside a commit: with one SQLite file nobody can write until it
         * runs again (a property of the shared-file backend); thaw and retry */
        fprintf(stderr, "    frozen while holding the store's write lock; retrying\n");
        kill(pids[li], SIGCONT);
        nap_ms(300);
    }
    CHECK(WAIT_FOR((first = first_run_elsewhere(li, t)) > 0, 10000) >= 0);
    nap_ms(LEASE);
    kill(pids[li], SIGCONT);
    nap_ms(1000);
    fprintf(stderr, "    new leader ran %lld ms after SIGSTOP\n", (long long)(first - t));
    /* the frozen node noticed: its log tells why it stopped */
    char path[600], line[4096];
    snprintf(path, sizeof path, "%s/%s.log", check_tmpdir(), nids[li]);
    FILE *f = fopen(path, "r");
    int said = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "self-fenced") || strstr(line, "LeaseLost") || strstr(line, "lost to another node")) said = 1;
    if (f) fclose(f);
    CHECK(said);
}

static void history_has_no_double_leadership(void)
{
    json_t *h = list("hist", lead);
    int terms = 0;
    CHECK_INT(cluster_history_overlaps(h, &terms), 0);
    fprintf(stderr, "    %zu iterations over %d changes of leader\n", json_array_size(h), terms);
    CHECK(terms >= 3);
    json_decref(h);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    snprintf(db, sizeof db, "%s", check_store_uri("ami.db"));
    char uri[600];
    snprintf(uri, sizeof uri, "%s%s", check_store_is_etcd() ? "" : "sqlite:", db);
    REQUIRE(ami_store_open(&st, uri) == 0);
    for (int i = 0; i < 3; i++) pids[i] = spawn(i);
    RUN(modes_split_the_work);
    RUN(failover_after_kill9);
    RUN(failover_after_sigterm);
    RUN(frozen_leader_fences_itself);
    RUN(history_has_no_double_leadership);
    for (int i = 0; i < 3; i++) if (pids[i] > 0) { kill(pids[i], SIGCONT); kill(pids[i], SIGTERM); }
    for (int i = 0; i < 3; i++) if (pids[i] > 0) {
        int status = reap(pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    free(lead);
    ami_store_free(st);
    ami_shutdown();
    return check_done();
}
