/*
 * ami/registry.h — worker records in the shared store under ["ami","worker",sid].
 *
 * Every function returns the exact JSON shapes of spec 003 (see docs/design.md §4):
 * an entry is {"key":["ami","worker",sid], "value": WorkerData, "versionstamp"}.
 * Validation failures return AMI_EVALIDATION and ami_error_last() holds the
 * user-facing message (e.g. "Exclusive mode requires assignedNode parameter").
 */
#ifndef AMI_REGISTRY_H
#define AMI_REGISTRY_H

#include <jansson.h>
#include "ami/store.h"
#include "ami/worker.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Check a script as create and update do: a string, not empty, at most
 * AMI_SCRIPT_MAX_BYTES, and it compiles (ami_runtime_check_script).  0, or
 * AMI_EVALIDATION with "Invalid script content: …" in ami_error_last() and,
 * for a compile error, its position in ami_error_last_script().
 */
AMI_EXTERN(int) ami_registry_check_script(const char *script, size_t len);

/**
 * Create a worker from a setWorker body (borrowed): scriptContent,
 * dependencies, version, executionMode, priority, accountId, assignedNode,
 * mode, scope, note, active — all optional, defaults per docs/design.md §4.  `nid`
 * is the creating node.  *out is the new entry.
 * Errors: AMI_EVALIDATION ("Invalid script content…", "Exclusive mode requires
 * assignedNode parameter", "Invalid executionMode: …", …), AMI_EIO.
 */
AMI_EXTERN(int) ami_registry_create(json_t **out, ami_store *store, const char *nid, const json_t *body);

/**
 * A worker entry's sid (value.raw.sid, borrowed from `entry`), e.g. of what
 * ami_registry_create gave back; NULL when `entry` is not a worker entry.
 * ami_entry_versionstamp() (ami/store.h) gives the versionstamp to pass to
 * ami_registry_update.
 */
AMI_EXTERN(const char *) ami_entry_sid(const json_t *entry);

/**
 * All workers as a JSON array of entries in key order.  A record whose value
 * cannot be read (not JSON) is left out and named in a warning on stderr
 * (ami_registry_scan tells the caller instead); it never fails the list.
 */
AMI_EXTERN(int) ami_registry_list(json_t **out, ami_store *store);

/**
 * ami_registry_list without the warning: *out gets the readable workers and,
 * when `corrupt` is not NULL, *corrupt a new array of the unreadable records
 * as {key, sid, error} (sid absent when the key has none).  Such a record can
 * be removed with ami_registry_delete.  Errors: those of ami_store_list.
 */
AMI_EXTERN(int) ami_registry_scan(json_t **out, json_t **corrupt, ami_store *store);

/** One worker's entry; AMI_ENOTFOUND when there is none. */
AMI_EXTERN(int) ami_registry_get(json_t **out, ami_store *store, const char *sid);

/**
 * Find a worker by a unique sid prefix; *out_sid receives the full sid (free
 * with ami_free).  AMI_ENOTFOUND, or AMI_EAMBIGUOUS with the candidates listed
 * in ami_error_last().
 */
AMI_EXTERN(int) ami_registry_resolve(char **out_sid, ami_store *store, const char *prefix);

/** The same resolution over a listWorkers result (borrowed), e.g. one fetched over HTTP. */
AMI_EXTERN(int) ami_registry_resolve_in(char **out_sid, const json_t *entries, const char *prefix);

/**
 * Update a worker with a partial raw (borrowed): fields present replace,
 * absent fields keep their value, null clears an optional field (accountId,
 * assignedNode; note becomes ""); sid and nid cannot change (AMI_EVALIDATION
 * if a different value is given).  The commit checks `versionstamp` when
 * given, else the one just read; a mismatch or a missing worker returns
 * AMI_ECONFLICT ("Update Worker Error: version mismatch or not found").
 * *out is the new entry.
 */
AMI_EXTERN(int) ami_registry_update(json_t **out, ami_store *store, const char *sid, const json_t *raw,
                                    const char *versionstamp);

/** Set active true/false (a convenience over update). */
AMI_EXTERN(int) ami_registry_set_active(json_t **out, ami_store *store, const char *sid, int active);

/** Delete a worker (and nothing else); AMI_ENOTFOUND when there is none. */
AMI_EXTERN(int) ami_registry_delete(ami_store *store, const char *sid);

/**
 * Set active:false on every worker.  *out is the report of spec 003:
 * {total, stopped, failed, errors:[{channel,error}], workers:[{channel,status}]}
 * (or {message:"No workers found", total:0, …}).  *partial is set to 1 when
 * any worker failed (the 207 case).
 */
AMI_EXTERN(int) ami_registry_stop_all(json_t **out, int *partial, ami_store *store);

#ifdef __cplusplus
}
#endif
#endif
