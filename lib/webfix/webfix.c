/*
 * The WebFIX dispatcher: request envelope, method table, session and role
 * checks, and the methods of spec 003 plus ours (docs/design.md §9).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"
#include "util/util.h"
#include "webfix/webfix_internal.h"
#include "election/election_internal.h"
#include "store/store_internal.h"
#include "ami/registry.h"
#include "registry/worker_internal.h"
#include "ami/election.h"
#include "ami/templates.h"

typedef struct ami_webfix ami_webfix;
/* A method sets *out to its JSON result, or leaves it NULL and writes ready JSON text into `text`. */
typedef int (*method_fn)(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text);

/* Serialised JSON kept while the store has not changed (versionstamp `vs`). */
typedef struct text_cache {
    pthread_mutex_t lock;
    ami_versionstamp vs;
    char *text;
    size_t len;
} text_cache;

enum { NEED_NONE, NEED_VIEWER, NEED_OWNER };

/* Statuses the dispatcher can answer, for the per-method counters. */
static const int statuses[] = { 200, 207, 400, 401, 403, 404, 409, 413, 500, 503 };
#define N_STATUS (sizeof statuses / sizeof statuses[0])
#define N_METHODS 15

/* getWorkerStats' text without a node (stats_text): the rows it was built from and the filters. */
typedef struct stats_cache {
    pthread_mutex_t lock;
    ami_buf fp;          /* key and versionstamp of every row read */
    char *sid, *nid;     /* the filters (NULL = none) */
    ami_versionstamp workers_vs;   /* the registry as of this commit ("": scanned into fp instead) */
    int has_dv;          /* SQLite: the rows are as checked while the data version is dv and before valid_until */
    int64_t dv, valid_until;
    char *text;          /* the answer without its ,"timestamp":…} */
    size_t len;
} stats_cache;

/*
 * getLeaderInfo's two reads of a worker (its executionMode, its lease), kept
 * by sid with the commit they were read after: reused while the change feed
 * shows no commit under ["ami"] since then (one zero-timeout feed query, which
 * on SQLite sees this handle's commits and every other process's at once,
 * instead of two reads and a JSON parse; other stores read every time).
 * Neither record expires by TTL.
 */
#define LEADER_SLOTS 64
typedef struct leader_slot {
    char sid[AMI_LEASE_ID_MAX];
    ami_versionstamp vs;   /* read after this commit; "" = empty slot */
    char mode[32];         /* "" when the record has none */
    int has_lease;
    ami_lease lease;
    int has_dv;            /* SQLite: nobody committed to the file while its data version is still dv */
    int64_t dv;
} leader_slot;

struct ami_webfix {
    ami__auth auth;
    ami_node *node;
    ami_store *store, *local;
    char *nid, *network;
    ami_webfix_templates_fn templates_fn;
    void *templates_payload;
    atomic_ulong calls[N_METHODS + 1][N_STATUS];   /* last row: unknown methods and bad envelopes */
    text_cache list_cache;    /* listWorkers */
    stats_cache stats_cache;  /* getWorkerStats without a node */
    json_t *worker_prefix;    /* ["ami","worker"] */
    ami_webfix_scope scope;
    char *store_uri;          /* NULL: no other node's local store can be found */
    text_cache templates_cache;             /* the built-in templates' text */
    pthread_mutex_t leader_lock;
    leader_slot leaders[LEADER_SLOTS];      /* getLeaderInfo's reads by sid */
    json_t *ami_prefix;                     /* ["ami"] */
};

/* ---- the node, when there is one ---- */

static ami_store *node_store(ami_node *node) { return node ? ami_node_store(node) : NULL; }
static ami_store *node_local_store(ami_node *node) { return node ? ami_node_local_store(node) : NULL; }
static const char *node_id(ami_node *node) { return node ? ami_node_id(node) : NULL; }

/* ---- small helpers ---- */

static int err(json_t **out, int status, const char *msg)
{
    *out = json_pack("{s:s}", "error", msg);
    return status;
}

static int errf(json_t **out, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(json_t **out, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err(out, status, msg);
}

static int envelope_error(json_t **out, int status, int code, const char *msg)
{
    *out = json_pack("{s:s,s:{s:i,s:s}}", "webfix", "1.0", "error", "code", code, "message", msg);
    return status;
}

/* Map a library error to a status and body; `what` prefixes internal errors. */
static int lib_error(json_t **out, int rc)
{
    const char *msg = ami_error_last();
    switch (rc) {
    case AMI_EVALIDATION: case AMI_EINVAL: case AMI_EAMBIGUOUS:
    case AMI_EVALUETOOLARGE: case AMI_EKEYTOOLARGE:
        return err(out, 400, *msg ? msg : ami_strerror(rc));
    case AMI_ECONFLICT:
        return err(out, 409, "Update Worker Error: version mismatch or not found");
    case AMI_ENOTFOUND:
        return err(out, 404, "Worker not found");
    default:
        *out = json_pack("{s:s,s:s}", "error", "Internal server error", "message", *msg ? msg : ami_strerror(rc));
        return 500;
    }
}

/* Request fields that are not worker-record fields (those follow the record parser's rules). */
enum { T_STR = 1, T_NULL = 2, T_INT = 4, T_OBJECT = 8 };

static const char *type_words(int kinds)
{
    switch (kinds) {
    case T_STR: return "a string";
    case T_STR | T_NULL: return "a string or null";
    case T_INT: return "an integer";
    case T_OBJECT: return "an object";
    default: return "of another type";
    }
}

static int type_ok(const json_t *v, int kinds)
{
    if (json_is_null(v)) return !!(kinds & T_NULL);
    if (json_is_string(v)) return !!(kinds & T_STR);
    if (json_is_integer(v)) return !!(kinds & T_INT);
    if (json_is_object(v)) return !!(kinds & T_OBJECT);
    return 0;
}

typedef struct { const char *name; int kinds; } field_rule;

/* 0 when every present field has an allowed type; else a 400 naming the field. */
static int check_fields(json_t **out, const json_t *obj, const char *prefix, const field_rule *rules)
{
    for (const field_rule *r = rules; r->name; r++) {
        json_t *v = json_object_get(obj, r->name);
        if (v && !type_ok(v, r->kinds))
            return errf(out, 400, "Invalid request body: %s%s must be %s", prefix, r->name, type_words(r->kinds));
    }
    return 0;
}

/* The worker-record fields of obj (a setWorker body, or an updateWorker raw) by the record
 * parser's type rules; 0, or a 400 naming the first field of a wrong type. */
static int check_record_types(json_t **out, const json_t *obj, int body, const char *prefix)
{
    ami__raw_fault f;
    if (!ami__worker_raw_check_types(obj, body, &f)) return 0;
    return errf(out, 400, "Invalid request body: %s%s must be %s", prefix, f.field, f.expected);
}

/* The sid named by body.channel ("ami.worker.{sid}") or body.sid; NULL with a 400 in *out otherwise. */
static const char *body_sid(json_t **out, int *status, const json_t *body)
{
    json_t *ch = json_object_get(body, "channel"), *sid = json_object_get(body, "sid");
    if (ch) {
        const char *c = json_string_value(ch);
        if (!c || strncmp(c, "ami.worker.", 11) || !c[11]) {
            *status = err(out, 400, "Invalid request body: channel must be \"ami.worker.{sid}\"");
            return NULL;
        }
        return c + 11;
    }
    if (sid) {
        if (!json_is_string(sid) || !*json_string_value(sid)) {
            *status = err(out, 400, "Invalid request body: sid must be a non-empty string");
            return NULL;
        }
        return json_string_value(sid);
    }
    *status = err(out, 400, "Invalid request body: channel (\"ami.worker.{sid}\") or sid is required");
    return NULL;
}

/* ---- methods ---- */

static int m_set_worker(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    int st = check_record_types(out, body, 1, "");
    if (st) return st;
    int rc = ami_registry_create(out, wf->store, wf->nid, body);
    return rc ? lib_error(out, rc) : 200;
}

/*
 * Copy the cached text when nothing under `prefix` was committed since it was
 * built (a zero-timeout change-feed query: unrelated writes keep it valid).
 * On a miss, *vs receives the current versionstamp, read before the caller
 * rebuilds: a commit racing the rebuild only makes the cache older, never wrong.
 */
static int cache_get(text_cache *c, ami_store *store, const json_t *prefix, ami_versionstamp vs, ami_buf *text)
{
    ami_versionstamp built = "", newer;
    pthread_mutex_lock(&c->lock);
    if (c->text) memcpy(built, c->vs, sizeof built);
    pthread_mutex_unlock(&c->lock);
    if (built[0] && ami_store_watch(store, prefix, built, 0, newer) == AMI_ETIMEOUT) {
        int hit = 0;
        pthread_mutex_lock(&c->lock);
        if (c->text && !strcmp(c->vs, built)) hit = !ami_buf_put(text, c->text, c->len);
        pthread_mutex_unlock(&c->lock);
        if (hit) return 1;
    }
    if (ami_store_current(store, vs)) vs[0] = '\0';
    return 0;
}

static void cache_put(text_cache *c, const char *vs, const json_t *j)
{
    if (!vs[0]) return;
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s) return;
    pthread_mutex_lock(&c->lock);
    free(c->text);
    c->text = s;
    c->len = strlen(s);
    memcpy(c->vs, vs, sizeof c->vs);
    pthread_mutex_unlock(&c->lock);
}

