/*
 * The SQLite store backend.
 *
 * Schema (created on open, tolerant of several processes creating it at once;
 * a file made by an older libami is brought up to date by the same statements):
 *   kv(k BLOB PRIMARY KEY, v TEXT, vs INTEGER, exp INTEGER) WITHOUT ROWID
 *       k: encoded key; v: JSON text, or '' for a tombstone (a deleted or
 *       expired key: JSON text is never empty); vs: the commit that last wrote
 *       the row; exp: wall-clock ms or NULL.  A commit without mutations writes
 *       the tombstone of the empty key (no real key is empty), so the newest
 *       commit's counter is always on some row.
 *   kv_exp: partial index on kv(exp) WHERE exp IS NOT NULL (only TTL rows pay for it)
 *   kv_tomb: partial index on kv(vs) WHERE v='' (only tombstones pay; old ones are
 *       dropped once LOG_KEEP commits old, never the newest)
 *   handles(id, pid, ns): one row per open handle on the file (ns: the pid
 *       namespace, so a crashed process's row can be recognised and removed)
 *   changelog(vs, k) WITHOUT ROWID: one row per key written by each commit made
 *       while another handle is open (a commit with no mutations logs the empty
 *       key).  meta('floor'): commits up to it may be missing from the log.
 *
 * Versionstamps: 16 hex digits of the counter, then "0000".
 *
 * The change feed without a second row per commit.  A handle alone on its file
 * ("solo") writes only the kv row: its counter lives in memory and its own
 * watchers are served from an in-memory ring of the keys it committed.  Every
 * handle registers in `handles` when it opens, and every commit checks PRAGMA
 * data_version inside its write transaction: when another connection has
 * written since, it re-reads `handles` and the counter (max of the log).  So
 * once a second handle is open, every commit by anyone is logged (the
 * registration itself is such a write), and the registering handle sets the
 * floor to the counter so a watcher never trusts the unlogged past.  Watchers
 * combine the ring (own commits) with the log (everyone's, while shared):
 * another process sees every commit, deletes and expiries included, in order.
 *
 * Group commit: threads committing on one handle at once queue up; the first
 * runs the whole queue in one write transaction (one fsync), each batch with
 * its own checks (which see the batches before it) and its own versionstamp,
 * in queue order (sq_commit).  A heavy batch (HEAVY_BYTES and more) is run
 * only by its own thread: a thread with a small write never pays for a
 * neighbour's big one, it commits the queue up to it and hands the next turn
 * to its owner (docs/reliability.md, "Big values beside a neighbour").  For
 * the same reason the WAL checkpoint (SQLite's autocheckpoint copies the WAL
 * into the file and syncs it, under the write lock) is left to a group with a
 * heavy batch when heavy batches wrote most of the WAL (wal_hook).
 *
 * ":memory:" gives a private in-memory database per handle: both connections
 * open one uniquely named shared-cache memory database (no WAL; table locks
 * answer SQLITE_LOCKED, retried like SQLITE_BUSY); it is gone on close.  It is
 * always solo.
 *
 * Concurrency: WAL; writes in BEGIN IMMEDIATE; SQLite's own busy handler is
 * kept short (it is unfair between processes under contention, docs/design.md §6) and
 * we retry SQLITE_BUSY ourselves with jittered sleeps up to a budget.
 *
 * The main connection (reads, commits, purges) is used under `mmu`.  watch() uses a
 * second connection (reads only) under its own mutex `wmu` (mmu before wmu).  A
 * waiting watch is in the handle's list of waiters with its prefix's key range and
 * a condition variable of its own, and is woken only for a change under its prefix:
 * a local commit (publish) wakes the waiters whose range holds a key it wrote or
 * purged; another connection's commit, seen as PRAGMA data_version moving, is
 * looked up in the change log (the keys after the last commit dispatched) and wakes
 * the waiters those keys concern, or every waiter when the log cannot tell (it moved
 * while nobody waited, it was pruned or its floor passed, too many keys, an error).
 * wake() wakes them all.  One waiting watcher (the "poller") polls data_version
 * every POLL_MS (POLL_QUIET_MS while the file is quiet); when it leaves it wakes
 * another to take the role.  Where inotify can watch the
 * -wal file (every commit of every process writes it: WAL needs all of them on one
 * host), a thread of the handle blocks on it instead and does the poller's check
 * at each write, and the poller only looks every POLL_NOTIFIED_MS (and at the next
 * expiry): an idle watcher costs no wake-ups (a wake-up of a thread of a big
 * process is not cheap, docs/node.md "Idle cost").  The poller also purges
 * entries as they expire (through the main connection), so expiry shows
 * on the change feed within a few ms while anyone watches; otherwise expired
 * rows are purged by ordinary commits, at most once a second per handle.
 */
#define _GNU_SOURCE   /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/core.h"
#include "util/util.h"
#include "store/store_internal.h"

#define POLL_MS           5       /* data_version poll period while watching, soon after a change */
#define POLL_QUIET_MS     20      /* ... once the file was quiet for POLL_BUSY_MS: a quarter of the
                                   * wake-ups of an idle node, and another process's commit is
                                   * still seen well within the feed's 50 ms */
#define POLL_BUSY_MS      250     /* how long after a change the poll stays at POLL_MS */
#define POLL_NOTIFIED_MS  5000    /* the poll while inotify reports writes to the -wal: a backstop only (a
                                   * timer wake-up of a thread of a big process costs ms; the
                                   * notifier chases a late publish for a second itself) */
#define BUSY_TIMEOUT_MS   2       /* SQLite's own busy handler: short */
#define BUSY_BUDGET_MS    15000   /* our retry budget before AMI_EBUSY */
#define LOG_KEEP          20000   /* change-log commits kept (and tombstones) */
#define LOG_PRUNE_EVERY   1024    /* prune when the counter is a multiple of this */
#define PURGE_EVERY_MS    1000    /* purge expired rows at most this often per handle */
#define RING              1024    /* own commits' keys kept for this handle's watchers */
#define HEAVY_BYTES       16384   /* a batch writing this many key and value bytes runs in its own thread's turn */
#define WAL_CHECKPOINT    1000    /* WAL pages that call for a checkpoint (SQLite's autocheckpoint default) */
#define WAL_CHECKPOINT_MAX 4000   /* ... by any commit, heavy or not */
#define WAL_HDR           48      /* bytes of the WAL-index header (sqlite.org/walformat.html) */

enum {
    S_GET, S_CHECK, S_LIST_ASC, S_LIST_DESC, S_BEGIN, S_COMMIT, S_ROLLBACK, S_MAXVS, S_DV, S_OTHERS,
    S_UPSERT, S_TOMB, S_LOG, S_EXPIRE, S_GC_TOMB, S_PRUNE, S_COUNT
};

static const char *const main_sql[S_COUNT] = {
    [S_GET] = "SELECT v, vs FROM kv WHERE k=?1 AND v<>'' AND (exp IS NULL OR exp>?2)",
    [S_CHECK] = "SELECT vs FROM kv WHERE k=?1 AND v<>'' AND (exp IS NULL OR exp>?2)",
    [S_LIST_ASC] = "SELECT k, v, vs FROM kv WHERE k>=?1 AND k<?2 AND v<>'' AND (exp IS NULL OR exp>?3) ORDER BY k ASC LIMIT ?4",
    [S_LIST_DESC] = "SELECT k, v, vs FROM kv WHERE k>=?1 AND k<?2 AND v<>'' AND (exp IS NULL OR exp>?3) ORDER BY k DESC LIMIT ?4",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_MAXVS] = "SELECT max(vs) FROM changelog",
    [S_DV] = "PRAGMA data_version",
    [S_OTHERS] = "SELECT count(*) FROM handles WHERE id<>?1",
    [S_UPSERT] = ("INSERT INTO kv(k, v, vs, exp) VALUES(?1, ?2, ?3, ?4) "
                  "ON CONFLICT(k) DO UPDATE SET v=excluded.v, vs=excluded.vs, exp=excluded.exp"),
    [S_TOMB] = ("INSERT INTO kv(k, v, vs, exp) VALUES(?1, '', ?2, NULL) "
                "ON CONFLICT(k) DO UPDATE SET v='', vs=excluded.vs, exp=NULL"),
    [S_LOG] = "INSERT OR IGNORE INTO changelog(vs, k) VALUES(?1, ?2)",
    [S_EXPIRE] = "UPDATE kv SET v='', vs=?1, exp=NULL WHERE exp IS NOT NULL AND exp<=?2 RETURNING k",
    [S_GC_TOMB] = "DELETE FROM kv WHERE v='' AND vs<=?1 AND k<>x''",
    [S_PRUNE] = "DELETE FROM changelog WHERE vs<=?1",
};

