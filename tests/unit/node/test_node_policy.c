/* Claim: a failing worker follows the retry policy end to end — a low-priority
 * worker throwing TypeError stops after 5 consecutive critical errors (state
 * error, lastErrorType critical, active untouched, logs say why) — and the
 * stats objects have exactly the fields and JSON types of spec 003 §5's
 * example (plus state, term, nid), with its errorRate formatting. */
#include "node_helpers.h"

void ami__error_rate(char out[32], uint64_t errors, uint64_t executions);

static ami_node *node;
static ami_store *st;

static void low_priority_stops_after_five(void)
{
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"throw new TypeError('boom');\",\"active\":true,\"priority\":\"low\"}");
    CHECK(WAIT_FOR(!strcmp(stat_str(node, sid, "state"), "error"), 5000) >= 0);
    nap_ms(200);
    json_t *s = worker_stats(node, sid);
    REQUIRE(s);
    CHECK_INT(json_integer_value(json_object_get(s, "executions")), 5);
    CHECK_INT(json_integer_value(json_object_get(s, "errors")), 5);
    CHECK_INT(json_integer_value(json_object_get(s, "criticalErrors")), 5);
    CHECK_INT(json_integer_value(json_object_get(s, "networkErrors")), 0);
    CHECK_INT(json_integer_value(json_object_get(s, "consecutiveErrors")), 5);
    CHECK_STR(json_string_value(json_object_get(s, "lastErrorType")), "critical");
    CHECK(!strncmp(json_string_value(json_object_get(s, "lastError")) ? json_string_value(json_object_get(s, "lastError")) : "", "TypeError", 9));
    CHECK_STR(json_string_value(json_object_get(s, "errorRate")), "100.00%");
    CHECK(json_is_false(json_object_get(s, "isRunning")));
    CHECK(strstr(json_string_value(json_object_get(s, "stopReason")) ? json_string_value(json_object_get(s, "stopReason")) : "", "5 consecutive critical"));
    json_decref(s);
    /* active stays as the user set it */
    json_t *e = NULL;
    CHECK_RC(ami_registry_get(&e, st, sid));
    CHECK(json_is_true(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "active")));
    json_decref(e);
    /* the log says why */
    json_t *logs = NULL;
    CHECK_RC(ami_node_logs(&logs, node, sid, 0));
    int why = 0;
    size_t i;
    json_t *l;
    json_array_foreach(logs, i, l)
        if (strstr(json_string_value(json_object_get(l, "msg")), "stopped by policy")) why = 1;
    CHECK(why);
    json_decref(logs);
    /* a changed script gets a new chance */
    update_worker(st, sid, "{\"script\":\"var fixed = 1;\"}");
    CHECK(WAIT_FOR(stat_running(node, sid) && stat_int(node, sid, "consecutiveErrors") == 0, 3000) >= 0);
    update_worker(st, sid, "{\"active\":false}");
    free(sid);
}

/* JSON type of each field in spec 003 §5's example (first and third workers). */
static const char *type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER: case JSON_REAL: return "number";
    case JSON_STRING: return "string";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    default: return "other";
    }
}

