/*
 * Store benchmark: libami's SQLite store against plain SQLite doing the same
 * work with prepared statements on its own file with the same pragmas (WAL,
 * same synchronous mode, one transaction per write).
 *
 * Output rows (see tests/bench/run):  name TAB value TAB unit TAB baseline-name TAB baseline-value
 * Lines starting with '#' are notes.  AMI_BENCH_SYNC=full measures synchronous=FULL;
 * AMI_BENCH_SECONDS sets the length of a round (default 0.15 s; 12 alternating rounds per row, best kept).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ami.h"

enum { NKEYS = 1000, ROUNDS = 12 };

static double round_s = 0.15;
static int sync_full;
static char dir[512];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, ami_error_last());
    exit(1);
}

/* ---- the data both sides write: NKEYS keys, small JSON values ---- */
static json_t *keys[NKEYS], *values[NKEYS];
static ami_buf key_bytes[NKEYS];
static char *value_text[NKEYS];

static void make_data(void)
{
    for (int i = 0; i < NKEYS; i++) {
        char sid[40];
        snprintf(sid, sizeof sid, "worker-%06d", i);
        keys[i] = ami_key_new("ami", "bench", sid, NULL);
        values[i] = json_pack("{s:i, s:s, s:b}", "n", i, "note", "a small bench value", "active", 1);
        key_bytes[i] = (ami_buf)AMI_BUF_INIT;
        if (ami_key_encode(&key_bytes[i], keys[i])) die("encode");
        value_text[i] = json_dumps(values[i], JSON_COMPACT);
    }
}

/* ---- raw SQLite baseline ---- */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *get, *upsert, *begin, *commit, *check, *update;
    sqlite3_stmt *maxvs, *vupsert, *log;   /* versioned variant: the bookkeeping libami does */
} raw_db;

static void raw_exec(raw_db *r, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(r->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench_store: raw: %s: %s\n", sql, err);
        exit(1);
    }
}

static sqlite3_stmt *raw_prep(raw_db *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_store: raw prepare: %s\n", sqlite3_errmsg(r->db));
        exit(1);
    }
    return st;
}

static void raw_open(raw_db *r, const char *path)
{
    if (sqlite3_open(path, &r->db) != SQLITE_OK) exit(1);
    sqlite3_busy_timeout(r->db, 1000);
    raw_exec(r, "PRAGMA journal_mode=WAL");
    raw_exec(r, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    raw_exec(r, "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v TEXT NOT NULL, ver INTEGER NOT NULL) WITHOUT ROWID");
    r->get = raw_prep(r, "SELECT v, ver FROM kv WHERE k=?1");
    r->upsert = raw_prep(r, "INSERT INTO kv(k, v, ver) VALUES(?1, ?2, 1) ON CONFLICT(k) DO UPDATE SET v=excluded.v, ver=ver+1");
    r->begin = raw_prep(r, "BEGIN IMMEDIATE");
    r->commit = raw_prep(r, "COMMIT");
    r->check = raw_prep(r, "SELECT ver FROM kv WHERE k=?1");
    r->update = raw_prep(r, "UPDATE kv SET v=?2, ver=ver+1 WHERE k=?1");
    raw_exec(r, "CREATE TABLE IF NOT EXISTS changelog(vs INTEGER NOT NULL, k BLOB NOT NULL, PRIMARY KEY(vs, k)) WITHOUT ROWID");
    r->maxvs = raw_prep(r, "SELECT max(vs) FROM changelog");
    r->vupsert = raw_prep(r, "INSERT INTO kv(k, v, ver) VALUES(?1, ?2, ?3) ON CONFLICT(k) DO UPDATE SET v=excluded.v, ver=excluded.ver");
    r->log = raw_prep(r, "INSERT INTO changelog(vs, k) VALUES(?1, ?2)");
}

static void raw_close(raw_db *r)
{
    sqlite3_finalize(r->get); sqlite3_finalize(r->upsert); sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit); sqlite3_finalize(r->check); sqlite3_finalize(r->update);
    sqlite3_finalize(r->maxvs); sqlite3_finalize(r->vupsert); sqlite3_finalize(r->log);
    sqlite3_close(r->db);
}

