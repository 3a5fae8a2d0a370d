/*
 * Claim: compare-and-set is safe across real processes sharing one SQLite
 * file: 4 processes incrementing one counter by CAS lose no update, and
 * SIGKILLing one of them mid-run leaves the file intact and the counter equal
 * to the commits made (the killed one's last commit may precede its report).
 */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

enum { NPROC = 4 };
/* commits per process: etcd commits are raft round trips with an fsync, so fewer there */
static int PER_PROC = 500;

static int go_pipe[2];   /* children start together when the parent closes the write end */

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Child: `n` successful increments; after each commit, write the count to `side` (8 bytes at offset 0). */
static int child_main(const char *path, const char *side_path, int n, int go_fd)
{
    ami_store *s = NULL;
    if (ami_store_open(&s, path)) { fprintf(stderr, "child open: %s\n", ami_error_last()); return 1; }
    char c;
    while (read(go_fd, &c, 1) > 0) {}
    close(go_fd);
    int side = open(side_path, O_WRONLY | O_CREAT, 0644);
    if (side < 0) return 1;
    json_t *k = ami_key_new("counter", NULL);
    ami_buf text = AMI_BUF_INIT;
    long long done = 0, conflicts = 0;
    while (done < n) {
        ami_versionstamp vs;
        long long cur = 0;
        int rc = ami_store_get_text(&text, vs, s, k);
        if (rc == 0) cur = atoll(text.ptr);
        else if (rc != AMI_ENOTFOUND) { fprintf(stderr, "child get: %s\n", ami_error_last()); return 1; }
        ami_atomic *a = NULL;
        json_t *v = json_integer(cur + 1);
        if (ami_atomic_new(&a) || ami_atomic_check(a, k, vs) || ami_atomic_set(a, k, v, 0)) return 1;
        int committed = 0;
        ami_versionstamp nvs;
        rc = ami_store_commit(s, a, &committed, nvs);
        ami_atomic_free(a);
        json_decref(v);
        if (rc) { fprintf(stderr, "child commit: %d %s\n", rc, ami_error_last()); return 1; }
        if (committed) {
            done++;
            if (pwrite(side, &done, sizeof done, 0) != sizeof done) return 1;
        } else {
            conflicts++;
        }
    }
    fprintf(stderr, "child %d: %lld commits, %lld conflicts\n", (int)getpid(), done, conflicts);
    ami_buf_dispose(&text);
    json_decref(k);
    close(side);
    ami_store_free(s);
    return 0;
}

static pid_t spawn(const char *db, const char *side, int n)
{
    char ns[16], fd[16];
    snprintf(ns, sizeof ns, "%d", n);
    snprintf(fd, sizeof fd, "%d", go_pipe[0]);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(go_pipe[1]);
        execl("/proc/self/exe", "test_store_cas_procs", "child", db, side, ns, fd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static long long read_side(const char *side)
{
    long long v = 0;
    int fd = open(side, O_RDONLY);
    if (fd < 0) return 0;
    if (pread(fd, &v, sizeof v, 0) != sizeof v) v = 0;
    close(fd);
    return v;
}

static long long counter_value(const char *db)
{
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, db) == 0);
    json_t *k = ami_key_new("counter", NULL), *e = NULL;
    CHECK_RC(ami_store_get(&e, s, k));
    long long v = json_integer_value(json_object_get(e, "value"));
    json_decref(e); json_decref(k);
    ami_store_free(s);
    return v;
}

static char *integrity(const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_open(db, &h) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 5000);
        if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            out = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

static void four_processes_lose_nothing(void)
{
    char db[512], side[NPROC][512];
    snprintf(db, sizeof db, "%s", check_store_uri("cas.db"));
    pid_t pids[NPROC];
    REQUIRE(pipe(go_pipe) == 0);
    for (int i = 0; i < NPROC; i++) {
        snprintf(side[i], sizeof side[i], "%s/side-a%d", check_tmpdir(), i);
        pids[i] = spawn(db, side[i], PER_PROC);
    }
    sleep_ms(100);
    close(go_pipe[0]);
    close(go_pipe[1]);
    long long sum = 0;
    for (int i = 0; i < NPROC; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        sum += read_side(side[i]);
    }
    CHECK_INT(sum, NPROC * PER_PROC);
    CHECK_INT(counter_value(db), sum);
    if (!check_store_is_etcd()) {
        char *ic = integrity(db);
        CHECK_STR(ic, "ok");
        free(ic);
    }
}

static void sigkill_mid_run(void)
{
    char db[512], side[NPROC][512];
    snprintf(db, sizeof db, "%s", check_store_uri("cas-kill.db"));
    pid_t pids[NPROC];
    REQUIRE(pipe(go_pipe) == 0);
    for (int i = 0; i < NPROC; i++) {
        snprintf(side[i], sizeof side[i], "%s/side-b%d", check_tmpdir(), i);
        /* process 0 would go on for long; it is killed */
        pids[i] = spawn(db, side[i], i == 0 ? 1000000 : PER_PROC);
    }
    sleep_ms(100);
    close(go_pipe[0]);
    close(go_pipe[1]);
    /* kill process 0 once it is well into its run */
    int64_t deadline = ami_time_mono_ms() + 20000;
    while (read_side(side[0]) < PER_PROC / 5 && ami_time_mono_ms() < deadline) sleep_ms(2);
    REQUIRE(read_side(side[0]) >= PER_PROC / 5);
    CHECK_INT(kill(pids[0], SIGKILL), 0);
    int status = 0;
    waitpid(pids[0], &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    long long killed = read_side(side[0]), survivors = 0;
    for (int i = 1; i < NPROC; i++) {
        waitpid(pids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        survivors += read_side(side[i]);
    }
    CHECK_INT(survivors, (NPROC - 1) * PER_PROC);
    if (!check_store_is_etcd()) {
        char *ic = integrity(db);
        CHECK_STR(ic, "ok");
        free(ic);
    }
    long long final = counter_value(db);
    /* its last commit may have landed before it could report it */
    CHECK(final == survivors + killed || final == survivors + killed + 1);
    printf("killed process reported %lld commits; survivors %lld; counter %lld\n", killed, survivors, final);
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "child")) return child_main(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (check_store_is_etcd()) PER_PROC = 100;
    RUN(four_processes_lose_nothing);
    RUN(sigkill_mid_run);
    return check_done();
}
