/*
 * Claim (SQLite): a commit wakes only the watches whose prefix holds a key it
 * wrote.  A watch on ["a"] sleeps through 100 commits under ["b"] — made on
 * its own handle, on a second handle of the same file, or by another process —
 * (its thread's voluntary context switches: a handful at most, against one or
 * two per commit when every commit woke every watch), and still reports the
 * next commit under ["a"] within a second.  A third watch on ["c"], started
 * first, holds the feed's poller role (timed polls) so that the counted thread
 * only ever wakes for a change.  And more commits under ["b"] than the handle's
 * ring of its own keys holds do not make a waiting watch on ["a"] say "changed".
 */
#define _GNU_SOURCE   /* pthread_setname_np */
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "store/store_internal.h"

#define NOISE 100
#define MAX_SWITCHES 20   /* wake-ups allowed to the ["a"] watch during the noise */

static char dbpath[512];

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_key(ami_store *s, const char *name, ami_versionstamp vs)
{
    json_t *k = ami_key_new(name, "x", NULL), *v = json_integer(1);
    CHECK_RC(ami_store_set(s, k, v, 0, vs));
    json_decref(k);
    json_decref(v);
}

/* NOISE commits under ["b"], a couple of ms apart (so each one is its own wake-up, were it one) */
static void noise(ami_store *s)
{
    ami_versionstamp vs;
    for (int i = 0; i < NOISE; i++) {
        set_key(s, "b", vs);
        sleep_ms(2);
    }
}

typedef struct {
    ami_store *s;
    const char *name;     /* the prefix ["name"], and the thread's name "tw-NAME" */
    ami_versionstamp after;
    int timeout_ms;
    int rc;
    ami_versionstamp vs;
    int64_t done_ms;
    pthread_t th;
} watcher;

static void *watch_thread(void *arg)
{
    watcher *w = arg;
    char tname[16];
    snprintf(tname, sizeof tname, "tw-%s", w->name);
    pthread_setname_np(pthread_self(), tname);
    json_t *p = ami_key_new(w->name, NULL);
    w->rc = ami_store_watch(w->s, p, w->after, w->timeout_ms, w->vs);
    w->done_ms = mono_ms();
    json_decref(p);
    return NULL;
}

static void start(watcher *w, ami_store *s, const char *name, int timeout_ms)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    w->name = name;
    w->timeout_ms = timeout_ms;
    CHECK_RC(ami_store_current(s, w->after));
    REQUIRE(pthread_create(&w->th, NULL, watch_thread, w) == 0);
    sleep_ms(150);   /* it is waiting (the first waiter takes the poller's role) */
}

/* The commits under ["b"] come from `noisy` (NULL: another process); the watches are on `st`. */
static void run_case(ami_store *st, ami_store *noisy, const char *label)
{
    watcher poller, wa;
    start(&poller, st, "c", 30000);
    start(&wa, st, "a", 30000);
    long s0 = check_thread_switches("tw-a");
    REQUIRE(s0 >= 0);

    int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
    pid_t pid = -1;
    FILE *in = NULL;
    if (noisy) {
        noise(noisy);
    } else {
        REQUIRE(pipe(to_child) == 0 && pipe(from_child) == 0);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            dup2(from_child[1], STDOUT_FILENO);
            dup2(to_child[0], STDIN_FILENO);
            execl("/proc/self/exe", "test_store_watch_targeted", "child", dbpath, (char *)NULL);
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        in = fdopen(from_child[0], "r");
        char line[64] = "";
        REQUIRE(fgets(line, sizeof line, in) && !strcmp(line, "noise done\n"));
    }
    sleep_ms(100);   /* the feed's checks of the last commits are over */
    long woken = check_thread_switches("tw-a") - s0;
    printf("%s: the [\"a\"] watch woke %ld times during %d commits under [\"b\"]\n", label, woken, NOISE);
    CHECK(woken <= MAX_SWITCHES);
    CHECK_INT(__atomic_load_n(&wa.done_ms, __ATOMIC_ACQUIRE), 0);   /* still waiting */

    /* a commit under ["a"] is still seen at once */
    ami_versionstamp hit = "";
    int64_t t0 = mono_ms();
    if (noisy) {
        set_key(noisy, "a", hit);
    } else {
        REQUIRE(write(to_child[1], "a", 1) == 1);
        REQUIRE(fscanf(in, "%20s", hit) == 1);   /* a versionstamp: 20 characters */
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        fclose(in);
        close(to_child[1]);
    }
    pthread_join(wa.th, NULL);
    CHECK_RC(wa.rc);
    CHECK_STR(wa.vs, hit);
    CHECK(wa.done_ms - t0 < 1000);

    /* the ["c"] watch saw none of it */
    ami_store_wake(st);
    pthread_join(poller.th, NULL);
    CHECK_INT(poller.rc, AMI_ESTOPPED);
}

