/* Claim: a SQLite store keeps every acknowledged write through kill -9 of
 * its writers under heavy writes, and a damaged store file (truncated,
 * bit-flipped page headers, zeroed header, WAL cut) either opens with all
 * acknowledged writes or is refused with an error naming the file, and is
 * never read to a crash or a wrong value; a WAL cut keeps a consistent
 * prefix of the commits (SQLite stops at the first frame whose checksum
 * fails).  Short in CI (AMI_TORTURE_SECONDS, default 15 s of kill rounds);
 * `make torture DURATION=600` runs it long. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

/* ---- child modes ---- */

static json_t *key_of(const char *who, long i) { return json_pack("[s,s,I]", "t", who, (json_int_t)i); }
static json_t *value_of(const char *who, long i)
{
    char pad[700];
    size_t n = (size_t)(i * 7919 % 600);
    memset(pad, 'a' + (int)(i % 26), n);
    pad[n] = 0;
    return json_pack("{s:s,s:I,s:s}", "who", who, "i", (json_int_t)i, "pad", pad);
}

/* --writer DB WHO: write keys 1, 2, … and print each number once its set returned 0 (acknowledged). */
static int writer_main(const char *db, const char *who)
{
    ami_store *s = NULL;
    if (ami_store_open(&s, db)) { fprintf(stderr, "writer: %s\n", ami_error_last()); return 1; }
    for (long i = 1;; i++) {
        json_t *k = key_of(who, i), *v = value_of(who, i);
        int rc = ami_store_set(s, k, v, 0, NULL);
        json_decref(k);
        json_decref(v);
        if (rc) { fprintf(stderr, "writer: set: %s\n", ami_error_last()); continue; }
        printf("%ld\n", i);
        fflush(stdout);
    }
}

/* --check DB WHO N: exit 0 when keys 1..N of WHO all read back right, 2 when the
 * open or a read fails with an error naming the file, 4 on a wrong or missing
 * value; with N < 0 (a WAL cut): exit 0 when the keys present are exactly
 * 1..k for some k (prints k). */
static int check_main(const char *db, const char *who, long n)
{
    ami_store *s = NULL;
    const char *file = strrchr(db, '/') ? strrchr(db, '/') + 1 : db;
    if (ami_store_open(&s, db)) {
        printf("refused: %s\n", ami_error_last());
        return strstr(ami_error_last(), file) ? 2 : 5;
    }
    long upto = n < 0 ? -n : n, last = 0, gap = 0;
    for (long i = 1; i <= upto; i++) {
        json_t *k = key_of(who, i), *e = NULL;
        int rc = ami_store_get(&e, s, k);
        json_decref(k);
        if (rc) {
            printf("read error at %ld: %s\n", i, ami_error_last());
            int named = strstr(ami_error_last(), file) != NULL;
            ami_store_free(s);
            return named ? 2 : 5;
        }
        json_t *v = json_object_get(e, "value"), *want = value_of(who, i);
        int same = json_equal(v, want), missing = json_is_null(v);
        json_decref(want);
        json_decref(e);
        if (n >= 0 && !same) { printf("key %ld: %s\n", i, missing ? "missing" : "WRONG VALUE"); ami_store_free(s); return 4; }
        if (n < 0) {
            if (same && !gap) last = i;
            else if (missing) gap = 1;
            else { printf("key %ld: %s\n", i, same ? "present after a gap" : "WRONG VALUE"); ami_store_free(s); return 4; }
        }
    }
    /* the registry-style listing works too */
    json_t *all = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    int rc = ami_store_list(&all, s, &lo);
    json_decref(all);
    if (rc) {
        printf("list error: %s\n", ami_error_last());
        int named = strstr(ami_error_last(), file) != NULL;
        ami_store_free(s);
        return named ? 2 : 5;
    }
    printf("intact%s %ld\n", n < 0 ? " prefix" : "", n < 0 ? last : upto);
    ami_store_free(s);
    return 0;
}

/* ---- the harness ---- */

static char self[512];

typedef struct { pid_t pid; int fd; long acked; char buf[64]; size_t len; } writer;