static void stats_match_spec_example(void)
{
    char *ok = make_worker(st, "s-0001", "{\"scriptContent\":\"var fine = 1;\",\"active\":true,\"priority\":\"high\"}");
    CHECK(WAIT_FOR(stat_int(node, ok, "executions") >= 2, 3000) >= 0);
    json_t *spec_running = check_json("{\"sid\":\"550e8400-e29b-41d4-a716-446655440000\",\"started\":1760245826876,"
        "\"uptime\":3600000,\"executions\":10000,\"errors\":5,\"networkErrors\":3,\"criticalErrors\":2,"
        "\"consecutiveErrors\":0,\"errorRate\":\"0.05%\",\"lastError\":\"RequestTimeout: Connection timeout\","
        "\"lastErrorType\":\"network\",\"lastRun\":1760249426876,\"lastRunAgo\":150,\"scriptHash\":\"1a2b3c4d\",\"isRunning\":true}");
    json_t *all = NULL;
    CHECK_RC(ami_node_stats(&all, node));
    json_t *spec_totals = check_json("{\"totalWorkers\":3,\"runningWorkers\":2,\"stoppedWorkers\":1,\"totalExecutions\":15847,"
        "\"totalErrors\":12,\"totalNetworkErrors\":8,\"totalCriticalErrors\":4,\"workers\":[],\"timestamp\":1760249426876}");
    const char *k;
    json_t *v;
    CHECK_INT(json_object_size(all), json_object_size(spec_totals));
    json_object_foreach(spec_totals, k, v) {
        json_t *got = json_object_get(all, k);
        if (!got || (strcmp(k, "workers") && strcmp(type_of(got), type_of(v)))) {
            fprintf(stderr, "    totals field %s: %s\n", k, got ? type_of(got) : "missing");
            check_failures++;
        }
    }
    json_t *s = worker_stats(node, ok);
    REQUIRE(s);
    /* same fields as the spec, plus ours */
    CHECK_INT(json_object_size(s), json_object_size(spec_running) + 3);
    json_object_foreach(spec_running, k, v) {
        json_t *got = json_object_get(s, k);
        const char *want = type_of(v);
        /* no error yet: the error fields are null as in the spec's third worker */
        if (!strcmp(k, "lastError") || !strcmp(k, "lastErrorType")) want = "null";
        if (!got || strcmp(type_of(got), want)) {
            fprintf(stderr, "    field %s: got %s, want %s\n", k, got ? type_of(got) : "missing", want);
            check_failures++;
        }
    }
    CHECK_STR(json_string_value(json_object_get(s, "errorRate")), "0%");
    CHECK_INT(strlen(json_string_value(json_object_get(s, "scriptHash"))), 8);
    char h[9];
    ami_worker_script_hash(h, "var fine = 1;", 13);
    CHECK_STR(json_string_value(json_object_get(s, "scriptHash")), h);
    const char *state = json_string_value(json_object_get(s, "state"));
    CHECK(state && (!strcmp(state, "running") || !strcmp(state, "sleeping")));
    CHECK(json_is_null(json_object_get(s, "term")));
    CHECK_STR(json_string_value(json_object_get(s, "nid")), "s-0001");
    CHECK(json_integer_value(json_object_get(s, "lastRunAgo")) >= 0);
    CHECK(json_integer_value(json_object_get(s, "uptime")) >= 0);
    json_decref(s);
    json_decref(all);
    json_decref(spec_running);
    json_decref(spec_totals);
    update_worker(st, ok, "{\"active\":false}");
    free(ok);
}

static void error_rate_format(void)
{
    char r[32];
    ami__error_rate(r, 5, 10000);  CHECK_STR(r, "0.05%");
    ami__error_rate(r, 7, 5847);   CHECK_STR(r, "0.12%");
    ami__error_rate(r, 0, 0);      CHECK_STR(r, "0%");
    ami__error_rate(r, 0, 12);     CHECK_STR(r, "0%");
    ami__error_rate(r, 1, 3);      CHECK_STR(r, "33.33%");
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    node = open_node(check_path("ami.db"), "s-0001", NULL);
    st = ami_node_store(node);
    ami_policy p = AMI_POLICY_INIT;
    p.critical_backoff_ms = 10;
    p.critical_backoff_max_ms = 20;
    p.network_backoff_ms = 10;
    p.network_backoff_max_ms = 20;
    CHECK_RC(ami_node_set_policy(node, &p));
    CHECK_RC(ami_node_start(node));
    RUN(error_rate_format);
    RUN(low_priority_stops_after_five);
    RUN(stats_match_spec_example);
    ami_node_free(node);
    ami_shutdown();
    return check_done();
}
