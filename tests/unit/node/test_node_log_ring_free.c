/* Claim: a worker's log ring that the byte limit has turned before it was
 * full (60 KB lines: ~70 fit in the 4 MiB, the ring has 1,000 slots) keeps
 * the newest lines in order, and freeing the node frees each kept line once —
 * no invalid or double free (found by `make torture`: amid aborted with
 * "free(): invalid size" at SIGTERM after a 60 KB-line log flood). */
#include "node_helpers.h"

static void no_budget(ami_node_options *o)
{
    o->log_lines_per_s = -1;
    o->log_bytes_per_s = -1;
}

static void turned_ring_frees_once(void)
{
    ami_node *n = open_node(check_path("ami.db"), "s-0001", no_budget);
    char *sid = make_worker(ami_node_store(n), "s-0001",
                            "{\"scriptContent\":\"const s = 'x'.repeat(60000);\\n"
                            "for (let i = 0; i < 150; i++) logger.info(s + i);\","
                            "\"active\":true,\"mode\":\"single\",\"priority\":\"critical\"}");
    CHECK_RC(ami_node_start(n));
    CHECK(WAIT_FOR(stat_int(n, sid, "executions") >= 1, 20000) >= 0);
    json_t *logs = NULL;
    CHECK_RC(ami_node_logs(&logs, n, sid, 0));
    size_t k = json_array_size(logs);
    fprintf(stderr, "    %zu lines of 60 KB kept in the ring\n", k);
    CHECK(k > 10 && k < 150);   /* the byte limit turned the ring before its 1,000 slots were used */
    const char *last = json_string_value(json_object_get(json_array_get(logs, k ? k - 1 : 0), "msg"));
    CHECK(last && strlen(last) >= 3 && !strcmp(last + strlen(last) - 3, "149"));
    json_decref(logs);
    ami_node_free(n);   /* frees the ring: under ASan an invalid or double free fails here */
    free(sid);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    RUN(turned_ring_frees_once);
    ami_shutdown();
    return check_done();
}