static int m_list_workers(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    ami_versionstamp vs = "";
    if (cache_get(&wf->list_cache, wf->store, wf->worker_prefix, vs, text)) return 200;
    int rc = ami_registry_list(out, wf->store);
    if (rc) return lib_error(out, rc);
    cache_put(&wf->list_cache, vs, *out);
    return 200;
}

static int m_get_worker(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    int st = 0;
    const char *sid = body_sid(out, &st, body);
    if (!sid) return st;
    int rc = ami_registry_get(out, wf->store, sid);
    return rc ? lib_error(out, rc) : 200;
}

static int m_update_worker(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    static const field_rule top[] = { { "raw", T_OBJECT }, { "versionstamp", T_STR | T_NULL }, { NULL, 0 } };
    int st = 0;
    const char *sid = body_sid(out, &st, body);
    if (!sid) return st;
    if ((st = check_fields(out, body, "", top))) return st;
    json_t *raw = json_object_get(body, "raw");
    if (!raw) return err(out, 400, "Invalid request body: raw is required");
    if ((st = check_record_types(out, raw, 0, "raw."))) return st;
    const char *vs = json_string_value(json_object_get(body, "versionstamp"));
    int rc = ami_registry_update(out, wf->store, sid, raw, vs && *vs ? vs : NULL);
    return rc ? lib_error(out, rc) : 200;
}

static int m_delete_worker(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    int st = 0;
    const char *sid = body_sid(out, &st, body);
    if (!sid) return st;
    char channel[300];
    snprintf(channel, sizeof channel, "ami.worker.%s", sid);
    int rc = ami_registry_delete(wf->store, sid);
    if (rc) return lib_error(out, rc);
    *out = json_pack("{s:s,s:s,s:b}", "sid", sid, "channel", channel, "deleted", 1);
    return 200;
}

static int m_stop_all(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    int partial = 0;
    int rc = ami_registry_stop_all(out, &partial, wf->store);
    if (rc) return lib_error(out, rc);
    return partial ? 207 : 200;
}

/* Unwrap a stored value that may be {channel, raw, timestamp} (Stels.net.set style). */
static json_t *unwrap(json_t *v)
{
    json_t *raw = json_object_get(v, "raw");
    return json_is_object(raw) ? raw : v;
}

/* Append one scanned row to a fingerprint: key length, key bytes, versionstamp, NUL. */
static int fp_put(ami_buf *fp, const void *key, size_t key_len, const char *vs)
{
    uint32_t n = (uint32_t)key_len;
    int rc = ami_buf_put(fp, &n, sizeof n);
    if (!rc) rc = ami_buf_put(fp, key, key_len);
    if (!rc) rc = ami_buf_put(fp, vs, strlen(vs) + 1);
    return rc;
}

typedef struct key_scan {
    json_t *set;          /* NULL: fingerprint only */
    size_t at;
    const char *field;    /* the set holds this field of the value instead of key element `at` */
    ami_buf *fp;          /* NULL: no fingerprint */
    int rc;
} key_scan;

