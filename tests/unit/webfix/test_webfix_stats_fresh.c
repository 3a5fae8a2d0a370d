/* Claim: getWorkerStats without a node keeps no stale answer: asked again after
 * a repeat (the text is reused while the rows are unchanged), it follows every
 * change at once — a heartbeat lapsing by its TTL (no commit) turns that node's
 * rows "lost", a stats row added then deleted comes and goes, a commit through
 * a second handle on the same file shows, and a sid or nid filter gets its own
 * answer, never the unfiltered one.  (SQLite; etcd when AMI_TEST_ETCD is set:
 * there the registry is scanned too, its feed being a stream.) */
#include <unistd.h>
#include "check.h"

static ami_store *store, *other, *local;
static ami_webfix *wf;

static json_t *stats(const char *body)
{
    char req[512];
    snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"getWorkerStats\"%s%s}", body ? ",\"body\":" : "",
             body ? body : "");
    ami_buf out = AMI_BUF_INIT;
    int status = 0;
    REQUIRE(ami_webfix_handle(wf, req, strlen(req), NULL, &status, &out) == 0);
    CHECK_INT(status, 200);
    json_t *j = check_json(out.ptr);
    ami_buf_dispose(&out);
    CHECK(json_is_integer(json_object_get(j, "timestamp")));
    return j;
}

/* The same question twice: the second answer (from the reused text) equals the first but for the timestamp. */
static json_t *stats_twice(const char *body)
{
    json_t *a = stats(body), *b = stats(body);
    json_object_del(a, "timestamp");
    json_object_del(b, "timestamp");
    CHECK_JSON_EQ(a, b);
    json_decref(b);
    return a;
}

static void put(ami_store *s, json_t *key /* stolen */, const char *json, int64_t ttl_ms)
{
    json_t *v = check_json(json);
    REQUIRE(ami_store_set(s, key, v, ttl_ms, NULL) == 0);
    json_decref(v);
    json_decref(key);
}

static void put_stats(ami_store *s, const char *nid, const char *sid, int executions)
{
    char text[300];
    snprintf(text, sizeof text, "{\"sid\":\"%s\",\"executions\":%d,\"errors\":0,\"networkErrors\":0,"
                                "\"criticalErrors\":0,\"isRunning\":true}", sid, executions);
    put(s, ami_key_new("ami", "stats", nid, sid, NULL), text, 0);
}

static const char *field(json_t *j, size_t row, const char *name)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(j, "workers"), row), name));
}

static json_int_t total(json_t *j, const char *name) { return json_integer_value(json_object_get(j, name)); }

static void follows_every_change(void)
{
    put(store, ami_key_new("ami", "worker", "w1", NULL), "{\"sid\":\"w1\"}", 0);
    put(store, ami_key_new("ami", "worker", "w2", NULL), "{\"sid\":\"w2\"}", 0);
    put(store, ami_key_new("ami", "node", "s-0001", NULL), "{\"nid\":\"s-0001\"}", 0);
    put(store, ami_key_new("ami", "node", "s-0002", NULL), "{\"nid\":\"s-0002\"}", 1500);   /* lapses by itself */
    put_stats(store, "s-0001", "w1", 10);
    put_stats(store, "s-0002", "w1", 20);

    json_t *j = stats_twice(NULL);
    CHECK_INT(total(j, "totalInstances"), 2);
    CHECK_INT(total(j, "runningInstances"), 2);
    CHECK_INT(total(j, "totalExecutions"), 30);
    json_decref(j);

    /* filters: their own answers, whatever was asked (and kept) before */
    j = stats_twice("{\"nid\":\"s-0002\"}");
    CHECK_INT(total(j, "totalInstances"), 1);
    CHECK_STR(field(j, 0, "nid"), "s-0002");
    json_decref(j);
    j = stats_twice("{\"sid\":\"w2\"}");
    CHECK_INT(total(j, "totalInstances"), 0);
    json_decref(j);
    j = stats(NULL);
    CHECK_INT(total(j, "totalInstances"), 2);
    json_decref(j);

    /* a row added, then deleted: there, then gone */
    put_stats(store, "s-0001", "w2", 5);
    j = stats_twice(NULL);
    CHECK_INT(total(j, "totalInstances"), 3);
    CHECK_INT(total(j, "totalWorkers"), 2);
    json_decref(j);
    json_t *k = ami_key_new("ami", "stats", "s-0001", "w2", NULL);
    REQUIRE(ami_store_delete(store, k) == 0);
    json_decref(k);
    j = stats_twice(NULL);
    CHECK_INT(total(j, "totalInstances"), 2);
    CHECK_INT(total(j, "totalWorkers"), 1);
    json_decref(j);

    /* a commit through another handle on the same file */
    put_stats(other, "s-0002", "w1", 21);
    j = stats(NULL);
    CHECK_INT(total(j, "totalExecutions"), 31);
    json_decref(j);

    /* s-0002's heartbeat lapses (its TTL; nobody commits): its row reads "lost" on the next call */
    j = stats_twice(NULL);
    CHECK_INT(total(j, "runningInstances"), 2);
    json_decref(j);
    int64_t until = ami_time_mono_ms() + 20000;
    int lost = 0;
    while (!lost && ami_time_mono_ms() < until) {
        usleep(100000);
        j = stats(NULL);
        lost = total(j, "runningInstances") == 1;
        if (lost) {
            CHECK_STR(field(j, 1, "nid"), "s-0002");
            CHECK_STR(field(j, 1, "state"), "lost");
            CHECK_STR(field(j, 0, "nid"), "s-0001");
            CHECK(json_is_true(json_object_get(json_array_get(json_object_get(j, "workers"), 0), "isRunning")));
        }
        json_decref(j);
    }
    CHECK(lost);

    /* the worker deleted: its rows are left out at once */
    k = ami_key_new("ami", "worker", "w1", NULL);
    REQUIRE(ami_store_delete(store, k) == 0);
    json_decref(k);
    j = stats(NULL);
    CHECK_INT(total(j, "totalInstances"), 0);
    CHECK_INT(json_array_size(json_object_get(j, "workers")), 0);
    json_decref(j);
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&store, check_store_uri("ami")) == 0);
    REQUIRE(ami_store_open(&other, check_store_uri("ami")) == 0);
    REQUIRE(ami_store_open(&local, check_path("local.db")) == 0);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.local_store = local;
    o.nid = "s-0001";
    o.scope = AMI_WEBFIX_SCOPE_CLUSTER;
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    RUN(follows_every_change);
    ami_webfix_free(wf);
    ami_store_free(local);
    ami_store_free(other);
    ami_store_free(store);
    ami_shutdown();
    return check_done();
}
