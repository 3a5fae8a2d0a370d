/* Claim: when etcd's linearizable reads stall (a late ReadIndex answer, which
 * etcd retries only every 500 ms, while txns still commit: seen in the members'
 * logs during the etcd leader torture), a leader's kill -9 is still followed by
 * the next election within `renew` of the dead lease's expiry.  The campaign
 * reads the lease serializably (the compare-and-set that follows checks it),
 * so a stalled ReadIndex does not hold the election back.
 *
 * Real etcd (one member) behind tests/lib/etcd_slow_reads.py, a proxy that
 * holds each linearizable range 1,200 ms (longer than the lease) and passes
 * everything else at once; two amid processes go through the proxy, the test
 * reads etcd directly.  KILLS times: kill -9 the leader, restart it, and
 * measure from its lease's expiry to the next election.  Without the
 * serializable read each campaign's read returns 1.2 s after it started, so an
 * election comes 0-1.3 s after the expiry (under 300 ms about one time in
 * four): KILLS of them all under it would pass with odds of a few in a thousand. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "amid_proc.h"
#include "ami/election.h"

#define N 2
#define KILLS 4
#define DELAY_MS 1200
#define RENEW 300

static char eps[256], proxied[400];
static ami_store *st;
static const char *nids[N] = { "r-0001", "r-0002" };
static pid_t pids[N], proxy;
static int64_t spawned[N];   /* monotonic ms */

static void spawn(int i)
{
    spawned[i] = ami_time_mono_ms();
    pids[i] = amid_spawn_member(proxied, nids[i]);
}

static void cleanup(void)
{
    for (int i = 0; i < N; i++)
        if (pids[i] > 0) { kill(pids[i], SIGKILL); waitpid(pids[i], NULL, 0); pids[i] = 0; }
    if (proxy > 0) { kill(proxy, SIGKILL); waitpid(proxy, NULL, 0); proxy = 0; }
}

/* Start the proxy in front of etcd; its port goes into `proxied` as an etcd:// URI. */
static void start_proxy(void)
{
    char portfile[600], delay[16];
    snprintf(portfile, sizeof portfile, "%s/proxy.port", check_tmpdir());
    snprintf(delay, sizeof delay, "%d", DELAY_MS);
    proxy = fork();
    REQUIRE(proxy >= 0);
    if (proxy == 0) {
        execlp("python3", "python3", "tests/lib/etcd_slow_reads.py", eps, delay, portfile, (char *)NULL);
        _exit(127);
    }
    int port = 0;
    for (int i = 0; i < 200 && !port; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            if (fscanf(f, "%d", &port) != 1) port = 0;
            fclose(f);
        }
        if (!port) nap_ms(50);
    }
    REQUIRE(port > 0);
    snprintf(proxied, sizeof proxied, "etcd://127.0.0.1:%d/slowreads", port);
}

static const char *ITER =
    "{\"scriptContent\":\"await Stels.sleep(50);\\n\",\"active\":true,\"priority\":\"critical\",\"executionMode\":\"leader\"}";

static void election_despite_slow_reads(void)
{
    json_t *body = check_json(ITER), *e = NULL;
    REQUIRE(ami_registry_create(&e, st, "r-0001", body) == 0);
    char sid[64];
    snprintf(sid, sizeof sid, "%s", ami_entry_sid(e));
    json_decref(e);
    json_decref(body);
    for (int i = 0; i < N; i++) spawn(i);

    int64_t worst = 0;
    int n = 0;
    for (int k = 0; k < KILLS; k++) {
        /* a leader that has renewed at least once, and the other node up long enough to be campaigning */
        int v = amid_renewed_leader(st, sid, nids, N, 30000);
        REQUIRE(v >= 0);
        /* the other node through its start-up (every linearizable read of it is slow too: about four
         * of them before its first campaign) and campaigning for a few reads' time */
        int64_t ready = spawned[1 - v] + 8 * DELAY_MS - ami_time_mono_ms();
        nap_ms((ready > 0 ? (int)ready : 0) + (int)(random() % 600));
        kill(pids[v], SIGKILL);
        waitpid(pids[v], NULL, 0);
        ami_lease old;
        REQUIRE(ami_election_get(&old, st, sid) == 0);   /* final: its holder is gone */
        spawn(v);
        ami_lease nl;
        int got = 0;
        for (int64_t w0 = ami_time_mono_ms(); ami_time_mono_ms() - w0 < 15000; nap_ms(5))
            if (ami_election_get(&nl, st, sid) == 0 && nl.term > old.term) { got = 1; break; }
        CHECK(got);
        if (!got) continue;
        int64_t lag = nl.timestamp - old.expires_at;
        if (lag > worst) worst = lag;
        n++;
        fprintf(stderr, "    kill %d: %s (term %lld) killed; %s elected (term %lld) %+lld ms after the expiry\n", k + 1, nids[v],
                (long long)old.term, nl.leader, (long long)nl.term, (long long)lag);
    }
    CHECK_INT(n, KILLS);
    CHECK(worst < RENEW);
}

int main(void)
{
    if (!check_etcd_start(eps, sizeof eps, 1)) return 0;
    atexit(cleanup);
    srandom((unsigned)time(NULL));
    start_proxy();
    char direct[400];
    snprintf(direct, sizeof direct, "etcd://%s/slowreads", eps);
    REQUIRE(ami_init() >= 0);
    REQUIRE(ami_store_open(&st, direct) == 0);
    RUN(election_despite_slow_reads);
    ami_store_free(st);
    cleanup();
    ami_shutdown();
    return check_done();
}