static void same_handle(void)
{
    ami_store *st = NULL;
    snprintf(dbpath, sizeof dbpath, "%s", check_path("same.db"));
    CHECK_RC(ami_store_open(&st, dbpath));
    run_case(st, st, "same handle");
    ami_store_free(st);
}

static void second_handle(void)
{
    ami_store *st = NULL, *other = NULL;
    snprintf(dbpath, sizeof dbpath, "%s", check_path("second.db"));
    CHECK_RC(ami_store_open(&st, dbpath));
    CHECK_RC(ami_store_open(&other, dbpath));   /* its commits reach st's watches by the file's change log */
    run_case(st, other, "second handle");
    ami_store_free(other);
    ami_store_free(st);
}

static void another_process(void)
{
    ami_store *st = NULL;
    snprintf(dbpath, sizeof dbpath, "%s", check_path("xproc.db"));
    CHECK_RC(ami_store_open(&st, dbpath));
    run_case(st, NULL, "another process");
    ami_store_free(st);
}

/* More commits under ["b"] than the handle's ring of its own commits' keys holds (1,024):
 * a watch on ["a"] waiting through them times out (no change under its prefix), vouching
 * past them — not "changed" for want of the keys the ring lost. */
static void many_other_keys_are_no_change(void)
{
    ami_store *st = NULL;
    snprintf(dbpath, sizeof dbpath, "%s", check_path("ring.db"));
    CHECK_RC(ami_store_open(&st, dbpath));
    watcher wa;
    start(&wa, st, "a", 1500);
    ami_versionstamp last = "";
    for (int i = 0; i < 1500; i++) {
        char part[16];
        snprintf(part, sizeof part, "%d", i);
        json_t *k = ami_key_new("b", part, NULL), *v = json_integer(i);
        CHECK_RC(ami_store_set(st, k, v, 0, last));
        json_decref(k);
        json_decref(v);
    }
    pthread_join(wa.th, NULL);
    CHECK_INT(wa.rc, AMI_ETIMEOUT);
    CHECK(wa.vs[0] && strcmp(wa.vs, last) >= 0);
    ami_store_free(st);
}

/* The other process: NOISE commits under ["b"], "noise done", then at a byte on stdin one under ["a"] (its vs printed). */
static int child(const char *path)
{
    ami_store *s = NULL;
    if (ami_store_open(&s, path)) return 2;
    noise(s);
    printf("noise done\n");
    fflush(stdout);
    char c;
    if (read(STDIN_FILENO, &c, 1) != 1) return 3;
    ami_versionstamp vs = "";
    set_key(s, "a", vs);
    printf("%s\n", vs);
    fflush(stdout);
    ami_store_free(s);
    return check_failures ? 4 : 0;
}

int main(int argc, char **argv)
{
    ami_init();
    if (argc == 3 && !strcmp(argv[1], "child")) {
        int rc = child(argv[2]);
        ami_shutdown();
        return rc;
    }
    RUN(same_handle);
    RUN(second_handle);
    RUN(another_process);
    RUN(many_other_keys_are_no_change);
    ami_shutdown();
    return check_done();
}
