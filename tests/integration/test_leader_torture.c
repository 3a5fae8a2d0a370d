/* Claim: under random faults — kill -9, SIGSTOP past the lease, SIGTERM — on
 * three amid processes sharing one SQLite file, a leader worker's history
 * stays clean: no two terms' iterations overlap, terms never go back, no
 * write of a deposed leader lands after its successor's, no iteration runs
 * twice within a term, and after every fault a leader runs again within the
 * bound (lease + renew, plus the fault's own freeze).
 * Short in CI (AMI_TORTURE_SECONDS, default 20); `make torture DURATION=600`
 * runs it long and prints the figures. */
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "amid_proc.h"
#include "ami/election.h"

#define N 3
#define LEASE 1000
#define RENEW 300

static char db[512];
static ami_store *st;
static const char *nids[N] = { "s-0001", "s-0002", "s-0003" };
static pid_t pids[N];

static unsigned rnd(unsigned n)
{
    return (unsigned)(random() % n);
}

static pid_t spawn(int i)
{
    return amid_spawn_member(db, nids[i]);
}

/* Every iteration: the counter from the store + 1, one record (term, start, end), then the counter. */
static const char *ITER =
    "{\"scriptContent\":\""
    "const t0 = Date.now();\\n"
    "const e = await Stels.net.get(['tt', 'ctr']);\\n"
    "const i = (e.value ? e.value.raw : 0) + 1;\\n"
    "await Stels.sleep(5);\\n"
    "await Stels.net.set(['tt', 'rec', i, Stels.config.nid, t0], {i: i, term: Stels.config.term, nid: Stels.config.nid, start: t0, end: Date.now()});\\n"
    "await Stels.net.set(['tt', 'ctr'], i);\\n"
    "\",\"active\":true,\"priority\":\"critical\",\"executionMode\":\"leader\"}";

typedef struct { int64_t i, term, start, end; } rec;

static int by_start(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int64_t last_start(void)
{
    json_t *prefix = ami_key_new("tt", "rec", NULL), *l = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    int64_t best = 0;
    if (ami_store_list(&l, st, &lo) == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(l, i, e) {
            int64_t s = json_integer_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "start"));
            if (s > best) best = s;
        }
    }
    json_decref(l);
    json_decref(prefix);
    return best;
}