static int key_scan_row(const unsigned char *key, size_t key_len, const char *value, size_t value_len,
                        const char *vs, void *payload)
{
    key_scan *c = payload;
    if (c->fp && (c->rc = fp_put(c->fp, key, key_len, vs))) return 1;
    if (!c->set) return 0;
    json_t *v = NULL, *k = NULL;
    const char *name;
    if (c->field) {
        /* an unreadable record has no such field: it is left out, never fails the answer */
        v = json_loadb(value, value_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        name = json_string_value(json_object_get(unwrap(v), c->field));
    } else {
        if ((c->rc = ami_key_decode(&k, key, key_len))) return 1;
        name = json_string_value(json_array_get(k, c->at));
    }
    if (name && json_object_set_new(c->set, name, json_true())) c->rc = ami__error_oom();
    json_decref(v);
    json_decref(k);
    return c->rc != 0;
}

/*
 * The keys (element `at`) of every entry under `prefix`, as a set (object of
 * key -> true), or with `field` that field of each value; values are parsed
 * only for `field`.  Each row's key and versionstamp go to `fp` when given.
 * NULL on error.
 */
/* A raw scan of the rows under `prefix` (stolen) through key_scan_row: 0 or AMI_E…. */
static int key_scan_run(ami_store *store, json_t *prefix, key_scan *c)
{
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    int rc = prefix ? ami__store_list_raw(store, &lo, key_scan_row, c) : ami__error_oom();
    json_decref(prefix);
    return rc ? rc : c->rc;
}

static json_t *key_set_fp(ami_store *store, json_t *prefix /* stolen */, size_t at, const char *field, ami_buf *fp)
{
    key_scan c = { json_object(), at, field, fp, 0 };
    if (!c.set) {
        json_decref(prefix);
        ami__error_oom();
        return NULL;
    }
    if (key_scan_run(store, prefix, &c)) {
        json_decref(c.set);
        return NULL;
    }
    return c.set;
}

static json_t *key_set(ami_store *store, json_t *prefix /* stolen */, size_t at, const char *field)
{
    return key_set_fp(store, prefix, at, field, NULL);
}

/* Totals of spec 003 §5 over workers[] (rows: one per worker and node), plus instance counts. */
static void stats_totals(json_t *stats)
{
    json_int_t rows = 0, running_rows = 0, execs = 0, errs = 0, nerr = 0, cerr = 0;
    json_t *sids = json_object(), *running = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(stats, "workers"), i, s) {
        const char *sid = json_string_value(json_object_get(s, "sid"));
        int up = json_is_true(json_object_get(s, "isRunning"));
        rows++;
        running_rows += up;
        if (sid) json_object_set_new(sids, sid, json_true());
        if (sid && up) json_object_set_new(running, sid, json_true());
        execs += json_integer_value(json_object_get(s, "executions"));
        errs += json_integer_value(json_object_get(s, "errors"));
        nerr += json_integer_value(json_object_get(s, "networkErrors"));
        cerr += json_integer_value(json_object_get(s, "criticalErrors"));
    }
    json_int_t n = (json_int_t)json_object_size(sids), up = (json_int_t)json_object_size(running);
    json_object_set_new(stats, "totalWorkers", json_integer(n));
    json_object_set_new(stats, "runningWorkers", json_integer(up));
    json_object_set_new(stats, "stoppedWorkers", json_integer(n - up));
    json_object_set_new(stats, "totalInstances", json_integer(rows));
    json_object_set_new(stats, "runningInstances", json_integer(running_rows));
    json_object_set_new(stats, "totalExecutions", json_integer(execs));
    json_object_set_new(stats, "totalErrors", json_integer(errs));
    json_object_set_new(stats, "totalNetworkErrors", json_integer(nerr));
    json_object_set_new(stats, "totalCriticalErrors", json_integer(cerr));
    json_decref(sids);
    json_decref(running);
}

static int by_sid_nid(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *p = json_string_value(json_object_get(x, "sid")), *q = json_string_value(json_object_get(y, "sid"));
    int c = strcmp(p ? p : "", q ? q : "");
    if (c) return c;
    p = json_string_value(json_object_get(x, "nid"));
    q = json_string_value(json_object_get(y, "nid"));
    return strcmp(p ? p : "", q ? q : "");
}

/*
 * getWorkerStats for the dispatcher's scope, filtered by sid and nid (NULL =
 * all): the node's live rows when there is a node, the stats records the
 * nodes wrote otherwise.  Rows of nodes without a live heartbeat read as
 * "lost"; rows of workers no longer in the registry are left out.
 */
/* The key and versionstamp of every entry of a list (as a raw scan of the same rows gives them) into fp. */
static int entries_fp(const json_t *entries, ami_buf *fp)
{
    ami_buf k = AMI_BUF_INIT;
    size_t i;
    json_t *e;
    int rc = 0;
    json_array_foreach(entries, i, e) {
        const char *vs = json_string_value(json_object_get(e, "versionstamp"));
        ami_buf_clear(&k);
        if ((rc = ami_key_encode(&k, json_object_get(e, "key"))) ||
            (rc = fp_put(fp, k.ptr ? k.ptr : "", k.size, vs ? vs : "")))
            break;
    }
    ami_buf_dispose(&k);
    return rc;
}

/* The stats prefix of the dispatcher's scope (new). */
static json_t *stats_prefix(ami_webfix *wf)
{
    return wf->scope == AMI_WEBFIX_SCOPE_CLUSTER ? ami_key_new("ami", "stats", NULL)
                                                 : ami_key_new("ami", "stats", wf->nid, NULL);
}

/*
 * getWorkerStats (without its "timestamp") for the dispatcher's scope,
 * filtered by sid and nid (NULL = all): the node's live rows when there is a
 * node, the stats records the nodes wrote otherwise.  Rows of nodes without a
 * live heartbeat read as "lost"; rows of workers no longer in the registry are
 * left out.  When fp is given, the store rows read (stats, node heartbeats,
 * then worker records unless workers_by_feed: key and versionstamp, in that
 * order) are appended to it.
 */
static int stats_build(ami_webfix *wf, json_t **out, const char *want_sid, const char *want_nid, ami_buf *fp,
                       int workers_by_feed)
{
    *out = NULL;
    json_t *workers = json_array();
    if (!workers) return ami__error_oom();
    if (wf->node && (!want_nid || !strcmp(want_nid, wf->nid))) {
        json_t *live = NULL;
        int rc = ami_node_stats(&live, wf->node);
        if (rc) { json_decref(workers); return rc; }
        json_array_extend(workers, json_object_get(live, "workers"));
        json_decref(live);
    }
    if (!wf->node || wf->scope == AMI_WEBFIX_SCOPE_CLUSTER) {
        json_t *prefix = stats_prefix(wf);
        json_t *entries = NULL;
        ami_list_options lo = AMI_LIST_OPTIONS_INIT;
        lo.prefix = prefix;
        int rc = prefix ? ami_store_list(&entries, wf->store, &lo) : ami__error_oom();
        json_decref(prefix);
        if (!rc && fp) rc = entries_fp(entries, fp);
        json_t *alive = rc ? NULL : key_set_fp(wf->store, ami_key_new("ami", "node", NULL), 2, "nid", fp);
        json_t *known = rc || !alive ? NULL : key_set_fp(wf->store, ami_key_new("ami", "worker", NULL), 2, NULL,
                                                               workers_by_feed ? NULL : fp);
        if (!known) {
            json_decref(entries);
            json_decref(alive);
            json_decref(workers);
            return rc ? rc : ami_error_last_code();
        }
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e) {
            json_t *key = json_object_get(e, "key");
            const char *nid = json_string_value(json_array_get(key, 2)), *sid = json_string_value(json_array_get(key, 3));
            json_t *s = unwrap(json_object_get(e, "value"));
            if (!nid || !sid || !json_is_object(s) || !json_object_get(known, sid)) continue;
            if (wf->node && !strcmp(nid, wf->nid)) continue;   /* the live rows above */
            if (want_nid && strcmp(want_nid, nid)) continue;
            s = json_deep_copy(s);
            if (!s) continue;
            if (!json_object_get(s, "nid")) json_object_set_new(s, "nid", json_string(nid));
            /* a row that still claims to run on a node without a heartbeat: that node is gone
             * (killed); a node that stopped cleanly left its rows stopped */
            if (!json_object_get(alive, nid) && json_is_true(json_object_get(s, "isRunning"))) {
                json_object_set_new(s, "state", json_string("lost"));
                json_object_set_new(s, "isRunning", json_false());
            }
            json_array_append_new(workers, s);
        }
        json_decref(entries);
        json_decref(alive);
        json_decref(known);
    }
    if (want_sid) {
        json_t *kept = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(workers, i, s) {
            const char *sid = json_string_value(json_object_get(s, "sid"));
            if (sid && !strcmp(sid, want_sid)) json_array_append(kept, s);
        }
        json_decref(workers);
        workers = kept;
    }
    /* one order in every scope and mode: by worker, then node */
    size_t n = json_array_size(workers);
    json_t **rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows) { json_decref(workers); return ami__error_oom(); }
    for (size_t i = 0; i < n; i++) rows[i] = json_incref(json_array_get(workers, i));
    qsort(rows, n, sizeof *rows, by_sid_nid);
    json_array_clear(workers);
    for (size_t i = 0; i < n; i++) json_array_append_new(workers, rows[i]);
    free(rows);
    *out = json_pack("{s:o}", "workers", workers);
    if (!*out) return ami__error_oom();
    stats_totals(*out);
    return 0;
}

