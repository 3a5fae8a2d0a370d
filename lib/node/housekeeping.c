/* The housekeeping thread: flushes logs, writes the heartbeat and persists stats on their intervals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"

/* ---- the housekeeping thread ---- */

/* How long starts must have stopped before malloc's free space is given back
 * (ami__pool_trim): after the burst, not in it, and not after every restart. */
#define AMI__TRIM_SETTLE_MS 5000
/* …and how many starts since the last trim make one worth a walk of the arenas. */
#define AMI__TRIM_MIN_STARTS 64

void *ami__housekeeping_main(void *arg)
{
    ami_node *node = arg;
    int64_t next_hb = ami_time_mono_ms() + node->o.heartbeat_ms;
    int64_t next_stats = ami_time_mono_ms() + node->o.stats_ms;
    int64_t last_hb = ami_time_mono_ms();
    int hb_running = 0;
    int64_t last_pass = 0;   /* the last stats pass (urgent passes are 100 ms apart at least) */
    uint64_t trimmed_at = 0;   /* node->starts at the last trim */
    pthread_mutex_lock(&node->mu);
    while (!node->threads_quit) {
        /* until the next heartbeat or stats pass, a second at most (the heartbeat that
         * follows a change of the running count: nothing signals that); a state change
         * signals (ami__stats_urgent), and is written 100 ms after the last pass at the
         * soonest: thousands of instances leaving at once make a few passes, not one each.
         * Not every 100 ms: docs/node.md "Idle cost". */
        int64_t now0 = ami_time_mono_ms();
        int64_t nap = (next_hb < next_stats ? next_hb : next_stats) - now0;
        if (nap > 1000) nap = 1000;
        if (node->stats_urgent && last_pass + 100 - now0 < nap) nap = last_pass + 100 - now0;
        if (nap > 0) ami__cond_wait_ms(&node->cv, &node->mu, nap);
        if (node->threads_quit) break;
        pthread_mutex_unlock(&node->mu);
        int64_t now = ami_time_mono_ms();
        pthread_mutex_lock(&node->mu);
        int running = node->running;
        int trim = node->starts - trimmed_at >= AMI__TRIM_MIN_STARTS && now - node->last_start_ms >= AMI__TRIM_SETTLE_MS;
        if (trim) trimmed_at = node->starts;
        int urgent = node->stats_urgent && now >= last_pass + 100;
        if (urgent || now >= next_stats) node->stats_urgent = 0;   /* the pass below writes what it was for */
        pthread_mutex_unlock(&node->mu);
        /* on time, and sooner (at most once a second) when the number of running instances changed */
        if (now >= next_hb || (running != hb_running && now >= last_hb + 1000)) {
            ami__heartbeat(node, 0);
            hb_running = running;
            last_hb = now;
            next_hb = now + node->o.heartbeat_ms;
        }
        if (now >= next_stats) {
            ami__stats_persist(node, 0);
            next_stats = now + node->o.stats_ms;
            last_pass = now;
        } else if (urgent) {
            ami__stats_persist(node, 0);   /* a state change is written at once (only the dirty rows) */
            last_pass = now;
        }
        if (trim) ami__pool_trim(node);
        pthread_mutex_lock(&node->mu);
    }
    pthread_mutex_unlock(&node->mu);
    return NULL;
}
