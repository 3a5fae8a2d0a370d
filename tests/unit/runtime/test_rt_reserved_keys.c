/* Claim: a script cannot write or delete the system key space ["ami", …] of the
 * shared store (worker records, leases, heartbeats, stats) — directly or through
 * Stels.webfix — but may read it; the node-local store and other keys are free. */
#include "rt.h"

int main(void)
{
    ami_store *net = NULL, *local = NULL;
    rt_stores(&net, &local);
    json_t *key = check_json("[\"ami\",\"worker\",\"existing\"]"), *val = check_json("{\"raw\":{\"active\":false}}");
    REQUIRE(ami_store_set(net, key, val, 0, NULL) == 0);
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    const char *script =
        RT_EQ_JS
        "var denied = 0;\n"
        "function tryit(f) { try { f(); } catch (e) { if (e.name === 'PermissionDenied') denied++; else throw e; } }\n"
        "tryit(function () { Stels.net.set(['ami','worker','evil'], {sid:'evil', active:true, script:'1'}); });\n"
        "tryit(function () { Stels.net.delete(['ami','worker','existing']); });\n"
        "tryit(function () { Stels.net.set(['ami','leader','x'], {leader:'me', term: 99}); });\n"
        "tryit(function () { Stels.webfix({brain: Stels.net, method: 'set', channel: 'ami.worker.evil2', module: 'worker', raw: {}}); });\n"
        "eq(denied, 4, 'denied writes');\n"
        "eq((await Stels.net.get(['ami','worker','existing'])).value.raw.active, false, 'reads allowed');\n"
        "Stels.local.set(['ami','mine'], 1);\n"
        "Stels.net.set(['amigo'], 2);\n"
        "Stels.net.set(['data','ami'], 3);\n";
    CHECK_RC(rt_run(net, local, script, NULL, &res));
    ami_runtime_result_dispose(&res);
    json_t *e = rt_get(net, "[\"ami\",\"worker\",\"evil\"]");
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    e = rt_get(net, "[\"ami\",\"worker\",\"evil2\"]");
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    e = rt_get(net, "[\"ami\",\"worker\",\"existing\"]");
    CHECK(!json_is_null(json_object_get(e, "value")));
    json_decref(e);
    e = rt_get(net, "[\"amigo\"]");
    CHECK(!json_is_null(json_object_get(e, "value")));
    json_decref(e);
    e = rt_get(local, "[\"ami\",\"mine\"]");
    CHECK(!json_is_null(json_object_get(e, "value")));
    json_decref(e);
    json_decref(key);
    json_decref(val);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
