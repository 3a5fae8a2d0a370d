/* Claim: a leader single-mode worker runs once per cluster — the next leader
 * sees the cluster-wide done marker and does not run it again — and when its
 * leader goes away mid-run (no marker), the next leader runs it. */
#include "node_helpers.h"

static const char *db;

static void quick_stop(ami_node_options *o) { o->graceful_shutdown_ms = 50; }

static int marker(ami_store *st, const char *sid, const char *who)
{
    json_t *k = ami_key_new("ami", "done", sid, who, NULL), *e = NULL;
    ami_store_get(&e, st, k);
    int found = json_is_object(json_object_get(e, "value"));
    json_decref(e);
    json_decref(k);
    return found;
}

static long long runs(ami_store *st, const char *sid)
{
    json_t *prefix = ami_key_new("runs", sid, NULL), *list = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    ami_store_list(&list, st, &lo);
    long long n = (long long)json_array_size(list);
    json_decref(list);
    json_decref(prefix);
    return n;
}

static void once_per_cluster(void)
{
    ami_node *a = open_node(db, "s-0001", quick_stop), *b = open_node(db, "s-0002", quick_stop);
    ami_store *st = ami_node_store(a);
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"Stels.net.set(['runs', Stels.config.sid, Stels.config.nid + '-' + Date.now()], 1);\","
                                          "\"active\":true,\"mode\":\"single\",\"executionMode\":\"leader\",\"priority\":\"high\"}");
    CHECK_RC(ami_node_start(a));
    CHECK(WAIT_FOR(marker(st, sid, "*"), 5000) >= 0);
    CHECK(marker(st, sid, "s-0001"));
    CHECK_INT(runs(st, sid), 1);
    /* a handover to b: b leads, sees the cluster marker, does not run it */
    CHECK_RC(ami_node_start(b));
    ami_node_stop(a);
    ami_lease l;
    CHECK(WAIT_FOR(ami_election_get(&l, st, sid) == 0 && !l.expired && !strcmp(l.leader, "s-0002"), 5000) >= 0);
    CHECK(WAIT_FOR(!strcmp(stat_str(b, sid, "state"), "finished"), 3000) >= 0);
    nap_ms(200);
    CHECK_INT(runs(st, sid), 1);
    CHECK_INT(stat_int(b, sid, "executions"), 0);
    ami_node_free(a);
    ami_node_free(b);
    free(sid);
}

static void leader_gone_mid_run(void)
{
    ami_node *a = open_node(db, "s-0001", quick_stop), *b = open_node(db, "s-0002", quick_stop);
    ami_store *st = ami_node_store(a);
    /* on s-0001 the run takes long; on s-0002 it finishes at once */
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"if (Stels.config.nid === 's-0001') await Stels.sleep(30000); "
                                          "Stels.net.set(['runs', Stels.config.sid, Stels.config.nid], 1);\","
                                          "\"active\":true,\"mode\":\"single\",\"executionMode\":\"leader\",\"priority\":\"high\"}");
    CHECK_RC(ami_node_start(a));
    CHECK(WAIT_FOR(stat_running(a, sid), 5000) >= 0);
    nap_ms(200);
    CHECK(!marker(st, sid, "*"));
    CHECK_RC(ami_node_start(b));
    ami_node_stop(a);   /* interrupted mid-run: s-0001 leaves no marker (b may already have run it: handoff is at once) */
    CHECK(WAIT_FOR(marker(st, sid, "*"), 5000) >= 0);
    CHECK(marker(st, sid, "s-0002"));
    CHECK(!marker(st, sid, "s-0001"));
    CHECK_INT(runs(st, sid), 1);
    CHECK_INT(stat_int(b, sid, "executions"), 1);
    ami_node_free(a);
    ami_node_free(b);
    free(sid);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    db = strdup(check_path("ami.db"));
    RUN(once_per_cluster);
    RUN(leader_gone_mid_run);
    free((void *)db);
    ami_shutdown();
    return check_done();
}
