/* Claim: a kick that lands after the scheduler decided to wait, but before its store
 * watch began, still wakes it at once.  A store backend that wraps SQLite parks the
 * scheduler's watch call until the test lets it go; the kick (what an instance's exit
 * does: ami__node_kick) comes in that moment.  The scheduler must take it as soon as
 * the watch goes ahead, not at the next resync (20 s here). */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "check.h"
#include "node_helpers.h"
#include "node/node_internal.h"
#include "ami/sys/store_backend.h"
#include "store/store_internal.h"

typedef struct {
    ami_store_backend base;
    ami_store_backend *real;
    ami_buf worker_prefix;   /* encoded ["ami","worker"]: the scheduler's watch */
    atomic_int armed;        /* park the next such watch */
    sem_t parked, go;
} gate;

static gate *G;

static int g_get(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value, ami_versionstamp vs)
{
    (void)be;
    return G->real->get(G->real, key, key_len, value, vs);
}
static int g_list(ami_store_backend *be, const unsigned char *a, size_t al, const unsigned char *b, size_t bl, size_t limit,
                  int reverse, ami_store_list_cb cb, void *payload)
{
    (void)be;
    return G->real->list(G->real, a, al, b, bl, limit, reverse, cb, payload);
}
static int g_commit(ami_store_backend *be, const ami_store_op *ops, size_t n, int *committed, ami_versionstamp vs)
{
    (void)be;
    return G->real->commit(G->real, ops, n, committed, vs);
}
static int g_current(ami_store_backend *be, ami_versionstamp vs)
{
    (void)be;
    return G->real->current(G->real, vs);
}
/* the scheduler's watch, once armed: say so, and wait for the test's go */
static void maybe_park(const unsigned char *p, size_t pl)
{
    if (pl != G->worker_prefix.size || memcmp(p, G->worker_prefix.ptr, pl)) return;
    int one = 1;
    if (!atomic_compare_exchange_strong(&G->armed, &one, 0)) return;
    sem_post(&G->parked);
    while (sem_wait(&G->go) != 0 && errno == EINTR) {}
}
static int g_watch(ami_store_backend *be, const unsigned char *p, size_t pl, const char *after, int ms, ami_versionstamp vs)
{
    (void)be;
    maybe_park(p, pl);
    return G->real->watch(G->real, p, pl, after, ms, vs);
}
static int g_watch_from(ami_store_backend *be, const unsigned char *p, size_t pl, const char *after, int ms,
                        uint64_t wakes, ami_versionstamp vs)
{
    (void)be;
    maybe_park(p, pl);
    return G->real->watch_from(G->real, p, pl, after, ms, wakes, vs);
}
static void g_wake(ami_store_backend *be)
{
    (void)be;
    G->real->wake(G->real);
}
static void g_free(ami_store_backend *be)
{
    (void)be;
    G->real->free(G->real);
}

static int sem_wait_ms(sem_t *s, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    return sem_timedwait(s, &ts) == 0;
}

static ami_store *gated;
static void quiet_resync(ami_node_options *o)
{
    o->store = gated;
    o->resync_ms = 20000;   /* a lost kick would wait for this */
}

static int kicked(ami_node *n)
{
    pthread_mutex_lock(&n->mu);
    int k = n->kick;
    pthread_mutex_unlock(&n->mu);
    return k;
}

static uint64_t sched_passes(ami_node *n)
{
    pthread_mutex_lock(&n->mu);
    uint64_t p = n->sched_passes;
    pthread_mutex_unlock(&n->mu);
    return p;
}

static void a_kick_before_the_watch_is_not_lost(void)
{
    char db[400];
    snprintf(db, sizeof db, "%s", check_path("kick.db"));
    ami_store *st = open_store(db);
    G = calloc(1, sizeof *G);
    REQUIRE(G);
    REQUIRE(ami__sqlite_backend_open(&G->real, db, 0) == 0);
    G->base = *G->real;
    G->base.name = "gate";
    G->base.get = g_get;
    G->base.list = g_list;
    G->base.commit = g_commit;
    G->base.current = g_current;
    G->base.watch = g_watch;
    G->base.watch_from = g_watch_from;
    G->base.wake = g_wake;
    G->base.free = g_free;
    json_t *k = ami_key_new("ami", "worker", NULL);
    REQUIRE(ami_key_encode(&G->worker_prefix, k) == 0);
    json_decref(k);
    sem_init(&G->parked, 0, 0);
    sem_init(&G->go, 0, 0);
    REQUIRE(ami_store_open_backend(&gated, &G->base) == 0);

    char *a = make_worker(st, "s-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(30);\"}");
    ami_node *n = open_node(db, "s-1", quiet_resync);
    CHECK_RC(ami_node_start(n));
    CHECK(WAIT_FOR(stat_running(n, a), 5000) >= 0);
    nap_ms(200);   /* settled: the scheduler sleeps in its watch until the resync */
    CHECK(!kicked(n));

    /* hold the scheduler's next watch, and make it take one now */
    atomic_store(&G->armed, 1);
    ami_store_wake(gated);
    REQUIRE(sem_wait_ms(&G->parked, 5000));
    /* a local event meanwhile (what an instance's exit, a start to retry or a slot to
     * free does): the scheduler has decided to wait, and is not in its watch yet */
    pthread_mutex_lock(&n->mu);
    CHECK(n->sched_waiting);
    ami__node_kick(n);
    pthread_mutex_unlock(&n->mu);
    uint64_t passes = sched_passes(n);
    sem_post(&G->go);
    int64_t took = WAIT_FOR(sched_passes(n) > passes && !kicked(n), 10000);
    fprintf(stderr, "the kick was taken %lld ms after the parked watch went ahead\n", (long long)took);
    CHECK(took >= 0);
    /* at once (a few ms); a lost kick waits for the 20 s resync (and waited for the
     * scheduler's 1 s cap when the watch could not be told of an earlier wake) */
    CHECK(took < 500);

    ami_node_stop(n);
    ami_node_free(n);
    ami_store_free(gated);
    ami_store_free(st);
    ami_buf_dispose(&G->worker_prefix);
    sem_destroy(&G->parked);
    sem_destroy(&G->go);
    free(G);
    free(a);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    RUN(a_kick_before_the_watch_is_not_lost);
    ami_shutdown();
    return check_done();
}
