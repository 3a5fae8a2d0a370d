/* Claim: a worker script that recurses deeply inside Duktape's C code (nested
 * RegExp groups, eval of deeply nested literals) fails with an error on a node
 * worker thread instead of overflowing the thread's stack and killing the node. */
#include "node_helpers.h"

int main(void)
{
    ami_node *node = open_node(check_path("stack.db"), "s-0001", NULL);
    ami_store *st = ami_node_store(node);
    REQUIRE(ami_node_start(node) == 0);
    char *re = make_worker(st, "s-0001", "{\"scriptContent\":\"new RegExp(Array(3001).join('(') + Array(3001).join(')'));\",\"active\":true,\"priority\":\"high\"}");
    char *ev = make_worker(st, "s-0001", "{\"scriptContent\":\"eval(Array(3001).join('['));\",\"active\":true,\"priority\":\"high\"}");
    char *ok = make_worker(st, "s-0001", "{\"scriptContent\":\"var x = 1;\",\"active\":true,\"priority\":\"high\"}");
    /* Both ran again and again (the process survived each run); the eval one fails with a RangeError. */
    CHECK(WAIT_FOR(stat_int(node, re, "executions") >= 3 && stat_int(node, ev, "errors") >= 2, 10000) >= 0);
    CHECK(!strncmp(stat_str(node, ev, "lastError"), "RangeError", 10));
    CHECK(WAIT_FOR(stat_int(node, ok, "executions") >= 5, 5000) >= 0);
    CHECK_INT(stat_int(node, ok, "errors"), 0);
    free(re);
    free(ev);
    free(ok);
    ami_node_free(node);
    return check_done();
}
