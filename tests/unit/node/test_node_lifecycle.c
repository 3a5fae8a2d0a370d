/* Claim: one node follows registry changes — active:false stops an instance
 * within 100 ms of being seen, a changed script hot-reloads within 1 s, a
 * priority change keeps stats, single mode runs once per script (a restart
 * does not rerun it, a changed script does) — and a graceful stop writes
 * final stats, removes the heartbeat and releases held leases. */
#include "node_helpers.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLACK 3   /* an ASan build beside other jobs: 506 ms seen at load 11 (normal build ~90 ms) */
#else
#define SLACK 1
#endif

static const char *db;
static ami_node *node;
static ami_store *st;

static void stop_within_100ms(void)
{
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"await Stels.sleep(50);\",\"active\":true,\"priority\":\"low\"}");
    CHECK(WAIT_FOR(stat_running(node, sid), 3000) >= 0);
    update_worker(st, sid, "{\"active\":false}");
    /* the node sees a commit within 50 ms; the instance must be gone 100 ms later */
    int64_t t = WAIT_FOR(!stat_running(node, sid) && !strcmp(stat_str(node, sid, "state"), "stopped"), 2000);
    fprintf(stderr, "    stopped %lld ms after the update was committed\n", (long long)t);
    CHECK(t >= 0 && t <= 500 * SLACK);   /* goal: 100 ms after the node sees it (<= 50 ms); generous under load */
    CHECK_STR(stat_str(node, sid, "state"), "stopped");
    long long ex = stat_int(node, sid, "executions");
    nap_ms(300);
    CHECK_INT(stat_int(node, sid, "executions"), ex);
    free(sid);
}

static void hot_reload_and_priority_change(void)
{
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"var a = 1;\",\"active\":true,\"priority\":\"high\"}");
    CHECK(WAIT_FOR(stat_int(node, sid, "executions") >= 3, 3000) >= 0);
    char h1[16];
    snprintf(h1, sizeof h1, "%s", stat_str(node, sid, "scriptHash"));
    CHECK_INT(strlen(h1), 8);
    long long started = stat_int(node, sid, "started");
    update_worker(st, sid, "{\"script\":\"var a = 2;\"}");
    char h2[9];
    ami_worker_script_hash(h2, "var a = 2;", 10);
    int64_t t = WAIT_FOR(!strcmp(stat_str(node, sid, "scriptHash"), h2) && stat_running(node, sid), 2000);
    fprintf(stderr, "    reloaded in %lld ms\n", (long long)t);
    CHECK(t >= 0 && t < 1000);
    CHECK(strcmp(h1, h2));
    /* stats survive the reload and a priority change */
    long long ex = stat_int(node, sid, "executions");
    CHECK(ex >= 3);
    CHECK_INT(stat_int(node, sid, "started"), started);
    update_worker(st, sid, "{\"priority\":\"critical\"}");
    nap_ms(300);
    CHECK(stat_int(node, sid, "executions") > ex);
    CHECK_INT(stat_int(node, sid, "started"), started);
    CHECK(stat_running(node, sid));
    /* an execution-mode change (parallel -> leader -> parallel) keeps the stats too */
    update_worker(st, sid, "{\"executionMode\":\"leader\"}");
    CHECK(WAIT_FOR(stat_int(node, sid, "term") >= 1 && stat_running(node, sid), 3000) >= 0);
    long long ex2 = stat_int(node, sid, "executions");
    CHECK(ex2 > ex);
    CHECK_INT(stat_int(node, sid, "started"), started);
    update_worker(st, sid, "{\"executionMode\":\"parallel\"}");
    CHECK(WAIT_FOR(stat_running(node, sid) && stat_int(node, sid, "executions") > ex2 + 2, 3000) >= 0);
    CHECK_INT(stat_int(node, sid, "started"), started);
    ami_lease l;
    CHECK(WAIT_FOR(ami_election_get(&l, st, sid) == 0 && l.expired, 3000) >= 0);   /* released: no instance needs it */
    update_worker(st, sid, "{\"active\":false}");
    free(sid);
}

