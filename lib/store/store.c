/*
 * The store front end: URIs, JSON <-> text, entry objects, list ranges,
 * atomic batches, expiry times, and one mutex per handle.  Backends see only
 * encoded keys and JSON text (ami/sys/store_backend.h).
 *
 * Every call but watch/wake runs under the handle's mutex; watch runs outside
 * it (the backend serves it from its own connection) so a waiting watcher
 * never blocks reads and commits on the same handle.  Commits on a backend
 * that groups concurrent commits itself (SQLite: `group_commit`) run outside
 * it too, with scratch buffers from a small free list, so threads committing
 * at once reach the backend together and share one transaction.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/core.h"
#include "util/util.h"
#include "store/store_internal.h"

/* Per-call scratch for commits outside the handle's mutex (kept on a free list). */
typedef struct scratch {
    ami_buf key;
    ami_buf value;
    ami_store_op *ops;
    size_t ops_cap;
    struct scratch *next;
} scratch;

struct ami_store {
    ami_store_backend *be;
    pthread_mutex_t mu;
    int group_commit;         /* the backend takes concurrent commits (and groups them) */
    pthread_mutex_t scratch_mu;
    scratch *free_scratch;
    /* scratch reused under `mu` so hot paths do not allocate */
    ami_buf key;
    ami_buf value;
    ami_store_op *ops;
    size_t ops_cap;
    char *temp_dir;   /* ami_store_open_temp: removed with everything in it on free */
    uint64_t wakes;   /* ami_store_wake calls (atomic): the backend counts the same wake()s */
};

/* A batch keeps its keys and value texts in one arena; ops refer to offsets. */
typedef struct {
    int type;
    size_t key_off, key_len;
    size_t val_off, val_len;   /* SET: value text; CHECK: versionstamp text ("" = absent) */
    int64_t expire_in_ms;
} atomic_op;

struct ami_atomic {
    atomic_op *ops;
    size_t n, cap;
    ami_buf arena;
};

/* ---- open / free ---- */

static const char *be_name(const ami_store *s) { return s->be->name ? s->be->name : "custom"; }

AMI_EXTERN(int) ami_store_open_backend(ami_store **out, ami_store_backend *backend)
{
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = NULL;
    if (!backend) return ami__error_set(AMI_EINVAL, "backend is NULL");
    /* a version 1 struct ends before watch_from: accepted, and never read past its end */
    if (backend->version != 1 && backend->version != AMI_STORE_BACKEND_VERSION)
        return ami__error_set(AMI_EINVAL, "store backend version %u is not 1 or %d", backend->version,
                              AMI_STORE_BACKEND_VERSION);
    if (!backend->get || !backend->list || !backend->commit || !backend->current || !backend->free)
        return ami__error_set(AMI_EINVAL, "store backend \"%s\" lacks a required method",
                              backend->name ? backend->name : "?");
    if ((backend->capabilities & AMI_STORE_CAP_WATCH) && (!backend->watch || !backend->wake))
        return ami__error_set(AMI_EINVAL, "store backend claims watch but has no watch()/wake()");
    ami_store *s = ami_malloc(sizeof *s);
    if (!s) return ami__error_oom();
    memset(s, 0, sizeof *s);
    if (pthread_mutex_init(&s->mu, NULL)) {
        ami_free(s);
        return ami__error_set(AMI_ERROR, "cannot create a mutex");
    }
    if (pthread_mutex_init(&s->scratch_mu, NULL)) {
        pthread_mutex_destroy(&s->mu);
        ami_free(s);
        return ami__error_set(AMI_ERROR, "cannot create a mutex");
    }
    s->be = backend;
    *out = s;
    return 0;
}

