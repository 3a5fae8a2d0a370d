/*
 * The SQLite store backend.
 *
 * Schema (created on open, tolerant of several processes creating it at once):
 *   kv(k BLOB PRIMARY KEY, v TEXT, vs INTEGER, exp INTEGER) WITHOUT ROWID
 *       k: encoded key; v: JSON text; vs: commit counter; exp: wall-clock ms or NULL
 *   kv_exp: partial index on kv(exp) WHERE exp IS NOT NULL (only TTL rows pay for it)
 *   changelog(vs, k) WITHOUT ROWID: one row per key written by each commit
 *       (a commit with no mutations logs the empty key).  So the counter is
 *       max(changelog.vs), every counter value from min(vs) to max(vs) is present,
 *       and a watcher whose `after` is below min(vs)-1 knows it missed rows
 *       (they were pruned) and is told "changed".
 *
 * Versionstamps: 16 hex digits of the counter, then "0000".
 *
 * ":memory:" gives a private in-memory database per handle: both connections
 * open one uniquely named shared-cache memory database (no WAL; table locks
 * answer SQLITE_LOCKED, retried like SQLITE_BUSY); it is gone on close.
 *
 * Concurrency: WAL; writes in BEGIN IMMEDIATE; SQLite's own busy handler is
 * kept short (it is unfair between processes under contention, docs/design.md §6) and
 * we retry SQLITE_BUSY ourselves with jittered sleeps up to a budget.
 *
 * The main connection is used under the front end's mutex.  watch() uses a
 * second connection under its own mutex: one waiting watcher (the "poller")
 * polls PRAGMA data_version every POLL_MS and wakes the others; local commits
 * and wake() signal the condition variable directly.  The poller also purges
 * entries as they expire (a commit of its own that logs them), so expiry shows
 * on the change feed within a few ms while anyone watches; otherwise expired
 * rows are purged by ordinary commits, at most once a second per handle.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/core.h"
#include "util/util.h"
#include "store/store_internal.h"

#define POLL_MS           5       /* data_version poll period while watching */
#define BUSY_TIMEOUT_MS   2       /* SQLite's own busy handler: short */
#define BUSY_BUDGET_MS    15000   /* our retry budget before AMI_EBUSY */
#define LOG_KEEP          20000   /* change-log commits kept */
#define LOG_PRUNE_EVERY   1024    /* prune when the counter is a multiple of this */
#define PURGE_EVERY_MS    1000    /* purge expired rows at most this often per handle */

enum {
    S_GET, S_CHECK, S_LIST_ASC, S_LIST_DESC, S_BEGIN, S_COMMIT, S_ROLLBACK, S_MAXVS,
    S_UPSERT, S_DELETE, S_LOG, S_PURGE_LOG, S_PURGE, S_PRUNE, S_COUNT
};

static const char *const main_sql[S_COUNT] = {
    [S_GET] = "SELECT v, vs FROM kv WHERE k=?1 AND (exp IS NULL OR exp>?2)",
    [S_CHECK] = "SELECT vs FROM kv WHERE k=?1 AND (exp IS NULL OR exp>?2)",
    [S_LIST_ASC] = "SELECT k, v, vs FROM kv WHERE k>=?1 AND k<?2 AND (exp IS NULL OR exp>?3) ORDER BY k ASC LIMIT ?4",
    [S_LIST_DESC] = "SELECT k, v, vs FROM kv WHERE k>=?1 AND k<?2 AND (exp IS NULL OR exp>?3) ORDER BY k DESC LIMIT ?4",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_MAXVS] = "SELECT max(vs) FROM changelog",
    [S_UPSERT] = ("INSERT INTO kv(k, v, vs, exp) VALUES(?1, ?2, ?3, ?4) "
                  "ON CONFLICT(k) DO UPDATE SET v=excluded.v, vs=excluded.vs, exp=excluded.exp"),
    [S_DELETE] = "DELETE FROM kv WHERE k=?1",
    [S_LOG] = "INSERT OR IGNORE INTO changelog(vs, k) VALUES(?1, ?2)",
    [S_PURGE_LOG] = "INSERT OR IGNORE INTO changelog(vs, k) SELECT ?1, k FROM kv WHERE exp IS NOT NULL AND exp<=?2",
    [S_PURGE] = "DELETE FROM kv WHERE exp IS NOT NULL AND exp<=?1",
    [S_PRUNE] = "DELETE FROM changelog WHERE vs<=?1",
};