/* Statements of the watch connection. */
enum { W_DV, W_QUERY, W_NEXT_EXP, W_CHANGES, W_NEXT_LIVE_EXP, W_FEED, W_COUNT };

static const char *const watch_sql[W_COUNT] = {
    [W_DV] = "PRAGMA data_version",
    [W_QUERY] = ("SELECT (SELECT min(vs) FROM changelog),"
                 " (SELECT max(vs) FROM changelog WHERE vs>?1 AND k>=?2 AND k<?3),"
                 " (SELECT max(vs) FROM changelog),"
                 " (SELECT value FROM meta WHERE name='floor')"),
    [W_NEXT_EXP] = "SELECT min(exp) FROM kv WHERE exp IS NOT NULL",
    [W_NEXT_LIVE_EXP] = "SELECT min(exp) FROM kv WHERE exp IS NOT NULL AND exp>?1",
    /* the log after ?1 (at most ?2 rows), after a first row telling whether it is complete: (min(vs), floor) */
    [W_CHANGES] = ("SELECT (SELECT min(vs) FROM changelog), (SELECT value FROM meta WHERE name='floor'), NULL "
                   "UNION ALL SELECT * FROM (SELECT 0, vs, k FROM changelog WHERE vs>?1 AND k<>x'' ORDER BY vs LIMIT ?2)"),
    /* the same with the log's newest first: (min(vs), floor, max(vs)), then (vs, k) after ?1 */
    [W_FEED] = ("SELECT (SELECT min(vs) FROM changelog), (SELECT value FROM meta WHERE name='floor'),"
                " (SELECT max(vs) FROM changelog), NULL "
                "UNION ALL SELECT * FROM (SELECT 0, 0, vs, k FROM changelog WHERE vs>?1 AND k<>x'' ORDER BY vs LIMIT ?2)"),
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v TEXT NOT NULL, vs INTEGER NOT NULL, exp INTEGER) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS kv_exp ON kv(exp) WHERE exp IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS changelog(vs INTEGER NOT NULL, k BLOB NOT NULL, PRIMARY KEY(vs, k)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value);"
    "INSERT OR IGNORE INTO meta(name, value) VALUES('schema', 1);"
    /* schema 2 (added to older files on open): tombstones, open handles, the log's floor */
    "CREATE INDEX IF NOT EXISTS kv_tomb ON kv(vs) WHERE v='';"
    "CREATE TABLE IF NOT EXISTS handles(id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, ns INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(name, value) VALUES('floor', 0);"
    "UPDATE meta SET value=2 WHERE name='schema' AND value<2;";

typedef struct {
    uint64_t vs;
    ami_buf key;
} ring_entry;

/* A watch waiting for a change: in the handle's list while it waits, under wmu.
 * Its own condition variable, so a commit wakes only the watches whose keys
 * [lo, hi) it wrote (a wake-up of a thread of a big process is not cheap). */
typedef struct waiter {
    const unsigned char *lo, *hi;
    size_t lo_len, hi_len;
    int changed;            /* something under the prefix may have changed since its last query */
    int queried;            /* its first query is done: our commits since were matched as published */
    uint64_t mine;          /* ... and the newest of them under its prefix (0: none) */
    pthread_cond_t cv;
    struct waiter *prev, *next;
} waiter;

