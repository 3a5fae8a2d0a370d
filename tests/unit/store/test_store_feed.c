/*
 * Claim: the SQLite change feed costs no second row per commit while a handle
 * is alone on its file, yet another process sees every commit in order —
 * sets, deletes and expiries — once it opens the file (and the lone handle
 * sees the newcomer's commits); a file written by the schema-1 code (every
 * commit logged) opens with its data, versionstamps and log intact.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

enum { NSET = 20, NDEL = 10 };

static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static json_t *feed_key(int i)
{
    json_t *k = json_pack("[s, i]", "feed", i);
    REQUIRE(k);
    return k;
}

static unsigned long long vs_num(const char *vs)
{
    char hex[17];
    memcpy(hex, vs, 16);
    hex[16] = 0;
    return strtoull(hex, NULL, 16);
}

/* A handle alone writes only kv rows; a second handle makes every commit logged. */
static void alone_writes_no_log_row(void)
{
    const char *path = check_path("alone.db");
    ami_store *a = NULL, *b = NULL;
    REQUIRE(ami_store_open(&a, path) == 0);
    json_t *v = json_integer(7);
    ami_versionstamp vs;
    for (int i = 0; i < 50; i++) {
        json_t *k = feed_key(i);
        CHECK_RC(ami_store_set(a, k, v, 0, vs));
        if (i % 5 == 0) CHECK_RC(ami_store_delete(a, k));
        json_decref(k);
    }
    CHECK_INT(raw_int(path, "SELECT count(*) FROM changelog"), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM kv WHERE v<>''"), 40);   /* deletes are tombstones */
    ami_versionstamp before;
    CHECK_RC(ami_store_current(a, before));
    REQUIRE(ami_store_open(&b, path) == 0);
    json_t *k = feed_key(3), *p = json_pack("[s]", "feed");
    CHECK_RC(ami_store_set(a, k, v, 0, vs));
    CHECK_RC(ami_store_delete(a, k));
    ami_versionstamp del, got;
    CHECK_RC(ami_store_current(a, del));
    CHECK_INT(vs_num(del), vs_num(vs) + 1);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM changelog"), 2);
    CHECK_RC(ami_store_watch(b, k, vs, 1000, got));     /* the delete, seen by the other handle */
    CHECK_STR(got, del);
    CHECK_INT(ami_store_watch(b, p, del, 0, got), AMI_ETIMEOUT);
    ami_store_free(b);
    /* alone again: no more log rows */
    CHECK_RC(ami_store_set(a, k, v, 0, vs));
    CHECK_INT(raw_int(path, "SELECT count(*) FROM changelog"), 2);
    json_decref(k); json_decref(p); json_decref(v);
    ami_store_free(a);
}

/* Child: commits NSET sets, NDEL deletes and one set with a 150 ms expiry, each
 * reported as "vs" lines on `out`; then waits for the parent's ["feed","reply"]. */
static int child_main(const char *path, int out)
{
    ami_store *s = NULL;
    if (ami_store_open(&s, path)) return 2;
    json_t *v = json_string("x");
    ami_versionstamp vs, after;
    if (ami_store_current(s, after)) return 3;
    for (int i = 0; i < NSET + NDEL + 1; i++) {
        json_t *k = feed_key(i < NSET ? i : i < NSET + NDEL ? i - NSET : 100);
        int rc;
        if (i < NSET) rc = ami_store_set(s, k, v, 0, vs);
        else if (i < NSET + NDEL) rc = ami_store_delete(s, k) ? -1 : ami_store_current(s, vs);
        else rc = ami_store_set(s, k, v, 150, vs);
        json_decref(k);
        if (rc) return 4;
        char line[32];
        snprintf(line, sizeof line, "%s\n", vs);
        if (write(out, line, strlen(line)) != (ssize_t)strlen(line)) return 5;
    }
    close(out);
    /* the parent (alone on the file before we opened it) commits a reply: we must see it */
    json_t *reply = json_pack("[s, s]", "feed", "reply");
    ami_versionstamp got;
    int rc = ami_store_watch(s, reply, vs, 5000, got);
    json_decref(reply);
    json_decref(v);
    ami_store_free(s);
    return rc ? 6 : 0;
}

static void another_process_sees_every_commit(void)
{
    const char *path = check_path("procs.db");
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, path) == 0);
    json_t *v = json_true(), *k0 = json_pack("[s]", "before");
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(s, k0, v, 0, vs));   /* alone: not logged */
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", fds[1]);
        execl("/proc/self/exe", "test_store_feed", "child", path, fd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[4096];
    size_t have = 0;
    ssize_t n;
    while (have < sizeof buf - 1 && (n = read(fds[0], buf + have, sizeof buf - 1 - have)) > 0) have += (size_t)n;
    close(fds[0]);
    buf[have] = 0;
    ami_versionstamp got[NSET + NDEL + 1];
    int count = 0;
    for (char *line = strtok(buf, "\n"); line && count < NSET + NDEL + 1; line = strtok(NULL, "\n"))
        snprintf(got[count++], sizeof got[0], "%s", line);
    CHECK_INT(count, NSET + NDEL + 1);
    /* in order, one commit each */
    for (int i = 1; i < count; i++) CHECK_INT(vs_num(got[i]), vs_num(got[i - 1]) + 1);
    ami_versionstamp seen, prev;
    for (int i = 0; i < count && i < NSET + NDEL; i++) {
        int key = i < NSET ? i : i - NSET;
        json_t *k = feed_key(key);
        snprintf(prev, sizeof prev, "%016llx0000", vs_num(got[i]) - 1);
        /* the newest commit on the key after the one before it: this commit, or (for a set later deleted) its delete */
        CHECK_RC(ami_store_watch(s, k, prev, 0, seen));
        CHECK_STR(seen, i < NDEL ? got[NSET + i] : got[i]);
        CHECK_INT(ami_store_watch(s, k, i < NDEL ? got[NSET + i] : got[i], 0, seen), AMI_ETIMEOUT);
        json_decref(k);
    }
    /* the expiry: a commit of its own after the set, seen on the feed */
    json_t *kt = feed_key(100), *e = NULL;
    CHECK_RC(ami_store_watch(s, kt, got[NSET + NDEL], 3000, seen));
    CHECK(strcmp(seen, got[NSET + NDEL]) > 0);
    CHECK_RC(ami_store_get(&e, s, kt));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    /* our reply, seen by the child */
    json_t *reply = json_pack("[s, s]", "feed", "reply");
    CHECK_RC(ami_store_set(s, reply, v, 0, vs));
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);
    json_decref(reply); json_decref(kt); json_decref(k0); json_decref(v);
    ami_store_free(s);
}

