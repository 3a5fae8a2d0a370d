/*
 * The client layer: every command goes through a WebFIX method, run
 * in-process on the store (embedded mode, --db) or sent to amid over HTTP
 * (remote mode, --url; see remote.c).  Both give the same JSON shapes, so
 * --json output does not depend on the mode.
 */
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include "amictl.h"

int amictl_remote_call(json_t **out, int *status, const char *method, const json_t *body);
void amictl_remote_close(void);

static ami_store *store;

int amictl_remote(void) { return amictl_opts.url != NULL; }

static ami_store *open_store(void)
{
    if (!store && ami_store_open(&store, amictl_opts.db)) {
        amictl_error("%s", ami_error_last());   /* the store's message names the file */
        store = NULL;
    }
    return store;
}

void amictl_client_close(void)
{
    ami_store_free(store);
    store = NULL;
    amictl_remote_close();
}

/* A stored value written as {channel, raw, timestamp} (Stels.net.set style) reads as its raw. */
static json_t *unwrap(json_t *v)
{
    json_t *raw = json_object_get(v, "raw");
    return json_is_object(raw) ? raw : v;
}

static json_t *list_prefix(ami_store *s, json_t *prefix /* stolen */, const json_t *start, size_t limit, int reverse)
{
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    lo.start = start;
    lo.limit = limit;
    lo.reverse = reverse;
    json_t *entries = NULL;
    int rc = ami_store_list(&entries, s, &lo);
    json_decref(prefix);
    return rc ? NULL : entries;
}

static const char *body_sid(const json_t *body)
{
    const char *sid = json_string_value(json_object_get(body, "sid"));
    const char *ch = json_string_value(json_object_get(body, "channel"));
    if (!sid && ch && !strncmp(ch, "ami.worker.", 11)) sid = ch + 11;
    return sid;
}

/* ---- embedded methods: each returns 0 or an AMI_E… code with ami_error_last() set ---- */

typedef int (*method_fn)(json_t **out, const json_t *body);

static int m_set_worker(json_t **out, const json_t *body)
{
    return ami_registry_create(out, store, amictl_opts.nid, body);
}

static int m_list_workers(json_t **out, const json_t *body) { return ami_registry_list(out, store); }
static int m_get_worker(json_t **out, const json_t *body) { return ami_registry_get(out, store, body_sid(body)); }

static int m_update_worker(json_t **out, const json_t *body)
{
    const char *vs = json_string_value(json_object_get(body, "versionstamp"));
    return ami_registry_update(out, store, body_sid(body), json_object_get(body, "raw"), vs && *vs ? vs : NULL);
}

static int m_delete_worker(json_t **out, const json_t *body)
{
    const char *sid = body_sid(body);
    int rc = ami_registry_delete(store, sid);
    if (rc) return rc;
    char channel[300];
    snprintf(channel, sizeof channel, "ami.worker.%s", sid);
    *out = json_pack("{s:s,s:s,s:b}", "sid", sid, "channel", channel, "deleted", 1);
    return 0;
}

static int stop_all_partial;
static int m_stop_all(json_t **out, const json_t *body)
{
    return ami_registry_stop_all(out, &stop_all_partial, store);
}

/* getWorkerStats over the whole store: every node's ["ami","stats",nid,sid] record. */
static int m_worker_stats(json_t **out, const json_t *body)
{
    json_t *entries = list_prefix(store, ami_key_new("ami", "stats", NULL), NULL, 0, 0);
    if (!entries) return ami_error_last_code();
    json_t *workers = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        json_t *s = unwrap(json_object_get(e, "value"));
        if (!json_is_object(s)) continue;
        if (!json_object_get(s, "nid")) json_object_set(s, "nid", json_array_get(json_object_get(e, "key"), 2));
        json_array_append(workers, s);
    }
    json_decref(entries);
    *out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I}", "totalWorkers", (json_int_t)0, "runningWorkers",
                     (json_int_t)0, "stoppedWorkers", (json_int_t)0, "totalExecutions", (json_int_t)0, "totalErrors",
                     (json_int_t)0, "totalNetworkErrors", (json_int_t)0, "totalCriticalErrors", (json_int_t)0,
                     "workers", workers, "timestamp", (json_int_t)ami_time_now_ms());
    return 0;   /* totals are computed by the caller after filtering */
}

