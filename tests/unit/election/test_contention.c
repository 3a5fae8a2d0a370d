/*
 * Claim: three processes campaigning on one SQLite file never believe they
 * hold a lease at the same time, every tenure has its own term, terms rise,
 * and the fence keeps a stalled (deposed) leader's late write out.
 *
 * Each child campaigns for ~2 s with a 200 ms lease, renews every 50 ms,
 * fences itself at lease - 40 ms on the monotonic clock (as the node will),
 * and now and then stalls past its lease or releases it.  Every tenure
 * (term, nid, first and last moment it acted as leader) and every fenced
 * write that committed (versionstamp, term) goes to the parent over a pipe.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "util/util.h"

#define SID      "c0de0000-0000-4000-8000-000000000001"
#define LEASE_MS 200
#define RENEW_MS 50
#define MARGIN_MS 40
#define RUN_MS   2000
#define NPROC    3

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int out_fd;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof line) {   /* < PIPE_BUF: one atomic write */
        ssize_t w;
        do w = write(out_fd, line, (size_t)n); while (w < 0 && errno == EINTR);
    }
}

static int transient(int rc) { return rc == AMI_EBUSY || rc == AMI_EIO; }

/* One fenced write of ["test","last"] = {term, nid}; 1 committed, 0 rejected, -1 store busy. */
static int fenced_write(ami_store *st, const ami_lease *l)
{
    ami_atomic *a = NULL;
    if (ami_atomic_new(&a)) return -1;
    json_t *key = ami_key_new("test", "last", NULL);
    json_t *val = json_pack("{s:I, s:s}", "term", (json_int_t)l->term, "nid", l->leader);
    int committed = 0, res = -1;
    ami_versionstamp vs = "";
    if (!ami_election_add_fence(a, l) && !ami_atomic_set(a, key, val, 0)) {
        int rc = ami_store_commit(st, a, &committed, vs);
        if (!rc) res = committed;
        else if (!transient(rc)) emit("E commit %d %s\n", rc, ami_error_last());
    }
    if (res == 1) emit("W %s %lld %s\n", vs, (long long)l->term, l->leader);
    json_decref(key);
    json_decref(val);
    ami_atomic_free(a);
    return res;
}

static void campaign(const char *db, const char *nid, unsigned seed)
{
    ami_store *st = NULL;
    if (ami_store_open(&st, db)) {
        emit("E open %s\n", ami_error_last());
        return;
    }
    srand(seed);
    int leader = 0;
    ami_lease l;
    int64_t deadline = 0, next_renew = 0, start = 0, last_act = 0;
    int64_t end = ami_time_mono_ms() + RUN_MS;
    while (ami_time_mono_ms() < end) {
        if (!leader) {
            int64_t t0 = ami_time_mono_ms();
            int acq = 0;
            int rc = ami_election_try_acquire(&l, &acq, st, SID, nid, LEASE_MS);
            if (rc && !transient(rc)) { emit("E acquire %d %s\n", rc, ami_error_last()); break; }
            if (!rc && acq) {
                leader = 1;
                deadline = t0 + LEASE_MS - MARGIN_MS;
                next_renew = t0 + RENEW_MS;
                start = last_act = now_us();
                continue;
            }
            ami__sleep_ms(2 + rand() % 18);     /* jittered retry */
            continue;
        }
        /* self-fence on the monotonic clock, before acting */
        int64_t check = now_us();
        if (check / 1000 >= deadline) {
            emit("T %lld %s %lld %lld fenced\n", (long long)l.term, nid, (long long)start, (long long)last_act);
            leader = 0;
            continue;
        }
        last_act = check;
        int w = fenced_write(st, &l);
        if (w == 0) {          /* only a takeover changes the lease behind our back */
            emit("T %lld %s %lld %lld rejected\n", (long long)l.term, nid, (long long)start, (long long)last_act);
            leader = 0;
            continue;
        }
        int r = rand() % 100;
        if (r < 5) {
            /* stall past the lease (a GC pause, SIGSTOP…), then a late write without looking at the clock */
            emit("S\n");
            ami__sleep_ms(LEASE_MS * 3 / 2);
            int late = fenced_write(st, &l);
            emit("L %lld %d\n", (long long)l.term, late);
            continue;          /* the deadline check above now fences it */
        }
        if (r < 10) {
            int rc;
            do rc = ami_election_release(st, &l); while (transient(rc) && ami_time_mono_ms() < deadline);
            emit("T %lld %s %lld %lld released\n", (long long)l.term, nid, (long long)start, (long long)last_act);
            leader = 0;
            ami__sleep_ms(20);
            continue;
        }
        ami__sleep_ms(10);
        int64_t t1 = ami_time_mono_ms();
        if (t1 >= next_renew) {
            int rc = ami_election_renew(&l, st, LEASE_MS);
            if (!rc) {
                deadline = t1 + LEASE_MS - MARGIN_MS;
                next_renew = t1 + RENEW_MS;
            } else if (rc == AMI_ELEASE) {
                emit("T %lld %s %lld %lld lost\n", (long long)l.term, nid, (long long)start, (long long)last_act);
                leader = 0;
            } else if (!transient(rc)) {
                emit("E renew %d %s\n", rc, ami_error_last());
                break;
            }
        }
    }
    if (leader) {
        emit("T %lld %s %lld %lld end\n", (long long)l.term, nid, (long long)start, (long long)last_act);
        ami_election_release(st, &l);
    }
    ami_store_free(st);
}

