/* Reading the node's own counters (node_internal.h) from a test, under its mutex. */
#ifndef AMI_TEST_NODE_COUNTERS_H
#define AMI_TEST_NODE_COUNTERS_H

#include <pthread.h>
#include "node/node_internal.h"

/* The value of one int64_t counter field of n (registry_lists, election_passes, …). */
static inline int64_t node_counter(ami_node *n, const int64_t *field)
{
    pthread_mutex_lock(&n->mu);
    int64_t v = *field;
    pthread_mutex_unlock(&n->mu);
    return v;
}

#endif