AMI_EXTERN(int) ami_store_open(ami_store **out, const char *uri)
{
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = NULL;
    if (!uri || !*uri) return ami__error_set(AMI_EINVAL, "empty store URI");
    /* a URI whose scheme names a registered backend goes to that backend; the rest is SQLite */
    static const struct {
        const char *scheme;
        int (*open)(ami_store_backend **out, const char *uri);
    } schemes[] = {
        { "etcd://", ami__etcd_backend_open },
        { "etcds://", ami__etcd_backend_open },
    };
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        if (strncmp(uri, schemes[i].scheme, strlen(schemes[i].scheme))) continue;
        ami_store_backend *be = NULL;
        int rc = schemes[i].open(&be, uri);
        if (rc) return rc;
        if ((rc = ami_store_open_backend(out, be))) be->free(be);
        return rc;
    }

    const char *path = uri;
    int sync_full = 0;
    char *owned = NULL;
    if (!strncmp(uri, "sqlite:", 7)) {
        path = uri + 7;
        if (!strncmp(path, "//", 2)) path += 2;   /* sqlite:///abs/path */
        const char *q = strchr(path, '?');
        if (q) {
            owned = ami__strndup(path, (size_t)(q - path));
            if (!owned) return ami__error_oom();
            path = owned;
            /* only one query parameter exists: sync=normal|full */
            const char *qs = q + 1;
            if (!strcmp(qs, "sync=full")) sync_full = 1;
            else if (!strcmp(qs, "sync=normal") || !*qs) sync_full = 0;
            else {
                ami_free(owned);
                return ami__error_set(AMI_EINVAL, "store URI \"%s\": unknown option \"%s\" (expected sync=normal or sync=full)", uri, qs);
            }
        }
    } else {
        /* a scheme we do not know is an error, not a file name */
        const char *colon = strstr(uri, "://");
        if (colon) {
            return ami__error_set(AMI_EINVAL, "store URI \"%s\": unknown scheme (expected sqlite:PATH, a path, or etcd://)", uri);
        }
    }
    if (!*path) {
        ami_free(owned);
        return ami__error_set(AMI_EINVAL, "store URI \"%s\": empty path", uri);
    }
    if (!strncmp(path, "file:", 5)) {
        ami_free(owned);
        return ami__error_set(AMI_EINVAL, "store URI \"%s\": give a file path or :memory: (SQLite URIs are not accepted)", uri);
    }
    ami_store_backend *be = NULL;
    int rc = ami__sqlite_backend_open(&be, path, sync_full);
    ami_free(owned);
    if (rc) return rc;
    if ((rc = ami_store_open_backend(out, be))) be->free(be);
    else (*out)->group_commit = 1;   /* sqlite.c groups concurrent commits in one transaction */
    return rc;
}

/* Remove a temporary store's directory and the files in it (store, WAL, node-local stores). */
static void remove_temp_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[4096];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

AMI_EXTERN(int) ami_store_open_temp(ami_store **out, char **out_uri)
{
    if (out_uri) *out_uri = NULL;
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = NULL;
    const char *tmp = getenv("TMPDIR");
    ami_buf dir = AMI_BUF_INIT, uri = AMI_BUF_INIT;
    if (ami_buf_printf(&dir, "%s/ami-store-XXXXXX", tmp && *tmp ? tmp : "/tmp")) return ami__error_oom();
    if (!mkdtemp(dir.ptr)) {
        int rc = ami__error_set(AMI_EIO, "cannot create a temporary directory \"%s\"", dir.ptr);
        ami_buf_dispose(&dir);
        return rc;
    }
    int rc = ami_buf_printf(&uri, "sqlite:%s/ami.db", dir.ptr);
    if (!rc) rc = ami_store_open(out, uri.ptr);
    if (rc) {
        remove_temp_dir(dir.ptr);
        ami_buf_dispose(&dir);
        ami_buf_dispose(&uri);
        return rc;
    }
    (*out)->temp_dir = ami_buf_detach(&dir);
    if (out_uri) *out_uri = ami_buf_detach(&uri);
    ami_buf_dispose(&uri);
    return 0;
}

AMI_EXTERN(void) ami_store_free(ami_store *store)
{
    if (!store) return;
    store->be->free(store->be);
    if (store->temp_dir) {
        remove_temp_dir(store->temp_dir);
        ami_free(store->temp_dir);
    }
    pthread_mutex_destroy(&store->mu);
    pthread_mutex_destroy(&store->scratch_mu);
    while (store->free_scratch) {
        scratch *x = store->free_scratch;
        store->free_scratch = x->next;
        ami_buf_dispose(&x->key);
        ami_buf_dispose(&x->value);
        ami_free(x->ops);
        ami_free(x);
    }
    ami_buf_dispose(&store->key);
    ami_buf_dispose(&store->value);
    ami_free(store->ops);
    ami_free(store);
}

ami_store_backend *ami__store_backend(ami_store *store) { return store ? store->be : NULL; }

int ami__store_changes(ami_store *store, const char *after, size_t max, ami__change_fn fn, void *payload)
{
    if (!store) return AMI_EUNSUPPORTED;
    if (!strcmp(store->be->name, "sqlite")) return ami__sqlite_changes(store->be, after, max, fn, payload);
    if (!strcmp(store->be->name, "etcd")) return ami__etcd_changes(store->be, after, max, fn, payload);
    return AMI_EUNSUPPORTED;
}

