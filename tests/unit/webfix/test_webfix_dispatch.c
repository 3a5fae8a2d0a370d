/* Claim: the WebFIX dispatcher answers every method with spec 003's shapes and
 * error texts, and rejects malformed requests with 400/404/409/413 as documented
 * (no transport; open mode, so no session is needed). */
#include <unistd.h>
#include "check.h"

static ami_store *store, *local;
static ami_webfix *wf;

static json_t *call(const char *method, const char *body, int *status)
{
    char req[4096];
    snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"%s\",\"params\":[]%s%s}", method, body ? ",\"body\":" : "",
             body ? body : "");
    ami_buf out = AMI_BUF_INIT;
    REQUIRE(ami_webfix_handle(wf, req, strlen(req), NULL, status, &out) == 0);
    json_t *j = check_json(out.ptr);
    ami_buf_dispose(&out);
    return j;
}

static json_t *raw_call(const char *text, int *status)
{
    ami_buf out = AMI_BUF_INIT;
    REQUIRE(ami_webfix_handle(wf, text, strlen(text), NULL, status, &out) == 0);
    json_t *j = check_json(out.ptr);
    ami_buf_dispose(&out);
    return j;
}

static const char *errmsg(json_t *j)
{
    json_t *e = json_object_get(j, "error");
    return json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
}

static int is_vs(json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 20) return 0;
    for (; *s; s++) if (!strchr("0123456789abcdef", *s)) return 0;
    return 1;
}

static char sid1[64];

/* Compare with expected JSON text (freed here). */
#define CHECK_JSON_TEXT(j, text) do { json_t *e_ = check_json(text); CHECK_JSON_EQ((j), e_); json_decref(e_); } while (0)

/* The entry of spec 003 §1: key, value {channel, module, widget, raw{…}, timestamp}, versionstamp. */
static void check_entry_shape(json_t *e, const char *sid)
{
    json_t *key = json_object_get(e, "key"), *v = json_object_get(e, "value");
    CHECK(json_array_size(key) == 3);
    CHECK_STR(json_string_value(json_array_get(key, 0)), "ami");
    CHECK_STR(json_string_value(json_array_get(key, 1)), "worker");
    CHECK_STR(json_string_value(json_array_get(key, 2)), sid);
    char ch[128];
    snprintf(ch, sizeof ch, "ami.worker.%s", sid);
    CHECK_STR(json_string_value(json_object_get(v, "channel")), ch);
    CHECK_STR(json_string_value(json_object_get(v, "module")), "worker");
    CHECK(json_is_string(json_object_get(v, "widget")));
    CHECK(json_is_integer(json_object_get(v, "timestamp")));
    CHECK(is_vs(json_object_get(e, "versionstamp")));
    json_t *raw = json_object_get(v, "raw");
    static const char *strs[] = { "sid", "nid", "mode", "executionMode", "priority", "note", "script", "version" };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        if (!json_is_string(json_object_get(raw, strs[i]))) { fprintf(stderr, "raw.%s not a string\n", strs[i]); CHECK(0); }
    }
    CHECK(json_is_boolean(json_object_get(raw, "active")));
    CHECK(json_is_array(json_object_get(raw, "dependencies")));
    CHECK(json_is_integer(json_object_get(raw, "timestamp")));
    CHECK(json_object_get(raw, "accountId") != NULL);
    CHECK(json_object_get(raw, "assignedNode") != NULL);
}

