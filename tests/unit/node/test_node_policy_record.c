/* Claim: a worker stopped by the error policy is recorded as such — its record
 * gets stoppedByPolicy {reason, at, nid} (active untouched) and its stats state
 * reads "error" — a node restarted on the same store does not run it again,
 * and setting active:true (amictl start) clears the mark and runs it again. */
#include "node_helpers.h"
#include "ami/registry.h"

static ami_store *st;

static void fast_policy(ami_node *n)
{
    ami_policy p = AMI_POLICY_INIT;
    p.critical_backoff_ms = 10;
    p.critical_backoff_max_ms = 20;
    CHECK_RC(ami_node_set_policy(n, &p));
}

/* The record's stoppedByPolicy (owned) or NULL. */
static json_t *policy_mark(const char *sid)
{
    json_t *e = NULL;
    if (ami_registry_get(&e, st, sid)) return NULL;
    json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
    json_t *m = json_object_get(raw, "stoppedByPolicy");
    if (m) json_incref(m);
    json_decref(e);
    return m;
}

static int has_mark(const char *sid) { json_t *m = policy_mark(sid); int r = m != NULL; json_decref(m); return r; }

static int record_active(const char *sid)
{
    json_t *e = NULL;
    if (ami_registry_get(&e, st, sid)) return -1;
    int r = json_is_true(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "active"));
    json_decref(e);
    return r;
}

static void stays_stopped_until_started(void)
{
    const char *db = check_path("ami.db");
    ami_node *node = open_node(db, "s-0001", NULL);
    st = ami_node_store(node);
    fast_policy(node);
    CHECK_RC(ami_node_start(node));
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"throw new TypeError('boom');\",\"active\":true,\"priority\":\"low\"}");
    CHECK(WAIT_FOR(has_mark(sid), 5000) >= 0);
    json_t *m = policy_mark(sid);
    REQUIRE(m);
    const char *reason = json_string_value(json_object_get(m, "reason"));
    CHECK(reason && strstr(reason, "5 consecutive critical"));
    CHECK_STR(json_string_value(json_object_get(m, "nid")), "s-0001");
    CHECK(json_integer_value(json_object_get(m, "at")) > 0);
    json_decref(m);
    CHECK_INT(record_active(sid), 1);   /* active stays as the user set it */
    CHECK(WAIT_FOR(!strcmp(stat_str(node, sid, "state"), "error"), 2000) >= 0);
    CHECK(strstr(stat_str(node, sid, "stopReason"), "5 consecutive critical") != NULL);
    ami_node_free(node);

    /* a restarted node does not run it */
    node = open_node(db, "s-0001", NULL);
    st = ami_node_store(node);
    fast_policy(node);
    CHECK_RC(ami_node_start(node));
    nap_ms(1000);
    CHECK(!stat_running(node, sid));
    CHECK(stat_int(node, sid, "executions") <= 0);
    CHECK(has_mark(sid));

    /* amictl start (active:true) clears the mark and runs it again */
    json_t *e = NULL;
    CHECK_RC(ami_registry_set_active(&e, st, sid, 1));
    json_decref(e);
    CHECK(!has_mark(sid) || stat_int(node, sid, "executions") > 0);
    CHECK(WAIT_FOR(stat_int(node, sid, "executions") >= 1, 3000) >= 0);
    /* and the policy stops it again, recorded again */
    CHECK(WAIT_FOR(has_mark(sid), 5000) >= 0);
    update_worker(st, sid, "{\"active\":false}");
    ami_node_free(node);
    free(sid);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    RUN(stays_stopped_until_started);
    ami_shutdown();
    return check_done();
}