typedef struct {
    ami_store_backend base;
    char *path;
    int memory;             /* a private in-memory database (shared cache between our two connections) */

    /* the main connection and the commit state, under mmu */
    pthread_mutex_t mmu;
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    int64_t last_purge_ms;
    uint64_t rng;
    sqlite3_int64 log_keep, log_prune_every;
    sqlite3_int64 handle_id;    /* our row in `handles` (0: not registered) */
    sqlite3_int64 counter;      /* the newest commit we know of */
    sqlite3_int64 dv_seen;      /* data_version when `counter` and `shared` were last read */
    int shared;                 /* another handle is open: log every commit */
    ami_buf expired;            /* keys purged by the running commit (length-prefixed) */
    int group_heavy;            /* the committing group holds a heavy batch */
    int wal_pages, wal_heavy;   /* WAL pages after our last commit, and those our heavy groups wrote */
    uint64_t ckpt_light, ckpt_heavy;    /* checkpoints run by light and by heavy groups */
    uint64_t groups, batches;   /* transactions run by group commit, and the batches in them */

    /* the group-commit queue, under qmu */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    struct job *q_head, *q_tail;
    int q_running;
    uint64_t heavy, heavy_other;    /* heavy batches run, and those run by another thread (0 by design) */

    /* change feed, all under wmu */
    pthread_mutex_t wmu;
    waiter *waiters;        /* the watches waiting now */
    waiter *poller;         /* the one of them with the poller's role (NULL: none) */
    uint64_t feed_seen;     /* the log is dispatched to the waiters through this commit */
    int feed_unknown;       /* ... or not known: the log moved while nobody waited */
    sqlite3 *wdb;
    sqlite3_stmt *wst[W_COUNT];
    int64_t next_exp;       /* earliest expiry in the store (wall ms; INT64_MAX none) */
    int next_exp_stale;     /* re-read next_exp before trusting it */
    uint64_t wake_gen;      /* bumped by wake() */
    int64_t last_dv;        /* data_version last seen by the poller */
    int64_t dv_moved_at;    /* monotonic ms the poller last saw data_version change */
    const volatile unsigned char *shm;   /* SQLite's mapping of the WAL-index (-shm) of wdb; NULL: none (yet) */
    int shm_tried;
    int shm_held;           /* the watch connection has read the file: it holds the -shm open (see shm_header) */
    unsigned char dv_hdr[WAL_HDR];   /* its header as read before the last PRAGMA data_version */
    int dv_hdr_ok;
    int64_t dv_val;         /* what that PRAGMA answered */
    uint64_t polls;         /* data_version checks made by pollers (a test's count of idle wake-ups; the
                             * notifier's checks follow writes and are not counted) */
    /* the -wal notifier (see the header comment): started by the first poller, stopped by sq_free */
    int ino_fd, ino_wd;     /* -1: none */
    int ino_state;          /* 0 not tried, 1 running, 2 unavailable (polling as before), 3 stopping */
    int ino_started;        /* the thread exists (join it) */
    pthread_t ino_thr;
    ring_entry ring[RING];  /* our own commits' keys, oldest overwritten first */
    size_t ring_next;
    uint64_t ring_lost;     /* newest vs overwritten in the ring (0: none) */
    uint64_t newest;        /* newest commit this handle made or saw committed */
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

static int get_locked(sq_backend *b, const unsigned char *key, size_t key_len, ami_buf *value, ami_versionstamp vs)
{
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

static int sq_get(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value,
                  ami_versionstamp vs)
{
    sq_backend *b = (sq_backend *)be;
    pthread_mutex_lock(&b->mmu);
    int rc = get_locked(b, key, key_len, value, vs);
    pthread_mutex_unlock(&b->mmu);
    return rc;
}

static int list_locked(sq_backend *b, const unsigned char *start, size_t start_len, const unsigned char *end,
                       size_t end_len, size_t limit, int reverse, ami_store_list_cb cb, void *payload)
{
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

static int sq_list(ami_store_backend *be, const unsigned char *start, size_t start_len, const unsigned char *end,
                   size_t end_len, size_t limit, int reverse, ami_store_list_cb cb, void *payload)
{
    sq_backend *b = (sq_backend *)be;
    pthread_mutex_lock(&b->mmu);
    int rc = list_locked(b, start, start_len, end, end_len, limit, reverse, cb, payload);
    pthread_mutex_unlock(&b->mmu);
    return rc;
}

/* The newest commit: ours (in memory) or the log's (everyone's while shared).  Under mmu. */
static int current_locked(sq_backend *b, sqlite3_int64 *out)
{
    sqlite3_stmt *st = b->st[S_MAXVS];
    int64_t started = 0;
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            sqlite3_int64 v = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
            *out = v > b->counter ? v : b->counter;
            return 0;
        }
        sqlite3_reset(st);
        if (!is_busy(rc)) return sq_error(b->db, "current");
        if (!attempt) started = ami_time_mono_ms();
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

static int sq_current(ami_store_backend *be, ami_versionstamp vs)
{
    sq_backend *b = (sq_backend *)be;
    sqlite3_int64 c = 0;
    pthread_mutex_lock(&b->mmu);
    int rc = current_locked(b, &c);
    pthread_mutex_unlock(&b->mmu);
    if (!rc) vs_out(vs, c);
    return rc;
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

/* One integer from a one-row statement (NULL gives 0); RETRY or an error.  Resets it. */
static int step_int(sq_backend *b, sqlite3_stmt *st, sqlite3_int64 *out, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    return is_busy(rc) ? RETRY : sq_error(b->db, what);
}

/*
 * Inside a write transaction: when another connection has written since we
 * last looked (data_version), re-read whether other handles are open and the
 * counter (their commits are in the log: they see our registration).
 */
static int sync_state(sq_backend *b)
{
    if (b->memory) return 0;
    sqlite3_int64 dv = 0, others = 0, logmax = 0;
    int rc = step_int(b, b->st[S_DV], &dv, "data_version");
    if (rc || dv == b->dv_seen) return rc;
    sqlite3_bind_int64(b->st[S_OTHERS], 1, b->handle_id);
    if ((rc = step_int(b, b->st[S_OTHERS], &others, "handles"))) return rc;
    if ((rc = step_int(b, b->st[S_MAXVS], &logmax, "read counter"))) return rc;
    b->shared = others > 0;
    if (logmax > b->counter) b->counter = logmax;
    b->dv_seen = dv;
    return 0;
}

static int log_key(sq_backend *b, sqlite3_int64 vs, const void *key, size_t key_len)
{
    if (!b->shared) return 0;
    sqlite3_stmt *log = b->st[S_LOG];
    sqlite3_bind_int64(log, 1, vs);
    sqlite3_bind_blob(log, 2, key_len ? key : "", (int)key_len, SQLITE_STATIC);
    return step_done(b, log, "change log");
}

/* Tombstone `key` at `vs` (a delete, or the empty key for a commit without mutations). */
static int tombstone(sq_backend *b, sqlite3_int64 vs, const void *key, size_t key_len)
{
    sqlite3_stmt *st = b->st[S_TOMB];
    sqlite3_bind_blob(st, 1, key_len ? key : "", (int)key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, vs);
    int rc = step_done(b, st, "delete");
    return rc ? rc : log_key(b, vs, key, key_len);
}

/* A commit waiting in the group queue. */
typedef struct job {
    const ami_store_op *ops;
    size_t n_ops;
    int heavy;          /* HEAVY_BYTES or more: only its own thread runs it */
    int committed;
    ami_versionstamp vs;
    int rc;
    int done;
    struct job *next;
} job;

/*
 * One batch inside the group's transaction: its checks (which see the batches
 * before it), then its mutations at counter+1.  0 (committed or conflict),
 * RETRY, or an error (the transaction must be rolled back).
 */
static int apply_job(sq_backend *b, job *j, int64_t now, sqlite3_int64 *counter)
{
    sqlite3_stmt *st = b->st[S_CHECK];
    size_t n_mut = 0;
    j->committed = 0;
    j->vs[0] = '\0';
    for (size_t i = 0; i < j->n_ops; i++) {
        const ami_store_op *op = &j->ops[i];
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
        if (src != SQLITE_ROW && src != SQLITE_DONE) return is_busy(src) ? RETRY : sq_error(b->db, "check");
        if (strcmp(have, op->versionstamp ? op->versionstamp : "") != 0) return 0;   /* conflict: nothing written */
    }
    sqlite3_int64 newvs = *counter + 1;
    int rc = 0;
    for (size_t i = 0; i < j->n_ops && !rc; i++) {
        const ami_store_op *op = &j->ops[i];
        if (op->type == AMI_STORE_OP_SET) {
            st = b->st[S_UPSERT];
            sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, op->value, (int)op->value_len, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, newvs);
            if (op->expire_at_ms > 0) sqlite3_bind_int64(st, 4, op->expire_at_ms);
            else sqlite3_bind_null(st, 4);
            rc = step_done(b, st, "set");
            if (!rc) rc = log_key(b, newvs, op->key, op->key_len);
        } else if (op->type == AMI_STORE_OP_DELETE) {
            rc = tombstone(b, newvs, op->key, op->key_len);
        }
    }
    /* keep the newest counter on a row: the empty key matches no watcher */
    if (!rc && n_mut == 0) rc = tombstone(b, newvs, "", 0);
    if (rc) return rc;
    *counter = newvs;
    j->committed = 1;
    ami__vs_format(j->vs, (uint64_t)newvs);
    return 0;
}

/* Tombstone the entries expired by `now` at `vs`, remembering their keys for the ring: 0 none, 1 some, or RETRY/error. */
static int expire_rows(sq_backend *b, sqlite3_int64 vs, int64_t now)
{
    sqlite3_stmt *st = b->st[S_EXPIRE];
    sqlite3_bind_int64(st, 1, vs);
    sqlite3_bind_int64(st, 2, now);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *k = sqlite3_column_blob(st, 0);
        uint32_t len = (uint32_t)sqlite3_column_bytes(st, 0);
        if (ami_buf_put(&b->expired, &len, sizeof len) || ami_buf_put(&b->expired, k, len)) {
            sqlite3_reset(st);
            return ami__error_oom();
        }
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return is_busy(rc) ? RETRY : sq_error(b->db, "purge");
    /* log them (while shared) from the copies: the statement is done */
    for (size_t off = 0; off < b->expired.size && b->shared;) {
        uint32_t len;
        memcpy(&len, b->expired.ptr + off, sizeof len);
        if ((rc = log_key(b, vs, b->expired.ptr + off + sizeof len, len))) return rc;
        off += sizeof len + len;
    }
    return n > 0;
}

/* Housekeeping at the end of a transaction that committed up to `newvs` (from `before`). */
static int housekeeping(sq_backend *b, sqlite3_int64 before, sqlite3_int64 newvs, int64_t now)
{
    int rc = 0;
    if (now - b->last_purge_ms >= PURGE_EVERY_MS) {
        rc = expire_rows(b, newvs, now);
        if (rc < 0 || rc == RETRY) return rc;
        rc = 0;
        if (newvs > b->log_keep) {
            sqlite3_bind_int64(b->st[S_GC_TOMB], 1, newvs - b->log_keep);
            if ((rc = step_done(b, b->st[S_GC_TOMB], "drop old tombstones"))) return rc;
        }
    }
    if (b->shared && newvs / b->log_prune_every != before / b->log_prune_every && newvs > b->log_keep) {
        sqlite3_bind_int64(b->st[S_PRUNE], 1, newvs - b->log_keep);
        rc = step_done(b, b->st[S_PRUNE], "prune log");
    }
    return rc;
}

/* `k` (n bytes) is in [lo, hi). */
static int key_in(const unsigned char *k, size_t n, const unsigned char *lo, size_t lo_len, const unsigned char *hi,
                  size_t hi_len)
{
    int ge_lo = memcmp(k, lo, n < lo_len ? n : lo_len);
    ge_lo = ge_lo > 0 || (ge_lo == 0 && n >= lo_len);
    int lt_hi = memcmp(k, hi, n < hi_len ? n : hi_len);
    lt_hi = lt_hi < 0 || (lt_hi == 0 && n < hi_len);
    return ge_lo && lt_hi;
}

/* Tell a waiter something under its prefix may have changed: it queries again.  Under wmu. */
static void wake_waiter(sq_backend *b, waiter *w)
{
    if (w->changed) return;   /* already told, not yet awake: one wake-up covers both */
    w->changed = 1;
    pthread_cond_signal(&w->cv);
}

/* Every waiter: what changed is not known.  Under wmu. */
static void wake_all(sq_backend *b)
{
    for (waiter *w = b->waiters; w; w = w->next) wake_waiter(b, w);
}

/* The waiters whose prefix holds `k`, written by our commit `vs` (0: another connection's,
 * found again in the log by the waiter's query).  Under wmu. */
static void wake_key(sq_backend *b, const unsigned char *k, size_t n, uint64_t vs)
{
    for (waiter *w = b->waiters; w; w = w->next) {
        if ((w->changed && vs <= w->mine) || !key_in(k, n, w->lo, w->lo_len, w->hi, w->hi_len)) continue;
        if (vs > w->mine) w->mine = vs;
        wake_waiter(b, w);
    }
}

/* After a commit: our keys into the ring, and wake the local watchers whose prefix holds one.  Takes wmu. */
static void publish(sq_backend *b, job *jobs, sqlite3_int64 newest)
{
    int oom = 0;
    pthread_mutex_lock(&b->wmu);
    for (job *j = jobs; j; j = j->next) {
        if (!j->committed) continue;
        uint64_t vs = 0;
        ami__vs_parse(&vs, j->vs);
        for (size_t i = 0; i < j->n_ops; i++) {
            const ami_store_op *op = &j->ops[i];
            if (op->type == AMI_STORE_OP_CHECK) continue;
            ring_entry *e = &b->ring[b->ring_next];
            if (e->vs > b->ring_lost) b->ring_lost = e->vs;
            e->vs = vs;
            ami_buf_clear(&e->key);
            if (ami_buf_put(&e->key, op->key, op->key_len)) {
                b->ring_lost = vs;   /* out of memory: watchers are told "changed" */
                e->vs = 0;
                oom = 1;
            }
            b->ring_next = (b->ring_next + 1) % RING;
            wake_key(b, op->key, op->key_len, vs);
        }
    }
    for (size_t off = 0; off < b->expired.size;) {
        uint32_t len;
        memcpy(&len, b->expired.ptr + off, sizeof len);
        ring_entry *e = &b->ring[b->ring_next];
        if (e->vs > b->ring_lost) b->ring_lost = e->vs;
        e->vs = (uint64_t)newest;
        ami_buf_clear(&e->key);
        if (ami_buf_put(&e->key, b->expired.ptr + off + sizeof len, len)) {
            b->ring_lost = e->vs;
            e->vs = 0;
            oom = 1;
        }
        b->ring_next = (b->ring_next + 1) % RING;
        wake_key(b, (const unsigned char *)b->expired.ptr + off + sizeof len, len, (uint64_t)newest);   /* expiry is on the feed */
        off += sizeof len + len;
    }
    if (oom) {
        /* a key not kept: "changed" for everyone */
        for (waiter *w = b->waiters; w; w = w->next) w->mine = (uint64_t)newest;
        wake_all(b);
    }
    if ((uint64_t)newest > b->newest) b->newest = (uint64_t)newest;
    b->next_exp_stale = 1;
    pthread_mutex_unlock(&b->wmu);
}

/* One attempt at the whole group: 0, RETRY, or an error (all rolled back).  Under mmu. */
static int group_once(sq_backend *b, job *jobs, int force_purge, int *nothing)
{
    ami_buf_clear(&b->expired);
    int rc = step_done(b, b->st[S_BEGIN], "begin");
    if (rc) return rc;
    if ((rc = sync_state(b))) {
        rollback(b);
        return rc;
    }
    int64_t now = ami_time_now_ms();
    sqlite3_int64 before = b->counter, counter = b->counter;
    for (job *j = jobs; j && !rc; j = j->next) rc = apply_job(b, j, now, &counter);
    if (!rc && force_purge && counter == before) {
        /* the poller's purge: a commit of its own, only when something expired */
        rc = expire_rows(b, before + 1, now);
        if (rc == 0) {
            rollback(b);
            *nothing = 1;
            return 0;
        }
        if (rc > 0 && rc != RETRY) {
            counter = before + 1;
            rc = 0;
        }
    }
    if (!rc && counter > before) rc = housekeeping(b, before, counter, now);
    b->group_heavy = 0;
    for (job *j = jobs; j; j = j->next) b->group_heavy |= j->heavy;
    if (!rc) rc = step_done(b, b->st[S_COMMIT], "commit");
    if (rc) {
        rollback(b);
        for (job *j = jobs; j; j = j->next) {
            j->committed = 0;
            j->vs[0] = '\0';
        }
        return rc;
    }
    if (now - b->last_purge_ms >= PURGE_EVERY_MS && counter > before) b->last_purge_ms = now;
    b->counter = counter;
    publish(b, jobs, counter);
    return 0;
}

/* Run a group until it is not busy (jittered backoff up to the budget).  Under mmu. */
static int group_run(sq_backend *b, job *jobs, int force_purge, int *nothing)
{
    int64_t started = 0;
    for (int attempt = 0;; attempt++) {
        int rc = group_once(b, jobs, force_purge, nothing);
        if (rc != RETRY) return rc;
        if (!attempt) started = ami_time_mono_ms();
        if ((rc = backoff(b, attempt, started))) return rc;
    }
}

/*
 * After each commit on the main connection (under mmu, inside the COMMIT
 * step), instead of SQLite's autocheckpoint: a checkpoint once the WAL holds
 * WAL_CHECKPOINT pages, unless this group is light and heavy groups wrote
 * more than an eighth of the WAL (the next heavy one runs it), up to
 * WAL_CHECKPOINT_MAX.  An eighth, not half: the checkpoint copies each page
 * once however often the WAL holds it, and small commits rewrite the same
 * few pages while every big value is new pages, so an eighth of the frames
 * from heavy batches is already most of the copying.  When the heavy writer
 * stops, light commits run it at 8 times its pages at the latest.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    sq_backend *b = arg;
    int added = pages - b->wal_pages;
    if (pages < b->wal_pages) {   /* the WAL started over */
        b->wal_heavy = 0;
        added = pages;
    }
    if (b->group_heavy) b->wal_heavy += added;
    b->wal_pages = pages;
    if (pages < WAL_CHECKPOINT) return SQLITE_OK;
    if (!b->group_heavy && 8 * b->wal_heavy > pages && pages < WAL_CHECKPOINT_MAX) return SQLITE_OK;
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (b->group_heavy) b->ckpt_heavy++;
    else b->ckpt_light++;
    return SQLITE_OK;
}

/* Key and value bytes a batch writes reach HEAVY_BYTES. */
static int is_heavy(const ami_store_op *ops, size_t n_ops)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n_ops; i++) bytes += ops[i].key_len + (ops[i].type == AMI_STORE_OP_SET ? ops[i].value_len : 0);
    return bytes >= HEAVY_BYTES;
}