AMI_EXTERN(unsigned int) ami_store_capabilities(const ami_store *store)
{
    return store ? store->be->capabilities : 0;
}

/* ---- JSON helpers ---- */

/* Compact JSON text of `value` into buf (replacing its content), without a malloc once warm. */
static int value_text(ami_buf *buf, const json_t *value)
{
    ami_buf_clear(buf);
    if (!value) return ami__error_set(AMI_EINVAL, "value is NULL");
    for (;;) {
        size_t room = buf->asize > 0 ? buf->asize - 1 : 0;
        size_t n = json_dumpb(value, buf->ptr, room, JSON_COMPACT | JSON_ENCODE_ANY);
        if (n == 0) return ami__error_set(AMI_EINVAL, "value cannot be serialised as JSON (NaN or infinity?)");
        if (n > AMI_VALUE_MAX_BYTES)
            return ami__error_set(AMI_EVALUETOOLARGE, "value is %zu bytes of JSON, over %d", n, AMI_VALUE_MAX_BYTES);
        if (n <= room) {
            buf->size = n;
            buf->ptr[n] = '\0';
            return 0;
        }
        int rc = ami_buf_grow(buf, n);
        if (rc) return rc;
    }
}

/*
 * New entry object; key is borrowed and shared (one more reference, as
 * json_object_set does), value is stolen (NULL → null).
 */
static json_t *make_entry(const json_t *key, json_t *value, const char *vs)
{
    json_t *e = json_object();
    if (!e) { json_decref(value); return NULL; }
    if (json_object_set_nocheck(e, "key", (json_t *)key) ||
        json_object_set_new_nocheck(e, "value", value ? value : json_null()) ||
        json_object_set_new_nocheck(e, "versionstamp",
                                    vs && *vs ? json_stringn_nocheck(vs, AMI_VERSIONSTAMP_LEN) : json_null())) {
        json_decref(e);
        return NULL;
    }
    return e;
}