static int worker_stats_filtered(ami_webfix *wf, json_t **out, const char *want_sid, const char *want_nid)
{
    int rc = stats_build(wf, out, want_sid, want_nid, NULL, 0);
    if (!rc && json_object_set_new(*out, "timestamp", json_integer((json_int_t)ami_time_now_ms()))) rc = ami__error_oom();
    return rc;
}

static int worker_stats(ami_webfix *wf, json_t **out) { return worker_stats_filtered(wf, out, NULL, NULL); }

/*
 * 1 when a zero-timeout ami_store_watch answers for every commit made before
 * it, by anyone: SQLite's feed query reads the change log itself.  (etcd's
 * feed brings other processes' commits on a stream, a few ms later: there a
 * read is the only fresh answer.)
 */
static int feed_exact(ami_store *store)
{
    ami_store_backend *be = ami__store_backend(store);
    return be && be->name && !strcmp(be->name, "sqlite") && (ami_store_capabilities(store) & AMI_STORE_CAP_WATCH);
}

/* Fingerprint only: a raw scan of the rows under `prefix` (stolen) into fp. */
static int scan_fp(ami_store *store, json_t *prefix, ami_buf *fp)
{
    key_scan c = { NULL, 0, NULL, fp, 0 };
    return key_scan_run(store, prefix, &c);
}

static int same_filter(const char *a, const char *b) { return a && b ? !strcmp(a, b) : a == b; }

/* The answer's text from its cached part and a fresh timestamp. */
static int stats_put(ami_buf *text, const char *part, size_t len)
{
    int rc = ami_buf_put(text, part, len);
    return rc ? rc : ami_buf_printf(text, ",\"timestamp\":%lld}", (long long)ami_time_now_ms());
}

/*
 * getWorkerStats without a node: the answer is made of store rows only, so its
 * text (all but the timestamp) is kept while those rows are unchanged.  The
 * stats records and heartbeats (both expire by TTL, which commits nothing
 * until a purge) are scanned raw each call (keys and versionstamps, no values
 * parsed); the registry (no TTL) is checked on the change feed since the
 * commit it was read at (as listWorkers) where that check is exact (SQLite),
 * else scanned too.  So any commit to those rows, and a heartbeat or stats record that
 * expires, makes the next call build the answer again: every call sees the
 * rows as they are then.  On SQLite a call first asks whether anybody
 * committed at all (the data version) and whether any entry expired since the
 * rows were last checked: when neither, it scans nothing.
 */
static int stats_text(ami_webfix *wf, const char *want_sid, const char *want_nid, json_t **out, ami_buf *text)
{
    stats_cache *c = &wf->stats_cache;
    int feed = feed_exact(wf->store);
    size_t before = text->size;
    /* SQLite: nobody committed and no entry expired since the rows were checked: no scan at all */
    int64_t dv = 0, until = 0;
    int have_dv = !ami__sqlite_data_version(ami__store_backend(wf->store), &dv);
    if (have_dv) {
        int hit = 0;
        pthread_mutex_lock(&c->lock);
        if (c->text && c->has_dv && c->dv == dv && ami_time_now_ms() < c->valid_until && same_filter(c->sid, want_sid) &&
            same_filter(c->nid, want_nid))
            hit = !stats_put(text, c->text, c->len);
        pthread_mutex_unlock(&c->lock);
        if (hit) return 200;
        text->size = before;
    }
    /* read before the rows: a commit after it only makes the next call look again */
    if (have_dv && ami__sqlite_next_expiry(ami__store_backend(wf->store), ami_time_now_ms(), &until)) have_dv = 0;
    ami_buf fp = AMI_BUF_INIT;
    int rc = scan_fp(wf->store, stats_prefix(wf), &fp);
    if (!rc) rc = scan_fp(wf->store, ami_key_new("ami", "node", NULL), &fp);
    if (!rc && !feed) rc = scan_fp(wf->store, ami_key_new("ami", "worker", NULL), &fp);
    if (!rc) {
        int hit = 0;
        ami_versionstamp newer;
        pthread_mutex_lock(&c->lock);
        if (c->text && same_filter(c->sid, want_sid) && same_filter(c->nid, want_nid) && c->fp.size == fp.size &&
            !memcmp(c->fp.ptr, fp.ptr, fp.size) &&
            (!feed || (c->workers_vs[0] && ami_store_watch(wf->store, wf->worker_prefix, c->workers_vs, 0, newer) == AMI_ETIMEOUT)))
            hit = !stats_put(text, c->text, c->len);
        if (hit && have_dv) {
            c->dv = dv;
            c->valid_until = until;
            c->has_dv = 1;
        }
        pthread_mutex_unlock(&c->lock);
        if (hit) {
            ami_buf_dispose(&fp);
            return 200;
        }
        text->size = before;
    }
    ami_buf_clear(&fp);
    ami_versionstamp wvs = "";
    if (feed && ami_store_current(wf->store, wvs)) wvs[0] = '\0';   /* read before the registry: a later commit only ages it */
    json_t *ans = NULL;
    rc = stats_build(wf, &ans, want_sid, want_nid, &fp, feed);
    char *s = rc ? NULL : json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
    size_t len = s ? strlen(s) : 0;
    if (!rc && (len < 2 || s[len - 1] != '}')) rc = ami__error_oom();
    if (!rc) rc = stats_put(text, s, --len);   /* without the closing brace */
    if (rc) {
        free(s);
        ami_buf_dispose(&fp);
        text->size = before;
        return lib_error(out, rc);
    }
    char *sid = want_sid ? ami__strdup(want_sid) : NULL, *nid = want_nid ? ami__strdup(want_nid) : NULL;
    if ((want_sid && !sid) || (want_nid && !nid) || (feed && !wvs[0])) {   /* not kept: the answer stands */
        ami_free(sid);
        ami_free(nid);
        free(s);
        ami_buf_dispose(&fp);
        return 200;
    }
    pthread_mutex_lock(&c->lock);
    ami_buf old = c->fp;
    char *old_text = c->text, *old_sid = c->sid, *old_nid = c->nid;
    c->fp = fp;
    c->text = s;
    c->len = len;
    c->sid = sid;
    c->nid = nid;
    memcpy(c->workers_vs, feed ? wvs : "", feed ? sizeof wvs : 1);
    c->has_dv = have_dv;
    c->dv = dv;
    c->valid_until = until;
    pthread_mutex_unlock(&c->lock);
    ami_buf_dispose(&old);
    free(old_text);
    ami_free(old_sid);
    ami_free(old_nid);
    return 200;
}

