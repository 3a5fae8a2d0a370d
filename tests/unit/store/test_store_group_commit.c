/*
 * Claim: 8 threads committing on one SQLite handle at once share write
 * transactions (group commit: fewer transactions than commits, with
 * sync=full), yet each keeps its own atomic result: every CAS increment of a
 * shared counter that reports success is counted exactly once, conflicts write
 * nothing, and the versionstamps of all committed batches are distinct,
 * increasing per thread and contiguous overall.
 *
 * Claim: a heavy batch (a 60 KB value) is committed only by its own thread,
 * never inside a transaction run by a thread with a small write queued before
 * it, and the queue's order (versionstamps) is kept: light, heavy, light
 * queued behind a stuck group commit in that order come out in that order.
 *
 * Claim: when heavy batches wrote most of the WAL, the light commit that
 * takes it past the checkpoint mark does not run the checkpoint; the next
 * heavy one does; light commits alone still checkpoint.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include "check.h"
#include "store/store_internal.h"

enum { NTHREADS = 8, PER_THREAD = 60 };

static ami_store *S;

typedef struct {
    int id;
    int wins, conflicts, sets;
    unsigned long long vs[2 * PER_THREAD * 4];
    int n_vs;
    int failed;
} worker;

static unsigned long long vs_num(const char *vs)
{
    char hex[17];
    memcpy(hex, vs, 16);
    hex[16] = 0;
    return strtoull(hex, NULL, 16);
}

static void *run(void *arg)
{
    worker *w = arg;
    json_t *counter = ami_key_new("gc", "counter", NULL);
    char own[16];
    snprintf(own, sizeof own, "t%d", w->id);
    json_t *mine = ami_key_new("gc", own, NULL);
    ami_buf text = AMI_BUF_INIT;
    for (int i = 0; i < PER_THREAD && !w->failed; i++) {
        /* a CAS increment of the shared counter */
        ami_versionstamp seen, vs;
        long long cur = 0;
        int rc = ami_store_get_text(&text, seen, S, counter);
        if (rc == 0) cur = atoll(text.ptr);
        else if (rc != AMI_ENOTFOUND) { w->failed = 1; break; }
        ami_atomic *a = NULL;
        json_t *v = json_integer(cur + 1);
        int committed = 0;
        if (ami_atomic_new(&a) || ami_atomic_check(a, counter, seen) || ami_atomic_set(a, counter, v, 0) ||
            ami_store_commit(S, a, &committed, vs))
            w->failed = 1;
        ami_atomic_free(a);
        json_decref(v);
        if (committed) {
            w->wins++;
            w->vs[w->n_vs++] = vs_num(vs);
        } else {
            w->conflicts++;
            if (vs[0]) w->failed = 1;   /* a conflict has no versionstamp */
        }
        /* an unconditional set of this thread's own key */
        json_t *n = json_integer(i);
        if (ami_store_set(S, mine, n, 0, vs)) w->failed = 1;
        else w->vs[w->n_vs++] = vs_num(vs);
        w->sets++;
        json_decref(n);
    }
    ami_buf_dispose(&text);
    json_decref(counter);
    json_decref(mine);
    return NULL;
}

static int cmp_ull(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

static void eight_threads_share_transactions(void)
{
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s?sync=full", check_path("group.db"));
    REQUIRE(ami_store_open(&S, uri) == 0);
    ami_versionstamp start;
    CHECK_RC(ami_store_current(S, start));
    static worker ws[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].id = i;
        REQUIRE(pthread_create(&th[i], NULL, run, &ws[i]) == 0);
    }
    int wins = 0, total = 0;
    static unsigned long long all[NTHREADS * 2 * PER_THREAD * 4];
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK(!ws[i].failed);
        wins += ws[i].wins;
        CHECK_INT(ws[i].sets, PER_THREAD);
        for (int k = 1; k < ws[i].n_vs; k++) CHECK(ws[i].vs[k] > ws[i].vs[k - 1]);   /* in order per thread */
        for (int k = 0; k < ws[i].n_vs; k++) all[total++] = ws[i].vs[k];
    }
    /* every increment that reported success is in the counter, exactly once */
    json_t *k = ami_key_new("gc", "counter", NULL), *e = NULL;
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK_INT(json_integer_value(json_object_get(e, "value")), wins);
    CHECK(wins > 0);
    json_decref(e);
    json_decref(k);
    /* one versionstamp per committed batch: distinct and contiguous */
    qsort(all, (size_t)total, sizeof all[0], cmp_ull);
    CHECK_INT(all[0], vs_num(start[0] ? start : "00000000000000000000") + 1);
    for (int i = 1; i < total; i++) CHECK_INT(all[i], all[i - 1] + 1);
    ami_versionstamp end;
    CHECK_RC(ami_store_current(S, end));
    CHECK_INT(vs_num(end), all[total - 1]);
    /* and they shared transactions */
    uint64_t groups = 0, batches = 0;
    ami__sqlite_backend_group_stats(ami__store_backend(S), &groups, &batches);
    printf("%d commits (%d CAS wins) in %llu transactions\n", total, wins, (unsigned long long)groups);
    CHECK((int)batches >= total);
    CHECK(groups < batches);
    ami_store_free(S);
}

