/* Claim: huge or non-ASCII error messages and log lines never make a worker vanish
 * from stats or its lines vanish from the persisted logs: lastError is capped, cut
 * text stays valid UTF-8, and an oversized log line is stored truncated, saying so. */
#include "node_helpers.h"

/* The persisted log entries of sid in the node-local store (owned array). */
static json_t *stored_logs(ami_node *n, const char *sid)
{
    json_t *prefix = json_pack("[s, s, s]", "localnet", "logs", sid), *out = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    if (ami_store_list(&out, ami_node_local_store(n), &lo)) out = json_array();
    json_decref(prefix);
    return out;
}

static int stored_log_matches(ami_node *n, const char *sid, const char *needle)
{
    json_t *all = stored_logs(n, sid);
    size_t i;
    json_t *e;
    int found = 0;
    json_array_foreach(all, i, e) {
        const char *m = json_string_value(json_object_get(json_object_get(e, "value"), "msg"));
        if (m && strstr(m, needle)) found = 1;
    }
    json_decref(all);
    return found;
}

static int persisted_stats(ami_node *n, const char *sid)
{
    json_t *key = ami_key_new("ami", "stats", "s-0001", sid, NULL), *e = NULL;
    int ok = ami_store_get(&e, ami_node_store(n), key) == 0 && !json_is_null(json_object_get(e, "value"));
    json_decref(e);
    json_decref(key);
    return ok;
}

int main(void)
{
    ami_node *node = open_node(check_path("big.db"), "s-0001", NULL);
    ami_store *st = ami_node_store(node);
    REQUIRE(ami_node_start(node) == 0);
    char *huge = make_worker(st, "s-0001", "{\"scriptContent\":\"throw new Error('x'.repeat(200000));\",\"active\":true,\"priority\":\"high\"}");
    char *cjk = make_worker(st, "s-0001", "{\"scriptContent\":\"throw new Error('boom ' + '\\u65e5'.repeat(3000));\",\"active\":true,\"priority\":\"high\"}");
    char *longlog = make_worker(st, "s-0001", "{\"scriptContent\":\"logger.info('y'.repeat(100000)); await Stels.sleep(100000);\",\"active\":true}");

    CHECK(WAIT_FOR(stat_int(node, huge, "errors") >= 1 && stat_int(node, cjk, "errors") >= 1, 10000) >= 0);
    const char *le = stat_str(node, huge, "lastError");
    CHECK(le && strlen(le) <= 1024 + 3 && !strncmp(le, "Error: xxx", 10));
    /* the stats record still fits in the store */
    CHECK(WAIT_FOR(persisted_stats(node, huge) && persisted_stats(node, cjk), 5000) >= 0);
    /* the CJK error line (cut inside the node's formatting) is still logged and persisted */
    CHECK(WAIT_FOR(stored_log_matches(node, cjk, "boom \xe6\x97\xa5"), 5000) >= 0);
    /* the 100 KB line is persisted, truncated, with a note */
    CHECK(WAIT_FOR(stored_log_matches(node, longlog, "truncated for storage"), 5000) >= 0);
    free(huge);
    free(cjk);
    free(longlog);
    ami_node_free(node);
    return check_done();
}