static int m_worker_stats(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    static const field_rule rules[] = { { "sid", T_STR | T_NULL }, { "nid", T_STR | T_NULL }, { NULL, 0 } };
    int st = check_fields(out, body, "", rules);
    if (st) return st;
    const char *sid = json_string_value(json_object_get(body, "sid")), *nid = json_string_value(json_object_get(body, "nid"));
    if (!wf->node) return stats_text(wf, sid, nid, out, text);
    int rc = worker_stats_filtered(wf, out, sid, nid);
    return rc ? lib_error(out, rc) : 200;
}

/* getLeaderInfo from the lease key (lib/election builds spec 003's shape). */
static int leader_info(ami_webfix *wf, const char *sid, json_t **out)
{
    return ami_election_leader_info(out, wf->store, sid);
}

/* The executionMode of worker `sid` into mode ("" when its record has none); AMI_ENOTFOUND when there is no such worker. */
static int worker_mode(ami_webfix *wf, const char *sid, char mode[32])
{
    json_t *key = ami_key_new("ami", "worker", sid, NULL);
    if (!key) return ami__error_oom();
    ami_buf text = AMI_BUF_INIT;
    ami_versionstamp vs;
    int rc = ami_store_get_text(&text, vs, wf->store, key);
    json_decref(key);
    if (rc) {
        ami_buf_dispose(&text);
        return rc == AMI_ENOTFOUND ? ami__error_set(AMI_ENOTFOUND, "Worker not found: %s", sid) : rc;
    }
    json_t *v = json_loadb(text.ptr, text.size, 0, NULL);
    ami_buf_dispose(&text);
    if (!v) return ami__error_set(AMI_EIO, "the record of worker %s is not valid JSON", sid);
    const char *m = json_string_value(json_object_get(json_object_get(v, "raw"), "executionMode"));
    snprintf(mode, 32, "%s", m ? m : "");
    json_decref(v);
    return 0;
}

static leader_slot *leader_slot_of(ami_webfix *wf, const char *sid)
{
    size_t h = 5381;
    for (const char *p = sid; *p; p++) h = h * 33 + (unsigned char)*p;
    return &wf->leaders[h % LEADER_SLOTS];
}

/* 1 with *got filled when the reads of `sid` are kept and no commit under ["ami"] came since. */
static int leader_cached(ami_webfix *wf, const char *sid, leader_slot *got)
{
    leader_slot *slot = leader_slot_of(wf, sid);
    int hit = 0;
    pthread_mutex_lock(&wf->leader_lock);
    if (slot->vs[0] && !strcmp(slot->sid, sid)) {
        *got = *slot;
        hit = 1;
    }
    pthread_mutex_unlock(&wf->leader_lock);
    if (!hit) return 0;
    /* nobody committed at all (SQLite): no query of the feed */
    int64_t dv = 0;
    int have_dv = !ami__sqlite_data_version(ami__store_backend(wf->store), &dv);
    if (have_dv && got->has_dv && dv == got->dv) return 1;
    ami_versionstamp newer;
    hit = ami_store_watch(wf->store, wf->ami_prefix, got->vs, 0, newer) == AMI_ETIMEOUT;
    ami_error_clear();
    if (hit && have_dv) {
        /* unchanged under ["ami"] through a data version read before the feed query: skip the query while it holds */
        pthread_mutex_lock(&wf->leader_lock);
        if (!strcmp(slot->vs, got->vs) && !strcmp(slot->sid, sid)) {
            slot->dv = dv;
            slot->has_dv = 1;
        }
        pthread_mutex_unlock(&wf->leader_lock);
    }
    return hit;
}

/* Read the mode and (for a leader-mode worker) the lease of `sid` into *got, and keep them. */
static int leader_read(ami_webfix *wf, const char *sid, leader_slot *got)
{
    memset(got, 0, sizeof *got);
    ami_versionstamp vs = "";
    int keep = strlen(sid) < sizeof got->sid && feed_exact(wf->store);
    if (keep) got->has_dv = !ami__sqlite_data_version(ami__store_backend(wf->store), &got->dv);
    if (keep && ami_store_current(wf->store, vs)) vs[0] = '\0';   /* before the reads: a later commit only ages them */
    int rc = worker_mode(wf, sid, got->mode);
    if (rc) return rc;
    if (!got->mode[0] || !strcmp(got->mode, "leader")) {
        rc = ami_election_get(&got->lease, wf->store, sid);
        if (rc && rc != AMI_ENOTFOUND) return rc;
        if (rc) ami_error_clear();
        got->has_lease = !rc;
    }
    if (keep && vs[0]) {
        snprintf(got->sid, sizeof got->sid, "%s", sid);
        memcpy(got->vs, vs, sizeof vs);
        leader_slot *slot = leader_slot_of(wf, sid);
        pthread_mutex_lock(&wf->leader_lock);
        *slot = *got;
        pthread_mutex_unlock(&wf->leader_lock);
    }
    return 0;
}

static int m_leader_info(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    const char *sid = json_string_value(json_object_get(body, "workerId"));
    if (!sid || !*sid || strlen(sid) > 200) return err(out, 400, "Invalid workerId");
    leader_slot got;
    if (!leader_cached(wf, sid, &got)) {
        int rc = leader_read(wf, sid, &got);
        if (rc) return lib_error(out, rc);
    }
    /* only a leader-mode worker has a leader: an unknown or other worker is the caller's mistake */
    if (got.mode[0] && strcmp(got.mode, "leader"))
        return errf(out, 400, "Worker %s is not a leader-mode worker (executionMode %s): it has no leader", sid, got.mode);
    /* the answer's text straight into the response (no JSON values on this hot path) */
    size_t before = text->size;
    int rc = ami__election_lease_info_text(text, sid, got.has_lease ? &got.lease : NULL, ami_time_now_ms());
    if (rc) {
        text->size = before;
        return lib_error(out, rc);
    }
    return 200;
}

static int m_list_nodes(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    int rc = ami_node_list(out, wf->store);   /* live heartbeats, with or without a node */
    return rc ? lib_error(out, rc) : 200;
}

static int m_worker_logs(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    static const field_rule rules[] = { { "sid", T_STR }, { "limit", T_INT }, { "after", T_INT }, { NULL, 0 } };
    int st = check_fields(out, body, "", rules);
    if (st) return st;
    const char *sid = json_string_value(json_object_get(body, "sid"));
    if (!sid || !*sid) return err(out, 400, "Invalid request body: sid is required");
    json_t *jl = json_object_get(body, "limit");
    json_int_t limit = jl ? json_integer_value(jl) : 100;
    if (limit < 0 || limit > 100000) return err(out, 400, "Invalid request body: limit must be between 0 and 100000");
    int rc = ami_webfix_logs(out, wf, sid, json_integer_value(json_object_get(body, "after")), (size_t)limit);
    return rc ? lib_error(out, rc) : 200;
}