/*
 * Group commit: a committing thread queues its batch; a thread that finds no
 * group running takes the queue and runs it in one transaction (one WAL
 * write, one fsync with sync=full); the others wait for their result.  When
 * the group fails (not a conflict: an error), each batch is run alone, so an
 * error belongs to the batch that caused it.
 *
 * Fairness: the thread running a group spends its own time on everyone's
 * batches, which is cheap for small ones (that is the point) but not for a
 * neighbour's 60 KB value.  So a group stops before the first heavy batch of
 * another thread, and while a heavy batch heads the queue only its own
 * thread may take the next turn (it then takes the queue behind it as usual).
 * Queue order, and so versionstamp order, is unchanged.
 */
static int sq_commit(ami_store_backend *be, const ami_store_op *ops, size_t n_ops, int *committed,
                     ami_versionstamp vs)
{
    sq_backend *b = (sq_backend *)be;
    job j;
    memset(&j, 0, sizeof j);
    j.ops = ops;
    j.n_ops = n_ops;
    j.heavy = is_heavy(ops, n_ops);
    pthread_mutex_lock(&b->qmu);
    if (b->q_tail) b->q_tail->next = &j;
    else b->q_head = &j;
    b->q_tail = &j;
    while (!j.done) {
        if (b->q_running || (b->q_head->heavy && b->q_head != &j)) {
            pthread_cond_wait(&b->qcv, &b->qmu);
            continue;
        }
        b->q_running = 1;
        /* the queue up to another thread's heavy batch (the head is ours or light) */
        job *group = b->q_head, *last = group;
        while (last->next && !(last->next->heavy && last->next != &j)) last = last->next;
        b->q_head = last->next;
        if (!b->q_head) b->q_tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&b->qmu);

        int nothing = 0, n = 0;
        uint64_t heavy = 0, heavy_other = 0;
        for (job *g = group; g; g = g->next) {
            n++;
            heavy += (uint64_t)g->heavy;
            heavy_other += (uint64_t)(g->heavy && g != &j);
        }
        pthread_mutex_lock(&b->mmu);
        int rc = group_run(b, group, 0, &nothing);
        if (rc && n > 1) {
            for (job *g = group, *next; g; g = next) {
                next = g->next;
                g->next = NULL;
                g->rc = group_run(b, g, 0, &nothing);
                g->next = next;
            }
        } else {
            for (job *g = group; g; g = g->next) g->rc = rc;
        }
        b->groups++;
        b->batches += (uint64_t)n;
        pthread_mutex_unlock(&b->mmu);

        pthread_mutex_lock(&b->qmu);
        b->heavy += heavy;
        b->heavy_other += heavy_other;
        for (job *g = group, *next; g; g = next) {
            next = g->next;
            g->done = 1;
        }
        b->q_running = 0;
        pthread_cond_broadcast(&b->qcv);
    }
    pthread_mutex_unlock(&b->qmu);
    *committed = j.rc ? 0 : j.committed;
    memcpy(vs, j.rc ? "" : j.vs, j.rc ? 1 : sizeof j.vs);
    return j.rc;
}

