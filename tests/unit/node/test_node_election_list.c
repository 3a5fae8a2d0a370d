/* Claim: the election thread's passes (every <= 50 ms while a leader worker
 * exists) look at the leader workers only, not at every worker: with one
 * leader worker among 100 sleeping ones each pass looks at one worker (it
 * looked at all 101 twice a pass, a cost that grew with the node's workers);
 * the leader still runs, and a second leader worker created later is taken
 * on (it runs too). */
#include "check.h"
#include "node_helpers.h"
#include "node/node_internal.h"

enum { N = 100 };

#define LEADER "{\"active\":true,\"executionMode\":\"leader\",\"scriptContent\":\"await Stels.sleep(3600000);\"}"

static void tweak(ami_node_options *o)
{
    o->lease_ms = 3000;
    o->renew_ms = 200;
    o->retry_ms = 100;
    o->graceful_shutdown_ms = 500;
}

static void passes_look_at_leaders_only(void)
{
    char db[400];
    snprintf(db, sizeof db, "%s", check_path("e.db"));
    ami_store *st = open_store(db);
    char *sid[N];
    for (int i = 0; i < N; i++)
        sid[i] = make_worker(st, "e-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    char *lead = make_worker(st, "e-1", LEADER);
    ami_node *n = open_node(db, "e-1", tweak);
    CHECK_RC(ami_node_start(n));
    CHECK(WAIT_FOR(stat_running(n, lead) && stat_running(n, sid[N - 1]), 30000) >= 0);

    pthread_mutex_lock(&n->mu);
    int64_t p0 = n->election_passes, v0 = n->election_visits;
    pthread_mutex_unlock(&n->mu);
    nap_ms(1000);
    pthread_mutex_lock(&n->mu);
    int64_t passes = n->election_passes - p0, visits = n->election_visits - v0;
    pthread_mutex_unlock(&n->mu);
    fprintf(stderr, "%lld election passes looked at %lld workers (%d workers, 1 leader)\n", (long long)passes,
            (long long)visits, N + 1);
    CHECK(passes >= 2);
    CHECK(visits <= passes);

    char *lead2 = make_worker(st, "e-1", LEADER);
    CHECK(WAIT_FOR(stat_running(n, lead2), 30000) >= 0);
    CHECK(stat_running(n, lead));

    ami_node_stop(n);
    ami_node_free(n);
    ami_store_free(st);
    for (int i = 0; i < N; i++) free(sid[i]);
    free(lead);
    free(lead2);
}

int main(void)
{
    ami_init();
    RUN(passes_look_at_leaders_only);
    ami_shutdown();
    return check_done();
}