/* Statements of the watch connection. */
enum { W_DV, W_QUERY, W_NEXT_EXP, W_BEGIN, W_ANY_EXPIRED, W_MAXVS, W_PURGE_LOG, W_PURGE, W_COMMIT, W_ROLLBACK, W_COUNT };

static const char *const watch_sql[W_COUNT] = {
    [W_DV] = "PRAGMA data_version",
    [W_QUERY] = ("SELECT (SELECT min(vs) FROM changelog),"
                 " (SELECT max(vs) FROM changelog WHERE vs>?1 AND k>=?2 AND k<?3),"
                 " (SELECT max(vs) FROM changelog)"),
    [W_NEXT_EXP] = "SELECT min(exp) FROM kv WHERE exp IS NOT NULL",
    [W_BEGIN] = "BEGIN IMMEDIATE",
    [W_ANY_EXPIRED] = "SELECT 1 FROM kv WHERE exp IS NOT NULL AND exp<=?1 LIMIT 1",
    [W_MAXVS] = "SELECT max(vs) FROM changelog",
    [W_PURGE_LOG] = "INSERT OR IGNORE INTO changelog(vs, k) SELECT ?1, k FROM kv WHERE exp IS NOT NULL AND exp<=?2",
    [W_PURGE] = "DELETE FROM kv WHERE exp IS NOT NULL AND exp<=?1",
    [W_COMMIT] = "COMMIT",
    [W_ROLLBACK] = "ROLLBACK",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v TEXT NOT NULL, vs INTEGER NOT NULL, exp INTEGER) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS kv_exp ON kv(exp) WHERE exp IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS changelog(vs INTEGER NOT NULL, k BLOB NOT NULL, PRIMARY KEY(vs, k)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value);"
    "INSERT OR IGNORE INTO meta(name, value) VALUES('schema', 1);";

typedef struct {
    ami_store_backend base;
    char *path;
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    int64_t last_purge_ms;
    uint64_t rng;
    sqlite3_int64 log_keep, log_prune_every;

    /* change feed, all under wmu */
    pthread_mutex_t wmu;
    pthread_cond_t wcv;
    sqlite3 *wdb;
    sqlite3_stmt *wst[W_COUNT];
    int64_t next_exp;       /* earliest expiry in the store (wall ms; INT64_MAX none) */
    int next_exp_stale;     /* re-read next_exp before trusting it */
    uint64_t change_seq;    /* bumped whenever the file may have changed */
    uint64_t wake_gen;      /* bumped by wake() */
    int64_t last_dv;        /* data_version last seen by the poller */
    int poller_active;
    int memory;             /* a private in-memory database (shared cache between our two connections) */
} sq_backend;

#define RETRY 99  /* internal: SQLITE_BUSY, try again (distinct from the 0/1 results below) */