/* The poller's purge of expired entries: 1 purged, 0 nothing due, or an error. */
static int purge_now(sq_backend *b)
{
    int nothing = 0;
    pthread_mutex_lock(&b->mmu);
    int rc = group_run(b, NULL, 1, &nothing);
    pthread_mutex_unlock(&b->mmu);
    return rc ? rc : !nothing;
}

/* ---- change feed ---- */

/*
 * The WAL-index header, the first thing every connection of every process
 * reads to begin a transaction: each commit writes it (a new change counter
 * and frame count; a WAL restart new salts) twice, the second copy first.
 * 1 with `out` filled when both copies agree (no write in the middle).
 * Under wmu.
 */
static int shm_header(sq_backend *b, unsigned char out[WAL_HDR])
{
    /* SQLite's own mapping of the WAL-index's first region, asked of the watch
     * connection once it has read the file (the region exists from then on and
     * stays mapped until the connection closes).  Not a mapping of our own: that
     * needs a descriptor of the -shm, and closing any descriptor of a file drops
     * every POSIX lock the process holds on it, SQLite's shared lock included,
     * after which another process's first open truncates the file under the
     * mapping (SIGBUS: four processes on one file, and amid beside `sqlite3`). */
    if (!b->shm_held) return 0;
    if (!b->shm && !b->shm_tried) {
        b->shm_tried = 1;
        sqlite3_file *f = NULL;
        volatile void *p = NULL;
        if (sqlite3_file_control(b->wdb, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK && f && f->pMethods &&
            f->pMethods->iVersion >= 2 && f->pMethods->xShmMap &&
            f->pMethods->xShmMap(f, 0, 32768, 0, &p) == SQLITE_OK && p)
            b->shm = (const volatile unsigned char *)p;
    }
    if (!b->shm) return 0;
    uint32_t a[WAL_HDR / 4], c[WAL_HDR / 4];
    const volatile uint32_t *h = (const volatile uint32_t *)b->shm;
    for (int i = 0; i < WAL_HDR / 4; i++) a[i] = __atomic_load_n(&h[i], __ATOMIC_ACQUIRE);
    for (int i = 0; i < WAL_HDR / 4; i++) c[i] = __atomic_load_n(&h[WAL_HDR / 4 + i], __ATOMIC_ACQUIRE);
    memcpy(out, a, WAL_HDR);
    return !memcmp(a, c, WAL_HDR) && out[12] /* isInit */;
}

/*
 * PRAGMA data_version on the watch connection, -1 when it could not be read.
 * The pragma opens a read transaction (two lock calls into the kernel); when
 * the WAL-index header is still what it was before the last pragma, nobody
 * committed since and its answer stands: no system call.  Under wmu.
 */
static int64_t data_version(sq_backend *b)
{
    unsigned char hdr[WAL_HDR];
    int have = shm_header(b, hdr);
    if (have && b->dv_hdr_ok && !memcmp(hdr, b->dv_hdr, WAL_HDR)) return b->dv_val;
    int64_t v = -1;
    if (sqlite3_step(b->wst[W_DV]) == SQLITE_ROW) v = sqlite3_column_int64(b->wst[W_DV], 0);
    sqlite3_reset(b->wst[W_DV]);
    if (v >= 0) b->shm_held = 1;
    b->dv_hdr_ok = have && v >= 0;
    if (b->dv_hdr_ok) {
        memcpy(b->dv_hdr, hdr, WAL_HDR);
        b->dv_val = v;
    }
    return v;
}

/* The newest of our own commits after `after` on a key in [lo, hi): 1 found (vs set), 0 none.  Under wmu. */
static int ring_query(sq_backend *b, const unsigned char *lo, size_t lo_len, const unsigned char *hi, size_t hi_len,
                      uint64_t after, uint64_t *found)
{
    *found = 0;
    if (b->ring_lost > after) {
        /* our commits after `after` were overwritten in the ring: say "changed" */
        *found = b->newest > after ? b->newest : after + 1;
        return 1;
    }
    for (size_t i = 0; i < RING; i++) {
        const ring_entry *e = &b->ring[i];
        if (e->vs <= after || e->vs <= *found) continue;
        if (key_in((const unsigned char *)e->key.ptr, e->key.size, lo, lo_len, hi, hi_len)) *found = e->vs;
    }
    return *found > 0;
}

/*
 * 1: a matching commit after `after` (vs set); 0: none, and *quiet is the
 * newest commit the query covered (the log's and this handle's); RETRY: busy;
 * <0: error.  Under wmu.
 */
static int watch_query(sq_backend *b, waiter *w, sqlite3_int64 after, ami_versionstamp vs, sqlite3_int64 *quiet)
{
    const unsigned char *lo = w->lo, *hi = w->hi;
    size_t lo_len = w->lo_len, hi_len = w->hi_len;
    /* our own commits: the ring the first time; after, those publish matched while it
     * waited (exact, where the ring may have lost them to other keys' commits meanwhile) */
    uint64_t mine = 0;
    if (!w->queried) ring_query(b, lo, lo_len, hi, hi_len, (uint64_t)after, &mine);
    else if (w->mine > (uint64_t)after) mine = w->mine;
    sqlite3_stmt *st = b->wst[W_QUERY];
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_blob(st, 2, lo, (int)lo_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, hi, (int)hi_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return is_busy(rc) ? RETRY : sq_error(b->wdb, "watch");
    }
    sqlite3_int64 found = (sqlite3_int64)mine;
    sqlite3_int64 floor = sqlite3_column_int64(st, 3);
    sqlite3_int64 logmax = sqlite3_column_int64(st, 2);
    if (sqlite3_column_type(st, 1) != SQLITE_NULL && sqlite3_column_int64(st, 1) > found)
        found = sqlite3_column_int64(st, 1);
    int missed = after < floor;
    if (sqlite3_column_type(st, 0) != SQLITE_NULL && after + 1 < sqlite3_column_int64(st, 0)) missed = 1;
    sqlite3_reset(st);
    sqlite3_int64 newest = logmax > floor ? logmax : floor;
    if ((sqlite3_int64)b->newest > newest) newest = (sqlite3_int64)b->newest;
    if (missed) {
        /* commits after `after` may be missing from the log (pruned, or made
         * before a second handle opened): say "changed" with the newest we know */
        if (newest > found) found = newest;
        if (found <= after) found = after + 1;
    }
    *quiet = newest;
    if (found <= 0) return 0;
    vs_out(vs, found);
    return 1;
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

/* The poller's housekeeping: purge once the earliest expiry has passed.  Under wmu (released meanwhile). */
static void expire_if_due(sq_backend *b)
{
    if (b->next_exp_stale) refresh_next_exp(b);
    if (b->next_exp_stale || b->next_exp > ami_time_now_ms()) return;
    /* the purge commits through the main connection (mmu before wmu) */
    pthread_mutex_unlock(&b->wmu);
    int rc = purge_now(b);
    pthread_mutex_lock(&b->wmu);
    if (rc >= 0) b->next_exp_stale = 1;                      /* purged (publish woke everyone) or nothing: look again */
    else b->next_exp = ami_time_now_ms() + PURGE_EVERY_MS;    /* an error: back off */
}

#define FEED_ROWS 256   /* keys read from the log per check; more wake every waiter */

/*
 * Another connection committed: wake the waiters whose prefix holds a key the
 * log has after feed_seen (our own commits there too, while shared: a second
 * wake-up for what publish told, harmless).  Every waiter when that cannot be
 * told: the log moved while nobody waited, its floor or its start passed
 * feed_seen (commits missing from it), more than FEED_ROWS keys, or the read
 * failed.  A waiter's own query saw the file as it was before this check (both
 * under wmu), so every commit it did not see is in the log after feed_seen
 * (the counter only grows) or below its floor.  Under wmu.
 */
static void feed_wake(sq_backend *b)
{
    if (!b->waiters) {
        b->feed_unknown = 1;   /* no one to wake: the next waiter alone sets feed_seen (watch_counted) */
        return;
    }
    sqlite3_stmt *st = b->wst[W_FEED];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)b->feed_seen);
    sqlite3_bind_int64(st, 2, FEED_ROWS + 1);
    int all = b->feed_unknown, rows = 0, src, first = 1;
    sqlite3_int64 top = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (first) {
            first = 0;
            sqlite3_int64 floor = sqlite3_column_int64(st, 1);
            top = sqlite3_column_int64(st, 2);
            if (floor > top) top = floor;
            if ((sqlite3_int64)b->feed_seen < floor) all = 1;
            if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
                (sqlite3_int64)b->feed_seen + 1 < sqlite3_column_int64(st, 0))
                all = 1;
            continue;
        }
        if (++rows > FEED_ROWS) {
            all = 1;
            break;
        }
        if (!all) wake_key(b, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), 0);
    }
    sqlite3_reset(st);
    if (first || (src != SQLITE_DONE && src != SQLITE_ROW)) {
        wake_all(b);   /* busy or an error: feed_seen stays, the next check reads it again */
        return;
    }
    if (all) wake_all(b);
    if ((uint64_t)top > b->feed_seen) b->feed_seen = (uint64_t)top;
    b->feed_unknown = 0;
}

