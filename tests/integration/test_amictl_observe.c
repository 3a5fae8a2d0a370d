/* Claim: amictl's stats, leader, logs and nodes (embedded mode) show what nodes leave in the stores:
 * every node's persisted stats (rows of a node without a heartbeat marked lost, workers and
 * instances counted apart), the lease with a live "expires in", live heartbeats only, and log
 * lines merged from every node's local store, with -n, -f and --watch. */
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static char db[512], amictl[512];
static char sid[64], sid2[64];

/* Run amictl with args (a shell fragment); stdout into a static buffer; *rc = exit status. */
static const char *run(int *rc, const char *args)
{
    static char out[1 << 16];
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s --db '%s' %s 2>%s", amictl, db, args, check_path("err.txt"));
    return check_run(out, sizeof out, rc, cmd);
}

static json_t *run_json(const char *args)
{
    int rc = 0;
    const char *out = run(&rc, args);
    CHECK_INT(rc, 0);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    if (!j) fprintf(stderr, "not JSON from '%s': %s\n", args, out);
    return j;
}

static void put(ami_store *s, json_t *key, json_t *value, int64_t expire_ms)
{
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(s, key, value, expire_ms, vs));
    json_decref(key);
    json_decref(value);
}

static json_t *stats_rec(const char *id, const char *nid, int running, int execs, int errs)
{
    int64_t now = ami_time_now_ms();
    return json_pack("{s:s,s:I,s:I,s:i,s:i,s:i,s:i,s:i,s:s,s:s,s:s,s:I,s:I,s:s,s:b,s:s,s:s}", "sid", id, "started",
                     (json_int_t)(now - 60000), "uptime", (json_int_t)60000, "executions", execs, "errors", errs,
                     "networkErrors", errs, "criticalErrors", 0, "consecutiveErrors", 0, "errorRate", "1.00%",
                     "lastError", "RequestTimeout: slow", "lastErrorType", "network", "lastRun", (json_int_t)now,
                     "lastRunAgo", (json_int_t)10, "scriptHash", "abcd1234", "isRunning", running, "state",
                     running ? "running" : "stopped", "nid", nid);
}

static void log_line(const char *nid, int64_t ts, const char *msg)
{
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s.%s.local", db, nid);
    ami_store *l = NULL;
    REQUIRE(ami_store_open(&l, uri) == 0);
    put(l, json_pack("[s,s,s,I]", "localnet", "logs", sid, (json_int_t)ts),
        json_pack("{s:I,s:s,s:s,s:s,s:s}", "ts", (json_int_t)ts, "level", "info", "nid", nid, "sid", sid, "msg", msg), 0);
    ami_store_free(l);
}

static void seed(void)
{
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, db) == 0);
    json_t *body = json_pack("{s:s,s:s}", "scriptContent", "logger.info(1);", "executionMode", "leader"), *e = NULL;
    REQUIRE(ami_registry_create(&e, s, "s-0001", body) == 0);
    snprintf(sid, sizeof sid, "%s", json_string_value(json_array_get(json_object_get(e, "key"), 2)));
    json_decref(e);
    REQUIRE(ami_registry_create(&e, s, "s-0001", body) == 0);
    snprintf(sid2, sizeof sid2, "%s", json_string_value(json_array_get(json_object_get(e, "key"), 2)));
    json_decref(e);
    json_decref(body);
    put(s, ami_key_new("ami", "stats", "s-0001", sid, NULL), stats_rec(sid, "s-0001", 1, 10, 1), 0);
    put(s, ami_key_new("ami", "stats", "s-0002", sid, NULL), stats_rec(sid, "s-0002", 0, 5, 0), 0);
    put(s, ami_key_new("ami", "stats", "s-0002", sid2, NULL), stats_rec(sid2, "s-0002", 1, 7, 2), 0);
    int64_t now = ami_time_now_ms();
    put(s, ami_key_new("ami", "leader", sid, NULL),
        json_pack("{s:s,s:s,s:I,s:I,s:I,s:i}", "leader", "s-0002", "workerId", sid, "timestamp", (json_int_t)(now - 120000),
                  "renewedAt", (json_int_t)(now - 15000), "expiresAt", (json_int_t)(now + 45000), "term", 3), 60000);
    put(s, ami_key_new("ami", "node", "s-0001", NULL),
        json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:s}", "nid", "s-0001", "network", "localnet", "startedAt",
                  (json_int_t)(now - 3600000), "heartbeatAt", (json_int_t)now, "running", 2, "capacity", 1024,
                  "version", "0.1.0"), 15000);
    put(s, ami_key_new("ami", "node", "gone", NULL), json_pack("{s:s}", "nid", "gone"), 1);
    ami_store_free(s);
    /* two nodes' local stores, interleaved in time */
    for (int i = 0; i < 6; i++) log_line(i % 2 ? "s-0002" : "s-0001", 1700000000000LL + i, i % 2 ? "from two" : "from one");
    usleep(20000);   /* let the 1 ms heartbeat expire */
}

