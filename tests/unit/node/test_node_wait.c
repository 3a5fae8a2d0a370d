/* Claim: ami_node_wait returns when a worker's first iteration ends, a single worker finishes, an errored worker errs and a deactivated one stops (AMI_ETIMEOUT otherwise); the iteration callback sees every run with its outcome; a node runs on a host's "sqlite::memory:" handle; version-1 options still open. */
#include <pthread.h>
#include "node_helpers.h"

typedef struct {
    pthread_mutex_t mu;
    int runs, errors;
    uint64_t last_iteration;
    char last_error[256];
    int64_t max_ms;
} seen_t;

static void on_iter(const ami_node_iteration *it, void *payload)
{
    seen_t *s = payload;
    pthread_mutex_lock(&s->mu);
    s->runs++;
    s->last_iteration = it->iteration;
    if (it->code) {
        s->errors++;
        snprintf(s->last_error, sizeof s->last_error, "%s", it->error ? it->error : "(null)");
    }
    if (it->duration_ms > s->max_ms) s->max_ms = it->duration_ms;
    pthread_mutex_unlock(&s->mu);
}

static void waits(void)
{
    ami_store *st = NULL;
    CHECK_RC(ami_store_open(&st, "sqlite::memory:"));
    seen_t seen = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, "", 0 };
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    o.store = st;
    o.nid = "s-1";
    o.resync_ms = 1000;
    o.loop_delay_ms = 20;
    o.graceful_shutdown_ms = 500;
    o.on_iteration = on_iter;
    o.iteration_payload = &seen;
    ami_node *n = NULL;
    CHECK_RC(ami_node_open(&n, &o));
    REQUIRE(n);
    CHECK(ami_node_store(n) == st);
    CHECK_RC(ami_node_start(n));

    char *single = make_worker(st, "s-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(30); logger.info('once');\",\"mode\":\"single\"}");
    CHECK_RC(ami_node_wait(n, single, AMI_NODE_WAIT_FINISHED, 10000));
    CHECK_RC(ami_node_wait(n, single, AMI_NODE_WAIT_STOPPED, 10000));
    CHECK_INT(stat_int(n, single, "executions"), 1);
    pthread_mutex_lock(&seen.mu);
    CHECK_INT(seen.runs, 1);
    CHECK(seen.max_ms >= 25);
    pthread_mutex_unlock(&seen.mu);
    /* a finished single worker never errs: the wait runs out */
    CHECK_INT(ami_node_wait(n, single, AMI_NODE_WAIT_ERRORED, 100), AMI_ETIMEOUT);
    CHECK(strstr(ami_error_last(), single) != NULL);

    char *loop = make_worker(st, "s-1", "{\"active\":true,\"scriptContent\":\"logger.info('tick');\"}");
    CHECK_RC(ami_node_wait(n, loop, AMI_NODE_WAIT_ITERATION, 10000));
    CHECK(stat_int(n, loop, "executions") >= 1);
    CHECK_INT(ami_node_wait(n, loop, AMI_NODE_WAIT_STOPPED, 200), AMI_ETIMEOUT);
    json_t *e = NULL;
    CHECK_RC(ami_registry_set_active(&e, st, loop, 0));
    json_decref(e);
    CHECK_RC(ami_node_wait(n, loop, AMI_NODE_WAIT_STOPPED, 10000));

    char *bad = make_worker(st, "s-1", "{\"active\":true,\"scriptContent\":\"throw new TypeError('boom');\"}");
    CHECK_RC(ami_node_wait(n, bad, AMI_NODE_WAIT_ERRORED, 10000));
    CHECK_RC(ami_node_wait(n, bad, AMI_NODE_WAIT_ITERATION, 0));
    pthread_mutex_lock(&seen.mu);
    CHECK(seen.errors >= 1);
    CHECK(strstr(seen.last_error, "TypeError: boom") != NULL);
    pthread_mutex_unlock(&seen.mu);

    /* bad arguments; a sid nobody created times out */
    CHECK_INT(ami_node_wait(n, loop, 99, 10), AMI_EINVAL);
    CHECK_INT(ami_node_wait(n, NULL, AMI_NODE_WAIT_ITERATION, 10), AMI_EINVAL);
    CHECK_INT(ami_node_wait(n, "nope", AMI_NODE_WAIT_ITERATION, 100), AMI_ETIMEOUT);

    ami_node_free(n);
    /* the host's store outlives the node and still holds the workers */
    CHECK_RC(ami_registry_get(&e, st, loop));
    json_decref(e);
    ami_store_free(st);
    free(single);
    free(loop);
    free(bad);
}

/* A host compiled against the version-1 header passes the shorter struct. */
static void version_one(void)
{
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", check_path("v1.db"));
    o.version = 1;
    o.store_uri = uri;
    o.nid = "s-2";
    o.store = (ami_store *)8;   /* past the v1 struct: must be ignored */
    ami_node *n = NULL;
    CHECK_RC(ami_node_open(&n, &o));
    CHECK(n && ami_node_store(n) != (ami_store *)8);
    ami_node_free(n);
    o.version = AMI_NODE_OPTIONS_VERSION + 1;
    CHECK_INT(ami_node_open(&n, &o), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "version") != NULL);
}

int main(void)
{
    ami_init();
    RUN(waits);
    RUN(version_one);
    ami_shutdown();
    return check_done();
}
