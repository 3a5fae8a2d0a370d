/* Claim: under random faults — kill -9, SIGSTOP past the lease, SIGTERM — on
 * three amid processes sharing one store (a SQLite file; with AMI_TEST_ETCD set,
 * a real etcd cluster: `make torture-etcd`), a leader worker's history
 * stays clean: no two terms' iterations overlap, terms never go back, no
 * write of a deposed leader lands after its successor's, no iteration runs
 * twice within a term, and after every fault a leader runs again within the
 * bound (lease + renew, plus the fault's own freeze).  Each fault over the
 * bound is printed with its cause: the kind of fault, whether it hit the
 * leader, whether the frozen node held SQLite's write lock (/proc/locks), when
 * the next leader was elected and when its first iteration started, the load.
 * Short in CI (AMI_TORTURE_SECONDS, default 20); `make torture DURATION=600`
 * runs it long and prints the figures. */
#include <signal.h>
#include <sys/stat.h>
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
#define BOUND (LEASE + RENEW)

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

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t counter(void)
{
    json_t *k = ami_key_new("tt", "ctr", NULL), *e = NULL;
    int64_t c = 0;
    if (ami_store_get(&e, st, k) == 0) c = json_integer_value(json_object_get(json_object_get(e, "value"), "raw"));
    json_decref(e);
    json_decref(k);
    return c;
}

/* The earliest start after `t` among the records past counter c0 (every iteration
 * that starts after the fault writes one of those), and its term; 0 when none yet.
 * Only those few records are read: the listing stays cheap however long the run. */
static int64_t first_start_after(int64_t c0, int64_t t, int64_t *term)
{
    json_t *prefix = ami_key_new("tt", "rec", NULL), *from = json_pack("[s,s,I]", "tt", "rec", (json_int_t)(c0 + 1)), *l = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    lo.start = from;
    int64_t best = 0;
    if (ami_store_list(&l, st, &lo) == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(l, i, e) {
            json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
            int64_t s = json_integer_value(json_object_get(raw, "start"));
            if (s > t && (!best || s < best)) { best = s; *term = json_integer_value(json_object_get(raw, "term")); }
        }
    }
    json_decref(l);
    json_decref(from);
    json_decref(prefix);
    return best;
}

/* Does process p hold SQLite's WAL write lock on db (byte 120 of db-shm, a POSIX
 * write lock in /proc/locks)?  Only a writer inside BEGIN IMMEDIATE…COMMIT (or a
 * checkpoint) holds it; while it does, no other process can commit.  -1 when
 * there is no such file (etcd). */
static int holds_write_lock(pid_t p)
{
    char shm[600], line[256];
    struct stat sb;
    snprintf(shm, sizeof shm, "%s-shm", db);
    if (check_store_is_etcd() || stat(shm, &sb)) return -1;
    FILE *f = fopen("/proc/locks", "r");
    int held = 0;
    while (f && fgets(line, sizeof line, f)) {
        char type[16], mode[16], rw[16], dev[64], end[32];
        int pid;
        long long start;
        if (sscanf(line, "%*[^:]: %15s %15s %15s %d %63s %lld %31s", type, mode, rw, &pid, dev, &start, end) != 7) continue;
        const char *ino = strrchr(dev, ':');
        if (pid == (int)p && !strcmp(rw, "WRITE") && start == 120 && ino && strtoull(ino + 1, NULL, 10) == (unsigned long long)sb.st_ino)
            held = 1;
    }
    if (f) fclose(f);
    return held;
}

/* Wait (up to 200 ms) until p is stopped (state T in /proc/p/stat). */
static void wait_stopped(pid_t p)
{
    for (int i = 0; i < 40; i++) {
        char path[64], buf[256];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f) fclose(f);
        buf[n] = '\0';
        const char *s = strrchr(buf, ')');
        if (s && s[1] == ' ' && s[2] == 'T') return;
        nap_ms(5);
    }
}