static int step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

static void raw_set(raw_db *r, int i)
{
    sqlite3_bind_blob(r->upsert, 1, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
    sqlite3_bind_text(r->upsert, 2, value_text[i], -1, SQLITE_STATIC);
    if (step(r->upsert) != SQLITE_DONE) exit(1);
}

/* a set that also keeps a global commit counter and a change log, in one transaction */
static void raw_versioned_set(raw_db *r, int i)
{
    if (step(r->begin) != SQLITE_DONE) exit(1);
    long long vs = sqlite3_step(r->maxvs) == SQLITE_ROW ? sqlite3_column_int64(r->maxvs, 0) + 1 : 1;
    sqlite3_reset(r->maxvs);
    sqlite3_bind_blob(r->vupsert, 1, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
    sqlite3_bind_text(r->vupsert, 2, value_text[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(r->vupsert, 3, vs);
    if (step(r->vupsert) != SQLITE_DONE) exit(1);
    sqlite3_bind_int64(r->log, 1, vs);
    sqlite3_bind_blob(r->log, 2, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
    if (step(r->log) != SQLITE_DONE) exit(1);
    if (step(r->commit) != SQLITE_DONE) exit(1);
}

/* read the value and version, as a caller of get would */
static long long raw_get(raw_db *r, int i, char *buf, size_t cap)
{
    sqlite3_bind_blob(r->get, 1, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
    long long ver = -1;
    if (sqlite3_step(r->get) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(r->get, 0);
        if (n >= cap) n = cap - 1;
        memcpy(buf, sqlite3_column_text(r->get, 0), n);
        buf[n] = 0;
        ver = sqlite3_column_int64(r->get, 1);
    }
    sqlite3_reset(r->get);
    return ver;
}

/* read, then in one write transaction: check the version is unchanged and write */
static void raw_cas(raw_db *r, int i)
{
    char buf[256];
    long long ver = raw_get(r, i, buf, sizeof buf);
    if (step(r->begin) != SQLITE_DONE) exit(1);
    sqlite3_bind_blob(r->check, 1, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
    long long now = sqlite3_step(r->check) == SQLITE_ROW ? sqlite3_column_int64(r->check, 0) : -1;
    sqlite3_reset(r->check);
    if (now == ver) {
        sqlite3_bind_blob(r->update, 1, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
        sqlite3_bind_text(r->update, 2, value_text[i], -1, SQLITE_STATIC);
        if (step(r->update) != SQLITE_DONE) exit(1);
    }
    if (step(r->commit) != SQLITE_DONE) exit(1);
}

/* the CAS above plus the global counter and change log */
static void raw_versioned_cas(raw_db *r, int i)
{
    char buf[256];
    long long ver = raw_get(r, i, buf, sizeof buf);
    if (step(r->begin) != SQLITE_DONE) exit(1);
    sqlite3_bind_blob(r->check, 1, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
    long long now = sqlite3_step(r->check) == SQLITE_ROW ? sqlite3_column_int64(r->check, 0) : -1;
    sqlite3_reset(r->check);
    if (now == ver) {
        long long vs = sqlite3_step(r->maxvs) == SQLITE_ROW ? sqlite3_column_int64(r->maxvs, 0) + 1 : 1;
        sqlite3_reset(r->maxvs);
        sqlite3_bind_blob(r->vupsert, 1, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
        sqlite3_bind_text(r->vupsert, 2, value_text[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(r->vupsert, 3, vs);
        if (step(r->vupsert) != SQLITE_DONE) exit(1);
        sqlite3_bind_int64(r->log, 1, vs);
        sqlite3_bind_blob(r->log, 2, key_bytes[i].ptr, (int)key_bytes[i].size, SQLITE_STATIC);
        if (step(r->log) != SQLITE_DONE) exit(1);
    }
    if (step(r->commit) != SQLITE_DONE) exit(1);
}

/* ---- libami ---- */
static ami_store *S;

static void ami_set_one(int i)
{
    ami_versionstamp vs;
    if (ami_store_set(S, keys[i], values[i], 0, vs)) die("set");
}

static void ami_cas_one(int i)
{
    static ami_buf text = AMI_BUF_INIT;
    ami_versionstamp vs;
    if (ami_store_get_text(&text, vs, S, keys[i])) die("get_text");
    ami_atomic *a = NULL;
    if (ami_atomic_new(&a) || ami_atomic_check(a, keys[i], vs) || ami_atomic_set(a, keys[i], values[i], 0)) die("atomic");
    int ok = 0;
    if (ami_store_commit(S, a, &ok, vs)) die("commit");
    ami_atomic_free(a);
}

static void ami_get_text_one(int i)
{
    static ami_buf text = AMI_BUF_INIT;
    ami_versionstamp vs;
    if (ami_store_get_text(&text, vs, S, keys[i])) die("get_text");
}

static void ami_get_one(int i)
{
    json_t *e = NULL;
    if (ami_store_get(&e, S, keys[i])) die("get");
    json_decref(e);
}

static raw_db R, RV;
static void raw_set_one(int i) { raw_set(&R, i); }
static void raw_vset_one(int i) { raw_versioned_set(&RV, i); }
static void raw_cas_one(int i) { raw_cas(&R, i); }
static void raw_vcas_one(int i) { raw_versioned_cas(&RV, i); }
static void raw_get_one(int i) { char buf[256]; raw_get(&R, i, buf, sizeof buf); }
/* what a raw user does to get a JSON value: select, then parse */
static void raw_get_json_one(int i)
{
    char buf[256];
    raw_get(&R, i, buf, sizeof buf);
    json_t *v = json_loads(buf, JSON_DECODE_ANY, NULL);
    if (!v) exit(1);
    json_decref(v);
}

/* ---- several threads committing at once (group commit) ---- */
enum { NTHREADS = 8 };
static ami_store *SG;           /* a handle with sync=full: every transaction is an fsync */
static raw_db RG;               /* raw SQLite, one connection shared under a mutex, sync=full */
static pthread_mutex_t rg_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop_threads;

static void group_set_one(int i)
{
    if (ami_store_set(SG, keys[i], values[i], 0, NULL)) die("set");
}

static void raw_group_set_one(int i)
{
    pthread_mutex_lock(&rg_mu);
    raw_set(&RG, i);
    pthread_mutex_unlock(&rg_mu);
}

typedef struct { void (*fn)(int); long n; int id; } thr;

static void *thr_main(void *arg)
{
    thr *t = arg;
    for (long j = 0; !stop_threads; j++) {
        t->fn((int)((t->id * 131 + j * 7919) % NKEYS));
        t->n++;
    }
    return NULL;
}

/* ops per second of NTHREADS threads running fn for `secs` */
static double run_threads(void (*fn)(int), double secs)
{
    thr t[NTHREADS];
    pthread_t th[NTHREADS];
    stop_threads = 0;
    double t0 = now_s();
    for (int i = 0; i < NTHREADS; i++) {
        t[i] = (thr){ fn, 0, i };
        pthread_create(&th[i], NULL, thr_main, &t[i]);
    }
    while (now_s() - t0 < secs) {
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    stop_threads = 1;
    long n = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        n += t[i].n;
    }
    return n / (now_s() - t0);
}

/* ops per second of fn over one round */
static double run_round(void (*fn)(int))
{
    double t0 = now_s(), t;
    long n = 0;
    do {
        for (int j = 0; j < 64; j++) fn((int)((n + j) * 7919 % NKEYS));
        n += 64;
        t = now_s();
    } while (t - t0 < round_s);
    return n / (t - t0);
}

/* alternate rounds (the machine is shared) and keep each side's best */
static void measure(const char *name, void (*ours)(int), const char *base_name, void (*base)(int))
{
    double best_a = 0, best_b = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double a = run_round(ours), b = run_round(base);
        if (a > best_a) best_a = a;
        if (b > best_b) best_b = b;
    }
    printf("%s\t%.0f\tops/s\t%s\t%.0f\n", name, best_a, base_name, best_b);
    fflush(stdout);
}

int main(void)
{
    const char *sync = getenv("AMI_BENCH_SYNC");
    sync_full = sync && !strcmp(sync, "full");
    const char *secs = getenv("AMI_BENCH_SECONDS");
    if (secs && atof(secs) > 0) round_s = atof(secs);
    const char *build = getenv("AMI_BUILD");
    snprintf(dir, sizeof dir, "%s/bench-store-XXXXXX", build && *build ? build : "build");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    char ami_path[600], raw_path[600], rawv_path[600], uri[700];
    snprintf(ami_path, sizeof ami_path, "%s/ami.db", dir);
    snprintf(raw_path, sizeof raw_path, "%s/raw.db", dir);
    snprintf(rawv_path, sizeof rawv_path, "%s/raw-versioned.db", dir);
    snprintf(uri, sizeof uri, "sqlite:%s%s", ami_path, sync_full ? "?sync=full" : "");
    printf("# store: SQLite %s, WAL, synchronous=%s, files in %s; best of %d alternating rounds of %.2f s\n",
           sqlite3_libversion(), sync_full ? "FULL" : "NORMAL", dir, ROUNDS, round_s);

    make_data();
    if (ami_store_open(&S, uri)) die("open");
    raw_open(&R, raw_path);
    raw_open(&RV, rawv_path);
    for (int i = 0; i < NKEYS; i++) { ami_set_one(i); raw_set_one(i); raw_vset_one(i); }

    measure("store set (1-key commit)", ami_set_one, "raw upsert", raw_set_one);
    measure("store set (1-key commit)", ami_set_one, "raw upsert+counter+log", raw_vset_one);
    measure("store CAS (get+check+set)", ami_cas_one, "raw read+check+update", raw_cas_one);
    measure("store CAS (get+check+set)", ami_cas_one, "raw CAS+counter+log", raw_vcas_one);
    measure("store get_text", ami_get_text_one, "raw select", raw_get_one);
    measure("store get (JSON entry)", ami_get_one, "raw select+json_loads", raw_get_json_one);

    /* group commit: 8 threads setting at once on one handle, every transaction durable (sync=full);
     * the raw side shares one connection the way a program would, one transaction per set */
    char gpath[600], guri[700], rgpath[600];
    snprintf(gpath, sizeof gpath, "%s/ami-group.db", dir);
    snprintf(guri, sizeof guri, "sqlite:%s?sync=full", gpath);
    snprintf(rgpath, sizeof rgpath, "%s/raw-group.db", dir);
    if (ami_store_open(&SG, guri)) die("open");
    int keep = sync_full;
    sync_full = 1;
    raw_open(&RG, rgpath);
    sync_full = keep;
    for (int i = 0; i < NKEYS; i++) { group_set_one(i); raw_set(&RG, i); }
    double best_a = 0, best_b = 0;
    for (int r = 0; r < 3; r++) {
        double a = run_threads(group_set_one, round_s * 4), b = run_threads(raw_group_set_one, round_s * 4);
        if (a > best_a) best_a = a;
        if (b > best_b) best_b = b;
    }
    printf("# 8 threads, one handle / one shared raw connection, synchronous=FULL (an fsync per transaction)\n");
    printf("store set, 8 threads (group commit)\t%.0f\tops/s\traw upsert, 8 threads\t%.0f\n", best_a, best_b);
    ami_store_free(SG);
    raw_close(&RG);

    ami_store_free(S);
    raw_close(&R);
    raw_close(&RV);
    for (int i = 0; i < NKEYS; i++) {
        json_decref(keys[i]); json_decref(values[i]); ami_buf_dispose(&key_bytes[i]); free(value_text[i]);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
    return 0;
}