/* A file made by the schema-1 code: every commit in the log, no tombstones, no handles table. */
static void schema1_file_opens(void)
{
    const char *path = check_path("schema1.db");
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    ami_buf ka = AMI_BUF_INIT, kb = AMI_BUF_INIT;
    json_t *a = json_pack("[s]", "a"), *b = json_pack("[s]", "b");
    REQUIRE(ami_key_encode(&ka, a) == 0 && ami_key_encode(&kb, b) == 0);
    /* exactly the statements the schema-1 code ran */
    REQUIRE(sqlite3_exec(db,
                         "PRAGMA journal_mode=WAL;"
                         "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v TEXT NOT NULL, vs INTEGER NOT NULL, exp INTEGER) WITHOUT ROWID;"
                         "CREATE INDEX IF NOT EXISTS kv_exp ON kv(exp) WHERE exp IS NOT NULL;"
                         "CREATE TABLE IF NOT EXISTS changelog(vs INTEGER NOT NULL, k BLOB NOT NULL, PRIMARY KEY(vs, k)) WITHOUT ROWID;"
                         "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value);"
                         "INSERT OR IGNORE INTO meta(name, value) VALUES('schema', 1);",
                         NULL, NULL, NULL) == SQLITE_OK);
    /* commits 1: set a=1, 2: set b=2, 3: set a=3, 4: delete b */
    sqlite3_stmt *kv = NULL, *log = NULL;
    REQUIRE(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv(k, v, vs) VALUES(?1, ?2, ?3)", -1, &kv, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO changelog(vs, k) VALUES(?1, ?2)", -1, &log, NULL) == SQLITE_OK);
    const ami_buf *keys[4] = { &ka, &kb, &ka, &kb };
    const char *vals[3] = { "1", "2", "3" };
    for (int i = 0; i < 4; i++) {
        if (i < 3) {
            sqlite3_bind_blob(kv, 1, keys[i]->ptr, (int)keys[i]->size, SQLITE_STATIC);
            sqlite3_bind_text(kv, 2, vals[i], -1, SQLITE_STATIC);
            sqlite3_bind_int(kv, 3, i + 1);
            CHECK_INT(sqlite3_step(kv), SQLITE_DONE);
            sqlite3_reset(kv);
        } else {
            CHECK_INT(sqlite3_exec(db, "DELETE FROM kv WHERE vs=2", NULL, NULL, NULL), SQLITE_OK);
        }
        sqlite3_bind_int(log, 1, i + 1);
        sqlite3_bind_blob(log, 2, keys[i]->ptr, (int)keys[i]->size, SQLITE_STATIC);
        CHECK_INT(sqlite3_step(log), SQLITE_DONE);
        sqlite3_reset(log);
    }
    sqlite3_finalize(kv);
    sqlite3_finalize(log);
    sqlite3_close(db);

    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, path) == 0);
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, s, a));
    CHECK_INT(json_integer_value(json_object_get(e, "value")), 3);
    CHECK_STR(ami_entry_versionstamp(e), "00000000000000030000");
    json_decref(e);
    CHECK_RC(ami_store_get(&e, s, b));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    ami_versionstamp vs, got;
    CHECK_RC(ami_store_current(s, vs));
    CHECK_STR(vs, "00000000000000040000");
    /* the old log still answers exactly: b changed at 4 (its delete), a did not change after 3 */
    CHECK_RC(ami_store_watch(s, b, "00000000000000020000", 0, got));
    CHECK_STR(got, "00000000000000040000");
    CHECK_INT(ami_store_watch(s, a, "00000000000000030000", 0, got), AMI_ETIMEOUT);
    /* new commits continue the counter and reach another handle */
    ami_store *s2 = NULL;
    REQUIRE(ami_store_open(&s2, path) == 0);
    json_t *v = json_integer(5);
    CHECK_RC(ami_store_set(s, a, v, 0, vs));
    CHECK_STR(vs, "00000000000000050000");
    CHECK_RC(ami_store_watch(s2, a, "00000000000000040000", 1000, got));
    CHECK_STR(got, vs);
    CHECK_INT(raw_int(path, "SELECT value FROM meta WHERE name='schema'"), 2);
    json_decref(v);
    ami_store_free(s2);
    ami_store_free(s);
    json_decref(a); json_decref(b);
    ami_buf_dispose(&ka); ami_buf_dispose(&kb);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "child")) return child_main(argv[2], atoi(argv[3]));
    RUN(alone_writes_no_log_row);
    RUN(another_process_sees_every_commit);
    RUN(schema1_file_opens);
    return check_done();
}