static json_t *parse_value(const char *text, size_t len)
{
    return json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

json_t *ami__store_entry_from_text(const json_t *key, const char *value, size_t value_len, const char *vs)
{
    json_t *v = parse_value(value, value_len);
    json_t *e = make_entry(key, v, vs);
    if (e && !v && json_object_set_new(e, "corrupt", json_string("stored value is not valid JSON"))) {
        json_decref(e);
        e = NULL;
    }
    return e;
}

/* ---- reads ---- */

AMI_EXTERN(int) ami_store_get(json_t **out, ami_store *store, const json_t *key)
{
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = NULL;
    if (!store) return ami__error_set(AMI_EINVAL, "store is NULL");
    ami_versionstamp vs = "";
    json_t *value = NULL;
    pthread_mutex_lock(&store->mu);
    ami_buf_clear(&store->key);
    int rc = ami_key_encode(&store->key, key);
    if (!rc) rc = store->be->get(store->be, (const unsigned char *)store->key.ptr, store->key.size, &store->value, vs);
    if (rc == AMI_ENOTFOUND) {
        rc = 0;
        vs[0] = '\0';
    } else if (!rc) {
        value = parse_value(store->value.ptr, store->value.size);
        if (!value) rc = ami__error_set(AMI_EIO, "stored value is not valid JSON");
    }
    pthread_mutex_unlock(&store->mu);
    if (rc) return rc;
    *out = make_entry(key, value, vs);
    return *out ? 0 : ami__error_oom();
}

static int get_text(ami_buf *value, ami_versionstamp vs, ami_store *store, const json_t *key, int stale_ok)
{
    if (vs) vs[0] = '\0';
    if (!value || !vs || !store) return ami__error_set(AMI_EINVAL, "NULL argument");
    pthread_mutex_lock(&store->mu);
    ami_buf_clear(&store->key);
    int rc = ami_key_encode(&store->key, key);
    const unsigned char *k = (const unsigned char *)store->key.ptr;
    if (!rc && stale_ok && !strcmp(store->be->name, "etcd"))
        rc = ami__etcd_get_serializable(store->be, k, store->key.size, value, vs);
    else if (!rc)
        rc = store->be->get(store->be, k, store->key.size, value, vs);
    pthread_mutex_unlock(&store->mu);
    if (rc == AMI_ENOTFOUND) {
        vs[0] = '\0';
        ami__error_set(AMI_ENOTFOUND, "key not found");
    }
    return rc;
}

AMI_EXTERN(int) ami_store_get_text(ami_buf *value, ami_versionstamp vs, ami_store *store, const json_t *key)
{
    return get_text(value, vs, store, key, 0);
}

int ami__store_get_text_stale_ok(ami_buf *value, ami_versionstamp vs, ami_store *store, const json_t *key)
{
    return get_text(value, vs, store, key, 1);
}

typedef struct {
    json_t *arr;
    int rc;
    int keep_corrupt;
} list_ctx;

static int list_cb(const unsigned char *key, size_t key_len, const char *value, size_t value_len,
                   const char *versionstamp, void *payload)
{
    list_ctx *c = payload;
    json_t *k = NULL;
    int rc = ami_key_decode(&k, key, key_len);
    if (rc) { c->rc = rc; return 1; }
    if (c->keep_corrupt) {
        json_t *e = ami__store_entry_from_text(k, value, value_len, versionstamp);
        json_decref(k);
        if (!e || json_array_append_new(c->arr, e)) {
            c->rc = ami__error_oom();
            return 1;
        }
        return 0;
    }
    json_t *v = parse_value(value, value_len);
    if (!v) {
        char *ktext = json_dumps(k, JSON_COMPACT);
        c->rc = ami__error_set(AMI_EIO, "stored value of %s is not valid JSON", ktext ? ktext : "a key");
        free(ktext);
        json_decref(k);
        return 1;
    }
    json_t *e = make_entry(k, v, versionstamp);
    json_decref(k);
    if (!e || json_array_append_new(c->arr, e)) {
        c->rc = ami__error_oom();
        return 1;
    }
    return 0;
}

static int bytes_cmp(const ami_buf *a, const ami_buf *b)
{
    size_t n = a->size < b->size ? a->size : b->size;
    int r = n ? memcmp(a->ptr, b->ptr, n) : 0;
    return r ? r : (a->size > b->size) - (a->size < b->size);
}

/* The range of `opts` (prefix, start, end) handed to the backend's list with cb; 0 visits nothing when it is empty. */
static int list_run(ami_store *store, const ami_list_options *opts, ami_store_list_cb cb, void *payload)
{
    ami_list_options def = AMI_LIST_OPTIONS_INIT;
    if (!opts) opts = &def;
    if (opts->version != AMI_LIST_OPTIONS_VERSION)
        return ami__error_set(AMI_EINVAL, "ami_list_options version %u is not %d", opts->version, AMI_LIST_OPTIONS_VERSION);

    /* lo/hi: the prefix range [enc(P)+0x00, enc(P)+0xFF) narrowed by start/end */
    ami_buf lo = AMI_BUF_INIT, hi = AMI_BUF_INIT, tmp = AMI_BUF_INIT;
    int have_lo = 0, have_hi = 0, rc = 0;
    if (opts->prefix && !(json_is_array(opts->prefix) && json_array_size(opts->prefix) == 0)) {
        if ((rc = ami_key_encode(&lo, opts->prefix))) goto done;
        if ((rc = ami_buf_put(&hi, lo.ptr, lo.size))) goto done;
        if ((rc = ami_buf_put(&lo, "\x00", 1)) || (rc = ami_buf_put(&hi, "\xff", 1))) goto done;
        have_lo = have_hi = 1;
    }
    if (opts->start) {
        if ((rc = ami_key_encode(&tmp, opts->start))) goto done;
        if (!have_lo || bytes_cmp(&tmp, &lo) > 0) {
            ami_buf_clear(&lo);
            if ((rc = ami_buf_put(&lo, tmp.ptr, tmp.size))) goto done;
            have_lo = 1;
        }
        ami_buf_clear(&tmp);
    }
    if (opts->end) {
        if ((rc = ami_key_encode(&tmp, opts->end))) goto done;
        if (!have_hi || bytes_cmp(&tmp, &hi) < 0) {
            ami_buf_clear(&hi);
            if ((rc = ami_buf_put(&hi, tmp.ptr, tmp.size))) goto done;
            have_hi = 1;
        }
    }
    if (have_lo && have_hi && bytes_cmp(&lo, &hi) >= 0) goto done;   /* empty range */
    pthread_mutex_lock(&store->mu);
    rc = store->be->list(store->be, have_lo ? (const unsigned char *)lo.ptr : NULL, lo.size,
                         have_hi ? (const unsigned char *)hi.ptr : NULL, hi.size, opts->limit,
                         opts->reverse, cb, payload);
    pthread_mutex_unlock(&store->mu);
done:
    ami_buf_dispose(&lo);
    ami_buf_dispose(&hi);
    ami_buf_dispose(&tmp);
    return rc;
}

AMI_EXTERN(int) ami_store_list(json_t **out, ami_store *store, const ami_list_options *opts)
{
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = NULL;
    if (!store) return ami__error_set(AMI_EINVAL, "store is NULL");
    list_ctx c = { json_array(), 0, opts && opts->keep_corrupt };
    if (!c.arr) return ami__error_oom();
    int rc = list_run(store, opts, list_cb, &c);
    if (!rc) rc = c.rc;
    if (rc) json_decref(c.arr);
    else *out = c.arr;
    return rc;
}

int ami__store_list_raw(ami_store *store, const ami_list_options *opts, ami_store_list_cb cb, void *payload)
{
    if (!store || !cb) return ami__error_set(AMI_EINVAL, "store and cb are required");
    return list_run(store, opts, cb, payload);
}

/* ---- atomic batches ---- */

AMI_EXTERN(int) ami_atomic_new(ami_atomic **out)
{
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = ami_malloc(sizeof **out);
    if (!*out) return ami__error_oom();
    memset(*out, 0, sizeof **out);
    return 0;
}

AMI_EXTERN(void) ami_atomic_free(ami_atomic *atomic)
{
    if (!atomic) return;
    ami_free(atomic->ops);
    ami_buf_dispose(&atomic->arena);
    ami_free(atomic);
}

/* Append an op whose key is encoded into the arena; *op_out is valid until the next push. */
static int atomic_push(ami_atomic *a, int type, const json_t *key, atomic_op **op_out)
{
    if (!a) return ami__error_set(AMI_EINVAL, "atomic is NULL");
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        atomic_op *ops = ami_realloc(a->ops, cap * sizeof *ops);
        if (!ops) return ami__error_oom();
        a->ops = ops;
        a->cap = cap;
    }
    size_t off = a->arena.size;
    int rc = ami_key_encode(&a->arena, key);
    if (rc) return rc;
    atomic_op *op = &a->ops[a->n];
    memset(op, 0, sizeof *op);
    op->type = type;
    op->key_off = off;
    op->key_len = a->arena.size - off;
    *op_out = op;
    return 0;
}

