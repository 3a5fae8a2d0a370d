/* The node's heartbeat: ["ami","node",nid], set with an expiry of three intervals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"

/* ---- heartbeat ---- */

void ami__heartbeat(ami_node *node, int remove)
{
    json_t *k = ami_key_new("ami", "node", node->nid, NULL);
    if (remove) {
        ami_store_delete(node->store, k);
    } else {
        pthread_mutex_lock(&node->mu);
        int running = node->running;
        pthread_mutex_unlock(&node->mu);
        json_t *v = json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:s}", "nid", node->nid, "network", node->network,
                              "startedAt", (json_int_t)node->started_at, "heartbeatAt", (json_int_t)ami_time_now_ms(),
                              "running", running, "capacity", node->o.capacity, "version", ami_version());
        ami_versionstamp vs;
        if (v && ami_store_set(node->store, k, v, (int64_t)node->o.heartbeat_ms * 3, vs))
            ami__log(AMI__LOG_WARN, "node %s: heartbeat: %s", node->nid, ami_error_last());
        json_decref(v);
    }
    json_decref(k);
}