static int m_list_templates(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    if (!wf->templates_fn) {
        /* The built-ins never change: serialise them once. */
        text_cache *c = &wf->templates_cache;
        pthread_mutex_lock(&c->lock);
        if (!c->text) {
            json_t *all = NULL;
            if (!ami_template_list(&all)) {
                c->text = json_dumps(all, JSON_COMPACT);
                c->len = c->text ? strlen(c->text) : 0;
            }
            json_decref(all);
        }
        int rc = c->text ? ami_buf_put(text, c->text, c->len) : AMI_ENOMEM;
        pthread_mutex_unlock(&c->lock);
        if (rc) return lib_error(out, ami__error_oom());
        return 200;
    }
    int rc = wf->templates_fn(out, wf->templates_payload);
    return rc ? lib_error(out, rc) : 200;
}

static int m_validate_script(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    json_t *js = json_object_get(body, "script");
    if (!json_is_string(js)) return err(out, 400, "Invalid request body: script must be a string");
    int rc = ami_registry_check_script(json_string_value(js), json_string_length(js));
    if (!rc) {
        *out = json_pack("{s:b}", "valid", 1);
        return 200;
    }
    if (rc != AMI_EVALIDATION) return lib_error(out, rc);
    ami_script_error se = AMI_SCRIPT_ERROR_INIT;   /* no position for type, emptiness or size */
    (void)ami_error_last_script(&se);
    *out = json_pack("{s:b,s:s,s:o,s:o}", "valid", 0, "error", ami_error_last(),
                     "line", se.line > 0 ? json_integer(se.line) : json_null(),
                     "column", se.column > 0 ? json_integer(se.column) : json_null());
    return 200;
}

static int m_connection_node(ami_webfix *wf, const json_t *body, json_t **out, ami_buf *text)
{
    (void)text;
    return ami__auth_login(out, &wf->auth, body, ami_time_now_ms());
}

/* getSession: the caller's role and when the session expires (open mode: owner, no expiry). */
static int m_get_session(ami_webfix *wf, const char *session, json_t **out)
{
    ami_webfix_role role;
    int64_t expires;
    ami__auth_session(&wf->auth, session, ami_time_now_ms(), &role, &expires);
    *out = json_pack("{s:s,s:o,s:b,s:s}", "role", role == AMI_WEBFIX_ROLE_OWNER ? "owner" : "viewer", "expiresAt",
                     expires ? json_integer(expires) : json_null(), "open", !wf->auth.owners_count, "nid", wf->nid);
    return 200;
}

/* disconnectNode: log out, ending the session on this node. */
static int m_disconnect_node(ami_webfix *wf, const char *session, json_t **out)
{
    int ended = ami__auth_logout(&wf->auth, session);
    *out = json_pack("{s:b}", "disconnected", ended);
    return 200;
}

typedef int (*session_fn)(ami_webfix *wf, const char *session, json_t **out);

static const struct method {
    const char *name;
    method_fn fn;
    int need;
    session_fn sfn;   /* methods about the caller's own session */
} methods[N_METHODS] = {
    { "connectionNode", m_connection_node, NEED_NONE, NULL },
    { "setWorker", m_set_worker, NEED_OWNER, NULL },
    { "listWorkers", m_list_workers, NEED_VIEWER, NULL },
    { "getWorker", m_get_worker, NEED_VIEWER, NULL },
    { "updateWorker", m_update_worker, NEED_OWNER, NULL },
    { "deleteWorker", m_delete_worker, NEED_OWNER, NULL },
    { "stopAllWorkers", m_stop_all, NEED_OWNER, NULL },
    { "getWorkerStats", m_worker_stats, NEED_VIEWER, NULL },
    { "getLeaderInfo", m_leader_info, NEED_VIEWER, NULL },
    { "listNodes", m_list_nodes, NEED_VIEWER, NULL },
    { "getWorkerLogs", m_worker_logs, NEED_VIEWER, NULL },
    { "listTemplates", m_list_templates, NEED_VIEWER, NULL },
    { "validateScript", m_validate_script, NEED_VIEWER, NULL },
    { "getSession", NULL, NEED_VIEWER, m_get_session },
    { "disconnectNode", NULL, NEED_VIEWER, m_disconnect_node },
};

/* ---- dispatcher ---- */

static int dispatch(ami_webfix *wf, const char *reqtext, size_t len, const char *session, json_t **out, ami_buf *text,
                    int *midx)
{
    *midx = N_METHODS;
    if (len > AMI_WEBFIX_MAX_BODY)
        return errf(out, 413, "Request body too large (limit %zu bytes)", AMI_WEBFIX_MAX_BODY);
    json_error_t jerr;
    /* A repeated member name is ambiguous (Jansson would keep the last one), so it is malformed. */
    json_t *req = json_loadb(reqtext, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req) {
        char msg[300];
        snprintf(msg, sizeof msg, "Invalid WebFIX request structure: malformed JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        /* Jansson quotes the input near the error: its bytes may not be UTF-8 (found by fuzz_webfix) */
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20) *p = '?';
        return envelope_error(out, 400, 400, msg);
    }
    int status;
    json_t *wv = json_object_get(req, "webfix"), *mv = json_object_get(req, "method");
    json_t *params = json_object_get(req, "params"), *body = json_object_get(req, "body");
    if (!json_is_object(req)) {
        status = envelope_error(out, 400, 400, "Invalid WebFIX request structure: the request must be a JSON object");
    } else if (!wv) {
        status = envelope_error(out, 400, 400, "Invalid WebFIX request structure: missing \"webfix\" field");
    } else if (!json_is_string(wv) || strcmp(json_string_value(wv), "1.0")) {
        status = envelope_error(out, 400, 400, "Invalid WebFIX request structure: \"webfix\" must be \"1.0\"");
    } else if (!json_is_string(mv)) {
        status = envelope_error(out, 400, 400, "Invalid WebFIX request structure: \"method\" must be a string");
    } else if (params && !json_is_array(params) && !json_is_null(params)) {
        status = envelope_error(out, 400, 400, "Invalid WebFIX request structure: \"params\" must be an array");
    } else {
        const struct method *m = NULL;
        for (int i = 0; i < N_METHODS; i++)
            if (!strcmp(methods[i].name, json_string_value(mv))) { m = &methods[i]; *midx = i; }
        if (!m) {
            status = envelope_error(out, 404, 13, "WebFIX method not found");
        } else {
            ami_webfix_role role = m->need == NEED_NONE ? AMI_WEBFIX_ROLE_NONE
                                                         : ami__auth_role(&wf->auth, session, ami_time_now_ms());
            if (m->need != NEED_NONE && role == AMI_WEBFIX_ROLE_NONE) {
                status = err(out, 401, session && *session ? "Unauthorized: invalid or expired session"
                                                           : "Unauthorized: stels-session header required");
            } else if (m->need == NEED_OWNER && role != AMI_WEBFIX_ROLE_OWNER) {
                status = err(out, 403, "Forbidden: owner role required");
            } else if (body && !json_is_object(body) && !json_is_null(body)) {
                status = err(out, 400, "Invalid request body: body must be an object");
            } else {
                json_t *empty = NULL;
                if (!json_is_object(body)) body = empty = json_object();
                ami_error_clear();
                status = m->sfn ? m->sfn(wf, session, out) : m->fn(wf, body, out, text);
                json_decref(empty);
            }
        }
    }
    json_decref(req);
    return status;
}

