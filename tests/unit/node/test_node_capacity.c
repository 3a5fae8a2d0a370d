/* Claim: a node runs at most `capacity` instances; due workers past it wait
 * (state waiting-capacity) and start by priority when room frees up, and a
 * critical worker displaces the lowest-priority running one. */
#include "node_helpers.h"

static ami_node *node;
static ami_store *st;

static void cap2(ami_node_options *o) { o->capacity = 2; }

static const char *state(const char *sid) { return stat_str(node, sid, "state"); }

static void capacity_and_displacement(void)
{
    const char *low = "{\"scriptContent\":\"var x = 1;\",\"active\":true,\"priority\":\"low\"}";
    const char *high = "{\"scriptContent\":\"var x = 1;\",\"active\":true,\"priority\":\"high\"}";
    char *l1 = make_worker(st, "s-0001", high);
    char *l2 = make_worker(st, "s-0001", low);
    CHECK(WAIT_FOR(stat_running(node, l1) && stat_running(node, l2), 3000) >= 0);

    /* a normal one does not displace anybody: it waits */
    char *n1 = make_worker(st, "s-0001", "{\"scriptContent\":\"var x = 1;\",\"active\":true,\"priority\":\"normal\"}");
    CHECK(WAIT_FOR(!strcmp(state(n1), "waiting-capacity"), 3000) >= 0);
    CHECK(!stat_running(node, n1));
    CHECK(stat_running(node, l1) && stat_running(node, l2));

    /* a critical one displaces the lowest priority (l2), which then waits */
    char *c1 = make_worker(st, "s-0001", "{\"scriptContent\":\"var x = 1;\",\"active\":true,\"priority\":\"critical\"}");
    CHECK(WAIT_FOR(stat_running(node, c1), 3000) >= 0);
    CHECK(WAIT_FOR(!strcmp(state(l2), "waiting-capacity"), 3000) >= 0);
    CHECK(stat_running(node, l1));
    CHECK(!stat_running(node, l2));
    CHECK(!stat_running(node, n1));
    json_t *all = NULL;
    CHECK_RC(ami_node_stats(&all, node));
    CHECK_INT(json_integer_value(json_object_get(all, "runningWorkers")), 2);
    json_decref(all);

    /* room frees up: the waiting normal one goes before the waiting low one */
    update_worker(st, l1, "{\"active\":false}");
    CHECK(WAIT_FOR(stat_running(node, n1), 3000) >= 0);
    CHECK(!stat_running(node, l2));
    CHECK_STR(state(l2), "waiting-capacity");
    free(l1); free(l2); free(n1); free(c1);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    node = open_node(check_path("ami.db"), "s-0001", cap2);
    st = ami_node_store(node);
    CHECK_RC(ami_node_start(node));
    RUN(capacity_and_displacement);
    ami_node_free(node);
    ami_shutdown();
    return check_done();
}
