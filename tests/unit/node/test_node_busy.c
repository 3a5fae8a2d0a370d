/* Claim: on a node with two runner threads, a worker spinning in for(;;){}
 * (interrupted at its 3 s slice, backing off, spinning again) cannot starve
 * 50 others that loop with short sleeps: in every one-second window while it
 * spins, each of them completes iterations.  With one runner thread too: the
 * pool's stall watch (lib/node/pool.c) sees the runner held by a turn that
 * burns CPU and adds a runner for the others. */
#include "node_helpers.h"

enum { OTHERS = 50, WINDOWS = 5 };

static int runners = 2;

static void tweak(ami_node_options *o)
{
    o->runner_threads = runners;
    o->slice_ms = 3000;
}

static long long executions(json_t *all, const char *sid)
{
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(all, "workers"), i, w)
        if (!strcmp(json_string_value(json_object_get(w, "sid")), sid))
            return json_integer_value(json_object_get(w, "executions"));
    return -1;
}

static void busy_does_not_starve(void)
{
    char db[500], name[32];
    snprintf(name, sizeof name, "busy-%d.db", runners);   /* a store of its own for each case */
    snprintf(db, sizeof db, "%s", check_path(name));
    ami_node *node = open_node(db, "s-0001", tweak);
    ami_store *st = ami_node_store(node);
    char *sids[OTHERS];
    for (int i = 0; i < OTHERS; i++)
        sids[i] = make_worker(st, "s-0001", "{\"scriptContent\":\"await Stels.sleep(5);\",\"priority\":\"high\",\"active\":true}");
    CHECK_RC(ami_node_start(node));
    CHECK(WAIT_FOR(stat_int(node, sids[OTHERS - 1], "executions") > 0, 20000) >= 0);
    char *busy = make_worker(st, "s-0001", "{\"scriptContent\":\"Stels.net.set(['spin'], 1); for (;;) {}\",\"priority\":\"critical\",\"active\":true}");
    json_t *k = check_json("[\"spin\"]");
    CHECK(WAIT_FOR(({ json_t *e_ = NULL; int ok_ = ami_store_get(&e_, st, k) == 0; json_decref(e_); ok_; }), 20000) >= 0);
    json_decref(k);
    json_t *prev = NULL;
    CHECK_RC(ami_node_stats(&prev, node));
    int starved = 0;
    for (int win = 0; win < WINDOWS; win++) {
        nap_ms(1000);
        json_t *now = NULL;
        CHECK_RC(ami_node_stats(&now, node));
        for (int i = 0; i < OTHERS; i++)
            if (executions(now, sids[i]) <= executions(prev, sids[i])) starved++;
        json_decref(prev);
        prev = now;
    }
    CHECK_INT(starved, 0);
    /* it really spun: the slice ended it (SliceLimitExceeded), more than once */
    const char *err = stat_str(node, busy, "lastError");
    fprintf(stderr, "  busy worker: %s, %lld errors\n", err, stat_int(node, busy, "errors"));
    CHECK(strstr(err, "SliceLimitExceeded") != NULL);
    json_decref(prev);
    CHECK_RC(ami_node_stop(node));
    ami_node_free(node);
    for (int i = 0; i < OTHERS; i++) free(sids[i]);
    free(busy);
}

/* the one runner is held for the whole slice: only an extra runner serves the others */
static void busy_one_runner_does_not_starve(void)
{
    runners = 1;
    busy_does_not_starve();
    runners = 2;
}

int main(void)
{
    RUN(busy_does_not_starve);
    RUN(busy_one_runner_does_not_starve);
    return check_done();
}
