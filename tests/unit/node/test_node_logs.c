/* Claim: worker log lines reach the host's sink, a per-worker ring (log_ring
 * lines, oldest first, ts strictly increasing) and the node-local store under
 * [network,"logs",sid,ts], which is pruned to a bound; after a restart the
 * lines are read back from the local store. */
#include <pthread.h>
#include "node_helpers.h"

static int sink_lines;
static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;

static void sink(const ami_node_log_record *rec, void *payload)
{
    (void)payload;
    pthread_mutex_lock(&sink_mu);
    if (rec->sid && rec->msg && rec->level) sink_lines++;
    pthread_mutex_unlock(&sink_mu);
}

static void small_ring(ami_node_options *o)
{
    o->log_ring = 20;
    o->loop_delay_ms = 1;
    o->log_fn = sink;
    o->log_lines_per_s = -1;   /* this test is about the ring and the store, not the budget */
}

static void ring_store_and_prune(void)
{
    const char *db = check_path("ami.db");
    char dbc[600];
    snprintf(dbc, sizeof dbc, "%s", db);
    ami_node *n = open_node(dbc, "s-0001", small_ring);
    char *sid = make_worker(ami_node_store(n), "s-0001", "{\"scriptContent\":\"logger.info('tick');\",\"active\":true,\"priority\":\"critical\"}");
    CHECK_RC(ami_node_start(n));
    CHECK(WAIT_FOR(stat_int(n, sid, "executions") >= 300, 10000) >= 0);
    nap_ms(300);   /* a flush or two */
    json_t *logs = NULL;
    CHECK_RC(ami_node_logs(&logs, n, sid, 0));
    CHECK_INT(json_array_size(logs), 20);
    int64_t prev = 0;
    int increasing = 1;
    size_t i;
    json_t *l;
    json_array_foreach(logs, i, l) {
        int64_t ts = json_integer_value(json_object_get(l, "ts"));
        if (ts <= prev) increasing = 0;
        prev = ts;
    }
    CHECK(increasing);
    CHECK_STR(json_string_value(json_object_get(json_array_get(logs, 0), "sid")), sid);
    CHECK_STR(json_string_value(json_object_get(json_array_get(logs, 0), "nid")), "s-0001");
    json_decref(logs);
    CHECK_RC(ami_node_logs(&logs, n, sid, 5));
    CHECK_INT(json_array_size(logs), 5);
    json_decref(logs);
    /* Flushes append and prune in turns while the worker keeps logging: the bound holds
     * once a prune has followed the latest flush (a loaded machine may need a moment). */
    size_t stored = 0;
    CHECK(WAIT_FOR((stored = local_log_lines(n, sid)) >= 20 && stored <= 111, 5000) >= 0);
    fprintf(stderr, "    %zu lines in the local store (bound 100 + 11)\n", stored);
    pthread_mutex_lock(&sink_mu);
    CHECK(sink_lines >= 300);
    pthread_mutex_unlock(&sink_mu);

    /* after a restart (nothing in memory) the lines come from the local store */
    update_worker(ami_node_store(n), sid, "{\"active\":false}");
    nap_ms(200);
    ami_node_free(n);
    n = open_node(dbc, "s-0001", small_ring);
    CHECK_RC(ami_node_logs(&logs, n, sid, 10));
    CHECK_INT(json_array_size(logs), 10);
    prev = 0;
    increasing = 1;
    json_array_foreach(logs, i, l) {
        int64_t ts = json_integer_value(json_object_get(l, "ts"));
        if (ts <= prev) increasing = 0;
        prev = ts;
    }
    CHECK(increasing);
    json_decref(logs);
    ami_node_free(n);
    free(sid);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    RUN(ring_store_and_prune);
    ami_shutdown();
    return check_done();
}
