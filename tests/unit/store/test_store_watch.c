/*
 * Claim: watch wakes on commits under its prefix — from this handle, another
 * handle, or another process (seen well within 1 s; the measured latency is
 * printed) — ignores other prefixes, stops on wake(), and never blocks other
 * calls on the same handle.
 */
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "store/store_internal.h"

static ami_store *S;
static char dbpath[512];

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void set_key(ami_store *s, const char *key_json, ami_versionstamp vs)
{
    json_t *k = json_loads(key_json, JSON_ALLOW_NUL, NULL), *v = json_integer(1);
    REQUIRE(k);
    CHECK_RC(ami_store_set(s, k, v, 0, vs));
    json_decref(k); json_decref(v);
}

typedef struct {
    const char *prefix_json;
    ami_versionstamp after;
    int timeout_ms;
    int rc;
    ami_versionstamp vs;
    int64_t done_us;
    pthread_t th;
} watcher;

static void *watch_thread(void *arg)
{
    watcher *w = arg;
    json_t *p = w->prefix_json ? check_json(w->prefix_json) : NULL;
    w->rc = ami_store_watch(S, p, w->after, w->timeout_ms, w->vs);
    w->done_us = mono_us();
    json_decref(p);
    return NULL;
}

static void start(watcher *w, const char *prefix_json, int timeout_ms)
{
    memset(w, 0, sizeof *w);
    w->prefix_json = prefix_json;
    w->timeout_ms = timeout_ms;
    w->rc = 99;
    CHECK_RC(ami_store_current(S, w->after));
    pthread_create(&w->th, NULL, watch_thread, w);
}

static void local_commits_wake_matching_watchers(void)
{
    watcher a, b, c, any;
    start(&a, "[\"w\",\"a\"]", 3000);
    start(&b, "[\"w\",\"b\"]", 3000);
    start(&c, "[\"w\",\"a\",\"deep\"]", 400);
    start(&any, NULL, 3000);
    sleep_ms(50);
    ami_versionstamp vs_a, vs_b;
    set_key(S, "[\"w\",\"a\",1]", vs_a);       /* under a, not under a/deep */
    pthread_join(a.th, NULL);
    pthread_join(any.th, NULL);
    CHECK_RC(a.rc);
    CHECK_STR(a.vs, vs_a);
    CHECK_RC(any.rc);
    CHECK_STR(any.vs, vs_a);
    set_key(S, "[\"w\",\"b\"]", vs_b);         /* the prefix key itself counts */
    pthread_join(b.th, NULL);
    CHECK_RC(b.rc);
    CHECK_STR(b.vs, vs_b);
    pthread_join(c.th, NULL);
    CHECK_INT(c.rc, AMI_ETIMEOUT);
    /* a timeout's vs is how far it vouches (test_store_watch_vouch.c): never past the newest commit */
    CHECK(!c.vs[0] || strcmp(c.vs, vs_b) <= 0);
}

static void other_prefixes_do_not_wake(void)
{
    watcher w;
    start(&w, "[\"p\",\"a\"]", 500);
    sleep_ms(30);
    ami_versionstamp vs;
    set_key(S, "[\"p\",\"ab\"]", vs);         /* a longer first part is not under ["p","a"] */
    set_key(S, "[\"p\",\"a\\u0000\"]", vs);   /* nor is a string with an escaped NUL */
    set_key(S, "[\"p\"]", vs);
    set_key(S, "[\"q\",\"a\"]", vs);
    pthread_join(w.th, NULL);
    CHECK_INT(w.rc, AMI_ETIMEOUT);
}

static void past_commits_return_at_once(void)
{
    ami_versionstamp before, vs, got;
    CHECK_RC(ami_store_current(S, before));
    set_key(S, "[\"past\",1]", vs);
    json_t *p = check_json("[\"past\"]");
    int64_t t0 = mono_us();
    CHECK_RC(ami_store_watch(S, p, before, 2000, got));
    CHECK(mono_us() - t0 < 500000);
    CHECK_STR(got, vs);
    CHECK_INT(ami_store_watch(S, p, vs, 0, got), AMI_ETIMEOUT);   /* nothing newer */
    CHECK_INT(ami_store_watch(S, p, "bogus", 0, got), AMI_EINVAL);
    json_decref(p);
}

