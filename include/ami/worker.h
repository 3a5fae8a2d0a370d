/*
 * ami/worker.h — the worker record: enums of WorkerScript (spec 003) with
 * their wire names, the one parser of a record's raw (and its inverse), and
 * the script hash used by stats and hot reload.
 */
#ifndef AMI_WORKER_H
#define AMI_WORKER_H

#include <jansson.h>
#include "ami/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { AMI_EXEC_PARALLEL, AMI_EXEC_LEADER, AMI_EXEC_EXCLUSIVE } ami_exec_mode;
typedef enum { AMI_PRIORITY_CRITICAL, AMI_PRIORITY_HIGH, AMI_PRIORITY_NORMAL, AMI_PRIORITY_LOW } ami_priority;
typedef enum { AMI_RUN_LOOP, AMI_RUN_SINGLE } ami_run_mode;
typedef enum { AMI_SCOPE_NETWORK, AMI_SCOPE_LOCAL } ami_scope;
/** The script's language: "js" or "ts" (TypeScript, run with its types removed). */
typedef enum { AMI_LANGUAGE_JS, AMI_LANGUAGE_TS } ami_language;

/** Wire name of an enum value ("parallel", "critical", "loop", "network"…); static, never NULL. */
AMI_EXTERN(const char *) ami_exec_mode_name(ami_exec_mode mode);
AMI_EXTERN(const char *) ami_priority_name(ami_priority priority);
AMI_EXTERN(const char *) ami_run_mode_name(ami_run_mode mode);
AMI_EXTERN(const char *) ami_scope_name(ami_scope scope);
AMI_EXTERN(const char *) ami_language_name(ami_language language);

/** Parse a wire name into *out; AMI_EINVAL (with a message naming the valid values) when unknown. */
AMI_EXTERN(int) ami_exec_mode_parse(ami_exec_mode *out, const char *name);
AMI_EXTERN(int) ami_priority_parse(ami_priority *out, const char *name);
AMI_EXTERN(int) ami_run_mode_parse(ami_run_mode *out, const char *name);
AMI_EXTERN(int) ami_scope_parse(ami_scope *out, const char *name);
AMI_EXTERN(int) ami_language_parse(ami_language *out, const char *name);

/** Loop delay of a priority in ms: critical 1, high 10, normal 100, low 1000. */
AMI_EXTERN(int) ami_priority_delay_ms(ami_priority priority);

/** scriptHash: the first 8 hex digits of SHA-256(script) into out[9]. */
AMI_EXTERN(void) ami_worker_script_hash(char out[9], const char *script, size_t len);

#define AMI_SCRIPT_MAX_BYTES 65536

/** The fields of a WorkerScript (raw), as bits of ami_worker_raw.present. */
enum {
    AMI_WORKER_F_SID = 1u << 0, AMI_WORKER_F_NID = 1u << 1, AMI_WORKER_F_ACTIVE = 1u << 2,
    AMI_WORKER_F_MODE = 1u << 3, AMI_WORKER_F_SCOPE = 1u << 4, AMI_WORKER_F_EXEC = 1u << 5,
    AMI_WORKER_F_PRIORITY = 1u << 6, AMI_WORKER_F_ACCOUNT = 1u << 7, AMI_WORKER_F_ASSIGNED = 1u << 8,
    AMI_WORKER_F_NOTE = 1u << 9, AMI_WORKER_F_SCRIPT = 1u << 10, AMI_WORKER_F_DEPENDENCIES = 1u << 11,
    AMI_WORKER_F_VERSION = 1u << 12, AMI_WORKER_F_TIMESTAMP = 1u << 13, AMI_WORKER_F_LANGUAGE = 1u << 14,
    AMI_WORKER_F_STOPPED_BY_POLICY = 1u << 15
};

/**
 * A WorkerScript in C form.  Strings and `dependencies` are borrowed from
 * the JSON it was parsed from (valid while that lives).  A field absent from
 * the JSON has its create default (active 0, loop, network, parallel,
 * normal, js; strings NULL, timestamp 0) and no bit in `present`.  A record
 * without "language" (written before it existed) runs with the language
 * detected from the script (TypeScript at its first TypeScript-only syntax).
 */
typedef struct ami_worker_raw {
    const char *sid, *nid;
    int active;
    ami_run_mode mode;
    ami_scope scope;
    ami_exec_mode exec;
    ami_priority priority;
    const char *account_id;       /* NULL: null or absent */
    const char *assigned_node;    /* NULL: null or absent */
    const char *note;             /* NULL: null or absent */
    const char *script;
    size_t script_len;
    const json_t *dependencies;   /* an array of strings, or NULL */
    const char *version;
    int64_t timestamp;
    unsigned present;             /* AMI_WORKER_F_* of the fields the JSON has */
    ami_language language;        /* "language" (after `present`: added later) */
    /* "stoppedByPolicy" ({reason, at, nid}, borrowed), or NULL: written by the
     * node whose error policy stopped the worker, never by a create or
     * setWorker body; starting the worker or a new script removes it. */
    const json_t *stopped_by_policy;
} ami_worker_raw;

/** How ami_worker_raw_parse treats what it does not expect. */
typedef enum {
    /* The registry's rules: an unknown field, a wrong JSON type or an unknown
     * enum name is AMI_EVALIDATION with the user-facing message ("Invalid
     * priority: 'urgent' (expected critical, high, normal or low)", "Unknown
     * field in raw: 'priorty'"). */
    AMI_WORKER_RAW_STRICT = 0,
    /* A reader's rules (a node following the store): unknown fields are
     * skipped and a field of the wrong JSON type reads as absent; an unknown
     * enum name is still AMI_EVALIDATION (the record cannot be scheduled). */
    AMI_WORKER_RAW_LENIENT = 1
} ami_worker_raw_mode;

/**
 * Parse a raw JSON object into *out (see ami_worker_raw for what is
 * borrowed).  The script's content (emptiness, size, compiling) is not
 * judged here: that is ami_registry_check_script's.  0, or AMI_EVALIDATION
 * with the message in ami_error_last() (*out then partly filled).
 */
AMI_EXTERN(int) ami_worker_raw_parse(ami_worker_raw *out, const json_t *raw, ami_worker_raw_mode mode);

/**
 * The inverse: a new JSON object (*out, the caller's) with every field of
 * `raw` in the canonical order (sid, nid, active, mode, scope, executionMode,
 * priority, accountId, assignedNode, note, script, language, dependencies,
 * version, timestamp); a field without its `present` bit is left out.  AMI_ENOMEM.
 */
AMI_EXTERN(int) ami_worker_raw_to_json(json_t **out, const ami_worker_raw *raw);

#ifdef __cplusplus
}
#endif
#endif
