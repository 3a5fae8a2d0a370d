/* Worker records: defaults, validation, JSON shapes of spec 003, CRUD with optimistic locking. */
#include <stdlib.h>
#include <string.h>
#include "core/core.h"
#include "util/util.h"
#include "ami/registry.h"
#include "ami/runtime.h"
#include "registry/worker_internal.h"

#define DEFAULT_SCRIPT "\nlogger.info(\"Worker script initialized!\");\n"
#define DEFAULT_VERSION "1.19.2"
#define DEFAULT_DEPENDENCY "gliesereum"
#define CONFLICT_MSG "Update Worker Error: version mismatch or not found"

/* ---- script check ---- */

/* Type, emptiness and size here; whether it compiles is the runtime's
 * answer (lowering + Duktape's compiler in a throw-away heap).  No hook: every
 * create and update compiles, whoever calls (docs/design.md §2, layering). */
AMI_EXTERN(int) ami_registry_check_script(const char *script, size_t len)
{
    if (!script) return ami__error_set(AMI_EVALIDATION, "Invalid script content: script must be a string");
    if (len == 0 || strspn(script, " \t\r\n") == len)
        return ami__error_set(AMI_EVALIDATION, "Invalid script content: script is empty");
    if (len > AMI_SCRIPT_MAX_BYTES)
        return ami__error_set(AMI_EVALIDATION, "Invalid script content: script is %zu bytes, over the %d byte limit",
                              len, AMI_SCRIPT_MAX_BYTES);
    ami_script_error se;
    int rc = ami_runtime_check_script(script, len, &se);
    if (rc == AMI_ESCRIPT) return ami__error_script(AMI_EVALIDATION, &se, "Invalid script content: ");
    return rc;
}

/* ---- field validation shared by create and update ---- */

/*
 * Validate one raw field (name as in WorkerScript) by the record parser's
 * rules (lib/registry/worker.c), and a script by ami_registry_check_script.
 * Returns 0, or AMI_EVALIDATION with the user-facing message.  Unknown names
 * are rejected so a typo ("priorty") is not silently dropped.
 */
static int validate_field(const char *name, const json_t *v)
{
    int rc = ami__worker_raw_field(NULL, name, v, AMI_WORKER_RAW_STRICT);
    if (!rc && !strcmp(name, "script")) rc = ami_registry_check_script(json_string_value(v), json_string_length(v));
    return rc;
}

/* Empty or only white space: no node id ("   " would name no node ever). */
static int blank(const char *s)
{
    if (!s) return 1;
    for (; *s; s++) if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
    return 1;
}

static int check_exclusive(const json_t *raw)
{
    const json_t *mode = json_object_get(raw, "executionMode");
    const json_t *node = json_object_get(raw, "assignedNode");
    if (json_is_string(mode) && !strcmp(json_string_value(mode), "exclusive") &&
        (!json_is_string(node) || blank(json_string_value(node))))
        return ami__error_set(AMI_EVALIDATION, "Exclusive mode requires assignedNode parameter");
    return 0;
}

/* ---- shapes ---- */

static json_t *worker_key(const char *sid) { return ami_key_new("ami", "worker", sid, NULL); }

/* WorkerData around raw (raw is stolen). */
static json_t *worker_data(const char *sid, json_t *raw, int64_t ts)
{
    char channel[128];
    snprintf(channel, sizeof channel, "ami.worker.%s", sid);
    char widget[160];
    snprintf(widget, sizeof widget, "widget.%s", channel);
    return json_pack("{s:s, s:s, s:s, s:o, s:I}", "channel", channel, "module", "worker", "widget", widget,
                     "raw", raw, "timestamp", (json_int_t)ts);
}

static json_t *make_entry(const char *sid, json_t *value, const char *vs)
{
    return json_pack("{s:o, s:O, s:s}", "key", worker_key(sid), "value", value, "versionstamp", vs);
}