static void spawn_writer(writer *w, const char *db, const char *who)
{
    int p[2];
    REQUIRE(pipe(p) == 0);
    memset(w, 0, sizeof *w);
    w->pid = fork();
    REQUIRE(w->pid >= 0);
    if (w->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        execl(self, self, "--writer", db, who, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    w->fd = p[0];
    fcntl(w->fd, F_SETFL, O_NONBLOCK);
}

/* Read what the writer acknowledged so far (after its death: everything). */
static void drain(writer *w)
{
    char tmp[4096];
    ssize_t r;
    while ((r = read(w->fd, tmp, sizeof tmp)) > 0)
        for (ssize_t i = 0; i < r; i++) {
            if (tmp[i] == '\n') { w->buf[w->len] = 0; w->acked = atol(w->buf); w->len = 0; }
            else if (w->len < sizeof w->buf - 1) w->buf[w->len++] = tmp[i];
        }
}

/* Run `self --check DB WHO N` in a child; its exit code (128 + signal when it died). */
static int run_check(const char *db, const char *who, long n, char *out, size_t outlen)
{
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "'%s' --check '%s' %s %ld 2>&1", self, db, who, n);
    FILE *f = popen(cmd, "r");
    REQUIRE(f);
    size_t got = fread(out, 1, outlen - 1, f);
    out[got] = 0;
    if (got && out[got - 1] == '\n') out[got - 1] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int seconds = 15;

static void kill9_under_writes(void)
{
    const char *db = check_path("kill.db");
    char dbc[600];
    snprintf(dbc, sizeof dbc, "%s", db);
    int64_t end = ami_time_mono_ms() + (int64_t)seconds * 1000;
    int rounds = 0;
    long acked_total = 0, max_a = 0, max_b = 0;
    static const char *const who[2] = { "a", "b" };
    while (rounds < 3 || ami_time_mono_ms() < end) {
        writer w[2];
        for (int i = 0; i < 2; i++) spawn_writer(&w[i], dbc, who[i]);
        /* two writers on one file: real contention; kill both at a random moment */
        int64_t until = ami_time_mono_ms() + 300 + random() % 1200;
        while (ami_time_mono_ms() < until) { usleep(20000); for (int i = 0; i < 2; i++) drain(&w[i]); }
        for (int i = 0; i < 2; i++) kill(w[i].pid, SIGKILL);
        for (int i = 0; i < 2; i++) {
            waitpid(w[i].pid, NULL, 0);
            drain(&w[i]);
            close(w[i].fd);
        }
        /* each round starts its writers over at key 1: the highest acked is what must be there */
        if (w[0].acked > max_a) max_a = w[0].acked;
        if (w[1].acked > max_b) max_b = w[1].acked;
        acked_total += w[0].acked + w[1].acked;
        char out[600];
        int rc = run_check(dbc, "a", max_a, out, sizeof out);
        if (rc) fprintf(stderr, "  round %d, writer a (%ld acked): %s\n", rounds, max_a, out);
        CHECK_INT(rc, 0);
        rc = run_check(dbc, "b", max_b, out, sizeof out);
        if (rc) fprintf(stderr, "  round %d, writer b (%ld acked): %s\n", rounds, max_b, out);
        CHECK_INT(rc, 0);
        rounds++;
        if (check_failures) break;
    }
    fprintf(stderr, "  kill -9 rounds: %d, acknowledged writes: %ld, lost: 0 of them (highest key a %ld, b %ld)\n", rounds,
            acked_total, max_a, max_b);
}

static int copy_file(const char *from, const char *to, off_t len)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) { if (in >= 0) close(in); if (out >= 0) close(out); return -1; }
    char buf[65536];
    off_t done = 0;
    ssize_t r;
    while ((len < 0 || done < len) && (r = read(in, buf, sizeof buf)) > 0) {
        if (len >= 0 && done + r > len) r = (ssize_t)(len - done);
        if (write(out, buf, (size_t)r) != r) break;
        done += r;
    }
    close(in);
    close(out);
    return 0;
}

static off_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : -1;
}

static void poke(const char *p, off_t at, int xor_mask, int zero_len)
{
    int fd = open(p, O_RDWR);
    REQUIRE(fd >= 0);
    if (zero_len > 0) {
        char z[4096];
        memset(z, 0, sizeof z);
        REQUIRE(pwrite(fd, z, (size_t)zero_len, at) == zero_len);
    } else {
        unsigned char c = 0;
        REQUIRE(pread(fd, &c, 1, at) == 1);
        c ^= (unsigned char)xor_mask;
        REQUIRE(pwrite(fd, &c, 1, at) == 1);
    }
    close(fd);
}

typedef struct { int intact, refused, prefix, lost, crashed, other; } tally;

static void judge(tally *t, const char *what, int rc, const char *out, int wal_cut)
{
    fprintf(stderr, "    %-44s -> %s\n", what, out);
    if (rc == 0) { if (wal_cut) t->prefix++; else t->intact++; }
    else if (rc == 2) t->refused++;
    else if (rc == 4) t->lost++;
    else if (rc >= 128) t->crashed++;
    else t->other++;
    CHECK(rc == 0 || rc == 2);
}