/* getLeaderInfo (spec 003 §6) from the lease key, as the nodes and amid give it. */
static int m_leader_info(json_t **out, const json_t *body)
{
    return ami_election_leader_info(out, store, json_string_value(json_object_get(body, "workerId")));
}

static int m_list_nodes(json_t **out, const json_t *body)
{
    json_t *entries = list_prefix(store, ami_key_new("ami", "node", NULL), NULL, 0, 0);
    if (!entries) return ami_error_last_code();
    *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        json_t *v = unwrap(json_object_get(e, "value"));
        if (json_is_object(v)) json_array_append(*out, v);
    }
    json_decref(entries);
    return 0;
}

static int by_ts(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "ts"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "ts"));
    return x < y ? -1 : x > y;
}

/* The shared store's file path, without "sqlite:" and "?options". */
static char *db_path(void)
{
    const char *p = amictl_opts.db;
    /* nodes on etcd keep their local stores as ./ami.NID.local (lib/node's default) */
    if (!strncmp(p, "etcd://", 7) || !strncmp(p, "etcds://", 8)) return strdup("ami");
    if (!strncmp(p, "sqlite:", 7)) p += 7;
    return strndup(p, strcspn(p, "?"));
}

/*
 * getWorkerLogs over every node's local store (<db>.<nid>.local next to the
 * shared file): the newest `limit` lines with ts > after, oldest first.
 */
static int m_worker_logs(json_t **out, const json_t *body)
{
    const char *sid = json_string_value(json_object_get(body, "sid"));
    json_t *jl = json_object_get(body, "limit");
    size_t limit = jl ? (size_t)json_integer_value(jl) : 100;
    json_int_t after = json_integer_value(json_object_get(body, "after"));
    char *path = db_path();
    size_t plen = strlen(path);
    char *pattern = malloc(plen * 2 + 16), *q = pattern;
    for (const char *c = path; *c; c++) {   /* escape glob characters of the path itself */
        if (strchr("*?[\\", *c)) *q++ = '\\';
        *q++ = *c;
    }
    strcpy(q, ".*.local");
    free(path);
    glob_t g;
    int grc = glob(pattern, 0, NULL, &g);
    free(pattern);
    json_t *lines = json_array();
    for (size_t f = 0; grc == 0 && f < g.gl_pathc; f++) {
        char uri[4200];
        snprintf(uri, sizeof uri, "sqlite:%s", g.gl_pathv[f]);
        ami_store *local = NULL;
        if (ami_store_open(&local, uri)) continue;
        json_t *start = json_pack("[s,s,s,I]", amictl_opts.network, "logs", sid, after > 0 ? after + 1 : (json_int_t)0);
        json_t *entries = list_prefix(local, json_pack("[s,s,s]", amictl_opts.network, "logs", sid), start, limit,
                                      limit > 0);
        json_decref(start);
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e) {
            json_t *v = unwrap(json_object_get(e, "value"));
            if (!json_is_object(v)) continue;
            if (!json_object_get(v, "ts")) json_object_set(v, "ts", json_array_get(json_object_get(e, "key"), 3));
            json_array_append(lines, v);
        }
        json_decref(entries);
        ami_store_free(local);
    }
    if (grc == 0) globfree(&g);
    /* merge the nodes' lines by time and keep the newest `limit` */
    size_t n = json_array_size(lines);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(lines, i);
    qsort(v, n, sizeof *v, by_ts);
    *out = json_array();
    for (size_t i = limit && n > limit ? n - limit : 0; i < n; i++) json_array_append(*out, v[i]);
    free(v);
    json_decref(lines);
    return 0;
}

static int m_list_templates(json_t **out, const json_t *body) { return ami_template_list(out); }

static const struct { const char *name; method_fn fn; } methods[] = {
    { "setWorker", m_set_worker }, { "listWorkers", m_list_workers }, { "getWorker", m_get_worker },
    { "updateWorker", m_update_worker }, { "deleteWorker", m_delete_worker }, { "stopAllWorkers", m_stop_all },
    { "getWorkerStats", m_worker_stats }, { "getLeaderInfo", m_leader_info }, { "listNodes", m_list_nodes },
    { "getWorkerLogs", m_worker_logs }, { "listTemplates", m_list_templates },
};