static int commit_worker(ami_store *store, const char *sid, json_t *value, const char *expect_vs,
                         ami_versionstamp out_vs, int *committed)
{
    ami_atomic *at = NULL;
    json_t *key = worker_key(sid);
    int rc = ami_atomic_new(&at);
    if (!rc) rc = ami_atomic_check(at, key, expect_vs);
    if (!rc) rc = ami_atomic_set(at, key, value, 0);
    if (!rc) rc = ami_store_commit(store, at, committed, out_vs);
    if (rc == AMI_EVALUETOOLARGE) {
        /* The script passed its own limit; the record around it (note, fields, JSON escapes) did not. */
        char *text = json_dumps(value, JSON_COMPACT);
        size_t n = text ? strlen(text) : 0;
        free(text);
        rc = ami__error_set(AMI_EVALUETOOLARGE,
                            "Worker record too large: the script and fields take %zu bytes of JSON, over the %d-byte "
                            "limit of a stored value (shorten the script or the note)", n, AMI_VALUE_MAX_BYTES);
    }
    ami_atomic_free(at);
    json_decref(key);
    return rc;
}

AMI_EXTERN(int) ami_registry_create(json_t **out, ami_store *store, const char *nid, const json_t *body)
{
    if (!out || !store || !nid || !*nid) return ami__error_set(AMI_EINVAL, "registry_create: store and nid are required");
    *out = NULL;
    if (body && json_is_null(body)) body = NULL;
    if (body && !json_is_object(body)) return ami__error_set(AMI_EVALIDATION, "Invalid request body");

    char sid[37];
    int rc = ami__uuid4(sid);
    if (rc) return rc;
    int64_t now = ami_time_now_ms();
    char iso[32], note[128];
    ami__iso_time(now, iso);
    snprintf(note, sizeof note, "Worker script Stels SDK %s - %s", sid, iso);
    json_t *deps = json_pack("[s]", DEFAULT_DEPENDENCY);
    if (!deps) return ami__error_oom();
    ami_worker_raw r;
    ami__worker_raw_defaults(&r);
    r.script = DEFAULT_SCRIPT;
    r.script_len = sizeof DEFAULT_SCRIPT - 1;
    r.dependencies = deps;
    r.version = DEFAULT_VERSION;
    if (body) rc = ami__worker_raw_from_body(&r, body, validate_field);
    if (!rc && r.exec == AMI_EXEC_EXCLUSIVE && blank(r.assigned_node))
        rc = ami__error_set(AMI_EVALIDATION, "Exclusive mode requires assignedNode parameter");
    json_t *raw = NULL;
    if (!rc) {
        r.sid = sid;
        r.nid = nid;
        if (!(r.present & AMI_WORKER_F_NOTE)) r.note = note;   /* none given, or null */
        if (!(r.present & AMI_WORKER_F_LANGUAGE))   /* none given: what the script is */
            ami_language_parse(&r.language, ami_runtime_detect_language(r.script, r.script_len));
        r.timestamp = now;
        r.present = ~0u;   /* a new record has every field */
        rc = ami_worker_raw_to_json(&raw, &r);
    }
    json_decref(deps);
    if (rc) return rc;

    json_t *value = worker_data(sid, raw, now);
    ami_versionstamp vs;
    int committed = 0;
    rc = commit_worker(store, sid, value, NULL, vs, &committed);
    if (!rc && !committed) rc = ami__error_set(AMI_ECONFLICT, "worker %s already exists", sid);
    if (!rc) *out = make_entry(sid, value, vs);
    json_decref(value);
    return rc;
}

AMI_EXTERN(int) ami_registry_scan(json_t **out, json_t **corrupt, ami_store *store)
{
    if (corrupt) *corrupt = NULL;
    if (!out) return ami__error_set(AMI_EINVAL, "ami_registry_scan: out is NULL");
    *out = NULL;
    json_t *prefix = json_pack("[ss]", "ami", "worker"), *all = NULL;
    ami_list_options opts = AMI_LIST_OPTIONS_INIT;
    opts.prefix = prefix;
    opts.keep_corrupt = 1;
    int rc = ami_store_list(&all, store, &opts);
    json_decref(prefix);
    if (rc) return rc;
    json_t *good = json_array(), *bad = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e) {
        const char *why = json_string_value(json_object_get(e, "corrupt"));
        if (!why) {
            json_array_append(good, e);
            continue;
        }
        json_t *key = json_object_get(e, "key");
        const char *sid = json_string_value(json_array_get(key, 2));
        json_array_append_new(bad, json_pack("{s:O, s:s?, s:s}", "key", key, "sid", sid, "error", why));
    }
    json_decref(all);
    *out = good;
    if (corrupt) *corrupt = bad;
    else json_decref(bad);
    return 0;
}