/* Drop the arena bytes of an op that was not completed. */
static void atomic_unpush(ami_atomic *a, atomic_op *op)
{
    a->arena.size = op->key_off;
    if (a->arena.ptr) a->arena.ptr[a->arena.size] = '\0';
}

AMI_EXTERN(int) ami_atomic_check(ami_atomic *atomic, const json_t *key, const char *versionstamp)
{
    uint64_t c;
    int rc = ami__vs_parse(&c, versionstamp);
    if (rc) return rc;
    atomic_op *op;
    if ((rc = atomic_push(atomic, AMI_STORE_OP_CHECK, key, &op))) return rc;
    size_t len = versionstamp ? strlen(versionstamp) : 0;
    op->val_off = atomic->arena.size;
    op->val_len = len;
    if ((rc = ami_buf_put(&atomic->arena, versionstamp ? versionstamp : "", len + 1))) {
        atomic_unpush(atomic, op);
        return rc;
    }
    atomic->n++;
    return 0;
}

AMI_EXTERN(int) ami_atomic_set(ami_atomic *atomic, const json_t *key, const json_t *value, int64_t expire_in_ms)
{
    if (expire_in_ms < 0) return ami__error_set(AMI_EINVAL, "expire_in_ms must not be negative");
    atomic_op *op;
    int rc = atomic_push(atomic, AMI_STORE_OP_SET, key, &op);
    if (rc) return rc;
    if (!value) {
        atomic_unpush(atomic, op);
        return ami__error_set(AMI_EINVAL, "value is NULL");
    }
    /* serialise straight into the arena's spare room (plus a NUL); grow and redo when it does not fit */
    size_t off = atomic->arena.size, n = 0;
    if (!(rc = ami_buf_grow(&atomic->arena, 256))) {
        for (;;) {
            size_t room = atomic->arena.asize - off - 1;
            n = json_dumpb(value, atomic->arena.ptr + off, room, JSON_COMPACT | JSON_ENCODE_ANY);
            if (n == 0) rc = ami__error_set(AMI_EINVAL, "value cannot be serialised as JSON (NaN or infinity?)");
            else if (n > AMI_VALUE_MAX_BYTES)
                rc = ami__error_set(AMI_EVALUETOOLARGE, "value is %zu bytes of JSON, over %d", n, AMI_VALUE_MAX_BYTES);
            else if (n + 1 > room)
                rc = ami_buf_grow(&atomic->arena, n + 1);
            else
                break;
            if (rc) break;
        }
    }
    if (!rc) {
        atomic->arena.ptr[off + n] = '\0';
        atomic->arena.size = off + n + 1;
        atomic->arena.ptr[atomic->arena.size] = '\0';
    }
    if (rc) {
        atomic_unpush(atomic, op);
        return rc;
    }
    op->val_off = off;
    op->val_len = n;
    op->expire_in_ms = expire_in_ms;
    atomic->n++;
    return 0;
}

