/* The worker record: enums ↔ wire names, the raw parser and its inverse, priority delays, script hash. */
#include <string.h>
#include "core/core.h"
#include "util/util.h"
#include "ami/worker.h"
#include "registry/worker_internal.h"

/* An enum's wire names (index = value) and how its errors name it. */
typedef struct {
    const char *const *names;
    int count;
    const char *field;   /* the raw field */
    const char *valid;   /* "parallel, leader or exclusive" */
} enum_desc;

static const char *const exec_names[] = { "parallel", "leader", "exclusive" };
static const char *const prio_names[] = { "critical", "high", "normal", "low" };
static const char *const run_names[] = { "loop", "single" };
static const char *const scope_names[] = { "network", "local" };
static const char *const lang_names[] = { "js", "ts" };
static const enum_desc EXEC = { exec_names, 3, "executionMode", "parallel, leader or exclusive" };
static const enum_desc PRIO = { prio_names, 4, "priority", "critical, high, normal or low" };
static const enum_desc RUN = { run_names, 2, "mode", "loop or single" };
static const enum_desc SCOPE = { scope_names, 2, "scope", "network or local" };
static const enum_desc LANG = { lang_names, 2, "language", "js or ts" };

static const char *name_of(const enum_desc *d, int v) { return v >= 0 && v < d->count ? d->names[v] : "unknown"; }

AMI_EXTERN(const char *) ami_exec_mode_name(ami_exec_mode m) { return name_of(&EXEC, (int)m); }
AMI_EXTERN(const char *) ami_priority_name(ami_priority p) { return name_of(&PRIO, (int)p); }
AMI_EXTERN(const char *) ami_run_mode_name(ami_run_mode m) { return name_of(&RUN, (int)m); }
AMI_EXTERN(const char *) ami_scope_name(ami_scope s) { return name_of(&SCOPE, (int)s); }
AMI_EXTERN(const char *) ami_language_name(ami_language l) { return name_of(&LANG, (int)l); }

/* The value of `name`, or AMI_EINVAL with the user-facing message. */
static int lookup(const enum_desc *d, const char *name)
{
    for (int i = 0; name && i < d->count; i++)
        if (!strcmp(name, d->names[i])) return i;
    return ami__error_set(AMI_EINVAL, "Invalid %s: '%s' (expected %s)", d->field, name ? name : "(null)", d->valid);
}

AMI_EXTERN(int) ami_exec_mode_parse(ami_exec_mode *out, const char *name) { int v = lookup(&EXEC, name); return v < 0 ? v : (*out = (ami_exec_mode)v, 0); }
AMI_EXTERN(int) ami_priority_parse(ami_priority *out, const char *name) { int v = lookup(&PRIO, name); return v < 0 ? v : (*out = (ami_priority)v, 0); }
AMI_EXTERN(int) ami_run_mode_parse(ami_run_mode *out, const char *name) { int v = lookup(&RUN, name); return v < 0 ? v : (*out = (ami_run_mode)v, 0); }
AMI_EXTERN(int) ami_scope_parse(ami_scope *out, const char *name) { int v = lookup(&SCOPE, name); return v < 0 ? v : (*out = (ami_scope)v, 0); }

AMI_EXTERN(int) ami_language_parse(ami_language *out, const char *name) { int v = lookup(&LANG, name); return v < 0 ? v : (*out = (ami_language)v, 0); }

AMI_EXTERN(int) ami_priority_delay_ms(ami_priority p)
{
    switch (p) {
    case AMI_PRIORITY_CRITICAL: return 1;
    case AMI_PRIORITY_HIGH: return 10;
    case AMI_PRIORITY_LOW: return 1000;
    default: return 100;
    }
}

AMI_EXTERN(void) ami_worker_script_hash(char out[9], const char *script, size_t len)
{
    char hex[65];
    ami__sha256_hex(script, len, hex);
    memcpy(out, hex, 8);
    out[8] = '\0';
}

/* ---- the raw parser: one table of fields, read by every layer ---- */

enum { K_STR, K_STR_NULL, K_BOOL, K_INT, K_STRARRAY, K_ENUM, K_SCRIPT, K_OBJECT };

typedef struct {
    const char *name;        /* in raw */
    const char *body_name;   /* in a setWorker body; NULL: not there */
    int kind;
    unsigned bit;
    const enum_desc *e;   /* K_ENUM */
} field_rule;