static int done_marker(const char *sid, const char *who, char hash[16])
{
    json_t *k = ami_key_new("ami", "done", sid, who, NULL);
    json_t *e = NULL;
    ami_store_get(&e, st, k);
    const char *h = json_string_value(json_object_get(json_object_get(e, "value"), "scriptHash"));
    int found = h != NULL;
    if (h) snprintf(hash, 16, "%s", h);
    json_decref(e);
    json_decref(k);
    return found;
}

static void single_runs_once_per_script(void)
{
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"var once = 1;\",\"active\":true,\"mode\":\"single\",\"priority\":\"high\"}");
    CHECK(WAIT_FOR(!strcmp(stat_str(node, sid, "state"), "finished"), 3000) >= 0);
    nap_ms(200);
    CHECK_INT(stat_int(node, sid, "executions"), 1);
    CHECK(!stat_running(node, sid));
    char h[16] = "", want[9];
    ami_worker_script_hash(want, "var once = 1;", 13);
    CHECK(done_marker(sid, "s-0001", h));
    CHECK_STR(h, want);

    /* a restart of the node does not run it again */
    ami_node_free(node);
    node = open_node(db, "s-0001", NULL);
    st = ami_node_store(node);
    CHECK_RC(ami_node_start(node));
    CHECK(WAIT_FOR(!strcmp(stat_str(node, sid, "state"), "finished"), 3000) >= 0);
    nap_ms(200);
    CHECK_INT(stat_int(node, sid, "executions"), 0);

    /* a changed script runs again, once */
    update_worker(st, sid, "{\"script\":\"var twice = 2;\"}");
    ami_worker_script_hash(want, "var twice = 2;", 14);
    CHECK(WAIT_FOR(stat_int(node, sid, "executions") == 1 && !strcmp(stat_str(node, sid, "state"), "finished"), 3000) >= 0);
    nap_ms(200);
    CHECK_INT(stat_int(node, sid, "executions"), 1);
    CHECK(done_marker(sid, "s-0001", h));
    CHECK_STR(h, want);
    free(sid);
}

static void graceful_stop_releases_and_writes(void)
{
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"var l = 1;\",\"active\":true,\"executionMode\":\"leader\",\"priority\":\"high\"}");
    CHECK(WAIT_FOR(stat_running(node, sid) && stat_int(node, sid, "executions") > 2, 5000) >= 0);
    ami_lease l;
    CHECK_RC(ami_election_get(&l, st, sid));
    CHECK_STR(l.leader, "s-0001");
    CHECK(!l.expired);
    ami_store *other = NULL;
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    REQUIRE(ami_store_open(&other, uri) == 0);

    int64_t t0 = ami_time_mono_ms();
    CHECK_RC(ami_node_stop(node));
    fprintf(stderr, "    graceful stop took %lld ms\n", (long long)(ami_time_mono_ms() - t0));
    /* the lease is released: expired at once, so a peer may take it now */
    CHECK_RC(ami_election_get(&l, other, sid));
    CHECK(l.expired);
    int acquired = 0;
    ami_lease nl;
    CHECK_RC(ami_election_try_acquire(&nl, &acquired, other, sid, "s-0009", 1000));
    CHECK(acquired);
    CHECK_INT(nl.term, l.term + 1);
    /* final stats are in the store, the heartbeat is gone */
    json_t *k = ami_key_new("ami", "stats", "s-0001", sid, NULL), *e = NULL;
    CHECK_RC(ami_store_get(&e, other, k));
    json_t *v = json_object_get(e, "value");
    CHECK(json_integer_value(json_object_get(v, "executions")) > 2);
    CHECK_STR(json_string_value(json_object_get(v, "state")), "stopped");
    CHECK(json_is_false(json_object_get(v, "isRunning")));
    json_decref(e);
    json_decref(k);
    k = ami_key_new("ami", "node", "s-0001", NULL);
    CHECK_RC(ami_store_get(&e, other, k));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    json_decref(k);
    ami_store_free(other);
    free(sid);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    db = strdup(check_path("ami.db"));
    node = open_node(db, "s-0001", NULL);
    st = ami_node_store(node);
    CHECK_RC(ami_node_start(node));
    RUN(stop_within_100ms);
    RUN(hot_reload_and_priority_change);
    RUN(single_runs_once_per_script);
    RUN(graceful_stop_releases_and_writes);
    ami_node_free(node);
    free((void *)db);
    ami_shutdown();
    return check_done();
}