AMI_EXTERN(int) ami_registry_list(json_t **out, ami_store *store)
{
    json_t *bad = NULL;
    int rc = ami_registry_scan(out, &bad, store);
    size_t i;
    json_t *b;
    json_array_foreach(bad, i, b) {
        char *k = json_dumps(json_object_get(b, "key"), JSON_COMPACT);
        const char *sid = json_string_value(json_object_get(b, "sid"));
        ami__log(AMI__LOG_WARN, "worker record %s is unreadable (%s); skipped (delete it: amictl delete %s)",
                 k ? k : "?", json_string_value(json_object_get(b, "error")), sid ? sid : "SID");
        free(k);
    }
    json_decref(bad);
    return rc;
}

AMI_EXTERN(int) ami_registry_get(json_t **out, ami_store *store, const char *sid)
{
    if (!sid || !*sid) return ami__error_set(AMI_EINVAL, "worker id is required");
    json_t *key = worker_key(sid), *entry = NULL;
    int rc = ami_store_get(&entry, store, key);
    json_decref(key);
    if (rc) return rc;
    if (json_is_null(json_object_get(entry, "value"))) {
        json_decref(entry);
        return ami__error_set(AMI_ENOTFOUND, "Worker not found: %s", sid);
    }
    *out = entry;
    return 0;
}

AMI_EXTERN(int) ami_registry_resolve_in(char **out_sid, const json_t *entries, const char *prefix)
{
    if (!prefix || !*prefix) return ami__error_set(AMI_EINVAL, "worker id is required");
    size_t plen = strlen(prefix), i, matches = 0;
    const char *found = NULL;
    ami_buf cands = AMI_BUF_INIT;
    json_t *e;
    json_array_foreach(entries, i, e) {
        const char *sid = json_string_value(json_array_get(json_object_get(e, "key"), 2));
        if (!sid) continue;
        if (!strcmp(sid, prefix)) { found = sid; matches = 1; break; }
        if (!strncmp(sid, prefix, plen)) {
            found = sid;
            matches++;
            ami_buf_printf(&cands, "%s%s", matches > 1 ? ", " : "", sid);
        }
    }
    int rc;
    if (matches == 1) {
        *out_sid = ami__strdup(found);
        rc = *out_sid ? 0 : ami__error_oom();
    } else if (matches == 0) {
        rc = ami__error_set(AMI_ENOTFOUND, "no worker matches '%s'", prefix);
    } else {
        rc = ami__error_set(AMI_EAMBIGUOUS, "'%s' matches %zu workers: %s", prefix, matches, cands.ptr);
    }
    ami_buf_dispose(&cands);
    return rc;
}

AMI_EXTERN(int) ami_registry_resolve(char **out_sid, ami_store *store, const char *prefix)
{
    if (!prefix || !*prefix) return ami__error_set(AMI_EINVAL, "worker id is required");
    json_t *all = NULL;
    int rc = ami_registry_list(&all, store);
    if (rc) return rc;
    rc = ami_registry_resolve_in(out_sid, all, prefix);
    json_decref(all);
    return rc;
}

