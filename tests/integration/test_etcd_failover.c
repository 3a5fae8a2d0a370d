/* Claim: on a real three-member etcd cluster, after kill -9 of the leader's
 * amid process the next leader is elected soon after the dead leader's lease
 * expires (the bound the cluster promises is lease + renew from the kill, so
 * at most `renew` after the expiry), every time.  Three amid processes, a 1 s
 * lease renewed every 300 ms; the killed node is restarted at once, as in
 * test_leader_torture.  For each of KILLS kills the test prints the time from
 * the dead lease's expiry to the next election (the new lease's timestamp)
 * and asserts on the median and the maximum.  (The slow campaign that used to
 * cost a whole lease more is forced in tests/unit/node/test_node_slow_acquire.c.) */
#include <signal.h>
#include <sys/wait.h>
#include "check.h"
#include "amid_proc.h"
#include "ami/election.h"

#define N 3
#define KILLS 10

static char eps[256], uri[400];
static ami_store *st;
static const char *nids[N] = { "f-0001", "f-0002", "f-0003" };
static pid_t pids[N];

/* the amid processes (etcd is stopped by check_etcd_start's own exit hook, after this) */
static void cleanup(void)
{
    for (int i = 0; i < N; i++)
        if (pids[i] > 0) { kill(pids[i], SIGKILL); waitpid(pids[i], NULL, 0); pids[i] = 0; }
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static const char *ITER =
    "{\"scriptContent\":\""
    "const e = await Stels.net.get(['ff', 'ctr']);\\n"
    "await Stels.sleep(20);\\n"
    "await Stels.net.set(['ff', 'ctr'], (e.value ? e.value.raw : 0) + 1);\\n"
    "\",\"active\":true,\"priority\":\"critical\",\"executionMode\":\"leader\"}";

static void failover_after_kill(void)
{
    json_t *body = check_json(ITER), *e = NULL;
    REQUIRE(ami_registry_create(&e, st, "f-0001", body) == 0);
    char sid[64];
    snprintf(sid, sizeof sid, "%s", ami_entry_sid(e));
    json_decref(e);
    json_decref(body);
    for (int i = 0; i < N; i++) pids[i] = amid_spawn_member(uri, nids[i]);

    int64_t lag[KILLS];
    int n = 0;
    for (int k = 0; k < KILLS; k++) {
        /* a leader that has renewed at least once, then a moment more (the kill lands anywhere in a renewal period) */
        int v = amid_renewed_leader(st, sid, nids, N, 15000);
        REQUIRE(v >= 0);
        nap_ms(300 + (int)(random() % 1200));
        kill(pids[v], SIGKILL);
        waitpid(pids[v], NULL, 0);
        int64_t t = ami_time_now_ms();
        ami_lease old;
        REQUIRE(ami_election_get(&old, st, sid) == 0);   /* final: its holder is gone */
        pids[v] = amid_spawn_member(uri, nids[v]);
        ami_lease nl;
        int64_t w0 = ami_time_mono_ms();
        int got = 0;
        while (ami_time_mono_ms() - w0 < 15000) {
            if (ami_election_get(&nl, st, sid) == 0 && nl.term > old.term) { got = 1; break; }
            nap_ms(5);
        }
        CHECK(got);
        if (!got) continue;
        lag[n++] = nl.timestamp - old.expires_at;
        double load[1] = { 0 };
        getloadavg(load, 1);
        fprintf(stderr, "    kill %2d: %s (term %lld) killed, its lease expires %+lld ms after the kill; %s elected (term %lld) "
                        "%+lld ms after the expiry; load %.1f\n", k + 1, nids[v], (long long)old.term,
                (long long)(old.expires_at - t), nl.leader, (long long)nl.term, (long long)lag[n - 1], load[0]);
    }
    REQUIRE(n > 0);
    qsort(lag, (size_t)n, sizeof lag[0], by_value);
    fprintf(stderr, "    %d kills: election after the expiry median %lld ms, max %lld ms\n", n, (long long)lag[n / 2],
            (long long)lag[n - 1]);
    /* generous for a loaded machine (measured at load 15-25: median 6-18 ms, max 14-267 ms), yet a
     * lease lost on top of the expiry (~1,000 ms more, as when a slow campaign fenced its winner) fails */
    CHECK(lag[n / 2] < 300);
    CHECK(lag[n - 1] < 900);
}

int main(void)
{
    if (!check_etcd_start(eps, sizeof eps, 3)) return 0;
    atexit(cleanup);
    srandom((unsigned)time(NULL));
    snprintf(uri, sizeof uri, "etcd://%s/failover", eps);
    REQUIRE(ami_init() >= 0);
    REQUIRE(ami_store_open(&st, uri) == 0);
    RUN(failover_after_kill);
    ami_store_free(st);
    cleanup();
    ami_shutdown();
    return check_done();
}