/* A sign that the file may have changed (the poller's check, by a poller or the
 * notifier): when data_version moved, wake the waiters the log's new keys concern
 * (all of them when data_version cannot be read).  Under wmu. */
static void check_moved(sq_backend *b, int by_poller)
{
    if (by_poller) b->polls++;
    int64_t dv = data_version(b);
    if (dv != b->last_dv || dv < 0) {
        b->last_dv = dv;
        b->dv_moved_at = ami_time_mono_ms();
        b->next_exp_stale = 1;
        if (dv < 0) wake_all(b);
        else feed_wake(b);
    }
}

/* Read what inotify queued without blocking: 1 when the -wal went (IN_IGNORED:
 * deleted or replaced, or sq_free removed the watch) or the descriptor failed. */
static int notifier_drain(sq_backend *b)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(b->ino_fd, buf, sizeof buf);
        if (n < 0) return errno != EAGAIN && errno != EINTR;
        for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
            if (ev->mask & IN_IGNORED) return 1;
            off += (ssize_t)(sizeof *ev + ev->len);
        }
    }
}

/*
 * The notifier: sleeps until the -wal is written (by any process), then does the
 * poller's check.  A commit writes its frames first and publishes them in the
 * WAL-index (shared memory, no event) after, so the check waits NOTIFY_SETTLE_MS
 * for the commit to finish (the rest of its writes are read with it), and when
 * data_version has still not moved (the writer was descheduled between its frames
 * and the WAL-index, or a slow fsync), looks again after POLL_MS, then after
 * twice as long each time, for up to NOTIFY_CHASE_MS (eight checks over 1.3 s,
 * not one every 5 ms, for a write that publishes nothing: a loaded machine makes
 * those common; this cheap thread does them so the poller's POLL_NOTIFIED_MS
 * backstop can be long); the backstop covers the rest.
 * Stopped by sq_free: inotify_rm_watch queues IN_IGNORED.
 */
#define NOTIFY_SETTLE_MS 2
#define NOTIFY_CHASE_MS  1000
static void *notifier_main(void *arg)
{
    sq_backend *b = arg;
    pthread_setname_np(pthread_self(), "ami-walnotify");   /* not the name of the watcher that started it */
    for (;;) {
        struct pollfd pfd = { b->ino_fd, POLLIN, 0 };
        int gone = poll(&pfd, 1, -1) < 0 && errno != EINTR;
        if (!gone) {
            ami__sleep_ms(NOTIFY_SETTLE_MS);
            gone = notifier_drain(b);
        }
        pthread_mutex_lock(&b->wmu);
        int stop = b->ino_state != 1;
        int64_t before = b->last_dv;
        if (!stop) check_moved(b, 0);
        for (int waited = 0, nap = POLL_MS; !stop && !gone && b->last_dv == before && waited < NOTIFY_CHASE_MS;
             waited += nap, nap *= 2) {
            pthread_mutex_unlock(&b->wmu);
            ami__sleep_ms(nap);
            gone = notifier_drain(b);
            pthread_mutex_lock(&b->wmu);
            stop = b->ino_state != 1;
            if (!stop) check_moved(b, 0);
        }
        if (!stop && gone) {
            b->ino_state = 2;   /* nothing more will come: the poller polls as before */
            if (b->poller) pthread_cond_signal(&b->poller->cv);   /* at its shorter period from now */
        }
        pthread_mutex_unlock(&b->wmu);
        if (stop || gone) break;
    }
    return NULL;
}

/* Start the notifier once the watch connection holds the file (its -wal exists
 * from then on).  Under wmu; on any failure the poller polls as before. */
static void notifier_start(sq_backend *b)
{
    if (b->ino_state || b->memory || !b->shm_held) return;
    b->ino_state = 2;
    sqlite3_filename f = sqlite3_db_filename(b->wdb, "main");
    const char *wal = f ? sqlite3_filename_wal(f) : NULL;
    if (!wal || !*wal) return;
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) return;
    int wd = inotify_add_watch(fd, wal, IN_MODIFY);
    if (wd < 0) {
        close(fd);
        return;
    }
    b->ino_fd = fd;
    b->ino_wd = wd;
    b->ino_state = 1;
    if (pthread_create(&b->ino_thr, NULL, notifier_main, b)) {
        b->ino_state = 2;
        close(fd);
        b->ino_fd = -1;
    } else {
        b->ino_started = 1;
    }
}

/* A waiter's wait: up to `ms` (-1: until woken).  Under wmu. */
static void waiter_wait(sq_backend *b, waiter *w, int64_t ms)
{
    if (ms < 0) pthread_cond_wait(&w->cv, &b->wmu);
    else ami__cond_wait_mono_ms(&w->cv, &b->wmu, ms > 0 ? ms : 1);
}

/*
 * watch and watch_from: `wakes` (NULL = the count at the start) is the wake()
 * count this watch began at.  Between its queries a watch waits in the
 * handle's list of waiters on a condition variable of its own: a commit of
 * this handle (publish), a commit of another seen in the log (feed_wake) or
 * an expiry purge wakes it only when it wrote a key under its prefix; wake()
 * and a poller leaving wake it whatever its prefix.  One waiter is the poller
 * (polls data_version, runs expiry purges); the others sleep until woken or
 * their deadline.
 */