/* Canonical order: how the registry writes a record. */
static const field_rule fields[] = {
    { "sid", NULL, K_STR, AMI_WORKER_F_SID, NULL },
    { "nid", NULL, K_STR, AMI_WORKER_F_NID, NULL },
    { "active", "active", K_BOOL, AMI_WORKER_F_ACTIVE, NULL },
    { "mode", "mode", K_ENUM, AMI_WORKER_F_MODE, &RUN },
    { "scope", "scope", K_ENUM, AMI_WORKER_F_SCOPE, &SCOPE },
    { "executionMode", "executionMode", K_ENUM, AMI_WORKER_F_EXEC, &EXEC },
    { "priority", "priority", K_ENUM, AMI_WORKER_F_PRIORITY, &PRIO },
    { "accountId", "accountId", K_STR_NULL, AMI_WORKER_F_ACCOUNT, NULL },
    { "assignedNode", "assignedNode", K_STR_NULL, AMI_WORKER_F_ASSIGNED, NULL },
    { "note", "note", K_STR_NULL, AMI_WORKER_F_NOTE, NULL },
    { "script", "scriptContent", K_SCRIPT, AMI_WORKER_F_SCRIPT, NULL },
    { "language", "language", K_ENUM, AMI_WORKER_F_LANGUAGE, &LANG },
    { "dependencies", "dependencies", K_STRARRAY, AMI_WORKER_F_DEPENDENCIES, NULL },
    { "version", "version", K_STR, AMI_WORKER_F_VERSION, NULL },
    { "timestamp", NULL, K_INT, AMI_WORKER_F_TIMESTAMP, NULL },
    { "stoppedByPolicy", NULL, K_OBJECT, AMI_WORKER_F_STOPPED_BY_POLICY, NULL },
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static const field_rule *rule_of(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (!strcmp(fields[i].name, name)) return &fields[i];
    return NULL;
}

static int type_ok(const json_t *v, int kind)
{
    switch (kind) {
    case K_STR: case K_ENUM: case K_SCRIPT: return json_is_string(v);
    case K_STR_NULL: return json_is_string(v) || json_is_null(v);
    case K_BOOL: return json_is_boolean(v);
    case K_INT: return json_is_integer(v);
    case K_OBJECT: return json_is_object(v);
    case K_STRARRAY: {
        if (!json_is_array(v)) return 0;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) if (!json_is_string(e)) return 0;
        return 1;
    }
    }
    return 0;
}

/* What a kind must be, in the dispatcher's words and in the registry's. */
static const char *kind_words(int kind)
{
    switch (kind) {
    case K_STR_NULL: return "a string or null";
    case K_BOOL: return "a boolean";
    case K_INT: return "an integer";
    case K_STRARRAY: return "an array of strings";
    case K_OBJECT: return "an object";
    default: return "a string";
    }
}

static int type_error(const field_rule *r)
{
    switch (r->kind) {
    case K_SCRIPT: return ami__error_set(AMI_EVALIDATION, "Invalid script content: script must be a string");
    case K_BOOL: return ami__error_set(AMI_EVALIDATION, "Invalid %s: expected true or false", r->name);
    default: return ami__error_set(AMI_EVALIDATION, "Invalid %s: expected %s", r->name, kind_words(r->kind));
    }
}

static void store_field(ami_worker_raw *out, const field_rule *r, const json_t *v, int enum_value)
{
    out->present |= r->bit;
    const char *str = json_string_value(v);
    switch (r->bit) {
    case AMI_WORKER_F_SID: out->sid = str; break;
    case AMI_WORKER_F_NID: out->nid = str; break;
    case AMI_WORKER_F_ACTIVE: out->active = json_is_true(v); break;
    case AMI_WORKER_F_MODE: out->mode = (ami_run_mode)enum_value; break;
    case AMI_WORKER_F_SCOPE: out->scope = (ami_scope)enum_value; break;
    case AMI_WORKER_F_EXEC: out->exec = (ami_exec_mode)enum_value; break;
    case AMI_WORKER_F_PRIORITY: out->priority = (ami_priority)enum_value; break;
    case AMI_WORKER_F_ACCOUNT: out->account_id = str; break;
    case AMI_WORKER_F_ASSIGNED: out->assigned_node = str; break;
    case AMI_WORKER_F_NOTE: out->note = str; break;
    case AMI_WORKER_F_SCRIPT: out->script = str; out->script_len = json_string_length(v); break;
    case AMI_WORKER_F_LANGUAGE: out->language = (ami_language)enum_value; break;
    case AMI_WORKER_F_DEPENDENCIES: out->dependencies = v; break;
    case AMI_WORKER_F_VERSION: out->version = str; break;
    case AMI_WORKER_F_TIMESTAMP: out->timestamp = (int64_t)json_integer_value(v); break;
    case AMI_WORKER_F_STOPPED_BY_POLICY: out->stopped_by_policy = v; break;
    }
}

int ami__worker_raw_field(ami_worker_raw *out, const char *name, const json_t *v, ami_worker_raw_mode mode)
{
    const field_rule *r = rule_of(name);
    if (!r) {
        if (mode == AMI_WORKER_RAW_LENIENT) return 0;
        return ami__error_set(AMI_EVALIDATION, "Unknown field in raw: '%s'", name);
    }
    if (!type_ok(v, r->kind)) return mode == AMI_WORKER_RAW_LENIENT ? 0 : type_error(r);
    int e = r->kind == K_ENUM ? lookup(r->e, json_string_value(v)) : 0;
    if (e < 0) return ami__error_set(AMI_EVALIDATION, "%s", ami_error_last());
    if (out) store_field(out, r, v, e);
    return 0;
}