static void envelope_errors(void)
{
    int st;
    json_t *j = raw_call("{\"webfix\":\"1.0\",", &st);
    CHECK_INT(st, 400);
    CHECK_STR(json_string_value(json_object_get(j, "webfix")), "1.0");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "error"), "code")), 400);
    CHECK(strstr(errmsg(j), "malformed JSON"));
    json_decref(j);
    /* malformed with bytes that are not UTF-8 near the error (a fuzz_webfix finding): still a 400 */
    j = raw_call("\"`\\\\\\\\\\\xee\xa4\xa2\\\xcf\\\\\\\\\\\xab}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "malformed JSON"));
    json_decref(j);
    j = raw_call("[1,2]", &st);
    CHECK_INT(st, 400);
    json_decref(j);
    j = raw_call("{\"method\":\"listWorkers\"}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "webfix"));
    json_decref(j);
    j = raw_call("{\"webfix\":\"2.0\",\"method\":\"listWorkers\"}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "\"webfix\" must be \"1.0\""));
    json_decref(j);
    j = raw_call("{\"webfix\":\"1.0\",\"method\":7}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "method"));
    json_decref(j);
    j = raw_call("{\"webfix\":\"1.0\",\"method\":\"listWorkers\",\"params\":{}}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "params"));
    json_decref(j);
    /* Unknown method: spec 003's exact envelope. */
    j = raw_call("{\"webfix\":\"1.0\",\"method\":\"noSuchMethod\"}", &st);
    CHECK_INT(st, 404);
    CHECK_JSON_TEXT(j, "{\"webfix\":\"1.0\",\"error\":{\"code\":13,\"message\":\"WebFIX method not found\"}}");
    json_decref(j);
    j = call("listWorkers", "[1]", &st);
    CHECK_INT(st, 400);
    CHECK_STR(errmsg(j), "Invalid request body: body must be an object");
    json_decref(j);
    /* Over 1 MiB: 413 before parsing. */
    size_t n = AMI_WEBFIX_MAX_BODY + 10;
    char *big = malloc(n);
    memset(big, ' ', n);
    ami_buf out = AMI_BUF_INIT;
    CHECK_RC(ami_webfix_handle(wf, big, n, NULL, &st, &out));
    CHECK_INT(st, 413);
    CHECK(out.ptr && strstr(out.ptr, "too large"));
    ami_buf_dispose(&out);
    free(big);
}

static void set_worker(void)
{
    int st;
    json_t *j = call("setWorker", "{\"scriptContent\":\"logger.info('Hello from worker!');\",\"dependencies\":[\"gliesereum\"],"
                                  "\"version\":\"1.19.2\",\"executionMode\":\"parallel\",\"priority\":\"normal\","
                                  "\"accountId\":\"account-uuid\"}", &st);
    CHECK_INT(st, 200);
    const char *sid = json_string_value(json_object_get(json_object_get(json_object_get(j, "value"), "raw"), "sid"));
    REQUIRE(sid);
    snprintf(sid1, sizeof sid1, "%s", sid);
    check_entry_shape(j, sid1);
    json_t *raw = json_object_get(json_object_get(j, "value"), "raw");
    CHECK_STR(json_string_value(json_object_get(raw, "nid")), "s-0001");
    CHECK(json_is_false(json_object_get(raw, "active")));
    CHECK_STR(json_string_value(json_object_get(raw, "mode")), "loop");
    CHECK_STR(json_string_value(json_object_get(raw, "accountId")), "account-uuid");
    CHECK(json_is_null(json_object_get(raw, "assignedNode")));
    CHECK_STR(json_string_value(json_object_get(raw, "script")), "logger.info('Hello from worker!');");
    json_decref(j);

    j = call("setWorker", "{\"executionMode\":\"exclusive\"}", &st);
    CHECK_INT(st, 400);
    CHECK_JSON_TEXT(j, "{\"error\":\"Exclusive mode requires assignedNode parameter\"}");
    json_decref(j);
    j = call("setWorker", "{\"scriptContent\":\"\"}", &st);
    CHECK_INT(st, 400);
    CHECK(!strncmp(errmsg(j), "Invalid script content", 22));
    json_decref(j);
    /* Wrong types name the field. */
    j = call("setWorker", "{\"dependencies\":\"gliesereum\"}", &st);
    CHECK_INT(st, 400);
    CHECK_STR(errmsg(j), "Invalid request body: dependencies must be an array of strings");
    json_decref(j);
    j = call("setWorker", "{\"active\":\"yes\"}", &st);
    CHECK_INT(st, 400);
    CHECK_STR(errmsg(j), "Invalid request body: active must be a boolean");
    json_decref(j);
}

static void list_get_update_delete(void)
{
    int st;
    json_t *j = call("listWorkers", NULL, &st);
    CHECK_INT(st, 200);
    json_t *again = call("listWorkers", NULL, &st);   /* cached */
    CHECK_JSON_EQ(again, j);
    json_decref(again);
    CHECK_INT(json_array_size(j), 1);
    check_entry_shape(json_array_get(j, 0), sid1);
    char vs[32];
    snprintf(vs, sizeof vs, "%s", json_string_value(json_object_get(json_array_get(j, 0), "versionstamp")));
    json_decref(j);

    char body[512];
    snprintf(body, sizeof body, "{\"sid\":\"%s\"}", sid1);
    j = call("getWorker", body, &st);
    CHECK_INT(st, 200);
    check_entry_shape(j, sid1);
    json_decref(j);
    j = call("getWorker", "{\"sid\":\"nope\"}", &st);
    CHECK_INT(st, 404);
    CHECK_STR(errmsg(j), "Worker not found");
    json_decref(j);

    /* Partial update with the versionstamp just read. */
    snprintf(body, sizeof body, "{\"channel\":\"ami.worker.%s\",\"raw\":{\"active\":true,\"priority\":\"high\"},\"versionstamp\":\"%s\"}",
             sid1, vs);
    j = call("updateWorker", body, &st);
    CHECK_INT(st, 200);
    check_entry_shape(j, sid1);
    json_t *raw = json_object_get(json_object_get(j, "value"), "raw");
    CHECK(json_is_true(json_object_get(raw, "active")));
    CHECK_STR(json_string_value(json_object_get(raw, "priority")), "high");
    CHECK_STR(json_string_value(json_object_get(raw, "accountId")), "account-uuid");   /* kept */
    json_decref(j);
    /* The same (now stale) versionstamp: 409 with spec 003's text. */
    j = call("updateWorker", body, &st);
    CHECK_INT(st, 409);
    CHECK_JSON_TEXT(j, "{\"error\":\"Update Worker Error: version mismatch or not found\"}");
    json_decref(j);
    j = call("updateWorker", "{\"channel\":\"ami.worker.missing\",\"raw\":{\"active\":true}}", &st);
    CHECK_INT(st, 409);
    json_decref(j);
    /* Field types and channel form. */
    snprintf(body, sizeof body, "{\"channel\":\"ami.worker.%s\",\"raw\":{\"active\":\"yes\"}}", sid1);
    j = call("updateWorker", body, &st);
    CHECK_INT(st, 400);
    CHECK_STR(errmsg(j), "Invalid request body: raw.active must be a boolean");
    json_decref(j);
    snprintf(body, sizeof body, "{\"channel\":\"ami.worker.%s\",\"raw\":[]}", sid1);
    j = call("updateWorker", body, &st);
    CHECK_INT(st, 400);
    CHECK_STR(errmsg(j), "Invalid request body: raw must be an object");
    json_decref(j);
    j = call("updateWorker", "{\"channel\":\"worker.x\",\"raw\":{}}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "channel"));
    json_decref(j);
    j = call("updateWorker", "{\"channel\":5,\"raw\":{}}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "channel"));
    json_decref(j);

    /* stopAllWorkers: spec 003 §4 report. */
    j = call("stopAllWorkers", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_INT(json_integer_value(json_object_get(j, "total")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "stopped")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "failed")), 0);
    CHECK(json_is_array(json_object_get(j, "errors")));
    json_t *w0 = json_array_get(json_object_get(j, "workers"), 0);
    CHECK_STR(json_string_value(json_object_get(w0, "status")), "stopped");
    json_decref(j);
    j = call("stopAllWorkers", NULL, &st);
    CHECK_INT(st, 200);
    w0 = json_array_get(json_object_get(j, "workers"), 0);
    CHECK_STR(json_string_value(json_object_get(w0, "status")), "already_stopped");
    json_decref(j);

    snprintf(body, sizeof body, "{\"channel\":\"ami.worker.%s\"}", sid1);
    j = call("deleteWorker", body, &st);
    CHECK_INT(st, 200);
    CHECK(json_is_true(json_object_get(j, "deleted")));
    CHECK_STR(json_string_value(json_object_get(j, "sid")), sid1);
    json_decref(j);
    j = call("deleteWorker", body, &st);
    CHECK_INT(st, 404);
    json_decref(j);
    j = call("deleteWorker", "{}", &st);
    CHECK_INT(st, 400);
    json_decref(j);
    j = call("stopAllWorkers", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_STR(json_string_value(json_object_get(j, "message")), "No workers found");
    json_decref(j);
}

static void leader_stats_nodes(void)
{
    int st;
    json_t *j = call("getLeaderInfo", "{}", &st);
    CHECK_INT(st, 400);
    CHECK_JSON_TEXT(j, "{\"error\":\"Invalid workerId\"}");
    json_decref(j);
    j = call("getLeaderInfo", "{\"workerId\":42}", &st);
    CHECK_INT(st, 400);
    json_decref(j);
    /* an unknown worker: 404; a parallel one: 400 (it has no leader) */
    j = call("getLeaderInfo", "{\"workerId\":\"w1\"}", &st);
    CHECK_INT(st, 404);
    json_decref(j);
    json_t *wkey = ami_key_new("ami", "worker", "w1", NULL);
    json_t *wrec = json_pack("{s:s,s:{s:s,s:s}}", "channel", "ami.worker.w1", "raw", "sid", "w1", "executionMode", "parallel");
    CHECK_RC(ami_store_set(store, wkey, wrec, 0, NULL));
    j = call("getLeaderInfo", "{\"workerId\":\"w1\"}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "not a leader-mode worker"));
    json_decref(j);
    json_object_set_new(json_object_get(wrec, "raw"), "executionMode", json_string("leader"));
    CHECK_RC(ami_store_set(store, wkey, wrec, 0, NULL));
    json_decref(wkey);
    json_decref(wrec);
    j = call("getLeaderInfo", "{\"workerId\":\"w1\"}", &st);
    CHECK_INT(st, 200);
    CHECK_JSON_TEXT(j, "{\"workerId\":\"w1\",\"hasLeader\":false,\"message\":\"No leader elected yet\"}");
    json_decref(j);
    int64_t now = ami_time_now_ms();
    json_t *key = ami_key_new("ami", "leader", "w1", NULL);
    json_t *lease = json_pack("{s:s,s:s,s:I,s:I,s:I,s:i}", "leader", "s-0001", "workerId", "w1", "timestamp", (json_int_t)now - 1000,
                              "renewedAt", (json_int_t)now, "expiresAt", (json_int_t)now + 60000, "term", 3);
    CHECK_RC(ami_store_set(store, key, lease, 0, NULL));
    json_decref(j = call("getLeaderInfo", "{\"workerId\":\"w1\"}", &st));
    j = call("getLeaderInfo", "{\"workerId\":\"w1\"}", &st);
    CHECK_INT(st, 200);
    CHECK(json_is_true(json_object_get(j, "hasLeader")));
    CHECK_STR(json_string_value(json_object_get(j, "leader")), "s-0001");
    CHECK_INT(json_integer_value(json_object_get(j, "expiresAt")), now + 60000);
    CHECK_INT(json_integer_value(json_object_get(j, "renewedAt")), now);
    CHECK_INT(json_integer_value(json_object_get(j, "timestamp")), now - 1000);
    CHECK(json_integer_value(json_object_get(j, "expiresIn")) > 50000);
    CHECK(json_is_false(json_object_get(j, "isExpired")));
    CHECK_INT(json_integer_value(json_object_get(j, "term")), 3);
    json_decref(j);
    /* a leader name that needs escaping comes back intact (the answer is written as text) */
    json_object_set_new(lease, "leader", json_string("n\"\\\u00e9\n"));
    CHECK_RC(ami_store_set(store, key, lease, 0, NULL));
    j = call("getLeaderInfo", "{\"workerId\":\"w1\"}", &st);
    CHECK_INT(st, 200);
    CHECK_STR(json_string_value(json_object_get(j, "leader")), "n\"\\\u00e9\n");
    json_decref(j);
    /* out of leader mode again: refused at once, though the mode was just read as "leader" */
    wkey = ami_key_new("ami", "worker", "w1", NULL);
    wrec = json_pack("{s:s,s:{s:s,s:s}}", "channel", "ami.worker.w1", "raw", "sid", "w1", "executionMode", "parallel");
    CHECK_RC(ami_store_set(store, wkey, wrec, 0, NULL));
    j = call("getLeaderInfo", "{\"workerId\":\"w1\"}", &st);
    CHECK_INT(st, 400);
    json_decref(j);
    json_object_set_new(json_object_get(wrec, "raw"), "executionMode", json_string("leader"));   /* back, for below */
    CHECK_RC(ami_store_set(store, wkey, wrec, 0, NULL));
    json_object_set_new(lease, "leader", json_string("s-0001"));
    CHECK_RC(ami_store_set(store, key, lease, 0, NULL));
    json_decref(wkey);
    json_decref(wrec);
    json_decref(key);
    json_decref(lease);

    j = call("getWorkerStats", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_INT(json_integer_value(json_object_get(j, "totalWorkers")), 0);
    CHECK(json_is_array(json_object_get(j, "workers")));
    CHECK(json_is_integer(json_object_get(j, "timestamp")));
    json_decref(j);
    /* Stats the node persisted for this nid (and one for another node, not counted); the node is
     * live (heartbeat) and the worker exists, else its rows would read "lost" or be left out. */
    json_t *hbk = ami_key_new("ami", "node", "s-0001", NULL), *hbv = json_pack("{s:s}", "nid", "s-0001");
    CHECK_RC(ami_store_set(store, hbk, hbv, 60000, NULL));
    json_t *wk = ami_key_new("ami", "worker", "w1", NULL);
    CHECK_RC(ami_store_set(store, wk, hbv, 0, NULL));
    json_t *s1 = check_json("{\"sid\":\"w1\",\"started\":1,\"uptime\":5,\"executions\":10000,\"errors\":5,\"networkErrors\":3,"
                            "\"criticalErrors\":2,\"consecutiveErrors\":0,\"errorRate\":\"0.05%\",\"lastError\":null,"
                            "\"lastErrorType\":null,\"lastRun\":null,\"lastRunAgo\":null,\"scriptHash\":\"1a2b3c4d\",\"isRunning\":true}");
    key = ami_key_new("ami", "stats", "s-0001", "w1", NULL);
    CHECK_RC(ami_store_set(store, key, s1, 0, NULL));
    json_decref(key);
    key = ami_key_new("ami", "stats", "s-0002", "w1", NULL);
    CHECK_RC(ami_store_set(store, key, s1, 0, NULL));
    json_decref(key);
    j = call("getWorkerStats", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_INT(json_integer_value(json_object_get(j, "totalWorkers")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "runningWorkers")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "stoppedWorkers")), 0);
    CHECK_INT(json_integer_value(json_object_get(j, "totalExecutions")), 10000);
    CHECK_INT(json_integer_value(json_object_get(j, "totalErrors")), 5);
    CHECK_INT(json_integer_value(json_object_get(j, "totalNetworkErrors")), 3);
    CHECK_INT(json_integer_value(json_object_get(j, "totalCriticalErrors")), 2);
    json_object_set_new(s1, "nid", json_string("s-0001"));   /* every row names its node */
    CHECK_JSON_EQ(json_array_get(json_object_get(j, "workers"), 0), s1);
    json_object_del(s1, "nid");
    /* Asked again with nothing changed: the same answer (served from the cache), a fresh timestamp. */
    json_t *again = call("getWorkerStats", NULL, &st);
    CHECK_INT(st, 200);
    CHECK(json_is_integer(json_object_get(again, "timestamp")));
    json_object_del(again, "timestamp");
    json_object_del(j, "timestamp");
    CHECK_JSON_EQ(again, j);
    json_decref(again);
    json_decref(j);
    /* A change to the stats shows at once. */
    json_object_set_new(s1, "executions", json_integer(10001));
    key = ami_key_new("ami", "stats", "s-0001", "w1", NULL);
    CHECK_RC(ami_store_set(store, key, s1, 0, NULL));
    json_decref(key);
    j = call("getWorkerStats", NULL, &st);
    CHECK_INT(json_integer_value(json_object_get(j, "totalExecutions")), 10001);
    json_decref(j);
    json_object_set_new(s1, "executions", json_integer(10000));
    key = ami_key_new("ami", "stats", "s-0001", "w1", NULL);
    CHECK_RC(ami_store_set(store, key, s1, 0, NULL));
    json_decref(key);
    json_decref(s1);

    /* Metrics expose them. */
    ami_buf m = AMI_BUF_INIT;
    CHECK_RC(ami_webfix_metrics(wf, &m));
    CHECK(m.ptr && strstr(m.ptr, "ami_worker_executions_total{sid=\"w1\"} 10000"));
    CHECK(m.ptr && strstr(m.ptr, "ami_worker_errors_total{sid=\"w1\",type=\"network\"} 3"));
    CHECK(m.ptr && strstr(m.ptr, "ami_worker_running{sid=\"w1\"} 1"));
    CHECK(m.ptr && strstr(m.ptr, "ami_worker_leader{sid=\"w1\"} 1"));
    CHECK(m.ptr && strstr(m.ptr, "ami_node_info{nid=\"s-0001\""));
    CHECK(m.ptr && strstr(m.ptr, "ami_webfix_calls_total{method=\"getWorkerStats\",status=\"200\"} 4"));
    ami_buf_dispose(&m);

    /* The node's heartbeat gone: its rows read "lost" (not running); a deleted worker's rows vanish. */
    CHECK_RC(ami_store_delete(store, hbk));
    j = call("getWorkerStats", NULL, &st);
    CHECK_INT(json_integer_value(json_object_get(j, "runningWorkers")), 0);
    CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "workers"), 0), "state")), "lost");
    json_decref(j);
    CHECK_RC(ami_store_delete(store, wk));
    j = call("getWorkerStats", NULL, &st);
    CHECK_INT(json_integer_value(json_object_get(j, "totalWorkers")), 0);
    CHECK_INT(json_array_size(json_object_get(j, "workers")), 0);
    json_decref(j);
    json_decref(hbk);
    json_decref(hbv);
    json_decref(wk);

    json_t *hb = check_json("{\"nid\":\"s-0001\",\"network\":\"localnet\",\"startedAt\":1,\"heartbeatAt\":2,\"running\":0,"
                            "\"capacity\":1024,\"version\":\"0.1.0\"}");
    key = ami_key_new("ami", "node", "s-0001", NULL);
    CHECK_RC(ami_store_set(store, key, hb, 15000, NULL));
    json_decref(key);
    j = call("listNodes", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_INT(json_array_size(j), 1);
    CHECK_JSON_EQ(json_array_get(j, 0), hb);
    json_decref(j);
    json_decref(hb);
}

static void logs_templates(void)
{
    for (int i = 1; i <= 5; i++) {
        json_t *key = json_pack("[s,s,s,i]", "localnet", "logs", "w1", 1000 + i);
        json_t *line = json_pack("{s:I,s:s,s:s,s:s,s:i}", "ts", (json_int_t)1000 + i, "level", "info", "nid", "s-0001",
                                 "sid", "w1", "msg", i);
        CHECK_RC(ami_store_set(local, key, line, 0, NULL));
        json_decref(key);
        json_decref(line);
    }
    int st;
    json_t *j = call("getWorkerLogs", "{\"sid\":\"w1\",\"limit\":3}", &st);
    CHECK_INT(st, 200);
    CHECK_INT(json_array_size(j), 3);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(j, 0), "ts")), 1003);   /* newest 3, oldest first */
    CHECK_INT(json_integer_value(json_object_get(json_array_get(j, 2), "ts")), 1005);
    json_decref(j);
    j = call("getWorkerLogs", "{\"sid\":\"w1\"}", &st);
    CHECK_INT(json_array_size(j), 5);
    json_decref(j);
    j = call("getWorkerLogs", "{\"sid\":\"w1\",\"limit\":\"3\"}", &st);
    CHECK_INT(st, 400);
    CHECK_STR(errmsg(j), "Invalid request body: limit must be an integer");
    json_decref(j);
    j = call("getWorkerLogs", "{}", &st);
    CHECK_INT(st, 400);
    json_decref(j);
    json_t *lines = NULL;
    CHECK_RC(ami_webfix_logs(&lines, wf, "w1", 1004, 0));
    CHECK_INT(json_array_size(lines), 1);
    json_decref(lines);

    j = call("listTemplates", NULL, &st);
    CHECK_INT(st, 200);
    json_t *builtin = NULL;
    CHECK_RC(ami_template_list(&builtin));
    CHECK_JSON_EQ(j, builtin);
    CHECK(json_array_size(j) > 0);
    json_decref(builtin);
    json_decref(j);
}