static int watch_counted(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len, const char *after,
                         int timeout_ms, const uint64_t *wakes, ami_versionstamp vs)
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
    int waited = 0;

    waiter w;
    memset(&w, 0, sizeof w);
    w.lo = lo;
    w.lo_len = lo_len;
    w.hi = hi;
    w.hi_len = hi_len;
    ami__cond_init_mono(&w.cv);

    sqlite3_int64 quiet = 0;   /* nothing matched through this commit */
    pthread_mutex_lock(&b->wmu);
    /* in the list before the first query: a commit it does not see wakes it */
    w.next = b->waiters;
    if (w.next) w.next->prev = &w;
    b->waiters = &w;
    uint64_t gen = wakes ? *wakes : b->wake_gen;
    for (;;) {
        if (b->wake_gen != gen) { rc = AMI_ESTOPPED; break; }
        w.changed = 0;
        rc = watch_query(b, &w, (sqlite3_int64)a, vs, &quiet);
        if (rc >= 0 && rc != RETRY) w.queried = 1;
        if (rc >= 0 && rc != RETRY && !w.next && !w.prev && (b->feed_unknown || (uint64_t)quiet > b->feed_seen)) {
            /* the only waiter saw the file through `quiet`: the log's keys are dispatched that far */
            if (quiet > 0 && (uint64_t)quiet > b->feed_seen) b->feed_seen = (uint64_t)quiet;
            b->feed_unknown = 0;
        }
        if (rc == 1) { rc = 0; break; }
        if (rc < 0) break;
        int busy = rc == RETRY;
        rc = 0;
        /* wait until something under the prefix may have changed */
        while ((busy || !w.changed) && b->wake_gen == gen) {
            int64_t now = ami_time_mono_ms();
            if (deadline >= 0 && now >= deadline) { rc = AMI_ETIMEOUT; break; }
            if (!b->poller) b->poller = &w;   /* the role is free: take it */
            int poller = b->poller == &w;
            if (poller) notifier_start(b);
            /* not the poller: woken by a change, wake() or the poller leaving; busy: look again soon */
            int64_t slice = !poller ? (busy ? 200 : -1)
                                    : now - b->dv_moved_at < POLL_BUSY_MS ? POLL_MS : POLL_QUIET_MS;
            if (poller && b->ino_state == 1 && !busy) {
                /* the notifier reports writes: look at the next expiry (and now and then) only */
                slice = POLL_NOTIFIED_MS;
                if (b->next_exp_stale) refresh_next_exp(b);
                int64_t wall = ami_time_now_ms();
                if (b->next_exp_stale) slice = POLL_QUIET_MS;
                else if (b->next_exp != INT64_MAX && b->next_exp - wall + 1 < slice)
                    slice = b->next_exp - wall + 1;
            }
            if (deadline >= 0 && (slice < 0 || deadline - now < slice)) slice = deadline - now;
            waiter_wait(b, &w, slice);
            waited = 1;
            if (busy) break;
            if (poller && !w.changed) check_moved(b, 1);
            if (poller) expire_if_due(b);
        }
        if (rc) break;
    }
    if (rc == AMI_ETIMEOUT && waited) {
        /* only the changes under the prefix woke it: look once more, so the vouched
         * point (`quiet`) is the file's now, not the start's (and nothing is missed) */
        if (watch_query(b, &w, (sqlite3_int64)a, vs, &quiet) == 1) rc = 0;
    }
    if (rc == AMI_ESTOPPED) ami__error_set(AMI_ESTOPPED, "watch stopped by ami_store_wake()");
    else if (rc == AMI_ETIMEOUT) {
        vs[0] = '\0';
        if (quiet > (sqlite3_int64)a) vs_out(vs, quiet);
        ami__error_set(AMI_ETIMEOUT, "no change within %d ms", timeout_ms);
    }
    /* out of the list */
    if (w.prev) w.prev->next = w.next;
    else b->waiters = w.next;
    if (w.next) w.next->prev = w.prev;
    /* hand the polling role to another waiter: wake one, it takes the role (also when
     * this one was woken for it but is leaving: the wake-up must not be lost) */
    if (b->poller == &w) b->poller = NULL;
    if (!b->poller && b->waiters) pthread_cond_signal(&b->waiters->cv);
    pthread_mutex_unlock(&b->wmu);
    pthread_cond_destroy(&w.cv);
    if (hi != small && hi != &any_hi) ami_free(hi);
    if (rc && rc != AMI_ETIMEOUT) vs[0] = '\0';
    return rc;
}

static int sq_watch(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len, const char *after,
                    int timeout_ms, ami_versionstamp vs)
{
    return watch_counted(be, prefix, prefix_len, after, timeout_ms, NULL, vs);
}

static int sq_watch_from(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len, const char *after,
                         int timeout_ms, uint64_t wakes, ami_versionstamp vs)
{
    return watch_counted(be, prefix, prefix_len, after, timeout_ms, &wakes, vs);
}

static void sq_wake(ami_store_backend *be)
{
    sq_backend *b = (sq_backend *)be;
    pthread_mutex_lock(&b->wmu);
    b->wake_gen++;
    for (waiter *w = b->waiters; w; w = w->next) pthread_cond_signal(&w->cv);   /* every watch ends now */
    pthread_mutex_unlock(&b->wmu);
}

/* ---- open / free ---- */

/* Our pid namespace (its inode; 0 unknown): a handle row's pid means something only within it. */
static sqlite3_int64 pid_ns(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) ? 0 : (sqlite3_int64)st.st_ino;
}

/* One integer from `sql` (0 when no row) with up to three integer parameters; RETRY or an error. */
static int query_int(sq_backend *b, const char *sql, sqlite3_int64 p1, sqlite3_int64 p2, sqlite3_int64 p3,
                     sqlite3_int64 *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(b->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return is_busy(rc) ? RETRY : sq_error(b->db, "open");
    }
    if (sqlite3_bind_parameter_count(st) >= 1) sqlite3_bind_int64(st, 1, p1);
    if (sqlite3_bind_parameter_count(st) >= 2) sqlite3_bind_int64(st, 2, p2);
    if (sqlite3_bind_parameter_count(st) >= 3) sqlite3_bind_int64(st, 3, p3);
    *out = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return 0;
    return is_busy(rc) ? RETRY : sq_error(b->db, "open");
}

/*
 * Register this handle in `handles` (one attempt): drop rows of processes that
 * are gone, learn the counter (a full scan, once), and when a handle may have
 * committed without logging (the only other one, alive and alone, or one that
 * died), set the log's floor to the counter: the log is trusted only above it.
 * A handle that closes alone sets the floor itself (sq_free), so a file whose
 * handles all closed cleanly keeps its whole log.
 */
static int register_once(sq_backend *b)
{
    int rc = step_done(b, b->st[S_BEGIN], "begin");
    if (rc) return rc;
    sqlite3_int64 ns = pid_ns(), others = 0, c1 = 0, c2 = 0, c3 = 0, unused = 0;
    /* rows of processes that are gone (same pid namespace, no such pid) */
    sqlite3_int64 gone[16];
    int n_gone = 0;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(b->db, "SELECT id, pid FROM handles WHERE ns=?1 AND ns<>0 AND pid<>?2", -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, ns);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)getpid());
        while ((src = sqlite3_step(st)) == SQLITE_ROW && n_gone < 16) {
            pid_t pid = (pid_t)sqlite3_column_int64(st, 1);
            if (pid > 0 && kill(pid, 0) == -1 && errno == ESRCH) gone[n_gone++] = sqlite3_column_int64(st, 0);
        }
        if (src == SQLITE_ROW) src = SQLITE_DONE;   /* more next time */
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) rc = is_busy(src) ? RETRY : sq_error(b->db, "open");
    for (int i = 0; !rc && i < n_gone; i++) rc = query_int(b, "DELETE FROM handles WHERE id=?1", gone[i], 0, 0, &unused);
    if (!rc) rc = query_int(b, "SELECT count(*) FROM handles", 0, 0, 0, &others);
    if (!rc) rc = query_int(b, "SELECT max(vs) FROM kv", 0, 0, 0, &c1);
    if (!rc) rc = query_int(b, "SELECT max(vs) FROM changelog", 0, 0, 0, &c2);
    if (!rc) rc = query_int(b, "SELECT value FROM meta WHERE name='floor'", 0, 0, 0, &c3);
    sqlite3_int64 counter = c1 > c2 ? c1 : c2;
    if (c3 > counter) counter = c3;
    if (!rc)
        rc = query_int(b, "INSERT INTO handles(id, pid, ns) VALUES(?1, ?2, ?3)", b->handle_id, (sqlite3_int64)getpid(),
                       ns, &unused);
    /* a handle that is alive and was alone (others == 1), or one that died (it may have
     * been alone), may have made commits that are not in the log: they end at the floor */
    if (!rc && (others == 1 || n_gone > 0)) {
        rc = query_int(b, "UPDATE meta SET value=?1 WHERE name='floor'", counter, 0, 0, &unused);
        if (!rc) rc = query_int(b, "DELETE FROM changelog WHERE vs<=?1", counter, 0, 0, &unused);
    }
    if (!rc) rc = step_done(b, b->st[S_COMMIT], "commit");
    if (rc) {
        rollback(b);
        return rc;
    }
    b->counter = counter;
    b->newest = (uint64_t)counter;
    b->shared = others > 0;
    return step_int(b, b->st[S_DV], &b->dv_seen, "data_version");
}