static int is_busy(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

/* names the file: a damaged store must be found by the error alone */
static int sq_error(sqlite3 *db, const char *what)
{
    const char *file = sqlite3_db_filename(db, "main");
    return ami__error_set(AMI_EIO, "store \"%s\": sqlite: %s: %s", file && *file ? file : ":memory:", what,
                          sqlite3_errmsg(db));
}

static uint64_t rng_next(sq_backend *b)
{
    uint64_t x = b->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return b->rng = x;
}

/* Jittered sleep before retry `attempt` (grows to ~8 ms); 0, or AMI_EBUSY past the budget. */
static int backoff(sq_backend *b, int attempt, int64_t started)
{
    if (ami_time_mono_ms() - started > BUSY_BUDGET_MS)
        return ami__error_set(AMI_EBUSY, "sqlite: %s stayed locked for over %d ms", b->path, BUSY_BUDGET_MS);
    unsigned cap_us = 250u << (attempt < 5 ? attempt : 5);   /* 250 µs .. 8 ms */
    unsigned us = 50 + (unsigned)(rng_next(b) % cap_us);
    struct timespec ts = { 0, (long)us * 1000 };
    nanosleep(&ts, NULL);
    return 0;
}

/* Run SQL (no results) until it is not busy. */
static int exec_retry(sq_backend *b, sqlite3 *db, const char *sql, const char *what)
{
    int64_t started = ami_time_mono_ms();
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK) return 0;
        if (!is_busy(rc)) return sq_error(db, what);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

static void vs_out(ami_versionstamp vs, sqlite3_int64 counter)
{
    if (counter <= 0) vs[0] = '\0';
    else ami__vs_format(vs, (uint64_t)counter);
}

/* ---- reads ---- */

static int sq_get(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value,
                  ami_versionstamp vs)
{
    sq_backend *b = (sq_backend *)be;
    sqlite3_stmt *st = b->st[S_GET];
    int64_t started = 0;
    for (int attempt = 0;; attempt++) {
        sqlite3_bind_blob(st, 1, key, (int)key_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ami_time_now_ms());
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *v = (const char *)sqlite3_column_text(st, 0);
            size_t n = (size_t)sqlite3_column_bytes(st, 0);
            ami_buf_clear(value);
            rc = ami_buf_put(value, v ? v : "", n);
            vs_out(vs, sqlite3_column_int64(st, 1));
            sqlite3_reset(st);
            return rc;
        }
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) {
            vs[0] = '\0';
            return AMI_ENOTFOUND;
        }
        if (!is_busy(rc)) return sq_error(b->db, "get");
        if (!attempt) started = ami_time_mono_ms();
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

static int sq_list(ami_store_backend *be, const unsigned char *start, size_t start_len, const unsigned char *end,
                   size_t end_len, size_t limit, int reverse, ami_store_list_cb cb, void *payload)
{
    sq_backend *b = (sq_backend *)be;
    sqlite3_stmt *st = b->st[reverse ? S_LIST_DESC : S_LIST_ASC];
    /* every encoded key is >= "" and < 0xFF (no type byte is 0xFF) */
    static const unsigned char ff = 0xFF;
    int64_t started = 0;
    for (int attempt = 0;; attempt++) {
        sqlite3_bind_blob(st, 1, start ? (const void *)start : "", start ? (int)start_len : 0, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, end ? (const void *)end : &ff, end ? (int)end_len : 1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, ami_time_now_ms());
        sqlite3_bind_int64(st, 4, limit ? (sqlite3_int64)limit : -1);
        int rc, rows = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            rows++;
            ami_versionstamp vs;
            vs_out(vs, sqlite3_column_int64(st, 2));
            const unsigned char *k = sqlite3_column_blob(st, 0);
            size_t klen = (size_t)sqlite3_column_bytes(st, 0);
            const char *v = (const char *)sqlite3_column_text(st, 1);
            size_t vlen = (size_t)sqlite3_column_bytes(st, 1);
            if (cb(k, klen, v ? v : "", vlen, vs, payload)) {
                rc = SQLITE_DONE;
                break;
            }
        }
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) return 0;
        if (!is_busy(rc) || rows) return sq_error(b->db, "list");
        if (!attempt) started = ami_time_mono_ms();
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

static int sq_current(ami_store_backend *be, ami_versionstamp vs)
{
    sq_backend *b = (sq_backend *)be;
    sqlite3_stmt *st = b->st[S_MAXVS];
    int64_t started = 0;
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            vs_out(vs, sqlite3_column_int64(st, 0));
            sqlite3_reset(st);
            return 0;
        }
        sqlite3_reset(st);
        if (!is_busy(rc)) return sq_error(b->db, "current");
        if (!attempt) started = ami_time_mono_ms();
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

/* ---- commit ---- */

/* Step a statement that returns no rows; resets it. */
static int step_done(sq_backend *b, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return 0;
    if (is_busy(rc)) return RETRY;
    return sq_error(b->db, what);
}

static void rollback(sq_backend *b)
{
    sqlite3_step(b->st[S_ROLLBACK]);
    sqlite3_reset(b->st[S_ROLLBACK]);
}

/* One attempt: 0 (committed or conflict), RETRY, or an error. */
static int commit_once(sq_backend *b, const ami_store_op *ops, size_t n_ops, int *committed, ami_versionstamp vs)
{
    int rc = step_done(b, b->st[S_BEGIN], "begin");
    if (rc) return rc;
    int64_t now = ami_time_now_ms();

    /* checks first: a conflict writes nothing */
    sqlite3_stmt *st = b->st[S_CHECK];
    size_t n_mut = 0;
    for (size_t i = 0; i < n_ops; i++) {
        const ami_store_op *op = &ops[i];
        if (op->type != AMI_STORE_OP_CHECK) {
            n_mut++;
            continue;
        }
        sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        int src = sqlite3_step(st);
        ami_versionstamp have = "";
        if (src == SQLITE_ROW) vs_out(have, sqlite3_column_int64(st, 0));
        sqlite3_reset(st);
        if (src != SQLITE_ROW && src != SQLITE_DONE) {
            rc = is_busy(src) ? RETRY : sq_error(b->db, "check");
            rollback(b);
            return rc;
        }
        const char *want = op->versionstamp ? op->versionstamp : "";
        if (strcmp(have, want) != 0) {
            rollback(b);
            *committed = 0;
            vs[0] = '\0';
            return 0;
        }
    }

    sqlite3_int64 newvs = 1;
    st = b->st[S_MAXVS];
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) newvs = sqlite3_column_int64(st, 0) + 1;
    sqlite3_reset(st);
    if (src != SQLITE_ROW) {
        rc = is_busy(src) ? RETRY : sq_error(b->db, "read counter");
        rollback(b);
        return rc;
    }

    sqlite3_stmt *log = b->st[S_LOG];
    for (size_t i = 0; i < n_ops && !rc; i++) {
        const ami_store_op *op = &ops[i];
        if (op->type == AMI_STORE_OP_SET) {
            st = b->st[S_UPSERT];
            sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, op->value, (int)op->value_len, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, newvs);
            if (op->expire_at_ms > 0) sqlite3_bind_int64(st, 4, op->expire_at_ms);
            else sqlite3_bind_null(st, 4);
            rc = step_done(b, st, "set");
        } else if (op->type == AMI_STORE_OP_DELETE) {
            st = b->st[S_DELETE];
            sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
            rc = step_done(b, st, "delete");
        } else {
            continue;
        }
        if (rc) break;
        sqlite3_bind_int64(log, 1, newvs);
        sqlite3_bind_blob(log, 2, op->key, (int)op->key_len, SQLITE_STATIC);
        rc = step_done(b, log, "change log");
    }
    if (!rc && n_mut == 0) {
        /* keep the counter contiguous in the log: the empty key matches no watcher */
        sqlite3_bind_int64(log, 1, newvs);
        sqlite3_bind_blob(log, 2, "", 0, SQLITE_STATIC);
        rc = step_done(b, log, "change log");
    }
    /* housekeeping, inside the same transaction */
    if (!rc && now - b->last_purge_ms >= PURGE_EVERY_MS) {
        st = b->st[S_PURGE_LOG];
        sqlite3_bind_int64(st, 1, newvs);
        sqlite3_bind_int64(st, 2, now);
        rc = step_done(b, st, "purge log");
        if (!rc) {
            st = b->st[S_PURGE];
            sqlite3_bind_int64(st, 1, now);
            rc = step_done(b, st, "purge");
        }
        if (!rc) b->last_purge_ms = now;
    }
    if (!rc && newvs % b->log_prune_every == 0 && newvs > b->log_keep) {
        st = b->st[S_PRUNE];
        sqlite3_bind_int64(st, 1, newvs - b->log_keep);
        rc = step_done(b, st, "prune log");
    }
    if (!rc) rc = step_done(b, b->st[S_COMMIT], "commit");
    if (rc) {
        rollback(b);
        return rc;
    }
    *committed = 1;
    ami__vs_format(vs, (uint64_t)newvs);

    /* wake local watchers at once */
    pthread_mutex_lock(&b->wmu);
    b->change_seq++;
    pthread_cond_broadcast(&b->wcv);
    pthread_mutex_unlock(&b->wmu);
    return 0;
}