static void validate(void)
{
    int st;
    json_t *j = call("validateScript", "{\"script\":\"logger.info(1);\"}", &st);
    CHECK_INT(st, 200);
    CHECK_JSON_TEXT(j, "{\"valid\":true}");
    json_decref(j);
    j = call("validateScript", "{\"script\":\"x;\\n    @@\"}", &st);
    CHECK_INT(st, 200);
    CHECK(json_is_false(json_object_get(j, "valid")));
    CHECK(strstr(errmsg(j), "Invalid script content: SyntaxError: "));
    CHECK_INT(json_integer_value(json_object_get(j, "line")), 2);
    CHECK_INT(json_integer_value(json_object_get(j, "column")), 5);
    json_decref(j);
    j = call("validateScript", "{\"script\":1}", &st);
    CHECK_INT(st, 400);
    CHECK_STR(errmsg(j), "Invalid request body: script must be a string");
    json_decref(j);
    /* setWorker uses the same check. */
    j = call("setWorker", "{\"scriptContent\":\"@@\"}", &st);
    CHECK_INT(st, 400);
    CHECK(strstr(errmsg(j), "Invalid script content"));
    json_decref(j);
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&store, check_path("ami.db")) == 0);
    REQUIRE(ami_store_open(&local, check_path("local.db")) == 0);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.local_store = local;
    o.nid = "s-0001";
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    RUN(envelope_errors);
    RUN(set_worker);
    RUN(list_get_update_delete);
    RUN(leader_stats_nodes);
    RUN(logs_templates);
    RUN(validate);
    ami_webfix_free(wf);
    ami_store_free(local);
    ami_store_free(store);
    ami_shutdown();
    return check_done();
}
