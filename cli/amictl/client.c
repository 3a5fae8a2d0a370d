/*
 * The client layer: every command goes through a WebFIX method, answered by
 * the same dispatcher amid runs (lib/webfix) — in-process on the store
 * (embedded mode, --db: a store-only dispatcher in open mode) or by amid over
 * HTTP (remote mode, --url; see remote.c).  Both give the same JSON, so
 * --json output does not depend on the mode.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "amictl.h"

int amictl_remote_call(json_t **out, int *status, const char *method, const json_t *body);
void amictl_remote_close(void);

static ami_store *store;
static ami_webfix *wf;

int amictl_remote(void) { return amictl_opts.url != NULL; }

/* The file a sqlite: URI or plain path names (without "sqlite:" and "?options"). */
static char *db_path(const char *uri)
{
    if (!strncmp(uri, "sqlite:", 7)) uri += 7;
    return strndup(uri, strcspn(uri, "?"));
}

int amictl_store_exists(void)
{
    if (strstr(amictl_opts.db, "://")) return 1;   /* a server store (etcd://): its client says if it is there */
    char *path = db_path(amictl_opts.db);
    struct stat st;
    int ok = path && (!*path || !strcmp(path, ":memory:") || stat(path, &st) == 0);
    free(path);
    return ok;
}

static ami_webfix *open_dispatcher(void)
{
    if (wf) return wf;
    if (!amictl_opts.creates_store && !amictl_store_exists()) {
        amictl_error("no store at %s (create one with amictl create, or give --db)", amictl_opts.db);
        return NULL;
    }
    if (ami_store_open(&store, amictl_opts.db)) {
        amictl_error("%s", ami_error_last());   /* the store's message names the file */
        store = NULL;
        return NULL;
    }
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.store_uri = amictl_opts.db;
    o.nid = amictl_opts.nid;
    o.network = amictl_opts.network;
    o.scope = amictl_opts.scope;
    if (ami_webfix_new(&wf, &o)) {
        amictl_error("%s", ami_error_last());
        wf = NULL;
    }
    return wf;
}

void amictl_client_close(void)
{
    ami_webfix_free(wf);
    wf = NULL;
    ami_store_free(store);
    store = NULL;
    amictl_remote_close();
}

/* A method on the in-process dispatcher: *res is its JSON answer, *status its HTTP status. */
static int embedded_call(json_t **res, int *status, const char *method, json_t *body)
{
    if (!wf && !strcmp(method, "listTemplates") && !amictl_store_exists()) {
        /* the built-in templates need no store (what the dispatcher answers too) */
        *status = 200;
        return ami_template_list(res) ? amictl_error("%s", ami_error_last()) : AMICTL_OK;
    }
    if (!open_dispatcher()) return AMICTL_FAIL;
    json_t *req = json_pack("{s:s,s:s,s:O}", "webfix", "1.0", "method", method, "body", body);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    ami_buf resp = AMI_BUF_INIT;
    int rc = text ? ami_webfix_handle(wf, text, strlen(text), NULL, status, &resp) : AMI_ENOMEM;
    free(text);
    if (!rc) *res = json_loadb(resp.ptr ? resp.ptr : "", resp.size, 0, NULL);
    ami_buf_dispose(&resp);
    if (rc || !*res) return amictl_error("%s", rc ? ami_error_last() : "the dispatcher's answer is not JSON");
    return AMICTL_OK;
}

int amictl_call(json_t **out, int *partial, const char *method, json_t *body)
{
    *out = NULL;
    if (partial) *partial = 0;
    if (!body) body = json_object();
    int status = 0, rc = AMICTL_FAIL;
    json_t *res = NULL;
    int sent = amictl_remote() ? amictl_remote_call(&res, &status, method, body) : embedded_call(&res, &status, method, body);
    if (sent == 0) {
        if (status == 200 || status == 207) {
            *out = res;
            if (partial) *partial = status == 207;
            rc = AMICTL_OK;
        } else {
            json_t *err = json_object_get(res, "error");
            const char *msg = json_is_object(err) ? json_string_value(json_object_get(err, "message"))
                                                  : json_string_value(err);
            const char *detail = json_string_value(json_object_get(res, "message"));
            char where[32] = "";
            if (amictl_remote()) snprintf(where, sizeof where, " (HTTP %d)", status);
            if (detail && msg && strcmp(detail, msg)) amictl_error("%s: %s%s", msg, detail, where);
            else amictl_error("%s%s%s", msg ? msg : "request failed", where,
                              status == 401 && !amictl_opts.key ? "; log in with --key FILE (or AMI_KEY)" : "");
            json_decref(res);
        }
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
    int rc = ami_registry_resolve_in(&found, all, prefix);
    if (rc == AMI_ENOTFOUND && strlen(prefix) == 36) sid = strdup(prefix);   /* a whole sid: maybe an unreadable record (not listed) */
    else if (rc) amictl_error("%s", ami_error_last());
    else { sid = strdup(found); ami_free(found); }
    json_decref(all);
    return sid;
}