typedef struct { long long term; char nid[16]; long long start, end; } tenure;
typedef struct { char vs[32]; long long term; char nid[16]; } write_rec;

static int cmp_tenure(const void *a, const void *b)
{
    const tenure *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}
static int cmp_write(const void *a, const void *b) { return strcmp(((const write_rec *)a)->vs, ((const write_rec *)b)->vs); }

static void no_two_leaders(void)
{
    char db[512];
    snprintf(db, sizeof db, "%s", check_path("contention.db"));
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pids[NPROC];
    for (int i = 0; i < NPROC; i++) {
        pids[i] = fork();
        REQUIRE(pids[i] >= 0);
        if (pids[i] == 0) {
            close(fds[0]);
            out_fd = fds[1];
            char nid[16];
            snprintf(nid, sizeof nid, "s-%04d", i + 1);
            campaign(db, nid, (unsigned)getpid());
            _exit(0);          /* skip the parent's atexit cleanup */
        }
    }
    close(fds[1]);

    static char text[1 << 20];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], text + len, sizeof text - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    text[len] = '\0';
    close(fds[0]);
    for (int i = 0; i < NPROC; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    static tenure ts[4096];
    static write_rec ws[65536];
    size_t nt = 0, nw = 0;
    int stalls = 0, late_ok = 0, late_rejected = 0, errors = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == 'T' && nt < 4096) {
            tenure *t = &ts[nt];
            if (sscanf(line, "T %lld %15s %lld %lld", &t->term, t->nid, &t->start, &t->end) == 4) nt++;
        } else if (line[0] == 'W' && nw < 65536) {
            write_rec *w = &ws[nw];
            if (sscanf(line, "W %31s %lld %15s", w->vs, &w->term, w->nid) == 3) nw++;
        } else if (line[0] == 'S') {
            stalls++;
        } else if (line[0] == 'L') {
            long long term;
            int ok;
            if (sscanf(line, "L %lld %d", &term, &ok) == 2) {
                if (ok == 1) late_ok++;
                else if (ok == 0) late_rejected++;
            }
        } else if (line[0] == 'E') {
            errors++;
            fprintf(stderr, "  child error: %s\n", line);
        }
    }
    fprintf(stderr, "  %zu tenures, %zu fenced writes, %d stalls (late writes: %d rejected, %d committed)\n",
            nt, nw, stalls, late_rejected, late_ok);
    CHECK_INT(errors, 0);
    CHECK(nt >= 3);
    CHECK(nw >= 10);

    /* tenures in time order: terms strictly increase, never two at once */
    qsort(ts, nt, sizeof ts[0], cmp_tenure);
    int nids_seen = 0;
    char first_nid[16] = "";
    for (size_t i = 0; i < nt; i++) {
        if (!first_nid[0]) snprintf(first_nid, sizeof first_nid, "%s", ts[i].nid);
        else if (strcmp(first_nid, ts[i].nid)) nids_seen = 1;
        CHECK(ts[i].end >= ts[i].start);
        if (i == 0) continue;
        if (ts[i].term <= ts[i - 1].term || ts[i].start < ts[i - 1].end) {
            check_failures++;
            fprintf(stderr, "  overlap or term order: term %lld %s [%lld, %lld] then term %lld %s [%lld, %lld]\n",
                    ts[i - 1].term, ts[i - 1].nid, ts[i - 1].start, ts[i - 1].end, ts[i].term, ts[i].nid,
                    ts[i].start, ts[i].end);
        }
    }
    CHECK(nids_seen);                    /* leadership moved between processes */

    /* committed fenced writes in store order carry non-decreasing terms of their holder */
    qsort(ws, nw, sizeof ws[0], cmp_write);
    for (size_t i = 0; i < nw; i++) {
        if (i > 0 && ws[i].term < ws[i - 1].term) {
            check_failures++;
            fprintf(stderr, "  write %s of term %lld committed after %s of term %lld\n", ws[i].vs, ws[i].term,
                    ws[i - 1].vs, ws[i - 1].term);
        }
        int owner_ok = 0;
        for (size_t j = 0; j < nt; j++)
            if (ts[j].term == ws[i].term) owner_ok = strcmp(ts[j].nid, ws[i].nid) == 0;
        CHECK(owner_ok);
    }
    if (stalls >= 3) CHECK(late_rejected >= 1);

    /* the store ends with the highest term */
    ami_store *st = NULL;
    REQUIRE(ami_store_open(&st, db) == 0);
    ami_lease l;
    CHECK_RC(ami_election_get(&l, st, SID));
    CHECK_INT(l.term, nt ? ts[nt - 1].term : -1);
    ami_store_free(st);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(no_two_leaders);
    return check_done();
}