static int sq_commit(ami_store_backend *be, const ami_store_op *ops, size_t n_ops, int *committed,
                     ami_versionstamp vs)
{
    sq_backend *b = (sq_backend *)be;
    *committed = 0;
    vs[0] = '\0';
    int64_t started = 0;
    for (int attempt = 0;; attempt++) {
        int rc = commit_once(b, ops, n_ops, committed, vs);
        if (rc != RETRY) return rc;
        if (!attempt) started = ami_time_mono_ms();
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

/* ---- change feed ---- */

static int64_t data_version(sq_backend *b)
{
    int64_t v = -1;
    if (sqlite3_step(b->wst[W_DV]) == SQLITE_ROW) v = sqlite3_column_int64(b->wst[W_DV], 0);
    sqlite3_reset(b->wst[W_DV]);
    return v;
}

/* 1: a matching commit after `after` (vs set); 0: none; RETRY: busy; <0: error.  Under wmu. */
static int watch_query(sq_backend *b, const unsigned char *lo, size_t lo_len, const unsigned char *hi,
                       size_t hi_len, sqlite3_int64 after, ami_versionstamp vs)
{
    sqlite3_stmt *st = b->wst[W_QUERY];
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_blob(st, 2, lo, (int)lo_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, hi, (int)hi_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return is_busy(rc) ? RETRY : sq_error(b->wdb, "watch");
    }
    int found = 0;
    if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
        sqlite3_int64 min = sqlite3_column_int64(st, 0);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
            vs_out(vs, sqlite3_column_int64(st, 1));
            found = 1;
        } else if (after + 1 < min) {
            /* commits after `after` were pruned from the log: say "changed" */
            vs_out(vs, sqlite3_column_int64(st, 2));
            found = 1;
        }
    }
    sqlite3_reset(st);
    return found;
}