/* One read-merge-commit; *lost is set when the commit's check failed (someone wrote in between). */
static int update_once(json_t **out, ami_store *store, const char *sid, const json_t *patch, const char *versionstamp,
                       int *lost)
{
    *lost = 0;
    json_t *entry = NULL;
    int rc = ami_registry_get(&entry, store, sid);
    if (rc == AMI_ENOTFOUND) return ami__error_set(AMI_ECONFLICT, CONFLICT_MSG);
    if (rc) return rc;
    const char *read_vs = json_string_value(json_object_get(entry, "versionstamp"));
    if (versionstamp && *versionstamp && strcmp(versionstamp, read_vs)) {
        json_decref(entry);
        return ami__error_set(AMI_ECONFLICT, CONFLICT_MSG);
    }
    json_t *raw = json_deep_copy(json_object_get(json_object_get(entry, "value"), "raw"));
    if (!json_is_object(raw)) {
        /* Not written by the registry (e.g. a script's Stels.net.set): merging into it would
         * answer success and store garbage. */
        json_decref(raw);
        json_decref(entry);
        return ami__error_set(AMI_EVALIDATION, "Invalid worker record %s: raw is not an object (delete it and create "
                              "the worker again)", sid);
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v) {
        if ((!strcmp(k, "sid") || !strcmp(k, "nid")) && json_is_string(v)) {
            const char *cur = json_string_value(json_object_get(raw, k));
            if (cur && strcmp(cur, json_string_value(v))) {
                rc = ami__error_set(AMI_EVALIDATION, "Invalid %s: %s cannot change", k, k);
                break;
            }
            continue;
        }
        if (!strcmp(k, "timestamp")) continue; /* set by the store on every update */
        if (!strcmp(k, AMI__STOPPED_BY_POLICY)) {
            /* written by a node whose error policy stopped the worker; null removes it */
            if (json_is_null(v)) json_object_del(raw, k);
            else if (json_is_object(v)) json_object_set(raw, k, v);
            else { rc = ami__error_set(AMI_EVALIDATION, "Invalid %s: expected an object or null", k); break; }
            continue;
        }
        if (json_is_null(v)) {
            if (!strcmp(k, "accountId") || !strcmp(k, "assignedNode")) {
                json_object_set_new(raw, k, json_null());
                continue;
            }
            if (!strcmp(k, "note")) {
                json_object_set_new(raw, k, json_string(""));
                continue;
            }
            rc = ami__error_set(AMI_EVALIDATION, "Invalid %s: cannot be null", k);
            break;
        }
        if ((rc = validate_field(k, v))) break;
        json_object_set(raw, k, v);
    }
    /* starting again (active:true) or a new script clears a policy stop (docs/design.md §7) */
    if (!rc && (json_is_true(json_object_get(patch, "active")) || json_object_get(patch, "script")))
        json_object_del(raw, AMI__STOPPED_BY_POLICY);
    if (!rc) rc = check_exclusive(raw);
    const json_t *nscript = json_object_get(patch, "script");
    if (!rc && json_is_string(nscript) && !json_object_get(patch, "language"))   /* a new script: what it is */
        json_object_set_new(raw, "language",
                            json_string(ami_runtime_detect_language(json_string_value(nscript), json_string_length(nscript))));
    if (rc) {
        json_decref(raw);
        json_decref(entry);
        return rc;
    }
    int64_t now = ami_time_now_ms();
    json_object_set_new(raw, "timestamp", json_integer((json_int_t)now));
    json_t *value = worker_data(sid, raw, now);
    ami_versionstamp vs;
    int committed = 0;
    rc = commit_worker(store, sid, value, read_vs, vs, &committed);
    if (!rc && !committed) {
        *lost = 1;
        rc = ami__error_set(AMI_ECONFLICT, CONFLICT_MSG);
    }
    if (!rc && out) *out = make_entry(sid, value, vs);
    json_decref(value);
    json_decref(entry);
    return rc;
}

AMI_EXTERN(int) ami_registry_update(json_t **out, ami_store *store, const char *sid, const json_t *patch,
                                    const char *versionstamp)
{
    if (!sid || !*sid) return ami__error_set(AMI_EINVAL, "worker id is required");
    if (!json_is_object(patch)) return ami__error_set(AMI_EVALIDATION, "Invalid request body: raw must be an object");
    if (out) *out = NULL;
    /* Without a caller's versionstamp the patch is merged into whatever is current, so a
     * commit lost to another writer is redone on the fresh record instead of failing the
     * user (nothing is overwritten: each attempt re-reads).  A caller's versionstamp is
     * optimistic locking proper and is never retried. */
    int explicit_vs = versionstamp && *versionstamp, lost = 0, rc = 0;
    if (explicit_vs) {
        size_t n = strspn(versionstamp, "0123456789abcdef");
        if (n != 20 || versionstamp[n])
            return ami__error_set(AMI_EVALIDATION, "Invalid versionstamp: '%.40s' (expected 20 lowercase hex digits)",
                                  versionstamp);
    }
    for (int attempt = 0; attempt < 50; attempt++) {
        rc = update_once(out, store, sid, patch, versionstamp, &lost);
        if (!lost || explicit_vs) break;
        unsigned char r = 0;
        (void)ami__random_bytes(&r, 1);
        ami__sleep_ms(1 + r % (attempt < 10 ? 3 : 10));   /* jitter: contenders do not retry in lockstep */
    }
    return rc;
}

AMI_EXTERN(int) ami_registry_set_active(json_t **out, ami_store *store, const char *sid, int active)
{
    json_t *patch = json_pack("{s:b}", "active", active);
    int rc = ami_registry_update(out, store, sid, patch, NULL);
    json_decref(patch);
    return rc;
}

