/* Claim: an idle node (sleeping workers, nothing changing in the registry) does
 * not wake its scheduler every 50 ms to look for local events: those kick it
 * awake, so over 2 idle seconds the scheduler goes round its loop a few times
 * (its 1 s nap), not 40; the node's SQLite store is not polled (the -wal
 * notifier reports writes); the housekeeping and election threads sleep
 * until they have something to do (a second at most), not 100-200 ms, and the
 * log thread until a line comes (test_node_logs_idle).  Each wake-up of a thread of a process as big as
 * 100,000 sleeping workers costs about a millisecond (docs/node.md "Idle cost").
 * A change still reaches the node through the feed (a worker created meanwhile
 * runs, without a registry list). */
#include "check.h"
#include "node_helpers.h"
#include "node_counters.h"
#include "store/store_internal.h"

static void tweak(ami_node_options *o)
{
    o->resync_ms = 5000;
    o->heartbeat_ms = 1000;
    o->stats_ms = 2000;
}

static void idle_scheduler_sleeps(void)
{
    char db[400];
    snprintf(db, sizeof db, "%s", check_path("idle.db"));
    ami_store *st = open_store(db);
    char *sids[20];
    for (int i = 0; i < 20; i++)
        sids[i] = make_worker(st, "idle-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    ami_node *n = open_node(db, "idle-1", tweak);
    CHECK_RC(ami_node_start(n));
    CHECK(all_running(n, sids, 20, 10000));
    nap_ms(1500);   /* start-up settles */
    uint64_t p0 = 0, p1 = 0;
    CHECK_RC(ami__sqlite_polls(ami__store_backend(ami_node_store(n)), &p0));
    static const char *const names[] = { "ami-housekeep", "ami-logs", "ami-elect" };
    long w0[3], w1[3];
    for (int i = 0; i < 3; i++) w0[i] = check_thread_switches(names[i]);
    int64_t s0 = node_counter(n, &n->sched_passes);
    nap_ms(2000);
    int64_t s1 = node_counter(n, &n->sched_passes);
    for (int i = 0; i < 3; i++) w1[i] = check_thread_switches(names[i]);
    /* naps of 100, 100 and 200 ms would be 20, 20 and 10; now the heartbeat (1 s) and
     * stats pass (2 s), a 1 s nap and nothing */
    printf("sleeps ended over 2 idle seconds: %s %ld, %s %ld, %s %ld\n", names[0], w1[0] - w0[0], names[1],
           w1[1] - w0[1], names[2], w1[2] - w0[2]);
    CHECK(w1[0] - w0[0] <= 8);
    CHECK(w1[1] - w0[1] <= 6);
    CHECK(w1[2] - w0[2] <= 3);
    CHECK_RC(ami__sqlite_polls(ami__store_backend(ami_node_store(n)), &p1));
    printf("over 2 idle seconds: %lld scheduler passes, %llu data_version polls\n", (long long)(s1 - s0),
           (unsigned long long)(p1 - p0));
    CHECK(s1 - s0 <= 6);    /* a 50 ms cap: 40 */
    CHECK(p1 - p0 <= 6);    /* 20 ms polls: 100; now the 1 s backstop (the -wal notifier's checks follow writes) */

    /* a change still arrives (through the feed, not a list: the scheduler sleeps in the watch) */
    int64_t l0 = node_counter(n, &n->registry_lists);
    char *last = make_worker(st, "idle-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    for (int t = 0; t < 600 && !stat_running(n, last); t++) nap_ms(5);
    CHECK(stat_running(n, last));
    CHECK(node_counter(n, &n->registry_lists) == l0);
    ami_node_free(n);
    for (int i = 0; i < 20; i++) free(sids[i]);
    free(last);
    ami_store_free(st);
}

int main(void)
{
    RUN(idle_scheduler_sleeps);
    return check_done();
}
