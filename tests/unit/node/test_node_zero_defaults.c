/* Claim: node options are "zero means default": a host that zeroes the struct
 * and fills only version, store and nid gets a working node (capacity, lease,
 * renew, retry, heartbeat, stats and resync take their defaults) that runs a
 * worker to completion; a negative value is still refused by name. */
#include "check.h"
#include "node_helpers.h"

static void zeroed_options_open_and_run(void)
{
    ami_store *st = NULL;
    CHECK_RC(ami_store_open(&st, "sqlite::memory:"));
    ami_node_options o;
    memset(&o, 0, sizeof o);
    o.version = AMI_NODE_OPTIONS_VERSION;
    o.store = st;
    o.nid = "s-1";
    o.graceful_shutdown_ms = 500;
    ami_node *n = NULL;
    CHECK_RC(ami_node_open(&n, &o));
    REQUIRE(n);
    CHECK_RC(ami_node_start(n));
    char *sid = make_worker(st, "s-1", "{\"active\":true,\"scriptContent\":\"return 1;\",\"mode\":\"single\"}");
    CHECK_RC(ami_node_wait(n, sid, AMI_NODE_WAIT_FINISHED, 10000));
    ami_node_stop(n);
    ami_node_free(n);
    free(sid);

    o.capacity = -1;
    CHECK_INT(ami_node_open(&n, &o), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "capacity") != NULL);
    ami_store_free(st);
}

int main(void)
{
    ami_init();
    RUN(zeroed_options_open_and_run);
    ami_shutdown();
    return check_done();
}