AMI_EXTERN(int) ami_atomic_delete(ami_atomic *atomic, const json_t *key)
{
    atomic_op *op;
    int rc = atomic_push(atomic, AMI_STORE_OP_DELETE, key, &op);
    if (rc) return rc;
    atomic->n++;
    return 0;
}

static int grow_ops(ami_store_op **ops, size_t *ops_cap, size_t n)
{
    if (n <= *ops_cap) return 0;
    size_t cap = *ops_cap ? *ops_cap : 8;
    while (cap < n) cap *= 2;
    ami_store_op *o = ami_realloc(*ops, cap * sizeof *o);
    if (!o) return ami__error_oom();
    *ops = o;
    *ops_cap = cap;
    return 0;
}

/*
 * The scratch of one write: the handle's own (taking its mutex), or, when the
 * backend groups concurrent commits, one from the free list (no mutex held
 * across the commit).  Give it back with scratch_done.
 */
static scratch *scratch_take(ami_store *s, scratch *own)
{
    if (!s->group_commit) {
        pthread_mutex_lock(&s->mu);
        own->key = s->key;
        own->value = s->value;
        own->ops = s->ops;
        own->ops_cap = s->ops_cap;
        return own;
    }
    pthread_mutex_lock(&s->scratch_mu);
    scratch *x = s->free_scratch;
    if (x) s->free_scratch = x->next;
    pthread_mutex_unlock(&s->scratch_mu);
    if (!x && (x = ami_malloc(sizeof *x))) memset(x, 0, sizeof *x);
    return x;
}

