/* Internal: the worker-record parser's field rules, for callers that word their own messages. */
#ifndef AMI_WORKER_INTERNAL_H
#define AMI_WORKER_INTERNAL_H
#include "ami/worker.h"

/* Raw field a node writes when its error policy stopped the worker: {"reason", "at", "nid"}.
 * Nodes do not start a worker carrying it; active:true or a new script removes it
 * (ami_registry_update), as does the value null (docs/design.md §7). */
#define AMI__STOPPED_BY_POLICY "stoppedByPolicy"

/* Which field had the wrong JSON type, and what it must be. */
typedef struct ami__raw_fault {
    const char *field;      /* the name as it appears in the object checked (static) */
    const char *expected;   /* "a string", "a string or null", "a boolean", "an integer", "an array of strings" */
} ami__raw_fault;

/*
 * Check only the JSON types of the fields `obj` has, in canonical order, by
 * the parser's rules.  body = 0: raw names; body = 1: a setWorker body's
 * names (no sid, nid or timestamp there).  The script is not looked at (its
 * type is ami_registry_check_script's message).  Unknown fields pass.
 * 0, or AMI_EVALIDATION with *fault naming the first field of a wrong type.
 */
int ami__worker_raw_check_types(const json_t *obj, int body, ami__raw_fault *fault);

/*
 * Parse one raw field by name into *out (NULL: check only), by `mode`'s rules
 * and with ami_worker_raw_parse's messages.  0 or AMI_EVALIDATION.
 */
int ami__worker_raw_field(ami_worker_raw *out, const char *name, const json_t *v, ami_worker_raw_mode mode);

/*
 * Read a setWorker body into *out (which holds the defaults): unknown body
 * fields are AMI_EVALIDATION ("Unknown field in request body: 'x'"); the known
 * ones, in canonical order, go through `check` (raw name, value; the caller's
 * extra rules, e.g. compiling the script) and then the parser's rules.
 * A body field that is present but null stores nothing for note (the caller
 * keeps its default).  0 or the first error.
 */
int ami__worker_raw_from_body(ami_worker_raw *out, const json_t *body, int (*check)(const char *name, const json_t *v));

/* *out with the create defaults of the enums, nothing present. */
void ami__worker_raw_defaults(ami_worker_raw *out);

#endif