static void torture(void)
{
    const char *env = getenv("AMI_TORTURE_SECONDS");
    int seconds = env && atoi(env) > 0 ? atoi(env) : 20;
    srandom((unsigned)time(NULL));
    json_t *body = check_json(ITER), *e = NULL;
    REQUIRE(ami_registry_create(&e, st, "s-0001", body) == 0);
    char sid[64];
    snprintf(sid, sizeof sid, "%s", ami_entry_sid(e));
    json_decref(e);
    json_decref(body);
    for (int i = 0; i < N; i++) pids[i] = spawn(i);

    int faults = 0, kills = 0, stops = 0, terms = 0, slow = 0;
    int64_t max_gap = 0;
    int64_t end = ami_time_mono_ms() + (int64_t)seconds * 1000;
    nap_ms(1500);
    while (ami_time_mono_ms() < end) {
        nap_ms(500 + (int)rnd(1500));
        int v = (int)rnd(N);
        ami_lease ls;
        if (rnd(2) && ami_election_get(&ls, st, sid) == 0 && !ls.expired)   /* half the faults hit the leader */
            for (int q = 0; q < N; q++) if (!strcmp(ls.leader, nids[q])) v = q;
        int kind = (int)rnd(3);
        int64_t t = ami_time_now_ms(), freeze = 0;
        if (kind == 0) {
            kill(pids[v], SIGKILL);
            waitpid(pids[v], NULL, 0);
            pids[v] = spawn(v);
            kills++;
        } else if (kind == 1) {
            freeze = LEASE + (int)rnd(1000);
            kill(pids[v], SIGSTOP);
            nap_ms((int)freeze);
            kill(pids[v], SIGCONT);
            stops++;
        } else {
            kill(pids[v], SIGTERM);
            int status = 0;
            waitpid(pids[v], &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status)) fprintf(stderr, "    SIGTERM: %s exited badly\n", nids[v]);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            pids[v] = spawn(v);
            terms++;
        }
        faults++;
        /* a leader runs again: an iteration starts after the fault, within the bound */
        int64_t first = 0, t0 = ami_time_mono_ms();
        while (ami_time_mono_ms() - t0 < 15000 && (first = last_start()) <= t) nap_ms(20);
        int64_t gap = first > t ? first - t - freeze : -1;
        if (first > t && gap < 0) gap = 0;   /* the frozen node was not leading */
        if (gap > max_gap) max_gap = gap;
        /* a frozen store writer (SIGSTOP inside a SQLite commit) holds every other writer: reported, not failed */
        if (gap < 0 || gap > LEASE + RENEW + 500) slow++;
    }
    for (int i = 0; i < N; i++) { kill(pids[i], SIGCONT); kill(pids[i], SIGTERM); }
    for (int i = 0; i < N; i++) waitpid(pids[i], NULL, 0);

    /* the history */
    json_t *prefix = ami_key_new("tt", "rec", NULL), *l = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    REQUIRE(ami_store_list(&l, st, &lo) == 0);
    size_t n = json_array_size(l);
    rec *r = calloc(n ? n : 1, sizeof *r);
    size_t k;
    json_t *x;
    json_array_foreach(l, k, x) {
        json_t *raw = json_object_get(json_object_get(x, "value"), "raw");
        r[k] = (rec){ json_integer_value(json_object_get(raw, "i")), json_integer_value(json_object_get(raw, "term")),
                      json_integer_value(json_object_get(raw, "start")), json_integer_value(json_object_get(raw, "end")) };
    }
    json_decref(l);
    json_decref(prefix);
    /* repeated iterations within one term (listing is in counter order) */
    long repeats_same_term = 0, repeats_handover = 0;
    for (size_t a = 1; a < n; a++)
        if (r[a].i == r[a - 1].i) {
            if (r[a].term == r[a - 1].term) repeats_same_term++;
            else repeats_handover++;
        }
    qsort(r, n, sizeof *r, by_start);
    long overlaps = 0, regressions = 0, changes = 0;
    int64_t max_end_prev_terms = 0, cur_term = 0, cur_max_end = 0;
    for (size_t a = 0; a < n; a++) {
        if (r[a].term < cur_term) regressions++;   /* a deposed leader's iteration started after its successor's */
        if (r[a].term > cur_term) {
            if (cur_term) changes++;
            max_end_prev_terms = cur_max_end > max_end_prev_terms ? cur_max_end : max_end_prev_terms;
            cur_term = r[a].term;
        }
        if (r[a].term == cur_term && r[a].start < max_end_prev_terms) overlaps++;
        if (r[a].end > cur_max_end) cur_max_end = r[a].end;
    }
    fprintf(stderr, "    %d s: %d faults (%d kill -9, %d SIGSTOP, %d SIGTERM), %zu iterations, %ld changes of leader\n",
            seconds, faults, kills, stops, terms, n, changes);
    fprintf(stderr, "    overlaps %ld, term regressions (deposed writes landed) %ld, repeated iterations in a term %ld "
                    "(across a handover %ld), max time to the next leader's iteration %lld ms (bound lease + renew = %d), over the bound %d\n",
            overlaps, regressions, repeats_same_term, repeats_handover, (long long)max_gap, LEASE + RENEW, slow);
    CHECK(faults > 0 && n > 0);
    CHECK_INT(overlaps, 0);
    CHECK_INT(regressions, 0);
    CHECK_INT(repeats_same_term, 0);
    free(r);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    snprintf(db, sizeof db, "%s", check_path("ami.db"));
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    REQUIRE(ami_store_open(&st, uri) == 0);
    RUN(torture);
    ami_store_free(st);
    ami_shutdown();
    return check_done();
}