/* Step a watch-connection statement that returns no rows (or ignores them). */
static int wstep(sq_backend *b, int which, const char *what)
{
    sqlite3_stmt *st = b->wst[which];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return 0;
    if (is_busy(rc)) return RETRY;
    return sq_error(b->wdb, what);
}

static void refresh_next_exp(sq_backend *b)
{
    sqlite3_stmt *st = b->wst[W_NEXT_EXP];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        b->next_exp = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    b->next_exp_stale = rc != SQLITE_ROW;   /* busy: try again at the next poll */
}

/* Purge expired rows in a commit that logs them: 1 purged, 0 nothing to do, RETRY, or an error.  Under wmu. */
static int purge_expired(sq_backend *b)
{
    int rc = wstep(b, W_BEGIN, "purge");
    if (rc) return rc;
    int64_t now = ami_time_now_ms();
    sqlite3_stmt *st = b->wst[W_ANY_EXPIRED];
    sqlite3_bind_int64(st, 1, now);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src == SQLITE_DONE) {
        wstep(b, W_ROLLBACK, "purge");
        return 0;
    }
    sqlite3_int64 newvs = 1;
    if (src == SQLITE_ROW) {
        st = b->wst[W_MAXVS];
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) newvs = sqlite3_column_int64(st, 0) + 1;
        sqlite3_reset(st);
    }
    if (src != SQLITE_ROW) {
        rc = is_busy(src) ? RETRY : sq_error(b->wdb, "purge");
    } else {
        sqlite3_bind_int64(b->wst[W_PURGE_LOG], 1, newvs);
        sqlite3_bind_int64(b->wst[W_PURGE_LOG], 2, now);
        sqlite3_bind_int64(b->wst[W_PURGE], 1, now);
        if (!(rc = wstep(b, W_PURGE_LOG, "purge log")) && !(rc = wstep(b, W_PURGE, "purge")))
            rc = wstep(b, W_COMMIT, "purge commit");
    }
    if (rc) {
        wstep(b, W_ROLLBACK, "purge");
        return rc;
    }
    return 1;
}

/* The poller's housekeeping: purge once the earliest expiry has passed.  Under wmu. */
static void expire_if_due(sq_backend *b)
{
    if (b->next_exp_stale) refresh_next_exp(b);
    if (b->next_exp_stale || b->next_exp > ami_time_now_ms()) return;
    int rc = purge_expired(b);
    if (rc == 1) {
        b->change_seq++;
        pthread_cond_broadcast(&b->wcv);
    }
    if (rc >= 0) b->next_exp_stale = 1;                     /* purged, nothing, or busy (RETRY): look again */
    else b->next_exp = ami_time_now_ms() + PURGE_EVERY_MS;    /* an error: back off */
}

static int timed_wait(sq_backend *b, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return pthread_cond_timedwait(&b->wcv, &b->wmu, &ts);
}