static void sq_free(ami_store_backend *be)
{
    sq_backend *b = (sq_backend *)be;
    if (!b) return;
    pthread_mutex_lock(&b->wmu);
    int notifier = b->ino_started;
    if (b->ino_state == 1) b->ino_state = 3;
    pthread_mutex_unlock(&b->wmu);
    if (b->ino_fd >= 0) {
        inotify_rm_watch(b->ino_fd, b->ino_wd);   /* IN_IGNORED ends the notifier's read */
        if (notifier) pthread_join(b->ino_thr, NULL);
        close(b->ino_fd);
    }
    if (b->handle_id && b->db) {
        /* leave `handles` (the others may go back to not logging); alone, our
         * unlogged commits end at the floor */
        char sql[400];
        snprintf(sql, sizeof sql,
                 "BEGIN IMMEDIATE;"
                 "UPDATE meta SET value=max(value, %lld, ifnull((SELECT max(vs) FROM changelog), 0)) WHERE name='floor'"
                 " AND NOT EXISTS(SELECT 1 FROM handles WHERE id<>%lld);"
                 "DELETE FROM handles WHERE id=%lld;COMMIT;",
                 (long long)b->counter, (long long)b->handle_id, (long long)b->handle_id);
        if (exec_retry(b, b->db, sql, "close")) sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
    }
    for (int i = 0; i < RING; i++) ami_buf_dispose(&b->ring[i].key);
    ami_buf_dispose(&b->expired);
    for (int i = 0; i < S_COUNT; i++) sqlite3_finalize(b->st[i]);
    for (int i = 0; i < W_COUNT; i++) sqlite3_finalize(b->wst[i]);
    sqlite3_close(b->db);
    sqlite3_close(b->wdb);
    pthread_mutex_destroy(&b->wmu);
    pthread_mutex_destroy(&b->mmu);
    pthread_mutex_destroy(&b->qmu);
    pthread_cond_destroy(&b->qcv);
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
    b->base.watch_from = sq_watch_from;
    b->ino_fd = b->ino_wd = -1;
    b->log_keep = LOG_KEEP;
    b->log_prune_every = LOG_PRUNE_EVERY;
    b->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ami_time_now_ms() ^ (uint64_t)(uintptr_t)b;
    if (!b->rng) b->rng = 88172645463325252ull;
    b->feed_unknown = 1;   /* the first waiter alone sets feed_seen */
    pthread_mutex_init(&b->wmu, NULL);
    pthread_mutex_init(&b->mmu, NULL);
    pthread_mutex_init(&b->qmu, NULL);
    pthread_cond_init(&b->qcv, NULL);
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
    if (!rc) sqlite3_wal_hook(b->db, wal_hook, b);
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
    if (!rc && !b->memory) {
        /* a private in-memory database is always alone; a file: join `handles` */
        while (!b->handle_id) {
            ami__random_bytes(&b->handle_id, sizeof b->handle_id);
            b->handle_id &= INT64_MAX;
        }
        int64_t started = ami_time_mono_ms();
        for (int attempt = 0; !rc; attempt++) {
            int r = register_once(b);
            if (r != RETRY) {
                rc = r;
                break;
            }
            rc = backoff(b, attempt, started);
        }
        if (rc) b->handle_id = 0;
    }
    if (!rc) rc = open_conn(b, &b->wdb, SQLITE_OPEN_READWRITE);
    if (!rc) rc = exec_retry(b, b->wdb, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", "synchronous");
    for (int i = 0; !rc && i < W_COUNT; i++) rc = prepare(b, b->wdb, watch_sql[i], &b->wst[i]);
    if (rc) {
        sq_free(&b->base);
        return rc;
    }
    b->last_dv = data_version(b);
    b->dv_moved_at = ami_time_mono_ms();
    b->next_exp_stale = 1;
    *out = &b->base;
    return 0;
}

int ami__sqlite_changes(ami_store_backend *be, const char *after, size_t max, ami__change_fn fn, void *payload)
{
    sq_backend *b = (sq_backend *)be;
    if (!be || strcmp(be->name, "sqlite")) return AMI_EUNSUPPORTED;
    uint64_t a = 0;
    int rc = ami__vs_parse(&a, after);
    if (rc) return rc;
    size_t n = 0;
    pthread_mutex_lock(&b->wmu);
    /* our own commits (the only ones logged nowhere else while solo) */
    int missed = b->ring_lost > a;
    for (size_t i = 0; i < RING && !missed; i++) {
        const ring_entry *e = &b->ring[i];
        if (e->vs <= a) continue;
        if (++n > max) { missed = 1; break; }
        fn((const unsigned char *)e->key.ptr, e->key.size, payload);
    }
    /* everyone's, from the log */
    sqlite3_stmt *st = b->wst[W_CHANGES];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)a);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(max + 1));
    int first = 1;
    while (!missed) {
        int src = sqlite3_step(st);
        if (src == SQLITE_DONE) break;
        if (src != SQLITE_ROW) { missed = 1; break; }   /* busy or an error: the caller looks at every key */
        if (first) {
            first = 0;
            sqlite3_int64 floor = sqlite3_column_int64(st, 1);
            if ((sqlite3_int64)a < floor) missed = 1;
            if (sqlite3_column_type(st, 0) != SQLITE_NULL && (sqlite3_int64)a + 1 < sqlite3_column_int64(st, 0)) missed = 1;
            continue;
        }
        if (++n > max) { missed = 1; break; }
        fn(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), payload);
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&b->wmu);
    return missed;
}

int ami__sqlite_data_version(ami_store_backend *be, int64_t *out)
{
    sq_backend *b = (sq_backend *)be;
    if (!be || strcmp(be->name, "sqlite") || b->memory) return AMI_EUNSUPPORTED;
    pthread_mutex_lock(&b->wmu);
    int64_t v = data_version(b);
    pthread_mutex_unlock(&b->wmu);
    if (v < 0) return AMI_EBUSY;
    *out = v;
    return 0;
}

int ami__sqlite_polls(ami_store_backend *be, uint64_t *out)
{
    sq_backend *b = (sq_backend *)be;
    if (!be || strcmp(be->name, "sqlite")) return AMI_EUNSUPPORTED;
    pthread_mutex_lock(&b->wmu);
    *out = b->polls;
    pthread_mutex_unlock(&b->wmu);
    return 0;
}

int ami__sqlite_next_expiry(ami_store_backend *be, int64_t now_ms, int64_t *out)
{
    sq_backend *b = (sq_backend *)be;
    if (!be || strcmp(be->name, "sqlite") || b->memory) return AMI_EUNSUPPORTED;
    pthread_mutex_lock(&b->wmu);
    sqlite3_stmt *st = b->wst[W_NEXT_LIVE_EXP];
    sqlite3_bind_int64(st, 1, now_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    pthread_mutex_unlock(&b->wmu);
    return rc == SQLITE_ROW ? 0 : AMI_EBUSY;
}

void ami__sqlite_backend_tune(ami_store_backend *be, long log_keep, long log_prune_every)
{
    sq_backend *b = (sq_backend *)be;
    if (!be || strcmp(be->name, "sqlite")) return;
    if (log_keep > 0) b->log_keep = log_keep;
    if (log_prune_every > 0) b->log_prune_every = log_prune_every;
}

void ami__sqlite_backend_heavy_stats(ami_store_backend *be, uint64_t *heavy, uint64_t *heavy_other, size_t *queued,
                                     int *running)
{
    sq_backend *b = (sq_backend *)be;
    *heavy = *heavy_other = 0;
    *queued = 0;
    *running = 0;
    if (!be || strcmp(be->name, "sqlite")) return;
    pthread_mutex_lock(&b->qmu);
    *heavy = b->heavy;
    *heavy_other = b->heavy_other;
    for (job *g = b->q_head; g; g = g->next) (*queued)++;
    *running = b->q_running;
    pthread_mutex_unlock(&b->qmu);
}

void ami__sqlite_backend_checkpoint_stats(ami_store_backend *be, uint64_t *light, uint64_t *heavy)
{
    sq_backend *b = (sq_backend *)be;
    *light = *heavy = 0;
    if (!be || strcmp(be->name, "sqlite")) return;
    pthread_mutex_lock(&b->mmu);
    *light = b->ckpt_light;
    *heavy = b->ckpt_heavy;
    pthread_mutex_unlock(&b->mmu);
}

void ami__sqlite_backend_group_stats(ami_store_backend *be, uint64_t *groups, uint64_t *batches)
{
    sq_backend *b = (sq_backend *)be;
    *groups = *batches = 0;
    if (!be || strcmp(be->name, "sqlite")) return;
    pthread_mutex_lock(&b->mmu);
    *groups = b->groups;
    *batches = b->batches;
    pthread_mutex_unlock(&b->mmu);
}