AMI_EXTERN(int) ami_webfix_handle(ami_webfix *wf, const char *body, size_t len, const char *session,
                                  int *http_status, ami_buf *response)
{
    if (!wf || (!body && len) || !http_status || !response)
        return ami__error_set(AMI_EINVAL, "webfix_handle: wf, http_status and response are required");
    json_t *out = NULL;
    int midx;
    size_t before = response->size;
    int status = dispatch(wf, body ? body : "", len, session, &out, response, &midx);
    if (!out && response->size > before) {
        for (size_t i = 0; i < N_STATUS; i++)
            if (statuses[i] == status) atomic_fetch_add(&wf->calls[midx][i], 1);
        *http_status = status;
        return 0;
    }
    if (!out) {
        status = 500;
        out = json_pack("{s:s}", "error", "Internal server error");
    }
    for (size_t i = 0; i < N_STATUS; i++)
        if (statuses[i] == status) atomic_fetch_add(&wf->calls[midx][i], 1);
    *http_status = status;
    char *s = out ? json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(out);
    if (!s) return ami__error_oom();
    int rc = ami_buf_put(response, s, strlen(s));
    free(s);
    return rc;
}

AMI_EXTERN(const char *) ami_webfix_nid(const ami_webfix *wf) { return wf ? wf->nid : ""; }

AMI_EXTERN(int) ami_webfix_session_check(ami_webfix_role *out, ami_webfix *wf, const char *session)
{
    if (!out || !wf) return ami__error_set(AMI_EINVAL, "session_check: out and wf are required");
    *out = ami__auth_role(&wf->auth, session, ami_time_now_ms());
    if (*out == AMI_WEBFIX_ROLE_NONE) return ami__error_set(AMI_EAUTH, "missing, unknown or expired session");
    return 0;
}

/* Append the lines of `sid` with ts > after_ts from one local store: the newest `limit` (0 = all), oldest first. */
static int logs_from_store(json_t *lines, ami_store *local, const char *network, const char *sid, int64_t after_ts,
                           size_t limit)
{
    json_t *prefix = json_pack("[s,s,s]", network, "logs", sid);
    json_t *start = json_pack("[s,s,s,I]", network, "logs", sid, (json_int_t)(after_ts > 0 ? after_ts + 1 : 0));
    json_t *entries = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    lo.start = start;
    lo.limit = limit;
    lo.reverse = limit > 0;   /* the newest `limit` lines, put back in order below */
    int rc = ami_store_list(&entries, local, &lo);
    json_decref(prefix);
    json_decref(start);
    if (rc) return rc;
    size_t n = json_array_size(entries);
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(entries, lo.reverse ? n - 1 - k : k);
        json_t *v = unwrap(json_object_get(e, "value"));
        json_t *line = json_is_object(v) ? json_deep_copy(v) : json_pack("{s:O}", "msg", v);
        if (!line) continue;
        json_t *ts = json_array_get(json_object_get(e, "key"), 3);
        if (!json_object_get(line, "ts") && json_is_number(ts))
            json_object_set_new(line, "ts", json_integer((json_int_t)json_number_value(ts)));
        if (!json_object_get(line, "sid")) json_object_set_new(line, "sid", json_string(sid));
        json_array_append_new(lines, line);
    }
    json_decref(entries);
    return 0;
}

/* Open the local store of node `nid` next to the shared store, if it exists (never creates one). */
static ami_store *open_local_of(ami_webfix *wf, const char *nid)
{
    char *uri = NULL;
    ami_store *local = NULL;
    if (!wf->store_uri || ami_node_local_uri(&uri, wf->store_uri, nid)) return NULL;
    const char *path = strncmp(uri, "sqlite:", 7) ? uri : uri + 7;
    if (access(path, F_OK) == 0 && ami_store_open(&local, uri)) local = NULL;
    ami_free(uri);
    return local;
}

typedef struct { json_t *line; size_t at; } line_at;

static int by_ts(const void *a, const void *b)
{
    const line_at *x = a, *y = b;
    json_int_t p = json_integer_value(json_object_get(x->line, "ts")), q = json_integer_value(json_object_get(y->line, "ts"));
    if (p != q) return p < q ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;   /* one node's lines keep their order */
}

AMI_EXTERN(int) ami_webfix_logs(json_t **out, ami_webfix *wf, const char *sid, int64_t after_ts, size_t limit)
{
    if (!out || !wf || !sid) return ami__error_set(AMI_EINVAL, "webfix_logs: out, wf and sid are required");
    *out = NULL;
    json_t *lines = json_array();
    if (!lines) return ami__error_oom();
    int rc = 0, own_done = 1;
    if (wf->node) {
        /* The node's in-memory ring has every line at once (the local store is written in batches). */
        json_t *all = NULL;
        rc = ami_node_logs(&all, wf->node, sid, 0);
        size_t i;
        json_t *l;
        json_array_foreach(all, i, l)
            if (json_integer_value(json_object_get(l, "ts")) > after_ts) json_array_append(lines, l);
        json_decref(all);
    } else if (wf->local) {
        rc = logs_from_store(lines, wf->local, wf->network, sid, after_ts, limit);
    } else {
        own_done = 0;
    }
    json_t *nids = NULL;
    if (!rc && wf->scope == AMI_WEBFIX_SCOPE_CLUSTER) {
        nids = key_set(wf->store, ami_key_new("ami", "node", NULL), 2, "nid");
        json_t *more = key_set(wf->store, ami_key_new("ami", "stats", NULL), 2, NULL);
        if (!nids || !more) rc = ami_error_last_code() ? ami_error_last_code() : AMI_EIO;
        else json_object_update(nids, more);
        json_decref(more);
        if (own_done && nids) json_object_del(nids, wf->nid);
    } else if (!rc && !own_done) {
        nids = json_pack("{s:b}", wf->nid, 1);
    }
    const char *nid;
    json_t *ignored;
    json_object_foreach(nids, nid, ignored) {
        if (rc) break;
        ami_store *local = open_local_of(wf, nid);
        if (!local) continue;
        rc = logs_from_store(lines, local, wf->network, sid, after_ts, limit);
        ami_store_free(local);
    }
    json_decref(nids);
    if (rc) {
        json_decref(lines);
        return rc;
    }
    /* merge the nodes' lines by time and keep the newest `limit` */
    size_t n = json_array_size(lines);
    line_at *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        json_decref(lines);
        return ami__error_oom();
    }
    for (size_t i = 0; i < n; i++) v[i] = (line_at){ json_array_get(lines, i), i };
    qsort(v, n, sizeof *v, by_ts);
    *out = json_array();
    for (size_t i = limit && n > limit ? n - limit : 0; i < n; i++) json_array_append(*out, v[i].line);
    free(v);
    json_decref(lines);
    return *out ? 0 : ami__error_oom();
}

static void prom_label(ami_buf *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"') ami_buf_printf(out, "\\%c", *s);
        else if (*s == '\n') ami_buf_puts(out, "\\n");
        else ami_buf_put(out, s, 1);
    }
}