static int sq_watch(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len, const char *after,
                    int timeout_ms, ami_versionstamp vs)
{
    sq_backend *b = (sq_backend *)be;
    vs[0] = '\0';
    uint64_t a = 0;
    int rc = ami__vs_parse(&a, after);
    if (rc) return rc;
    /* keys equal to or under the prefix: [P, P+0xFF); any key: [0x01, 0xFF) skips the log's empty key */
    unsigned char small[256], *hi = small;
    static const unsigned char any_lo = 0x01, any_hi = 0xFF;
    const unsigned char *lo = prefix;
    size_t lo_len = prefix_len, hi_len = prefix_len + 1;
    if (prefix_len == 0) {
        lo = &any_lo;
        lo_len = 1;
        hi = (unsigned char *)&any_hi;
        hi_len = 1;
    } else {
        if (hi_len > sizeof small && !(hi = ami_malloc(hi_len))) return ami__error_oom();
        memcpy(hi, prefix, prefix_len);
        hi[prefix_len] = 0xFF;
    }
    int64_t deadline = timeout_ms >= 0 ? ami_time_mono_ms() + timeout_ms : -1;
    int poller = 0;

    pthread_mutex_lock(&b->wmu);
    uint64_t gen = b->wake_gen;
    for (;;) {
        if (b->wake_gen != gen) { rc = AMI_ESTOPPED; break; }
        uint64_t seq0 = b->change_seq;
        rc = watch_query(b, lo, lo_len, hi, hi_len, (sqlite3_int64)a, vs);
        if (rc == 1) { rc = 0; break; }
        if (rc < 0) break;
        int busy = rc == RETRY;
        rc = 0;
        /* wait until something may have changed */
        while ((busy || b->change_seq == seq0) && b->wake_gen == gen) {
            int64_t now = ami_time_mono_ms();
            if (deadline >= 0 && now >= deadline) { rc = AMI_ETIMEOUT; break; }
            if (!b->poller_active) {
                b->poller_active = 1;
                poller = 1;
            }
            int slice = poller ? POLL_MS : 200;
            if (deadline >= 0 && deadline - now < slice) slice = (int)(deadline - now);
            timed_wait(b, slice > 0 ? slice : 1);
            if (busy) break;
            if (poller && b->change_seq == seq0) {
                int64_t dv = data_version(b);
                if (dv != b->last_dv || dv < 0) {
                    b->last_dv = dv;
                    b->change_seq++;
                    b->next_exp_stale = 1;
                    pthread_cond_broadcast(&b->wcv);
                }
            }
            if (poller) expire_if_due(b);
        }
        if (rc) break;
    }
    if (rc == AMI_ESTOPPED) ami__error_set(AMI_ESTOPPED, "watch stopped by ami_store_wake()");
    else if (rc == AMI_ETIMEOUT) ami__error_set(AMI_ETIMEOUT, "no change within %d ms", timeout_ms);
    if (poller) {
        /* hand the polling role to another waiter */
        b->poller_active = 0;
        pthread_cond_broadcast(&b->wcv);
    }
    pthread_mutex_unlock(&b->wmu);
    if (hi != small && hi != &any_hi) ami_free(hi);
    if (rc) vs[0] = '\0';
    return rc;
}

static void sq_wake(ami_store_backend *be)
{
    sq_backend *b = (sq_backend *)be;
    pthread_mutex_lock(&b->wmu);
    b->wake_gen++;
    pthread_cond_broadcast(&b->wcv);
    pthread_mutex_unlock(&b->wmu);
}

/* ---- open / free ---- */

static void sq_free(ami_store_backend *be)
{
    sq_backend *b = (sq_backend *)be;
    if (!b) return;
    for (int i = 0; i < S_COUNT; i++) sqlite3_finalize(b->st[i]);
    for (int i = 0; i < W_COUNT; i++) sqlite3_finalize(b->wst[i]);
    sqlite3_close(b->db);
    sqlite3_close(b->wdb);
    pthread_cond_destroy(&b->wcv);
    pthread_mutex_destroy(&b->wmu);
    ami_free(b->path);
    ami_free(b);
}

static int open_conn(sq_backend *b, sqlite3 **out, int flags)
{
    if (b->memory) flags |= SQLITE_OPEN_URI | SQLITE_OPEN_MEMORY | SQLITE_OPEN_SHAREDCACHE;
    int rc = sqlite3_open_v2(b->path, out, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int r = ami__error_set(AMI_EIO, "cannot open store \"%s\": %s (%d)", b->path,
                               *out ? sqlite3_errmsg(*out) : sqlite3_errstr(rc), rc);
        sqlite3_close(*out);
        *out = NULL;
        return r;
    }
    sqlite3_extended_result_codes(*out, 1);
    sqlite3_busy_timeout(*out, BUSY_TIMEOUT_MS);
    return 0;
}