void ami__worker_raw_defaults(ami_worker_raw *out)
{
    memset(out, 0, sizeof *out);
    out->mode = AMI_RUN_LOOP;
    out->scope = AMI_SCOPE_NETWORK;
    out->exec = AMI_EXEC_PARALLEL;
    out->priority = AMI_PRIORITY_NORMAL;
}

AMI_EXTERN(int) ami_worker_raw_parse(ami_worker_raw *out, const json_t *raw, ami_worker_raw_mode mode)
{
    if (!out) return ami__error_set(AMI_EINVAL, "worker_raw_parse: out is required");
    ami__worker_raw_defaults(out);
    if (!json_is_object(raw)) return ami__error_set(AMI_EVALIDATION, "Invalid raw: expected an object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)raw, k, v) {
        int rc = ami__worker_raw_field(out, k, v, mode);
        if (rc) return rc;
    }
    return 0;
}

int ami__worker_raw_check_types(const json_t *obj, int body, ami__raw_fault *fault)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_rule *r = &fields[i];
        const char *name = body ? r->body_name : r->name;
        if (!name || r->kind == K_SCRIPT) continue;
        json_t *v = json_object_get(obj, name);
        if (v && !type_ok(v, r->kind)) {
            if (fault) { fault->field = name; fault->expected = kind_words(r->kind); }
            return AMI_EVALIDATION;
        }
    }
    return 0;
}

AMI_EXTERN(int) ami_worker_raw_to_json(json_t **out, const ami_worker_raw *raw)
{
    if (!out || !raw) return ami__error_set(AMI_EINVAL, "worker_raw_to_json: out and raw are required");
    *out = NULL;
    json_t *o = json_object();
    if (!o) return ami__error_oom();
    int bad = 0;
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_rule *r = &fields[i];
        if (!(raw->present & r->bit)) continue;
        json_t *v = NULL;
        switch (r->bit) {
        case AMI_WORKER_F_SID: v = json_string(raw->sid ? raw->sid : ""); break;
        case AMI_WORKER_F_NID: v = json_string(raw->nid ? raw->nid : ""); break;
        case AMI_WORKER_F_ACTIVE: v = json_boolean(raw->active); break;
        case AMI_WORKER_F_MODE: v = json_string(ami_run_mode_name(raw->mode)); break;
        case AMI_WORKER_F_SCOPE: v = json_string(ami_scope_name(raw->scope)); break;
        case AMI_WORKER_F_EXEC: v = json_string(ami_exec_mode_name(raw->exec)); break;
        case AMI_WORKER_F_PRIORITY: v = json_string(ami_priority_name(raw->priority)); break;
        case AMI_WORKER_F_ACCOUNT: v = raw->account_id ? json_string(raw->account_id) : json_null(); break;
        case AMI_WORKER_F_ASSIGNED: v = raw->assigned_node ? json_string(raw->assigned_node) : json_null(); break;
        case AMI_WORKER_F_NOTE: v = raw->note ? json_string(raw->note) : json_null(); break;
        case AMI_WORKER_F_SCRIPT:
            v = raw->script ? json_stringn(raw->script, raw->script_len) : json_string("");
            break;
        case AMI_WORKER_F_LANGUAGE: v = json_string(ami_language_name(raw->language)); break;
        case AMI_WORKER_F_DEPENDENCIES: v = raw->dependencies ? json_deep_copy(raw->dependencies) : json_array(); break;
        case AMI_WORKER_F_VERSION: v = json_string(raw->version ? raw->version : ""); break;
        case AMI_WORKER_F_TIMESTAMP: v = json_integer((json_int_t)raw->timestamp); break;
        case AMI_WORKER_F_STOPPED_BY_POLICY:
            if (!raw->stopped_by_policy) continue;
            v = json_deep_copy(raw->stopped_by_policy);
            break;
        }
        if (!v || json_object_set_new(o, r->name, v)) { bad = 1; break; }
    }
    if (bad) { json_decref(o); return ami__error_oom(); }
    *out = o;
    return 0;
}

int ami__worker_raw_from_body(ami_worker_raw *out, const json_t *body, int (*check)(const char *name, const json_t *v))
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        int known = 0;
        for (size_t i = 0; i < NFIELDS && !known; i++) known = fields[i].body_name && !strcmp(k, fields[i].body_name);
        if (!known) return ami__error_set(AMI_EVALIDATION, "Unknown field in request body: '%s'", k);
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_rule *r = &fields[i];
        if (!r->body_name || !(v = json_object_get(body, r->body_name))) continue;
        int rc = check ? check(r->name, v) : 0;
        if (!rc) rc = ami__worker_raw_field(out, r->name, v, AMI_WORKER_RAW_STRICT);
        if (rc) return rc;
        if (r->bit == AMI_WORKER_F_NOTE && json_is_null(v)) out->present &= ~r->bit;
    }
    return 0;
}