AMI_EXTERN(int) ami_webfix_metrics(ami_webfix *wf, ami_buf *out)
{
    if (!wf || !out) return ami__error_set(AMI_EINVAL, "webfix_metrics: wf and out are required");
    json_t *stats = NULL;
    int rc = worker_stats(wf, &stats);
    if (rc) return rc;
    ami_buf_puts(out, "# HELP ami_node_info Node identity (value is always 1).\n# TYPE ami_node_info gauge\n");
    ami_buf_puts(out, "ami_node_info{nid=\"");
    prom_label(out, wf->nid);
    ami_buf_printf(out, "\",network=\"");
    prom_label(out, wf->network);
    ami_buf_printf(out, "\",version=\"%s\"} 1\n", ami_version());
    json_t *workers = json_object_get(stats, "workers");
    static const struct { const char *name, *help, *type; } fam[] = {
        { "ami_worker_executions_total", "Script runs of a worker on this node.", "counter" },
        { "ami_worker_errors_total", "Failed runs of a worker on this node, by error type.", "counter" },
        { "ami_worker_running", "1 when the worker runs on this node.", "gauge" },
        { "ami_worker_leader", "1 when this node holds the worker's leader lease.", "gauge" },
    };
    for (size_t f = 0; f < 4; f++) {
        ami_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name, fam[f].help, fam[f].name, fam[f].type);
        size_t i;
        json_t *w;
        json_array_foreach(workers, i, w) {
            const char *sid = json_string_value(json_object_get(w, "sid"));
            if (!sid) continue;
            if (f == 1) {
                static const char *types[] = { "network", "critical" }, *fields[] = { "networkErrors", "criticalErrors" };
                for (int t = 0; t < 2; t++) {
                    ami_buf_printf(out, "%s{sid=\"", fam[f].name);
                    prom_label(out, sid);
                    ami_buf_printf(out, "\",type=\"%s\"} %lld\n", types[t],
                                   (long long)json_integer_value(json_object_get(w, fields[t])));
                }
                continue;
            }
            long long v = 0;
            if (f == 0) v = json_integer_value(json_object_get(w, "executions"));
            else if (f == 2) v = json_is_true(json_object_get(w, "isRunning"));
            else {
                json_t *li = NULL;
                if (!leader_info(wf, sid, &li))
                    v = json_is_true(json_object_get(li, "hasLeader")) && !json_is_true(json_object_get(li, "isExpired")) &&
                        !strcmp(json_string_value(json_object_get(li, "leader")), wf->nid);
                json_decref(li);
            }
            ami_buf_printf(out, "%s{sid=\"", fam[f].name);
            prom_label(out, sid);
            ami_buf_printf(out, "\"} %lld\n", v);
        }
    }
    json_decref(stats);
    ami_buf_puts(out, "# HELP ami_webfix_calls_total WebFIX calls by method and HTTP status.\n"
                      "# TYPE ami_webfix_calls_total counter\n");
    for (int m = 0; m <= N_METHODS; m++)
        for (size_t s = 0; s < N_STATUS; s++) {
            unsigned long n = atomic_load(&wf->calls[m][s]);
            if (n)
                ami_buf_printf(out, "ami_webfix_calls_total{method=\"%s\",status=\"%d\"} %lu\n",
                               m < N_METHODS ? methods[m].name : "(invalid)", statuses[s], n);
        }
    return 0;
}

AMI_EXTERN(int) ami_webfix_new(ami_webfix **out, const ami_webfix_options *opts)
{
    if (!out || !opts) return ami__error_set(AMI_EINVAL, "webfix_new: out and opts are required");
    *out = NULL;
    if (opts->version != 1 && opts->version != AMI_WEBFIX_OPTIONS_VERSION)
        return ami__error_set(AMI_EINVAL, "webfix_new: options version %u, expected %u", opts->version,
                              AMI_WEBFIX_OPTIONS_VERSION);
    /* a version-1 caller's struct ends before `scope`: take the defaults for the rest */
    ami_webfix_options v2 = AMI_WEBFIX_OPTIONS_INIT;
    memcpy(&v2, opts, opts->version == 1 ? offsetof(ami_webfix_options, scope) : sizeof v2);
    opts = &v2;
    if (opts->scope != AMI_WEBFIX_SCOPE_NODE && opts->scope != AMI_WEBFIX_SCOPE_CLUSTER)
        return ami__error_set(AMI_EINVAL, "webfix_new: unknown scope %d", (int)opts->scope);
    ami_store *store = opts->store ? opts->store : node_store(opts->node);
    if (!store) return ami__error_set(AMI_EINVAL, "webfix_new: a store (or a node) is required");
    ami_webfix *wf = ami_malloc(sizeof *wf);
    if (!wf) return ami__error_oom();
    memset(wf, 0, sizeof *wf);
    pthread_mutex_init(&wf->list_cache.lock, NULL);
    pthread_mutex_init(&wf->stats_cache.lock, NULL);
    pthread_mutex_init(&wf->templates_cache.lock, NULL);
    pthread_mutex_init(&wf->leader_lock, NULL);
    int rc = ami__auth_init(&wf->auth, opts);
    wf->node = opts->node;
    wf->store = store;
    wf->local = opts->local_store ? opts->local_store : node_local_store(opts->node);
    wf->nid = ami__strdup(opts->nid ? opts->nid : node_id(opts->node) ? node_id(opts->node) : "local");
    wf->network = ami__strdup(opts->network ? opts->network : "localnet");
    wf->templates_fn = opts->templates_fn;
    wf->templates_payload = opts->templates_payload;
    wf->scope = opts->scope;
    wf->store_uri = opts->store_uri ? ami__strdup(opts->store_uri) : NULL;
    if (!rc && (!wf->nid || !wf->network || (opts->store_uri && !wf->store_uri))) rc = ami__error_oom();
    if (!rc) {
        wf->worker_prefix = ami_key_new("ami", "worker", NULL);
        wf->ami_prefix = ami_key_new("ami", NULL);
        if (!wf->worker_prefix || !wf->ami_prefix) rc = ami__error_oom();
    }
    if (rc) {
        ami_webfix_free(wf);
        return rc;
    }
    *out = wf;
    return 0;
}

AMI_EXTERN(void) ami_webfix_free(ami_webfix *wf)
{
    if (!wf) return;
    ami__auth_dispose(&wf->auth);
    free(wf->list_cache.text);
    pthread_mutex_destroy(&wf->list_cache.lock);
    ami_buf_dispose(&wf->stats_cache.fp);
    free(wf->stats_cache.text);
    ami_free(wf->stats_cache.sid);
    ami_free(wf->stats_cache.nid);
    pthread_mutex_destroy(&wf->stats_cache.lock);
    free(wf->templates_cache.text);
    pthread_mutex_destroy(&wf->templates_cache.lock);
    pthread_mutex_destroy(&wf->leader_lock);
    json_decref(wf->ami_prefix);
    json_decref(wf->worker_prefix);
    ami_free(wf->store_uri);
    ami_free(wf->nid);
    ami_free(wf->network);
    ami_free(wf);
}