static int prepare(sq_backend *b, sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    int64_t started = ami_time_mono_ms();
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
        if (rc == SQLITE_OK) return 0;
        if (!is_busy(rc)) return ami__error_set(AMI_EIO, "store \"%s\": %s", b->path, sqlite3_errmsg(db));
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

int ami__sqlite_backend_open(ami_store_backend **out, const char *path, int sync_full)
{
    *out = NULL;
    sq_backend *b = ami_malloc(sizeof *b);
    if (!b) return ami__error_oom();
    memset(b, 0, sizeof *b);
    b->base.version = AMI_STORE_BACKEND_VERSION;
    b->base.capabilities = AMI_STORE_CAP_CAS | AMI_STORE_CAP_WATCH | AMI_STORE_CAP_TTL;
    b->base.name = "sqlite";
    b->base.get = sq_get;
    b->base.list = sq_list;
    b->base.commit = sq_commit;
    b->base.current = sq_current;
    b->base.watch = sq_watch;
    b->base.wake = sq_wake;
    b->base.free = sq_free;
    b->log_keep = LOG_KEEP;
    b->log_prune_every = LOG_PRUNE_EVERY;
    b->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ami_time_now_ms() ^ (uint64_t)(uintptr_t)b;
    if (!b->rng) b->rng = 88172645463325252ull;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wcv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&b->wmu, NULL);
    if (!strcmp(path, ":memory:")) {
        /* one private database per handle, seen by both of its connections
         * through SQLite's shared cache (a name no other handle uses) */
        static unsigned long seq;
        char name[96];
        snprintf(name, sizeof name, "file:ami-mem-%ld-%lu?mode=memory&cache=shared", (long)getpid(),
                 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
        b->memory = 1;
        b->path = ami__strdup(name);
    } else {
        b->path = ami__strdup(path);
    }
    if (!b->path) {
        sq_free(&b->base);
        return ami__error_oom();
    }

    int rc = open_conn(b, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!rc && !b->memory) {
        /* journal_mode answers with the mode in force; anything but wal is an error */
        int64_t started = ami_time_mono_ms();
        for (int attempt = 0;; attempt++) {
            sqlite3_stmt *st = NULL;
            int src = sqlite3_prepare_v2(b->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
            if (src == SQLITE_OK) src = sqlite3_step(st);
            if (src == SQLITE_ROW) {
                const char *mode = (const char *)sqlite3_column_text(st, 0);
                if (!mode || strcmp(mode, "wal"))
                    rc = ami__error_set(AMI_EIO, "store \"%s\": cannot switch to WAL (journal mode is %s)", b->path,
                                        mode ? mode : "?");
                sqlite3_finalize(st);
                break;
            }
            sqlite3_finalize(st);
            if (!is_busy(src)) {
                rc = ami__error_set(AMI_EIO, "cannot open store \"%s\": %s (%d)", b->path, sqlite3_errmsg(b->db), sqlite3_extended_errcode(b->db));
                break;
            }
            if ((rc = backoff(b, attempt, started))) break;
        }
    }
    if (!rc) rc = exec_retry(b, b->db, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", "synchronous");
    if (!rc) {
        /* one write transaction, so concurrent creators serialise */
        static const char tx[] = "BEGIN IMMEDIATE;";
        char sql[sizeof tx + sizeof schema_sql + 8];
        snprintf(sql, sizeof sql, "%s%sCOMMIT;", tx, schema_sql);
        rc = exec_retry(b, b->db, sql, "create schema");
        if (rc) sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
    }
    for (int i = 0; !rc && i < S_COUNT; i++) rc = prepare(b, b->db, main_sql[i], &b->st[i]);
    if (!rc) rc = open_conn(b, &b->wdb, SQLITE_OPEN_READWRITE);
    if (!rc) rc = exec_retry(b, b->wdb, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", "synchronous");
    for (int i = 0; !rc && i < W_COUNT; i++) rc = prepare(b, b->wdb, watch_sql[i], &b->wst[i]);
    if (rc) {
        sq_free(&b->base);
        return rc;
    }
    b->last_dv = data_version(b);
    b->next_exp_stale = 1;
    *out = &b->base;
    return 0;
}

void ami__sqlite_backend_tune(ami_store_backend *be, long log_keep, long log_prune_every)
{
    sq_backend *b = (sq_backend *)be;
    if (!be || strcmp(be->name, "sqlite")) return;
    if (log_keep > 0) b->log_keep = log_keep;
    if (log_prune_every > 0) b->log_prune_every = log_prune_every;
}