static void wake_stops_waiters(void)
{
    watcher w1, w2;
    start(&w1, "[\"never\"]", -1);
    start(&w2, NULL, 10000);
    sleep_ms(50);
    int64_t t0 = mono_us();
    ami_store_wake(S);
    pthread_join(w1.th, NULL);
    pthread_join(w2.th, NULL);
    CHECK_INT(w1.rc, AMI_ESTOPPED);
    CHECK_INT(w2.rc, AMI_ESTOPPED);
    CHECK(w1.done_us - t0 < 500000);
    /* a later watch is not affected by an earlier wake */
    json_t *p = check_json("[\"never\"]");
    ami_versionstamp cur, got;
    CHECK_RC(ami_store_current(S, cur));
    CHECK_INT(ami_store_watch(S, p, cur, 20, got), AMI_ETIMEOUT);
    json_decref(p);
}

/* ami_store_watch_unless_woken: a wake after the count was read ends the watch even
 * when it came before the watch began (the scheduler's kick-before-sleep race) */
static void a_wake_before_the_watch_still_ends_it(void)
{
    json_t *p = check_json("[\"never\"]");
    ami_versionstamp cur, got;
    CHECK_RC(ami_store_current(S, cur));
    uint64_t n = ami_store_wakes(S);
    ami_store_wake(S);
    CHECK(ami_store_wakes(S) == n + 1);
    int64_t t0 = mono_us();
    CHECK_INT(ami_store_watch_unless_woken(S, p, cur, 5000, n, got), AMI_ESTOPPED);
    CHECK(mono_us() - t0 < 1000000);
    /* the backend itself honours the count (the front end's own look comes before the
     * backend's start, and a wake between the two is only seen there) */
    ami_store_backend *be = ami__store_backend(S);
    REQUIRE(be->version >= 2 && be->watch_from);
    ami_buf enc = AMI_BUF_INIT;
    CHECK_RC(ami_key_encode(&enc, p));
    t0 = mono_us();
    CHECK_INT(be->watch_from(be, (const unsigned char *)enc.ptr, enc.size, cur, 5000, n, got), AMI_ESTOPPED);
    CHECK(mono_us() - t0 < 1000000);
    /* counted from the backend's creation, like the front end's count */
    CHECK_INT(be->watch_from(be, (const unsigned char *)enc.ptr, enc.size, cur, 30, n + 1, got), AMI_ETIMEOUT);
    ami_buf_dispose(&enc);
    /* with the count read now, it waits as ami_store_watch does */
    t0 = mono_us();
    CHECK_INT(ami_store_watch_unless_woken(S, p, cur, 50, ami_store_wakes(S), got), AMI_ETIMEOUT);
    CHECK(mono_us() - t0 >= 40000);
    json_decref(p);
}

static void watch_does_not_block_the_handle(void)
{
    watcher w;
    start(&w, "[\"idle\"]", -1);
    sleep_ms(20);
    int64_t t0 = mono_us();
    for (int i = 0; i < 200; i++) {
        ami_versionstamp vs;
        set_key(S, "[\"busy\",1]", vs);
        json_t *k = check_json("[\"busy\",1]"), *e = NULL;
        CHECK_RC(ami_store_get(&e, S, k));
        json_decref(e); json_decref(k);
    }
    int64_t took = mono_us() - t0;
    CHECK(took < 5000000);
    CHECK_INT(w.rc, 99);               /* still waiting */
    ami_store_wake(S);
    pthread_join(w.th, NULL);
    CHECK_INT(w.rc, AMI_ESTOPPED);
}

static void another_handle_is_seen(void)
{
    ami_store *s2 = NULL;
    REQUIRE(ami_store_open(&s2, dbpath) == 0);
    watcher w;
    start(&w, "[\"h2\"]", 3000);
    sleep_ms(30);
    ami_versionstamp vs;
    int64_t t0 = mono_us();
    set_key(s2, "[\"h2\",\"x\"]", vs);
    pthread_join(w.th, NULL);
    CHECK_RC(w.rc);
    CHECK_STR(w.vs, vs);
    CHECK(w.done_us - t0 < 1000000);
    ami_store_free(s2);
}

/* etcd: compact the history up to `vs` (physically) through the gateway. */
static void etcd_compact(const char *vs)
{
    char hex[17], body[128];
    memcpy(hex, vs, 16);
    hex[16] = 0;
    snprintf(body, sizeof body, "{\"revision\":\"%llu\",\"physical\":true}", strtoull(hex, NULL, 16));
    json_t *r = check_etcd_post("/v3/kv/compaction", body);
    CHECK(r && json_object_get(r, "header"));
    json_decref(r);
}

