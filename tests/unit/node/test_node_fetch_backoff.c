/* Claim: on a real node, a low-priority worker whose fetch hits a closed
 * port fails with ConnectionRefused, which the retry policy counts as a
 * network error (backoff, no stop) — where five critical errors would have
 * stopped it — and the node passes its allow_net on to the worker (a host it
 * does not name is PermissionDenied, a critical error). */
#include "node_helpers.h"
#include "net_harness.h"

static int closed_port;

static void allow_localhost(ami_node_options *o)
{
    o->allow_net = "127.0.0.1";
    o->loop_delay_ms = 10;
}

static void refused_fetch_is_a_network_error(void)
{
    char db[500];
    snprintf(db, sizeof db, "%s", check_path("fetch.db"));
    ami_node *node = open_node(db, "s-0001", allow_localhost);
    CHECK_RC(ami_node_start(node));
    char body[600];
    snprintf(body, sizeof body,
             "{\"scriptContent\":\"await fetch('http://127.0.0.1:%d/'); logger.info('unreachable');\",\"active\":true,\"priority\":\"low\"}",
             closed_port);
    char *sid = make_worker(ami_node_store(node), "s-0001", body);
    /* the network policy backs off 5 s after the first error: one error is all we wait for */
    CHECK(WAIT_FOR(stat_int(node, sid, "networkErrors") >= 1, 10000) >= 0);
    json_t *s = worker_stats(node, sid);
    REQUIRE(s);
    CHECK_STR(json_string_value(json_object_get(s, "lastErrorType")), "network");
    const char *le = json_string_value(json_object_get(s, "lastError"));
    CHECK(le && !strncmp(le, "ConnectionRefused", 17));
    CHECK_INT(json_integer_value(json_object_get(s, "criticalErrors")), 0);
    CHECK(strcmp(json_string_value(json_object_get(s, "state")), "stopped") && strcmp(json_string_value(json_object_get(s, "state")), "error"));
    json_decref(s);

    /* a host allow_net does not name: PermissionDenied, critical */
    char *denied = make_worker(ami_node_store(node), "s-0001",
                               "{\"scriptContent\":\"await fetch('http://localhost:1/');\",\"active\":true,\"priority\":\"low\"}");
    CHECK(WAIT_FOR(stat_int(node, denied, "criticalErrors") >= 1, 10000) >= 0);
    s = worker_stats(node, denied);
    REQUIRE(s);
    le = json_string_value(json_object_get(s, "lastError"));
    CHECK(le && strstr(le, "PermissionDenied") && strstr(le, "allow_net=localhost"));
    json_decref(s);
    free(sid);
    free(denied);
    ami_node_free(node);
}

int main(void)
{
    closed_port = net_free_port();
    RUN(refused_fetch_is_a_network_error);
    return check_done();
}
