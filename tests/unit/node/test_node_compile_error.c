/* Claim: a worker record whose script does not compile (written around the registry,
 * which refuses it) fails on the node as a critical error whose lastError is
 * "SyntaxError: <reason> (line L, column C)", built from the compile error's fields. */
#include "node_helpers.h"

int main(void)
{
    ami_node *node = open_node(check_path("compile.db"), "s-0001", NULL);
    ami_store *st = ami_node_store(node);
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"var a = 1;\",\"active\":true,\"priority\":\"high\"}");
    /* the registry would refuse this script: write the record straight into the store */
    json_t *key = ami_key_new("ami", "worker", sid, NULL), *entry = NULL;
    REQUIRE(ami_store_get(&entry, st, key) == 0);
    json_t *value = json_deep_copy(json_object_get(entry, "value"));
    json_object_set_new(json_object_get(value, "raw"), "script", json_string("var a = 1;\nvar b = (;\n"));
    ami_versionstamp vs;
    REQUIRE(ami_store_set(st, key, value, 0, vs) == 0);
    REQUIRE(ami_node_start(node) == 0);
    CHECK(WAIT_FOR(stat_int(node, sid, "errors") >= 1, 10000) >= 0);
    CHECK_STR(stat_str(node, sid, "lastError"), "SyntaxError: Unexpected token ';' (line 2, column 10)");
    json_t *s = worker_stats(node, sid);
    CHECK_STR(json_string_value(json_object_get(s, "lastErrorType")), "critical");
    json_decref(s);
    json_decref(value);
    json_decref(entry);
    json_decref(key);
    free(sid);
    ami_node_free(node);
    return check_done();
}