/* Recompute getWorkerStats totals over its (possibly filtered) workers[]. */
static void stats_totals(json_t *stats)
{
    json_int_t n = 0, running = 0, execs = 0, errs = 0, nerr = 0, cerr = 0;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(stats, "workers"), i, s) {
        n++;
        running += json_is_true(json_object_get(s, "isRunning"));
        execs += json_integer_value(json_object_get(s, "executions"));
        errs += json_integer_value(json_object_get(s, "errors"));
        nerr += json_integer_value(json_object_get(s, "networkErrors"));
        cerr += json_integer_value(json_object_get(s, "criticalErrors"));
    }
    json_object_set_new(stats, "totalWorkers", json_integer(n));
    json_object_set_new(stats, "runningWorkers", json_integer(running));
    json_object_set_new(stats, "stoppedWorkers", json_integer(n - running));
    json_object_set_new(stats, "totalExecutions", json_integer(execs));
    json_object_set_new(stats, "totalErrors", json_integer(errs));
    json_object_set_new(stats, "totalNetworkErrors", json_integer(nerr));
    json_object_set_new(stats, "totalCriticalErrors", json_integer(cerr));
}

int amictl_call(json_t **out, int *partial, const char *method, json_t *body)
{
    *out = NULL;
    if (partial) *partial = 0;
    if (!body) body = json_object();
    int status = 0, rc = AMICTL_FAIL;
    if (amictl_remote()) {
        json_t *res = NULL;
        if (amictl_remote_call(&res, &status, method, body) == 0) {
            if (status == 200 || status == 207) {
                *out = res;
                if (partial) *partial = status == 207;
                rc = AMICTL_OK;
            } else {
                json_t *err = json_object_get(res, "error");
                const char *msg = json_is_object(err) ? json_string_value(json_object_get(err, "message"))
                                                      : json_string_value(err);
                const char *detail = json_string_value(json_object_get(res, "message"));
                if (detail && msg && strcmp(detail, msg)) amictl_error("%s: %s (HTTP %d)", msg, detail, status);
                else amictl_error("%s (HTTP %d)%s", msg ? msg : "request failed", status,
                                  status == 401 && !amictl_opts.key ? "; log in with --key FILE (or AMI_KEY)" : "");
                json_decref(res);
            }
        }
    } else if (open_store()) {
        method_fn fn = NULL;
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
            if (!strcmp(methods[i].name, method)) fn = methods[i].fn;
        if (!fn) {
            amictl_error("method %s is not available in embedded mode", method);
        } else {
            stop_all_partial = 0;
            int r = fn(out, body);
            if (r) { amictl_error("%s", ami_error_last()[0] ? ami_error_last() : ami_strerror(r)); *out = NULL; }
            else { rc = AMICTL_OK; if (partial) *partial = stop_all_partial; }
        }
    }
    if (rc == AMICTL_OK && !strcmp(method, "getWorkerStats")) {
        /* filters are applied here so both modes treat them alike */
        const char *sid = json_string_value(json_object_get(body, "sid"));
        const char *nid = json_string_value(json_object_get(body, "nid"));
        json_t *workers = json_object_get(*out, "workers"), *kept = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(workers, i, s) {
            if (sid && strcmp(amictl_str(s, "sid"), sid)) continue;
            if (nid && strcmp(amictl_str(s, "nid"), nid)) continue;
            json_array_append(kept, s);
        }
        json_object_set_new(*out, "workers", kept);
        stats_totals(*out);
    }
    json_decref(body);
    return rc;
}

char *amictl_resolve_sid(const char *prefix)
{
    if (!prefix || !*prefix) { amictl_error("a worker id is required"); return NULL; }
    json_t *all = NULL;
    if (amictl_call(&all, NULL, "listWorkers", NULL)) return NULL;
    /* resolved client-side over listWorkers so both modes give the same answer */
    char *found = NULL, *sid = NULL;
    if (ami_registry_resolve_in(&found, all, prefix)) amictl_error("%s", ami_error_last());
    else { sid = strdup(found); ami_free(found); }
    json_decref(all);
    return sid;
}