static void damaged_files(void)
{
    /* a clean store (closed: no WAL) and a killed one (its WAL holds the last commits) */
    const char *clean = check_path("clean.db");
    char cleanp[600], walsrc[700];
    snprintf(cleanp, sizeof cleanp, "%s", clean);
    writer w;
    spawn_writer(&w, cleanp, "a");
    int64_t until = ami_time_mono_ms() + 1500;
    while (ami_time_mono_ms() < until) { usleep(20000); drain(&w); }
    kill(w.pid, SIGKILL);
    waitpid(w.pid, NULL, 0);
    drain(&w);
    close(w.fd);
    long acked = w.acked;
    REQUIRE(acked > 50);
    /* keep the WAL as the kill left it, then let a clean open + close checkpoint the main file */
    char walcopy[700], dbcopy[700];
    snprintf(walcopy, sizeof walcopy, "%s.killed-wal", cleanp);
    snprintf(dbcopy, sizeof dbcopy, "%s.killed-db", cleanp);
    snprintf(walsrc, sizeof walsrc, "%s-wal", cleanp);
    REQUIRE(copy_file(cleanp, dbcopy, -1) == 0);
    off_t walsize = file_size(walsrc);
    if (walsize > 0) REQUIRE(copy_file(walsrc, walcopy, -1) == 0);
    char out[600];
    CHECK_INT(run_check(cleanp, "a", acked, out, sizeof out), 0);
    off_t size = file_size(cleanp);
    fprintf(stderr, "  source: %ld acknowledged writes, %lld bytes, killed WAL %lld bytes\n", acked, (long long)size,
            (long long)walsize);

    tally t = { 0 };
    char d[700], what[200];
    int n = 0;
    /* truncations of the checkpointed file */
    off_t cuts[] = { 0, 50, 100, 4096, size / 2, size - 4096, size - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        if (cuts[i] <= 0 || cuts[i] >= size) continue;   /* 0 bytes: below */
        snprintf(d, sizeof d, "%s/dmg-%d.db", check_tmpdir(), n++);
        REQUIRE(copy_file(cleanp, d, cuts[i]) == 0);
        snprintf(what, sizeof what, "truncated to %lld bytes", (long long)cuts[i]);
        judge(&t, what, run_check(d, "a", acked, out, sizeof out), out, 0);
    }
    /* An empty file is a new store to SQLite (nothing tells it from a file
     * just created): it opens with no data.  Counted, not judged. */
    snprintf(d, sizeof d, "%s/dmg-%d.db", check_tmpdir(), n++);
    REQUIRE(copy_file(cleanp, d, 0) == 0);
    int empty_rc = run_check(d, "a", acked, out, sizeof out);
    fprintf(stderr, "    %-44s -> %s (a new, empty store)\n", "truncated to 0 bytes", out);
    CHECK(empty_rc == 4 && strstr(out, "key 1: missing"));
    /* zeroed header (the first 100 bytes), and the first page zeroed */
    int zlen[] = { 100, 4096 };
    for (int i = 0; i < 2; i++) {
        snprintf(d, sizeof d, "%s/dmg-%d.db", check_tmpdir(), n++);
        REQUIRE(copy_file(cleanp, d, -1) == 0);
        poke(d, 0, 0, zlen[i]);
        snprintf(what, sizeof what, "first %d bytes zeroed", zlen[i]);
        judge(&t, what, run_check(d, "a", acked, out, sizeof out), out, 0);
    }
    /* bit flips in page headers (page type, cell count, first cell offset) of pages 2.. and in the file header */
    srandom(12345);
    long pages = (long)(size / 4096);
    for (int i = 0; i < 12; i++) {
        snprintf(d, sizeof d, "%s/dmg-%d.db", check_tmpdir(), n++);
        REQUIRE(copy_file(cleanp, d, -1) == 0);
        off_t at;
        int bit = 1 << (random() % 8);
        if (i < 3) at = 16 + random() % 12;                     /* page size, versions, reserved bytes */
        else at = (off_t)(1 + random() % (pages > 1 ? pages - 1 : 1)) * 4096 + (random() % 8);
        poke(d, at, bit, 0);
        snprintf(what, sizeof what, "bit 0x%02x flipped at byte %lld", bit, (long long)at);
        judge(&t, what, run_check(d, "a", acked, out, sizeof out), out, 0);
    }
    /* WAL cuts: the killed state with its WAL cut short */
    if (walsize > 32) {
        off_t wcuts[] = { 0, 32, 100, walsize / 2, walsize - 1 };
        for (size_t i = 0; i < sizeof wcuts / sizeof *wcuts; i++) {
            char dw[720];
            snprintf(d, sizeof d, "%s/dmg-%d.db", check_tmpdir(), n++);
            snprintf(dw, sizeof dw, "%s-wal", d);
            REQUIRE(copy_file(dbcopy, d, -1) == 0);
            REQUIRE(copy_file(walcopy, dw, wcuts[i]) == 0);
            snprintf(what, sizeof what, "WAL cut to %lld of %lld bytes", (long long)wcuts[i], (long long)walsize);
            judge(&t, what, run_check(d, "a", -acked, out, sizeof out), out, 1);
        }
    }
    fprintf(stderr, "  damaged files: %d; opened intact %d, refused naming the file %d, consistent prefix after a WAL cut %d, "
            "wrong or lost %d, crashed %d, other %d; plus 1 emptied (opens as a new store)\n", n - 1, t.intact, t.refused, t.prefix, t.lost, t.crashed, t.other);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--writer")) { ami_init(); return writer_main(argv[2], argv[3]); }
    if (argc == 5 && !strcmp(argv[1], "--check")) { ami_init(); return check_main(argv[2], argv[3], atol(argv[4])); }
    REQUIRE(realpath("/proc/self/exe", self) != NULL);
    const char *env = getenv("AMI_TORTURE_SECONDS");
    if (env && atoi(env) > 0) seconds = atoi(env);
    srandom((unsigned)time(NULL));
    ami_init();
    RUN(kill9_under_writes);
    RUN(damaged_files);
    ami_shutdown();
    return check_done();
}
