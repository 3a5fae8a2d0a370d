/* Claim: with three nodes on one store, a parallel worker runs on all three, an
 * exclusive one only on its assigned node, a leader one on exactly one (the
 * lease holder), a local-scope one only on its origin node; inactive ones nowhere. */
#include "node_helpers.h"

static const char *db;
static ami_node *nodes[3];
static const char *nids[3] = { "s-0001", "s-0002", "s-0003" };
static char *par, *exc, *lead, *loc, *off;

static int runs_on(int i, const char *sid) { return stat_running(nodes[i], sid) && stat_int(nodes[i], sid, "executions") > 0; }

static int count_running(const char *sid)
{
    int n = 0;
    for (int i = 0; i < 3; i++) n += runs_on(i, sid);
    return n;
}

static void parallel_runs_everywhere(void)
{
    CHECK(WAIT_FOR(count_running(par) == 3, 5000) >= 0);
}

static void exclusive_runs_on_its_node(void)
{
    CHECK(WAIT_FOR(runs_on(1, exc), 5000) >= 0);
    CHECK(!runs_on(0, exc));
    CHECK(!runs_on(2, exc));
    CHECK(worker_stats(nodes[0], exc) == NULL);
}

/* Exactly one node runs it, and that node is the one the lease names. */
static int one_leader_matches_lease(void)
{
    if (count_running(lead) != 1) return 0;
    json_t *info = NULL;
    if (ami_node_leader_info(&info, nodes[0], lead)) return 0;
    const char *leader = json_string_value(json_object_get(info, "leader"));
    int ok = leader != NULL;
    for (int i = 0; ok && i < 3; i++) ok = runs_on(i, lead) == !strcmp(leader, nids[i]);
    json_decref(info);
    return ok;
}

static void leader_runs_on_exactly_one(void)
{
    CHECK(WAIT_FOR(count_running(lead) == 1, 5000) >= 0);
    nap_ms(600);   /* past a couple of renewals: still one */
    CHECK(WAIT_FOR(one_leader_matches_lease(), 3000) >= 0);
    for (int i = 0; i < 3; i++)
        if (runs_on(i, lead)) {
            json_t *s = worker_stats(nodes[i], lead);
            CHECK(json_integer_value(json_object_get(s, "term")) >= 1);
            CHECK_STR(json_string_value(json_object_get(s, "nid")), nids[i]);
            json_decref(s);
        }
}

static void local_scope_runs_on_origin_only(void)
{
    CHECK(WAIT_FOR(runs_on(2, loc), 5000) >= 0);
    CHECK(!runs_on(0, loc));
    CHECK(!runs_on(1, loc));
}

static void inactive_runs_nowhere(void)
{
    for (int i = 0; i < 3; i++) CHECK(worker_stats(nodes[i], off) == NULL);
}

static void heartbeats_list_live_nodes(void)
{
    json_t *list = NULL;
    CHECK_RC(ami_node_list(&list, ami_node_store(nodes[0])));
    CHECK_INT(json_array_size(list), 3);
    json_t *hb = json_array_get(list, 0);
    CHECK_STR(json_string_value(json_object_get(hb, "network")), "localnet");
    CHECK(json_integer_value(json_object_get(hb, "capacity")) == 1024);
    CHECK(json_integer_value(json_object_get(hb, "heartbeatAt")) >= json_integer_value(json_object_get(hb, "startedAt")));
    json_decref(list);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    db = strdup(check_path("ami.db"));
    for (int i = 0; i < 3; i++) nodes[i] = open_node(db, nids[i], NULL);
    ami_store *st = ami_node_store(nodes[0]);
    const char *js = "Stels.net.set(['seen', Stels.config.sid, Stels.config.nid], {t: Date.now()});";
    char body[1024];
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\"}", js);
    par = make_worker(st, "s-0001", body);
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\",\"executionMode\":\"exclusive\",\"assignedNode\":\"s-0002\"}", js);
    exc = make_worker(st, "s-0001", body);
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\",\"executionMode\":\"leader\"}", js);
    lead = make_worker(st, "s-0001", body);
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"priority\":\"high\",\"scope\":\"local\"}", js);
    loc = make_worker(st, "s-0003", body);
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"priority\":\"high\"}", js);
    off = make_worker(st, "s-0001", body);
    for (int i = 0; i < 3; i++) CHECK_RC(ami_node_start(nodes[i]));

    RUN(parallel_runs_everywhere);
    RUN(exclusive_runs_on_its_node);
    RUN(leader_runs_on_exactly_one);
    RUN(local_scope_runs_on_origin_only);
    RUN(inactive_runs_nowhere);
    RUN(heartbeats_list_live_nodes);

    for (int i = 0; i < 3; i++) ami_node_free(nodes[i]);
    free(par); free(exc); free(lead); free(loc); free(off);
    free((void *)db);
    ami_shutdown();
    return check_done();
}
