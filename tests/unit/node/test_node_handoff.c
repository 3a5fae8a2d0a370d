/* Claim: a node that stops while its leader worker sleeps inside `await Stels.sleep(10000)`
 * hands the worker over at once: the sleep is interrupted, the lease released, and the other
 * node runs the worker long before the graceful wait (5 s) or the lease (60 s) would let it.
 * Prints the measured handover time (signal to the new leader's first line). */
#include "node_helpers.h"

static const char *WORKER =
    "{\"scriptContent\":\""
    "await Stels.net.set(['handoff', 'ran', Stels.config.nid], Date.now());\\n"
    "await Stels.sleep(10000);\\n"
    "\",\"active\":true,\"executionMode\":\"leader\"}";

static int64_t ran_at(ami_store *st, const char *nid)
{
    json_t *k = ami_key_new("handoff", "ran", nid, NULL), *e = NULL;
    int64_t v = 0;
    if (ami_store_get(&e, st, k) == 0) v = json_integer_value(json_object_get(json_object_get(e, "value"), "raw"));
    json_decref(e);
    json_decref(k);
    return v;
}

static void defaults(ami_node_options *o) { (void)o; }   /* the default 60 s lease and 5 s graceful wait */

static void leader_sleeping_hands_over(void)
{
    const char *db = check_path("handoff.db");
    ami_node *a = open_node(db, "s-0001", defaults), *b = NULL;
    ami_store *st = ami_node_store(a);
    char *sid = make_worker(st, "s-0001", WORKER);
    CHECK_RC(ami_node_start(a));
    REQUIRE(WAIT_FOR(ran_at(st, "s-0001") > 0, 20000) >= 0);
    b = open_node(db, "s-0002", defaults);
    CHECK_RC(ami_node_start(b));
    nap_ms(300);   /* b is campaigning; a leads and sleeps */
    CHECK(ran_at(st, "s-0002") == 0);
    int64_t t0 = ami_time_now_ms();
    ami_node_stop(a);
    int64_t stopped = ami_time_now_ms() - t0;
    CHECK(WAIT_FOR(ran_at(st, "s-0002") > 0, 10000) >= 0);
    int64_t took = ran_at(st, "s-0002") - t0;
    fprintf(stderr, "    stop took %lld ms; s-0002 ran the worker %lld ms after the stop began\n", (long long)stopped,
            (long long)took);
    CHECK(stopped < 500);    /* not a graceful wait (5 s), nor the 1 s poll of a sleeping instance */
    CHECK(took < 500);       /* the issue asks 200 ms; measured ~10 ms; the 60 s lease would be far above */
    ami_node_free(b);
    ami_node_free(a);
    free(sid);
}

int main(void)
{
    ami_init();
    RUN(leader_sleeping_hands_over);
    ami_shutdown();
    return check_done();
}
