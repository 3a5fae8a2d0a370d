/* Internal to libami: the election's fast paths for other areas. */
#ifndef AMI_ELECTION_INTERNAL_H
#define AMI_ELECTION_INTERNAL_H
#include "ami/election.h"

/*
 * Append the leader info of `sid` (the JSON ami_election_leader_info gives) to
 * `out` as compact JSON text, without building JSON values (webfix
 * getLeaderInfo).  Errors as ami_election_get (no leader is not one).
 */
int ami__election_leader_info_text(ami_buf *out, ami_store *store, const char *sid);

/* The leader info of `sid` as text from a lease already read (NULL: none), at now_ms. */
int ami__election_lease_info_text(ami_buf *out, const char *sid, const ami_lease *lease, int64_t now_ms);

/*
 * ami_election_try_acquire, also telling in *at_mono the monotonic time at
 * which the new lease's timestamp (and so its expiry) was taken: after the
 * read of the current lease, however long that read took.  A holder fences
 * itself by this clock from that point, not from before the call.
 */
int ami__election_try_acquire(ami_lease *out, int *acquired, ami_store *store, const char *sid, const char *nid,
                              int64_t lease_ms, int64_t *at_mono);

#endif