/* etcd: a watch from a compacted revision answers "changed"; a running watch outlives a compaction. */
static void compaction_reports_change(void)
{
    ami_versionstamp old, vs, got;
    CHECK_RC(ami_store_current(S, old));
    set_key(S, "[\"prune\",1]", vs);
    set_key(S, "[\"prune\",2]", vs);
    watcher w;
    start(&w, "[\"cw\"]", 5000);
    sleep_ms(100);
    etcd_compact(vs);
    /* a fresh handle has no record of what happened since `old`, and etcd's history is gone: says changed */
    ami_store *s2 = NULL;
    REQUIRE(ami_store_open(&s2, dbpath) == 0);
    json_t *p = check_json("[\"elsewhere\"]");
    CHECK_RC(ami_store_watch(s2, p, old, 0, got));
    CHECK(strcmp(got, old) > 0);
    CHECK_INT(ami_store_watch(s2, p, vs, 0, got), AMI_ETIMEOUT);
    /* S has watched all along (its own record): nothing under the prefix changed */
    CHECK_INT(ami_store_watch(S, p, old, 0, got), AMI_ETIMEOUT);
    json_decref(p);
    ami_store_free(s2);
    ami_versionstamp vw;
    set_key(S, "[\"cw\",1]", vw);                  /* the watch that ran across the compaction still sees this */
    pthread_join(w.th, NULL);
    CHECK_RC(w.rc);
    CHECK_STR(w.vs, vw);
}

