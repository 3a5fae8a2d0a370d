/* Claim: every Stels.net mutation goes through the host's guard before it is
 * committed (Stels.local ones do not); when a check the guard added fails, the
 * script gets LeaseLost, nothing is written and the instance stays stopped. */
#include "rt.h"

static ami_store *net, *local;

typedef struct {
    int calls;
    json_t *lease_key;
    char vs[AMI_VERSIONSTAMP_LEN + 1];   /* the versionstamp the guard requires */
} guard_state;

static int guard(ami_atomic *batch, void *payload)
{
    guard_state *g = payload;
    if (!batch) return 0;   /* after a conflict: the tenure is over */
    g->calls++;
    return ami_atomic_check(batch, g->lease_key, g->vs) == 0 ? 1 : -1;
}

static ami_runtime *make(const char *script, guard_state *g)
{
    json_t *w = rt_worker("sid-guard", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.net_guard = guard;
    o.guard_payload = g;
    o.term = 3;
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    return inst;
}

static void guarded_writes_commit_while_the_lease_holds(void)
{
    guard_state g = { 0, ami_key_new("ami", "leader", "sid-guard", NULL), "" };
    json_t *lease = check_json("{\"leader\":\"node-1\",\"term\":3}");
    REQUIRE(ami_store_set(net, g.lease_key, lease, 0, g.vs) == 0);
    ami_runtime *inst = make("Stels.net.set(['g', 1], 'a'); Stels.net.delete(['g', 2]);\n"
                             "Stels.webfix({brain: Stels.net, method: 'set', channel: 'g.3', module: 'm', raw: 1});\n"
                             "Stels.local.set(['g', 4], 'local is not guarded');\n"
                             "Stels.net.get(['g', 1]); Stels.net.list({prefix: ['g']});", &g);
    CHECK_RC(ami_runtime_run(inst, NULL));
    CHECK_INT(g.calls, 3);
    json_t *e = rt_get(net, "[\"g\",1]");
    CHECK_STR(json_string_value(json_object_get(json_object_get(e, "value"), "raw")), "a");
    json_decref(e);
    ami_runtime_free(inst);
    json_decref(lease);
    json_decref(g.lease_key);
}

static void lost_lease_stops_the_instance(void)
{
    guard_state g = { 0, ami_key_new("ami", "leader", "sid-guard2", NULL), "" };
    json_t *lease = check_json("{\"leader\":\"node-1\",\"term\":3}");
    REQUIRE(ami_store_set(net, g.lease_key, lease, 0, g.vs) == 0);
    ami_runtime *inst = make("Stels.net.set(['lost', 'before'], 1);\n"
                             "try { Stels.net.set(['lost', 'after'], 2); } catch (e) { Stels.local.set(['caught'], e.name); }\n"
                             "Stels.net.set(['lost', 'again'], 3);", &g);
    /* another node takes the lease between the two writes: simulate by moving it now
     * and letting the first write fail instead */
    ami_versionstamp newer;
    REQUIRE(ami_store_set(net, g.lease_key, lease, 0, newer) == 0);
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), AMI_ELEASE);
    CHECK_STR(res.name, "LeaseLost");
    CHECK_INT(res.line, 1);
    ami_runtime_result_dispose(&res);
    CHECK(ami_runtime_stop_requested(inst));
    /* nothing was written, and the catch block could not write either */
    json_t *e = rt_get(net, "[\"lost\",\"before\"]");
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    e = rt_get(local, "[\"caught\"]");
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    /* later runs are refused until the host resets the stop */
    CHECK_INT(ami_runtime_run(inst, &res), AMI_ELEASE);
    CHECK_STR(res.name, "LeaseLost");
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
    json_decref(lease);
    json_decref(g.lease_key);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(guarded_writes_commit_while_the_lease_holds);
    RUN(lost_lease_stops_the_instance);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
