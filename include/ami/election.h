/*
 * ami/election.h — lease election for leader-mode workers (docs/design.md §6).
 *
 * One lease per worker at ["ami","leader",sid], value LeaderLease
 *   {leader: nid, workerId: sid, timestamp (elected at), renewedAt, expiresAt, term}
 * changed only by atomic compare-and-set on its versionstamp.  Every call is
 * synchronous and does one store round trip (two when a CAS loses a race);
 * there are no threads here: the node drives renewal and retries.
 *
 * Decisions:
 * - The lease is stored WITHOUT store-level expiry; expiry is `expiresAt`
 *   (wall-clock ms), and a lease whose expiresAt <= now is expired and may be
 *   taken over.  The record therefore outlives its tenure, so `term` keeps
 *   increasing (previous term + 1, whether the previous lease expired or was
 *   released).  Deleting the worker should delete the key (registry/node).
 * - Release keeps the record with expiresAt = renewedAt = now: expired at
 *   once, so another node acquires immediately, with term + 1.
 * - A valid lease is never taken over, even one naming the caller's nid (a
 *   restarted node waits for its previous incarnation's lease to expire).
 * - Renewal succeeds while the versionstamp is unchanged, even just after
 *   expiresAt: nobody else acquired in between, so the tenure is unbroken.
 * - Timestamps are wall-clock ms (shown to users; nodes must keep clocks in
 *   sync).  Self-fencing — stop work when not renewed within lease_ms - margin —
 *   is the node's job and uses the monotonic clock (ami_time_mono_ms).
 */
#ifndef AMI_ELECTION_H
#define AMI_ELECTION_H

#include <jansson.h>
#include "ami/common.h"
#include "ami/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_LEASE_ID_MAX 128   /* longest sid or nid accepted, NUL included */

/** A lease as read or written.  Plain data: copy it freely, nothing to free. */
typedef struct ami_lease {
    char sid[AMI_LEASE_ID_MAX];      /* workerId */
    char leader[AMI_LEASE_ID_MAX];   /* nid of the holder */
    int64_t term;                    /* fencing token: +1 at every acquisition */
    int64_t timestamp;               /* elected at (wall ms) */
    int64_t renewed_at;              /* last renewal (wall ms) */
    int64_t expires_at;              /* wall ms; expired when <= now */
    ami_versionstamp versionstamp;   /* of the store entry this struct was read/written as */
    /* computed when read or written (not stored): */
    int expired;                     /* expires_at <= now at that time */
    int64_t expires_in;              /* max(0, expires_at - now) at that time */
} ami_lease;

/**
 * Campaign once: atomically check that W's lease is absent or expired (at the
 * versionstamp just read) and write a new lease for `nid` with term = previous
 * term + 1 (1 when none), expiring lease_ms from now.
 * *acquired = 1 and *out = the new lease (with its versionstamp) on success;
 * *acquired = 0 and *out = the lease currently in the way (zeroed when the key
 * is absent) when another node holds a valid lease or won the race.
 * On etcd the first read is serializable (the answering member's own state,
 * which may be a moment behind the cluster: no wait for a ReadIndex round); the
 * write checks what it read, so a stale read never wins a held lease, and the
 * lease reported after a lost race is read linearizably.
 * Errors: AMI_EINVAL (NULL, empty or over-long sid/nid, lease_ms <= 0),
 * AMI_EIO / AMI_EBUSY from the store (retry later).
 */
AMI_EXTERN(int) ami_election_try_acquire(ami_lease *out, int *acquired, ami_store *store,
                                         const char *sid, const char *nid, int64_t lease_ms);

/**
 * Renew a held lease: check its versionstamp and rewrite it with renewedAt =
 * now and expiresAt = now + lease_ms, same term.  On success *lease is updated
 * (new versionstamp).  AMI_ELEASE when the versionstamp changed (another node
 * took over, or it was released): leadership is lost and *lease is unchanged.
 * Errors: AMI_EINVAL, AMI_EIO / AMI_EBUSY (not lost — retry until the self-fence deadline).
 */
AMI_EXTERN(int) ami_election_renew(ami_lease *lease, ami_store *store, int64_t lease_ms);

/**
 * Release a held lease at once (check its versionstamp, then store it expired
 * with its term kept), so another candidate can acquire immediately.
 * AMI_ELEASE when it was no longer ours (nothing written).  Errors: AMI_EINVAL, AMI_EIO, AMI_EBUSY.
 */
AMI_EXTERN(int) ami_election_release(ami_store *store, const ami_lease *lease);

/**
 * Read W's lease into *out (expired and expires_in computed against the wall
 * clock now).  AMI_ENOTFOUND when there is none (never elected).
 * Errors: AMI_EINVAL, AMI_EIO, or AMI_EINVAL when the stored value is not a lease.
 */
AMI_EXTERN(int) ami_election_get(ami_lease *out, ami_store *store, const char *sid);

/**
 * After a fenced commit conflicted: re-read the lease and, if it still names
 * the same leader and term and has not expired, refresh *lease (versionstamp,
 * renewed_at, expires_at) and return 0 — the conflict came from our own
 * renewal.  AMI_ELEASE when the tenure is over.  Errors: AMI_EINVAL, AMI_EIO.
 */
AMI_EXTERN(int) ami_election_refresh(ami_lease *lease, ami_store *store);

/**
 * Fence a batch: add a check that W's lease is still at lease->versionstamp, so
 * the batch commits only while this tenure holds (a deposed leader's late
 * write conflicts).  A renewal changes the versionstamp: fence with the latest
 * lease, and on a conflict ask ami_election_refresh before calling it lost.
 * Errors: AMI_EINVAL (no versionstamp), AMI_ENOMEM.
 */
AMI_EXTERN(int) ami_election_add_fence(ami_atomic *atomic, const ami_lease *lease);

/**
 * spec 003's getLeaderInfo body for worker `sid`, computed at `now_ms`, as a
 * new JSON object (owned; NULL when out of memory):
 *   lease present: {workerId, hasLeader: true, leader, timestamp, expiresAt,
 *                   renewedAt, expiresIn, isExpired, term}
 *   lease NULL:    {workerId, hasLeader: false, message: "No leader elected yet"}
 * A released or lapsed lease is still shown (hasLeader true, isExpired true,
 * expiresIn 0) so users see who led last.
 */
AMI_EXTERN(json_t *) ami_lease_info_json(const char *sid, const ami_lease *lease, int64_t now_ms);

/** Read W's lease and build its getLeaderInfo body into *out (owned).  Errors: AMI_EINVAL, AMI_EIO, AMI_ENOMEM. */
AMI_EXTERN(int) ami_election_leader_info(json_t **out, ami_store *store, const char *sid);

#ifdef __cplusplus
}
#endif
#endif