static void stats_from_every_node(void)
{
    json_t *j = run_json("--json stats");
    REQUIRE(j);
    /* two workers in three rows; s-0002 has no heartbeat: its running row reads "lost" */
    CHECK_INT(json_integer_value(json_object_get(j, "totalWorkers")), 2);
    CHECK_INT(json_integer_value(json_object_get(j, "runningWorkers")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "stoppedWorkers")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "totalInstances")), 3);
    CHECK_INT(json_integer_value(json_object_get(j, "runningInstances")), 1);
    size_t i;
    json_t *w;
    int lost = 0;
    json_array_foreach(json_object_get(j, "workers"), i, w)
        if (!strcmp(json_string_value(json_object_get(w, "nid")), "s-0002"))
            lost += !strcmp(json_string_value(json_object_get(w, "state")), "lost") && json_is_false(json_object_get(w, "isRunning"));
    CHECK_INT(lost, 1);   /* the row that still said running; the stopped one stays as written */
    CHECK_INT(json_integer_value(json_object_get(j, "totalExecutions")), 22);
    CHECK_INT(json_integer_value(json_object_get(j, "totalErrors")), 3);
    /* rows in one order, by worker then node, each naming its node */
    for (i = 1; i < json_array_size(json_object_get(j, "workers")); i++) {
        json_t *a = json_array_get(json_object_get(j, "workers"), i - 1), *b = json_array_get(json_object_get(j, "workers"), i);
        int c = strcmp(json_string_value(json_object_get(a, "sid")), json_string_value(json_object_get(b, "sid")));
        CHECK(c < 0 || (c == 0 && strcmp(json_string_value(json_object_get(a, "nid")), json_string_value(json_object_get(b, "nid"))) < 0));
    }
    json_decref(j);
    char args[128];
    snprintf(args, sizeof args, "--json stats %.6s --node s-0002", sid);
    j = run_json(args);
    CHECK_INT(json_integer_value(json_object_get(j, "totalWorkers")), 1);
    CHECK_INT(json_integer_value(json_object_get(j, "totalExecutions")), 5);
    json_decref(j);
    int rc;
    const char *out = run(&rc, "stats");
    CHECK_INT(rc, 0);
    char shortsid[9];
    memcpy(shortsid, sid, 8);
    shortsid[8] = 0;
    CHECK(strstr(out, shortsid) && strstr(out, "running") && strstr(out, "executions 22") && strstr(out, "RequestTimeout"));
}

static void stats_watch_refreshes(void)
{
    int rc;
    const char *out = run(&rc, "--json stats --watch --interval 1 --count 2");
    CHECK_INT(rc, 0);
    int lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++) lines++;
    CHECK_INT(lines, 2);
}