/* Commits older than the change log's horizon (pruned rows) are reported as a change. */
static void pruned_log_reports_change(void)
{
    ami_versionstamp old, vs;
    ami_store *other = NULL;   /* a second handle: from now on every commit is logged */
    REQUIRE(ami_store_open(&other, dbpath) == 0);
    CHECK_RC(ami_store_current(S, old));
    set_key(S, "[\"prune\",1]", vs);
    set_key(S, "[\"prune\",2]", vs);
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open(dbpath, &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    char sql[200];
    /* drop every log row up to the commit before the last one (as pruning would) */
    char hex[17];
    memcpy(hex, vs, 16);
    hex[16] = 0;
    unsigned long long last = strtoull(hex, NULL, 16);
    snprintf(sql, sizeof sql, "DELETE FROM changelog WHERE vs <= %llu", last - 1);
    CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    json_t *p = check_json("[\"elsewhere\"]");
    ami_versionstamp got;
    CHECK_RC(ami_store_watch(S, p, old, 0, got));   /* cannot know: says changed */
    CHECK_STR(got, vs);
    CHECK_INT(ami_store_watch(S, p, vs, 0, got), AMI_ETIMEOUT);
    CHECK_RC(ami_store_watch(other, p, old, 0, got));
    CHECK_STR(got, vs);
    json_decref(p);
    ami_store_free(other);
}

/* The real pruning: with a short log, an old `after` is answered "changed" and the log stays short. */
static void log_is_pruned(void)
{
    ami_store *s2 = NULL;
    REQUIRE(ami_store_open(&s2, check_path("prune.db")) == 0);
    ami_store *s3 = NULL;   /* a second handle: commits are logged */
    REQUIRE(ami_store_open(&s3, check_path("prune.db")) == 0);
    ami__sqlite_backend_tune(ami__store_backend(s2), 100, 16);
    ami_versionstamp first, vs;
    set_key(s2, "[\"quiet\"]", first);
    for (int i = 0; i < 300; i++) set_key(s2, "[\"noisy\"]", vs);
    json_t *p = check_json("[\"quiet\"]");
    ami_versionstamp got;
    CHECK_RC(ami_store_watch(s2, p, first, 0, got));   /* the log no longer reaches back to `first` */
    CHECK_STR(got, vs);
    CHECK_INT(ami_store_watch(s2, p, vs, 0, got), AMI_ETIMEOUT);
    CHECK_RC(ami_store_watch(s3, p, first, 0, got));
    CHECK_STR(got, vs);
    json_decref(p);
    ami_store_free(s2);
    ami_store_free(s3);
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open(check_path("prune.db"), &db) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM changelog", -1, &st, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    int rows = sqlite3_column_int(st, 0);
    CHECK(rows <= 100 + 16);
    CHECK(rows >= 100);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* An entry that expires shows on the feed (purged by the watching handle) soon after its expiry. */
static void expiry_shows_on_the_feed(void)
{
    json_t *k = check_json("[\"lease\",\"w1\"]"), *v = json_string("node-a"), *p = check_json("[\"lease\"]");
    ami_versionstamp vs, got;
    CHECK_RC(ami_store_set(S, k, v, 200, vs));
    int64_t t0 = mono_us();
    int rc = ami_store_watch(S, p, vs, 3000, got);
    int64_t waited = mono_us() - t0;
    CHECK_RC(rc);
    CHECK(strcmp(got, vs) > 0);
    CHECK(waited >= 150000);           /* not before it expired (allowing for clock granularity) */
    /* SQLite purges at the expiry; etcd deletes through the key's lease (whole seconds, checked every 500 ms) */
    CHECK(waited < (check_store_is_etcd() ? 5000000 : 1500000));
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    printf("expiry seen on the change feed %.1f ms after the set (expire_in_ms 200)\n", waited / 1000.0);
    json_decref(k); json_decref(v); json_decref(p);
}

/* ---- another process ---- */

static int child_main(const char *path, const char *fd_text)
{
    int fd = atoi(fd_text);
    ami_store *s = NULL;
    if (ami_store_open(&s, path)) { fprintf(stderr, "child: %s\n", ami_error_last()); return 1; }
    json_t *k = ami_key_new("xproc", "k", NULL);
    for (int round = 0; round < 5; round++) {
        char c;
        if (read(fd, &c, 1) != 1) break;          /* the parent says: watching now */
        sleep_ms(20);
        json_t *v = json_integer(round);
        int64_t t = mono_us();
        ami_versionstamp vs;
        int rc = ami_store_set(s, k, v, 0, vs);
        json_decref(v);
        char line[64];
        int n = snprintf(line, sizeof line, "%lld %s\n", (long long)t, rc ? "error" : vs);
        if (write(STDOUT_FILENO, line, (size_t)n) != n) break;
    }
    json_decref(k);
    ami_store_free(s);
    return 0;
}

static void another_process_is_seen(void)
{
    int to_child[2], from_child[2];
    REQUIRE(pipe(to_child) == 0 && pipe(from_child) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(from_child[1], STDOUT_FILENO);
        close(from_child[0]);
        close(to_child[1]);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", to_child[0]);
        execl("/proc/self/exe", "test_store_watch", "child", dbpath, fd, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    FILE *in = fdopen(from_child[0], "r");
    json_t *p = check_json("[\"xproc\"]");
    int64_t worst = 0, total = 0;
    int rounds = 0;
    for (int round = 0; round < 5; round++) {
        ami_versionstamp after, got;
        CHECK_RC(ami_store_current(S, after));
        REQUIRE(write(to_child[1], "g", 1) == 1);
        int rc = ami_store_watch(S, p, after, 5000, got);
        int64_t seen = mono_us();
        CHECK_RC(rc);
        long long t_commit = 0;
        char vs[64] = "";
        REQUIRE(fscanf(in, "%lld %63s", &t_commit, vs) == 2);
        CHECK_STR(got, vs);
        int64_t lat = seen - t_commit;
        CHECK(lat < 1000000);
        if (lat > worst) worst = lat;
        total += lat;
        rounds++;
    }
    close(to_child[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fclose(in);
    json_decref(p);
    if (rounds)
        printf("watch latency from another process (commit start to watcher wake): mean %.2f ms, max %.2f ms over %d commits\n",
               total / 1000.0 / rounds, worst / 1000.0, rounds);
}

/* SQLite: a watch on a quiet file sleeps (the -wal notifier reports writes) instead
 * of checking PRAGMA data_version every few ms, and still wakes on a commit. */
static void an_idle_watch_does_not_poll(void)
{
    uint64_t p0 = 0, p1 = 0;
    watcher w;
    start(&w, "[\"idle\"]", 5000);
    sleep_ms(100);   /* the first wait starts the notifier */
    CHECK_RC(ami__sqlite_polls(ami__store_backend(S), &p0));
    sleep_ms(1500);
    CHECK_RC(ami__sqlite_polls(ami__store_backend(S), &p1));
    printf("data_version checks over 1.5 s of an idle watch: %llu\n", (unsigned long long)(p1 - p0));
    CHECK(p1 - p0 <= 3);   /* polling every POLL_QUIET_MS would be 75 */
    ami_versionstamp vs;
    set_key(S, "[\"idle\",1]", vs);
    pthread_join(w.th, NULL);
    CHECK_RC(w.rc);
    CHECK_STR(w.vs, vs);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "child")) return child_main(argv[2], argv[3]);
    snprintf(dbpath, sizeof dbpath, "%s", check_store_uri("watch.db"));
    REQUIRE(ami_store_open(&S, dbpath) == 0);
    RUN(local_commits_wake_matching_watchers);
    RUN(other_prefixes_do_not_wake);
    RUN(past_commits_return_at_once);
    RUN(wake_stops_waiters);
    RUN(a_wake_before_the_watch_still_ends_it);
    RUN(watch_does_not_block_the_handle);
    RUN(another_handle_is_seen);
    if (check_store_is_etcd()) {
        RUN(compaction_reports_change);
    } else {
        RUN(pruned_log_reports_change);
        RUN(log_is_pruned);
    }
    RUN(expiry_shows_on_the_feed);
    RUN(another_process_is_seen);
    if (!check_store_is_etcd()) RUN(an_idle_watch_does_not_poll);
    ami_store_free(S);
    return check_done();
}