typedef struct {
    const char *key;
    size_t len;     /* of the string value */
    int rc;
    ami_versionstamp vs;
} one_set;

static void *set_one(void *arg)
{
    one_set *o = arg;
    char *text = malloc(o->len + 1);
    memset(text, 'x', o->len);
    text[o->len] = 0;
    json_t *k = ami_key_new("fair", o->key, NULL), *v = json_string(text);
    o->rc = ami_store_set(S, k, v, 0, o->vs);
    json_decref(k);
    json_decref(v);
    free(text);
    return NULL;
}

/* wait (generously) until the handle shows `queued` batches waiting and a group running */
static int wait_queue(size_t queued)
{
    for (int i = 0; i < 20000; i++) {
        uint64_t h, ho;
        size_t q;
        int running;
        ami__sqlite_backend_heavy_stats(ami__store_backend(S), &h, &ho, &q, &running);
        if (q == queued && running) return 1;
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void heavy_batch_runs_in_its_own_turn(void)
{
    enum { ROUNDS = 12 };
    const char *path = check_path("fair.db");
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", path);
    REQUIRE(ami_store_open(&S, uri) == 0);
    sqlite3 *ext = NULL;
    REQUIRE(sqlite3_open(path, &ext) == SQLITE_OK);
    for (int r = 0; r < ROUNDS; r++) {
        /* another connection holds the write lock: the first commit's group waits in
         * its retries while the other three queue up behind it in a known order */
        REQUIRE(sqlite3_exec(ext, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
        one_set o[4] = { { "first", 2, 0, "" }, { "light1", 2, 0, "" }, { "heavy", 60000, 0, "" }, { "light2", 2, 0, "" } };
        pthread_t th[4];
        for (int i = 0; i < 4; i++) {
            REQUIRE(pthread_create(&th[i], NULL, set_one, &o[i]) == 0);
            REQUIRE(wait_queue((size_t)i));
        }
        REQUIRE(sqlite3_exec(ext, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CHECK_RC(o[i].rc);
        }
        /* queue order kept: first < light1 < heavy < light2 */
        for (int i = 1; i < 4; i++) CHECK(vs_num(o[i].vs) > vs_num(o[i - 1].vs));
    }
    uint64_t heavy = 0, heavy_other = 0;
    size_t queued = 0;
    int running = 0;
    ami__sqlite_backend_heavy_stats(ami__store_backend(S), &heavy, &heavy_other, &queued, &running);
    printf("%llu heavy batches, %llu run by another thread\n", (unsigned long long)heavy, (unsigned long long)heavy_other);
    CHECK_INT(heavy, ROUNDS);
    CHECK_INT(heavy_other, 0);
    sqlite3_close(ext);
    ami_store_free(S);
}

/* frames in the WAL file (4 KiB pages); the file keeps its size when SQLite starts it over */
static long wal_frames(const char *db)
{
    char wal[700];
    snprintf(wal, sizeof wal, "%s-wal", db);
    struct stat sb;
    if (stat(wal, &sb)) return 0;
    return sb.st_size < 32 ? 0 : (long)((sb.st_size - 32) / (4096 + 24));
}

static void set_value(const char *key, size_t len)
{
    one_set o = { key, len, 0, "" };
    set_one(&o);
    CHECK_RC(o.rc);
}

static void checkpoint_left_to_heavy_commits(void)
{
    const char *path = check_path("ckpt.db");
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", path);
    REQUIRE(ami_store_open(&S, uri) == 0);
    ami_store_backend *be = ami__store_backend(S);
    uint64_t light = 0, heavy = 0;
    /* 60 KB values fill the WAL to just under the 1,000-page mark */
    while (wal_frames(path) < 950) set_value("big", 60000);
    ami__sqlite_backend_checkpoint_stats(be, &light, &heavy);
    CHECK_INT(light + heavy, 0);
    /* small writes take it past the mark: not their checkpoint */
    for (int i = 0; i < 100; i++) set_value("small", 2);
    CHECK(wal_frames(path) > 1000);
    ami__sqlite_backend_checkpoint_stats(be, &light, &heavy);
    CHECK_INT(light, 0);
    CHECK_INT(heavy, 0);
    /* the next big value runs it */
    set_value("big", 60000);
    ami__sqlite_backend_checkpoint_stats(be, &light, &heavy);
    CHECK_INT(light, 0);
    CHECK_INT(heavy, 1);
    /* small writes alone still checkpoint (the WAL starts over after the checkpoint) */
    for (int i = 0; i < 3000 && !light; i++) {
        set_value("small", 2);
        ami__sqlite_backend_checkpoint_stats(be, &light, &heavy);
    }
    printf("checkpoints: %llu by light commits, %llu by heavy ones; WAL %ld frames\n", (unsigned long long)light,
           (unsigned long long)heavy, wal_frames(path));
    CHECK_INT(light, 1);
    CHECK(wal_frames(path) < 1100);
    ami_store_free(S);
}

int main(void)
{
    RUN(eight_threads_share_transactions);
    RUN(heavy_batch_runs_in_its_own_turn);
    RUN(checkpoint_left_to_heavy_commits);
    return check_done();
}
