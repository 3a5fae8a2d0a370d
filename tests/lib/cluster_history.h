/* The per-iteration history check of the cluster tests: a leader-mode worker writes
 * {term, nid, start, end} for every iteration; no two terms may overlap in time. */
#ifndef AMI_TEST_CLUSTER_HISTORY_H
#define AMI_TEST_CLUSTER_HISTORY_H
#include "ami.h"

/* `list` is an ami_store_list result whose values are {raw: {term, start, end, …}}.
 * Returns the number of violations (terms going back, or iterations of different
 * terms overlapping, each printed) and sets *changes to the number of leader changes. */
int cluster_history_overlaps(const json_t *list, int *changes);
#endif