static const char *KIND[3] = { "kill -9", "SIGSTOP", "SIGTERM" };

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
    int64_t back[N];   /* when each node was last started or thawed (wall ms) */
    for (int i = 0; i < N; i++) { pids[i] = spawn(i); back[i] = ami_time_now_ms(); }

    int faults = 0, kills = 0, stops = 0, terms = 0, slow = 0, locked = 0;
    int slow_locked = 0, slow_stop = 0, slow_kill = 0, slow_term = 0, slow_none = 0, slow_bystander = 0;
    int64_t max_gap = 0, max_gap_unlocked = 0, max_locked = 0;
    enum { MAX_LAG = 4096 };
    static int64_t lag[MAX_LAG];
    int n_lag = 0;
    int64_t end = ami_time_mono_ms() + (int64_t)seconds * 1000;
    nap_ms(1500);
    while (ami_time_mono_ms() < end) {
        nap_ms(500 + (int)rnd(1500));
        int v = (int)rnd(N), was_leader = 0, lock = -1;
        ami_lease ls;
        int have_lease = ami_election_get(&ls, st, sid) == 0 && !ls.expired;
        if (rnd(2) && have_lease)   /* half the faults hit the leader */
            for (int q = 0; q < N; q++) if (!strcmp(ls.leader, nids[q])) v = q;
        if (have_lease && !strcmp(ls.leader, nids[v])) was_leader = 1;
        int64_t c0 = counter();
        int kind = (int)rnd(3);
        double load[1] = { 0 };
        getloadavg(load, 1);
        int64_t t = ami_time_now_ms(), freeze = 0, old_expiry = 0, old_term = 0;
        ami_lease old;
        if (kind == 0) {
            kill(pids[v], SIGKILL);
            waitpid(pids[v], NULL, 0);
            if (ami_election_get(&old, st, sid) == 0) { old_expiry = old.expires_at; old_term = old.term; }   /* final: its holder is gone */
            pids[v] = spawn(v);
            back[v] = ami_time_now_ms();
            kills++;
        } else if (kind == 1) {
            freeze = LEASE + (int)rnd(1000);
            kill(pids[v], SIGSTOP);
            wait_stopped(pids[v]);
            lock = holds_write_lock(pids[v]);
            if (ami_election_get(&old, st, sid) == 0) { old_expiry = old.expires_at; old_term = old.term; }
            if (lock > 0) locked++;
            int64_t left = freeze - (ami_time_now_ms() - t);
            if (left > 0) nap_ms((int)left);
            freeze = ami_time_now_ms() - t;
            kill(pids[v], SIGCONT);
            back[v] = ami_time_now_ms();
            stops++;
        } else {
            kill(pids[v], SIGTERM);
            int status = 0;
            waitpid(pids[v], &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status)) fprintf(stderr, "    SIGTERM: %s exited badly\n", nids[v]);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            if (ami_election_get(&old, st, sid) == 0) { old_expiry = old.expires_at; old_term = old.term; }
            pids[v] = spawn(v);
            back[v] = ami_time_now_ms();
            terms++;
        }
        faults++;
        /* a leader runs again: an iteration starts after the fault, within the bound */
        int64_t first = 0, term = 0, t0 = ami_time_mono_ms();
        while (ami_time_mono_ms() - t0 < 15000 && !(first = first_start_after(c0, t, &term))) nap_ms(20);
        if (first) { nap_ms(100); first = first_start_after(c0, t, &term); }   /* one that started earlier may land late */
        int64_t gap = first > t ? first - t - freeze : -1;
        if (first > t && gap < 0) gap = 0;   /* the frozen node was not leading */
        if (gap > max_gap) max_gap = gap;
        if (lock <= 0 && gap > max_gap_unlocked) max_gap_unlocked = gap;
        if (lock > 0) {
            /* nobody can commit until the frozen node runs again: the next leader comes after the thaw, not at the lease's end */
            if (first - t > max_locked) max_locked = first - t;
            fprintf(stderr, "    frozen holding SQLite's write lock: fault %d, SIGSTOP of %s (%s) for %lld ms; next leader's first "
                            "iteration %+lld ms (%lld ms after the thaw)\n", faults, nids[v], was_leader ? "the leader" : "not the leader",
                    (long long)freeze, first ? (long long)(first - t) : -1LL, first ? (long long)(first - t - freeze) : -1LL);
        }
        /* a kill -9 of the leader: from the expiry of the lease it left to the next election */
        ami_lease nl;
        if (kind == 0 && was_leader && first && old_expiry && n_lag < MAX_LAG && ami_election_get(&nl, st, sid) == 0 && nl.term == term)
            lag[n_lag++] = nl.timestamp - old_expiry;
        if (gap >= 0 && gap <= BOUND) continue;
        /* over the bound: say why */
        slow++;
        if (kind == 1 && lock > 0) slow_locked++;
        else if (kind == 1) slow_stop++;
        else if (kind == 0) slow_kill++;
        else slow_term++;
        if (gap < 0) slow_none++;
        if (!was_leader) slow_bystander++;   /* the fault missed the leader: its lease lapsed on its own (renewals starved) */
        char elected[320] = "?";
        if (ami_election_get(&nl, st, sid) == 0 && nl.term == term)
            snprintf(elected, sizeof elected, "%+lld ms (%s, term %lld; %lld term(s) between without an iteration)",
                     (long long)(nl.timestamp - t), nl.leader, (long long)term, (long long)(term - old_term - 1));
        char how[96] = "";
        if (kind == 1)
            snprintf(how, sizeof how, " for %lld ms, %s", (long long)freeze,
                     lock > 0 ? "holding SQLite's write lock" : lock == 0 ? "not holding SQLite's write lock" : "no lock to hold (etcd)");
        char others[200] = "";
        for (int q = 0, o = 0; q < N; q++)
            if (q != v)
                o += snprintf(others + o, sizeof others - (size_t)o, "%s%s back %lld ms before", o ? ", " : "", nids[q],
                              (long long)(t - back[q]));
        fprintf(stderr, "    over the bound: fault %d, %s of %s (%s)%s; lease seen after the fault (term %lld) expires at %+lld ms; next leader "
                        "elected at %s, first iteration %+lld ms (%lld ms after the %s); others: %s (started or thawed); load %.1f\n",
                faults, KIND[kind], nids[v], was_leader ? "the leader" : "not the leader", how,
                (long long)old_term, (long long)(old_expiry ? old_expiry - t : 0), elected, first ? (long long)(first - t) : -1LL, (long long)gap,
                kind == 1 ? "thaw" : "fault", others, load[0]);
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
    fprintf(stderr, "    %s, %d s: %d faults (%d kill -9, %d SIGSTOP, %d SIGTERM), %zu iterations, %ld changes of leader\n",
            check_store_is_etcd() ? "etcd" : "SQLite", seconds, faults, kills, stops, terms, n, changes);
    fprintf(stderr, "    overlaps %ld, term regressions (deposed writes landed) %ld, repeated iterations in a term %ld "
                    "(across a handover %ld), max time to the next leader's iteration %lld ms (bound lease + renew = %d)\n",
            overlaps, regressions, repeats_same_term, repeats_handover, (long long)max_gap, BOUND);
    if (check_store_is_etcd())
        fprintf(stderr, "    over the bound %d of %d faults: %d SIGSTOP, %d kill -9, %d SIGTERM (%d with no iteration within 15 s; "
                        "%d hit a node that was not the leader)\n", slow, faults, slow_stop, slow_kill, slow_term, slow_none, slow_bystander);
    else
        fprintf(stderr, "    over the bound %d of %d faults: %d SIGSTOP holding SQLite's write lock, %d other SIGSTOP, %d kill -9, "
                        "%d SIGTERM (%d with no iteration within 15 s; %d hit a node that was not the leader); "
                        "SIGSTOPs that caught a node holding the write lock: "
                        "%d of %d (next leader's first iteration at most %lld ms after the SIGSTOP); max without a frozen lock holder %lld ms\n",
                slow, faults, slow_locked, slow_stop, slow_kill, slow_term, slow_none, slow_bystander, locked, stops, (long long)max_locked,
                (long long)max_gap_unlocked);
    if (n_lag) {
        qsort(lag, (size_t)n_lag, sizeof lag[0], by_value);
        fprintf(stderr, "    kill -9 of the leader, from the expiry of its lease to the next election: median %lld ms, "
                        "90th percentile %lld ms, max %lld ms (%d kills)\n", (long long)lag[n_lag / 2],
                (long long)lag[n_lag * 9 / 10], (long long)lag[n_lag - 1], n_lag);
    }
    CHECK(faults > 0 && n > 0);
    CHECK_INT(overlaps, 0);
    CHECK_INT(regressions, 0);
    CHECK_INT(repeats_same_term, 0);
    free(r);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    snprintf(db, sizeof db, "%s", check_store_uri("ami.db"));
    char uri[600];
    snprintf(uri, sizeof uri, "%s%s", check_store_is_etcd() ? "" : "sqlite:", db);
    REQUIRE(ami_store_open(&st, uri) == 0);
    RUN(torture);
    ami_store_free(st);
    ami_shutdown();
    return check_done();
}