static void leader_shows_the_lease(void)
{
    char args[128];
    snprintf(args, sizeof args, "--json leader %.8s", sid);
    json_t *j = run_json(args);
    REQUIRE(j);
    CHECK(json_is_true(json_object_get(j, "hasLeader")));
    CHECK_STR(json_string_value(json_object_get(j, "leader")), "s-0002");
    json_int_t in = json_integer_value(json_object_get(j, "expiresIn"));
    CHECK(in > 30000 && in <= 45000);
    CHECK(json_is_false(json_object_get(j, "isExpired")));
    json_decref(j);
    int rc;
    snprintf(args, sizeof args, "leader %s", sid);
    const char *out = run(&rc, args);
    CHECK(strstr(out, "leader:       s-0002") && strstr(out, "elected at:") && strstr(out, "renewed at:"));
    /* The same window as the JSON check above: a loaded machine may take seconds between the two. */
    const char *exp = strstr(out, "expires in:");
    double secs = exp ? strtod(exp + strlen("expires in:"), NULL) : 0;
    CHECK(secs > 30 && secs <= 45);
    snprintf(args, sizeof args, "--json leader %s", sid2);
    j = run_json(args);
    CHECK(json_is_false(json_object_get(j, "hasLeader")));
    json_decref(j);
    snprintf(args, sizeof args, "leader %s --watch --count 2", sid);
    out = run(&rc, args);
    CHECK_INT(rc, 0);
    const char *second = strstr(out, "expires in:");
    CHECK(second && strstr(second + 1, "expires in:"));
}

static void nodes_are_the_live_ones(void)
{
    json_t *j = run_json("--json nodes");
    REQUIRE(j);
    CHECK_INT(json_array_size(j), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "nid")), "s-0001");
    json_decref(j);
    int rc;
    const char *out = run(&rc, "nodes");
    CHECK(strstr(out, "s-0001") && strstr(out, "localnet") && !strstr(out, "gone"));
}

static void logs_merge_every_node(void)
{
    char args[160];
    snprintf(args, sizeof args, "--json logs %.8s -n 3", sid);
    json_t *j = run_json(args);
    REQUIRE(j);
    CHECK_INT(json_array_size(j), 3);
    for (size_t i = 0; i < json_array_size(j); i++)
        CHECK_INT(json_integer_value(json_object_get(json_array_get(j, i), "ts")), 1700000000003LL + (long long)i);
    CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "nid")), "s-0002");
    json_decref(j);
    int rc;
    snprintf(args, sizeof args, "logs %s", sid);
    const char *out = run(&rc, args);
    CHECK_INT(rc, 0);
    CHECK(strstr(out, "s-0001   info  from one") && strstr(out, "s-0002   info  from two"));
    snprintf(args, sizeof args, "logs %s", sid2);
    out = run(&rc, args);
    CHECK(rc == 0 && out[0] == '\0');
}

static void logs_follow_sees_new_lines(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        usleep(800000);
        log_line("s-0002", ami_time_now_ms(), "late line");
        _exit(0);
    }
    char args[160];
    snprintf(args, sizeof args, "logs %s -n 1 -f --timeout 3", sid);
    int rc;
    const char *out = run(&rc, args);
    waitpid(pid, NULL, 0);
    CHECK_INT(rc, 0);
    CHECK(strstr(out, "from two") && strstr(out, "late line") && !strstr(out, "from one"));
}

int main(void)
{
    ami_init();
    snprintf(db, sizeof db, "%s", check_path("ami.db"));
    snprintf(amictl, sizeof amictl, "%s/amictl", check_build_dir());
    seed();
    RUN(stats_from_every_node);
    RUN(stats_watch_refreshes);
    RUN(leader_shows_the_lease);
    RUN(nodes_are_the_live_ones);
    RUN(logs_merge_every_node);
    RUN(logs_follow_sees_new_lines);
    ami_shutdown();
    return check_done();
}