static void scratch_done(ami_store *s, scratch *x, scratch *own)
{
    if (!x) return;
    if (x == own) {
        s->key = x->key;
        s->value = x->value;
        s->ops = x->ops;
        s->ops_cap = x->ops_cap;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    pthread_mutex_lock(&s->scratch_mu);
    x->next = s->free_scratch;
    s->free_scratch = x;
    pthread_mutex_unlock(&s->scratch_mu);
}

AMI_EXTERN(int) ami_store_commit(ami_store *store, const ami_atomic *atomic, int *committed, ami_versionstamp vs)
{
    int dummy;
    if (!committed) committed = &dummy;
    *committed = 0;
    if (vs) vs[0] = '\0';
    if (!store || !atomic) return ami__error_set(AMI_EINVAL, "NULL argument");
    ami_versionstamp tmpvs;
    if (!vs) vs = tmpvs;
    unsigned caps = store->be->capabilities;
    for (size_t i = 0; i < atomic->n; i++) {
        if (atomic->ops[i].type == AMI_STORE_OP_CHECK && !(caps & AMI_STORE_CAP_CAS))
            return ami__error_set(AMI_EUNSUPPORTED, "the %s store backend cannot check versionstamps", be_name(store));
        if (atomic->ops[i].expire_in_ms > 0 && !(caps & AMI_STORE_CAP_TTL))
            return ami__error_set(AMI_EUNSUPPORTED, "the %s store backend cannot expire entries", be_name(store));
    }
    int64_t now = ami_time_now_ms();
    scratch own, *x = scratch_take(store, &own);
    if (!x) return ami__error_oom();
    int rc = grow_ops(&x->ops, &x->ops_cap, atomic->n);
    if (!rc) {
        const char *base = atomic->arena.ptr;
        for (size_t i = 0; i < atomic->n; i++) {
            const atomic_op *a = &atomic->ops[i];
            ami_store_op *o = &x->ops[i];
            memset(o, 0, sizeof *o);
            o->type = a->type;
            o->key = (const unsigned char *)base + a->key_off;
            o->key_len = a->key_len;
            if (a->type == AMI_STORE_OP_CHECK) o->versionstamp = base + a->val_off;
            if (a->type == AMI_STORE_OP_SET) {
                o->value = base + a->val_off;
                o->value_len = a->val_len;
                o->expire_at_ms = a->expire_in_ms > 0 ? now + a->expire_in_ms : 0;
            }
        }
        rc = store->be->commit(store->be, x->ops, atomic->n, committed, vs);
    }
    scratch_done(store, x, &own);
    if (rc || !*committed) vs[0] = '\0';
    return rc;
}

/* ami_store_set with the value as JSON text already made (value NULL) or as a
 * json_t to serialise (text NULL): one implementation for both. */
static int store_set(ami_store *store, const json_t *key, const json_t *value, const char *text, size_t text_len,
                     int64_t expire_in_ms, ami_versionstamp vs)
{
    ami_versionstamp tmpvs;
    if (!vs) vs = tmpvs;
    vs[0] = '\0';
    if (!store) return ami__error_set(AMI_EINVAL, "store is NULL");
    if (expire_in_ms < 0) return ami__error_set(AMI_EINVAL, "expire_in_ms must not be negative");
    if (expire_in_ms > 0 && !(store->be->capabilities & AMI_STORE_CAP_TTL))
        return ami__error_set(AMI_EUNSUPPORTED, "the %s store backend cannot expire entries", be_name(store));
    if (text && text_len > AMI_VALUE_MAX_BYTES)
        return ami__error_set(AMI_EVALUETOOLARGE, "value is %zu bytes of JSON, over %d", text_len, AMI_VALUE_MAX_BYTES);
    int64_t now = expire_in_ms > 0 ? ami_time_now_ms() : 0;
    scratch own, *x = scratch_take(store, &own);
    if (!x) return ami__error_oom();
    ami_buf_clear(&x->key);
    int rc = ami_key_encode(&x->key, key);
    if (!rc && !text) rc = value_text(&x->value, value);
    if (!rc) {
        ami_store_op op;
        memset(&op, 0, sizeof op);
        op.type = AMI_STORE_OP_SET;
        op.key = (const unsigned char *)x->key.ptr;
        op.key_len = x->key.size;
        op.value = text ? text : x->value.ptr;
        op.value_len = text ? text_len : x->value.size;
        op.expire_at_ms = expire_in_ms > 0 ? now + expire_in_ms : 0;
        int committed = 0;
        rc = store->be->commit(store->be, &op, 1, &committed, vs);
    }
    scratch_done(store, x, &own);
    if (rc) vs[0] = '\0';
    return rc;
}

AMI_EXTERN(int) ami_store_set(ami_store *store, const json_t *key, const json_t *value, int64_t expire_in_ms,
                              ami_versionstamp vs)
{
    return store_set(store, key, value, NULL, 0, expire_in_ms, vs);
}

int ami__store_set_text(ami_store *store, const json_t *key, const char *text, size_t len, int64_t expire_in_ms,
                        ami_versionstamp vs)
{
    if (!text) return ami__error_set(AMI_EINVAL, "value is NULL");
    return store_set(store, key, NULL, text, len, expire_in_ms, vs);
}

AMI_EXTERN(int) ami_store_delete(ami_store *store, const json_t *key)
{
    if (!store) return ami__error_set(AMI_EINVAL, "store is NULL");
    ami_versionstamp vs;
    scratch own, *x = scratch_take(store, &own);
    if (!x) return ami__error_oom();
    ami_buf_clear(&x->key);
    int rc = ami_key_encode(&x->key, key);
    if (!rc) {
        ami_store_op op;
        memset(&op, 0, sizeof op);
        op.type = AMI_STORE_OP_DELETE;
        op.key = (const unsigned char *)x->key.ptr;
        op.key_len = x->key.size;
        int committed = 0;
        rc = store->be->commit(store->be, &op, 1, &committed, vs);
    }
    scratch_done(store, x, &own);
    return rc;
}

/* ---- change feed ---- */

AMI_EXTERN(int) ami_store_current(ami_store *store, ami_versionstamp vs)
{
    if (!store || !vs) return ami__error_set(AMI_EINVAL, "NULL argument");
    vs[0] = '\0';
    pthread_mutex_lock(&store->mu);
    int rc = store->be->current(store->be, vs);
    pthread_mutex_unlock(&store->mu);
    if (rc) vs[0] = '\0';
    return rc;
}

/* ami_store_watch, and with `wakes` (non-NULL) ami_store_watch_unless_woken */
static int watch(ami_store *store, const json_t *prefix, const char *after, int timeout_ms, const uint64_t *wakes,
                 ami_versionstamp vs)
{
    ami_versionstamp tmpvs;
    if (!vs) vs = tmpvs;
    vs[0] = '\0';
    if (!store) return ami__error_set(AMI_EINVAL, "store is NULL");
    if (!(store->be->capabilities & AMI_STORE_CAP_WATCH) || !store->be->watch)
        return ami__error_set(AMI_EUNSUPPORTED, "the %s store backend has no change feed", be_name(store));
    uint64_t c;
    int rc = ami__vs_parse(&c, after);
    if (rc) return rc;
    ami_store_watch_from_fn from = store->be->version >= 2 ? store->be->watch_from : NULL;
    if (wakes && !from && ami_store_wakes(store) != *wakes)
        return ami__error_set(AMI_ESTOPPED, "watch stopped by ami_store_wake()");
    /* not under store->mu: the backend serves watch from its own connection */
    ami_buf p = AMI_BUF_INIT;
    if (prefix && (rc = ami__key_encode_any(&p, prefix))) return rc;
    const char *a = after ? after : "";
    if (wakes && from) rc = from(store->be, (const unsigned char *)p.ptr, p.size, a, timeout_ms, *wakes, vs);
    else rc = store->be->watch(store->be, (const unsigned char *)p.ptr, p.size, a, timeout_ms, vs);
    ami_buf_dispose(&p);
    if (rc && rc != AMI_ETIMEOUT) vs[0] = '\0';   /* a timeout's vs says how far it vouches */
    return rc;
}

AMI_EXTERN(int) ami_store_watch(ami_store *store, const json_t *prefix, const char *after, int timeout_ms,
                                ami_versionstamp vs)
{
    return watch(store, prefix, after, timeout_ms, NULL, vs);
}

AMI_EXTERN(int) ami_store_watch_unless_woken(ami_store *store, const json_t *prefix, const char *after,
                                             int timeout_ms, uint64_t wakes, ami_versionstamp vs)
{
    return watch(store, prefix, after, timeout_ms, &wakes, vs);
}

AMI_EXTERN(void) ami_store_wake(ami_store *store)
{
    if (!store || !store->be->wake) return;
    /* counted before the backend's own count moves: a reader of the new count may see the
     * backend one behind, which ends its watch at once — the wake is on its way anyway */
    __atomic_add_fetch(&store->wakes, 1, __ATOMIC_SEQ_CST);
    store->be->wake(store->be);
}

AMI_EXTERN(uint64_t) ami_store_wakes(ami_store *store)
{
    return store ? __atomic_load_n(&store->wakes, __ATOMIC_SEQ_CST) : 0;
}

AMI_EXTERN(json_t *) ami_entry_value(const json_t *entry)
{
    return json_object_get(entry, "value");
}

AMI_EXTERN(const char *) ami_entry_versionstamp(const json_t *entry)
{
    return json_string_value(json_object_get(entry, "versionstamp"));
}

AMI_EXTERN(int) ami_json_parse(json_t **out, const char *text, size_t len)
{
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = NULL;
    if (!text) return ami__error_set(AMI_EINVAL, "JSON text is NULL");
    json_error_t err;
    *out = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!*out) return ami__error_set(AMI_EINVAL, "invalid JSON: %s (line %d, column %d)", err.text, err.line, err.column);
    return 0;
}

AMI_EXTERN(char *) ami_json_text(const json_t *value)
{
    ami_buf b = AMI_BUF_INIT;
    if (!value) {
        ami_buf_puts(&b, "null");
        return ami_buf_detach(&b);
    }
    size_t n = json_dumpb(value, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0) {
        ami__error_set(AMI_EINVAL, "value cannot be serialised as JSON (NaN or infinity?)");
        return NULL;
    }
    if (ami_buf_grow(&b, n + 1)) {
        ami__error_oom();
        return NULL;
    }
    b.size = json_dumpb(value, b.ptr, n, JSON_COMPACT | JSON_ENCODE_ANY);
    b.ptr[b.size] = '\0';
    return ami_buf_detach(&b);
}

AMI_EXTERN(void) ami_json_decref(json_t *value)
{
    json_decref(value);
}