/* One read-then-delete; *lost is set when another writer committed in between. */
static int delete_once(ami_store *store, const char *sid, int *lost)
{
    *lost = 0;
    json_t *entry = NULL;
    int rc = ami_registry_get(&entry, store, sid);
    ami_versionstamp read_vs = "";
    if (rc == AMI_EIO) {
        /* an unreadable record can still be deleted: check its versionstamp only */
        json_t *k = worker_key(sid);
        ami_buf text = AMI_BUF_INIT;
        rc = ami_store_get_text(&text, read_vs, store, k);
        ami_buf_dispose(&text);
        json_decref(k);
        if (rc == AMI_ENOTFOUND) return ami__error_set(AMI_ENOTFOUND, "Worker not found: %s", sid);
        if (rc) return rc;
    } else if (rc) {
        return rc;
    } else {
        snprintf(read_vs, sizeof read_vs, "%s", json_string_value(json_object_get(entry, "versionstamp")));
    }
    json_t *key = worker_key(sid);
    ami_atomic *at = NULL;
    int committed = 0;
    ami_versionstamp vs;
    rc = ami_atomic_new(&at);
    if (!rc) rc = ami_atomic_check(at, key, read_vs);
    if (!rc) rc = ami_atomic_delete(at, key);
    /* The lease record outlives expiry (it keeps the term); it goes with its worker. */
    json_t *lease_key = ami_key_new("ami", "leader", sid, NULL);
    if (!rc) rc = ami_atomic_delete(at, lease_key);
    json_decref(lease_key);
    if (!rc) rc = ami_store_commit(store, at, &committed, vs);
    if (!rc && !committed) {
        *lost = 1;
        rc = ami__error_set(AMI_ECONFLICT, "worker %s changed while deleting; try again", sid);
    }
    ami_atomic_free(at);
    json_decref(key);
    json_decref(entry);
    return rc;
}

AMI_EXTERN(int) ami_registry_delete(ami_store *store, const char *sid)
{
    /* The caller asked for the worker to go whatever its version: a write that
     * slipped in between our read and commit only means reading again. */
    int lost = 0, rc = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
        rc = delete_once(store, sid, &lost);
        if (!lost) break;
        unsigned char r = 0;
        (void)ami__random_bytes(&r, 1);
        ami__sleep_ms(1 + r % (attempt < 10 ? 3 : 10));
    }
    return rc;
}

AMI_EXTERN(int) ami_registry_stop_all(json_t **out, int *partial, ami_store *store)
{
    json_t *all = NULL;
    int rc = ami_registry_list(&all, store);
    if (rc) return rc;
    size_t total = json_array_size(all), stopped = 0, failed = 0, i;
    if (partial) *partial = 0;
    if (total == 0) {
        json_decref(all);
        *out = json_pack("{s:s, s:i, s:i, s:i, s:[]}", "message", "No workers found", "total", 0, "stopped", 0,
                         "failed", 0, "workers");
        return 0;
    }
    json_t *errors = json_array(), *workers = json_array(), *e;
    json_array_foreach(all, i, e) {
        json_t *value = json_object_get(e, "value");
        const char *sid = json_string_value(json_array_get(json_object_get(e, "key"), 2));
        const char *channel = json_string_value(json_object_get(value, "channel"));
        const char *status = "stopped";
        /* As spec 003's example: "stopped" counts workers that are stopped now, already or by us. */
        if (!json_is_true(json_object_get(json_object_get(value, "raw"), "active"))) {
            status = "already_stopped";
            stopped++;
        } else {
            /* One retry: another writer may have touched the record since the list. */
            int r = ami_registry_set_active(NULL, store, sid, 0);
            if (r == AMI_ECONFLICT) r = ami_registry_set_active(NULL, store, sid, 0);
            if (r) {
                status = "failed";
                failed++;
                json_array_append_new(errors, json_pack("{s:s, s:s}", "channel", channel, "error",
                                                        ami_error_last()[0] ? ami_error_last() : "Failed to stop worker"));
            } else {
                stopped++;
            }
        }
        json_array_append_new(workers, json_pack("{s:s, s:s}", "channel", channel, "status", status));
    }
    json_decref(all);
    if (partial) *partial = failed > 0;
    *out = json_pack("{s:I, s:I, s:I, s:o, s:o}", "total", (json_int_t)total, "stopped", (json_int_t)stopped,
                     "failed", (json_int_t)failed, "errors", errors, "workers", workers);
    return 0;
}

AMI_EXTERN(const char *) ami_entry_sid(const json_t *entry)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(entry, "value"), "raw"), "sid"));
}
