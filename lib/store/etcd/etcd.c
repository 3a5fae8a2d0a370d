/*
 * The etcd v3 store backend: one libami store spread over an etcd cluster,
 * so nodes on different machines share it.
 *
 * URI: etcd://host:port[,host:port…][/prefix][?option&…]   (etcds:// = TLS)
 *   options: cacert=FILE cert=FILE key=FILE (TLS), timeout=MS (per request,
 *   default 5000), page=N (list page size, default 1000).
 * It speaks etcd's v3 JSON gateway (POST /v3/kv/range, /v3/kv/txn,
 * /v3/lease/grant, /v3/watch) with libcurl (one keep-alive connection per
 * handle, plus one per waiting watcher) and Jansson; keys and values travel
 * base64-encoded, as the gateway wants.
 *
 * Layout in etcd:
 *   PREFIX "\0" enc(key)   an entry; enc() is ami_key_encode, so etcd's bytewise
 *                          order is key order, exactly as on SQLite.  PREFIX is
 *                          the URI path ("/ami" when none); the NUL ends it, so
 *                          "/a" never sees the keys of "/a/b".
 *   PREFIX "\0\xff"        the commit marker: every commit writes it, so each
 *                          commit gets a new etcd revision (a check-only or
 *                          delete-of-nothing txn would not) and its mod_revision
 *                          is the store's newest commit (current()).  No
 *                          encoded key starts with 0xFF, so no range sees it.
 *   value                  "~" JSON            (never expires), or
 *                          16 decimal digits of the wall-clock expiry (ms) JSON.
 *
 * Versionstamps: the etcd revision of the commit (a key's mod_revision), as
 * 16 hex digits then "0000" — one revision per txn, strictly increasing over
 * the whole cluster, same format as SQLite's counter.
 *
 * commit = one txn.  CHECK "absent" → compare create_revision == 0; CHECK vs →
 * compare mod_revision == vs AND value > now16 "\x7f" (the envelope sorts after
 * "now" exactly when it is not expired; "~" sorts after every digit).  The
 * success branch holds the SET/DELETE ops (the last op per key wins, as etcd
 * refuses duplicate keys in one txn) and the marker; the failure branch reads
 * every checked key.  A failed compare is then judged as SQLite would: a check
 * for absence that met an *expired* key holds, so the txn is retried with that
 * compare turned into mod_revision == the expired revision (still atomic: if
 * the key changes meanwhile the retry fails).  Anything else is a conflict.
 *
 * Expiry: the envelope decides (an expired entry reads, lists and checks as
 * absent at once); each expiring SET is also attached to an etcd lease that
 * outlives the expiry by a second or so, so etcd deletes the key itself and
 * nothing piles up.  One lease is reused while its end fits the next expiry.
 *
 * list reads one revision (the first page's), in pages of `page` keys.
 *
 * watch: the first watch on a handle starts the hub, a thread holding one
 * watch stream over the whole prefix from that watch's revision.  It keeps the
 * last HUB_KEEP changes (revision, key) in memory; this handle's own commits go
 * in at once, others' as the stream brings them (a few ms).  watch(prefix,
 * after) answers from that record and waits on a condition variable; wake()
 * broadcasts.  The stream is reopened after a drop (next member, from the
 * revision after the last seen: nothing is lost), and also when it has been
 * silent for HUB_SILENT_MS, on a new connection: a link cut without a reset
 * leaves a TCP stream that looks open but will never deliver (a node's
 * heartbeats keep a healthy stream talking; an idle store pays one watch
 * request per HUB_SILENT_MS).  A watch that times out vouches only for what
 * the stream delivered (revisions below hub_next), never for the store's
 * current revision, so a caller that watches on from that point misses
 * nothing a dead stream held back.  When etcd has compacted past
 * it, or changes fall off the record, an `after` below that point is answered
 * "changed" (the caller re-reads, as after a pruned SQLite change log).  A
 * watch from before the hub's start gets a stream of its own: a range finds the
 * newest key set after `after` at once, otherwise it waits on etcd's replay
 * (deletes, compaction).  Expired entries show on the feed when etcd's lease
 * deletes them (the envelope hides them earlier).  The same record names the
 * keys changed after a point (ami__etcd_changes), so the node's scheduler and
 * the subscription hub read only those, as they do with SQLite's change log.
 *
 * Endpoint failover: a request goes to the endpoint that last answered; when
 * it cannot connect it moves to the next.  Reads also move on any failure; a
 * txn moves only when it was never sent (connect failures, "no leader"), since
 * otherwise its outcome is unknown (then AMI_EIO says so).  Errors name every
 * endpoint tried.  Reads are linearizable (etcd's default), except
 * ami__etcd_get_serializable (the election's read before its compare-and-set).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "store/store_internal.h"

#define DEFAULT_PREFIX     "/ami"
#define DEFAULT_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 1000
#define DEFAULT_PAGE       1000
#define LEASE_SLACK_S      1       /* the lease outlives the envelope's expiry by this much */
#define LEASE_REUSE_MS     3000    /* reuse a lease that ends at most this long after the expiry */
#define EXPIRED_RETRIES    8       /* txn retries when an absence check met expired keys */
#define WATCH_RETRY_MS     100     /* pause before reopening a dropped watch stream */
#define HUB_SILENT_MS      3000    /* a hub stream quiet this long is reopened on a new connection */

/* One change the hub saw: a key (without the prefix) written or deleted at a revision. */
typedef struct {
    int64_t rev;
    unsigned char *key;
    size_t key_len;
} hub_event;

#define HUB_KEEP 8192   /* changes the hub remembers */

typedef struct watcher {
    CURLM *multi;
    struct watcher *next;
} watcher;

typedef struct {
    ami_store_backend base;
    char **eps;           /* "http(s)://host:port" */
    size_t n_eps;
    size_t cur;           /* endpoint that answered last */
    int tls;
    char *cacert, *cert, *key;
    long timeout_ms;
    size_t page;
    ami_buf pfx;          /* PREFIX "\0" */
    ami_buf marker;       /* PREFIX "\0\xff" */

    /* under the front end's lock */
    CURL *curl;
    struct curl_slist *hdrs;
    struct curl_slist *whdrs;  /* watches: also ask etcd to end the stream when its member loses the raft leader */
    ami_buf req, resp, kbuf, vbuf, tmp;
    int64_t lease_id;
    int64_t lease_end_ms; /* wall clock */

    /* watchers, all under wmu */
    pthread_mutex_t wmu;
    pthread_cond_t wcv;
    uint64_t wake_gen;
    watcher *watchers;
    size_t ep_hint;       /* endpoint a watcher tries first */

    /* the hub: one stream over the whole prefix, kept by a thread, feeding a log of recent changes */
    int hub_state;        /* 0 not started, 1 running, 2 stopping */
    pthread_t hub_thread;
    CURLM *hub_multi;
    int64_t hub_start;    /* the log is complete from this revision on ... */
    int64_t hub_floor;    /* ... except below this one (dropped from the log, or compacted away) */
    int64_t hub_next;     /* the stream resumes from this revision */
    hub_event *ev;        /* ring of HUB_KEEP events */
    size_t ev_head, ev_n;
    uint64_t hub_seq;     /* bumped whenever the log grows */
    int64_t hub_born;     /* monotonic ms the hub started: it needs a moment to replay history */
    int64_t hub_heard;    /* monotonic ms the stream last brought bytes (or was opened) */
} ec_backend;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;
static void curl_init(void) { curl_init_rc = (int)curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- small helpers ---- */

static int64_t json_i64(const json_t *v)
{
    if (json_is_integer(v)) return (int64_t)json_integer_value(v);
    if (json_is_string(v)) return (int64_t)strtoll(json_string_value(v), NULL, 10);
    return 0;
}

static json_t *b64_json(ec_backend *b, const void *data, size_t len)
{
    ami_buf_clear(&b->tmp);
    if (ami__base64_encode(&b->tmp, data, len)) return NULL;
    return json_stringn(b->tmp.ptr ? b->tmp.ptr : "", b->tmp.size);
}

/* Thread-safe variant for watchers (own scratch). */
static json_t *b64_json_local(const void *data, size_t len)
{
    ami_buf t = AMI_BUF_INIT;
    json_t *s = ami__base64_encode(&t, data, len) ? NULL : json_stringn(t.ptr ? t.ptr : "", t.size);
    ami_buf_dispose(&t);
    return s;
}

/* Decode a base64 JSON string into out (replacing its content). */
static int b64_out(ami_buf *out, const json_t *s)
{
    ami_buf_clear(out);
    if (!s) return 0;
    if (!json_is_string(s)) return ami__error_set(AMI_EIO, "etcd: malformed response (base64 field)");
    return ami__base64_decode(out, json_string_value(s), json_string_length(s));
}

/* PREFIX "\0" + key into buf (replacing). */
static int full_key(ec_backend *b, ami_buf *buf, const unsigned char *key, size_t key_len)
{
    ami_buf_clear(buf);
    int rc = ami_buf_put(buf, b->pfx.ptr, b->pfx.size);
    if (!rc && key_len) rc = ami_buf_put(buf, key, key_len);
    return rc;
}

/* 16 decimal digits of ms (clamped to 0 .. 10^16-1), NUL-terminated. */
static void fmt16(char out[17], int64_t ms)
{
    uint64_t v = ms < 0 ? 0 : (uint64_t)ms;
    if (v > 9999999999999999ull) v = 9999999999999999ull;
    for (int i = 15; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[16] = '\0';
}

/*
 * Split a stored value into its JSON text and expiry.  Returns 1 when live,
 * 0 when expired, <0 when malformed.
 */
static int envelope(const char *v, size_t n, int64_t now, const char **json, size_t *json_len)
{
    if (n >= 1 && v[0] == '~') {
        *json = v + 1;
        *json_len = n - 1;
        return 1;
    }
    if (n < 17) return ami__error_set(AMI_EIO, "etcd: stored value has no libami envelope");
    int64_t exp = 0;
    for (int i = 0; i < 16; i++) {
        if (v[i] < '0' || v[i] > '9') return ami__error_set(AMI_EIO, "etcd: stored value has no libami envelope");
        exp = exp * 10 + (v[i] - '0');
    }
    *json = v + 16;
    *json_len = n - 16;
    return exp > now;
}

/* ---- HTTP ---- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    ami_buf *buf = ud;
    size_t n = size * nmemb;
    return ami_buf_put(buf, data, n) ? 0 : n;
}

static void setup_easy(ec_backend *b, CURL *c)
{
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, b->hdrs);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    /* a watch stream waits for long: notice a peer that vanished without closing */
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 5L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 2L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    if (b->tls) {
        if (b->cacert) curl_easy_setopt(c, CURLOPT_CAINFO, b->cacert);
        if (b->cert) curl_easy_setopt(c, CURLOPT_SSLCERT, b->cert);
        if (b->key) curl_easy_setopt(c, CURLOPT_SSLKEY, b->key);
    }
}

/* Endpoint shown in errors: "host:port". */
static const char *ep_name(const char *ep)
{
    const char *p = strstr(ep, "://");
    return p ? p + 3 : ep;
}

/* A curl failure after which the request certainly never reached etcd. */
static int never_sent(CURLcode cc)
{
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY;
}

/* An etcd error that is refused before the request is applied. */
static int refused_unapplied(const char *msg)
{
    return msg && (strstr(msg, "no leader") || strstr(msg, "not capable") || strstr(msg, "too many requests"));
}

enum { SAFE_ALWAYS = 1, SAFE_IF_UNSENT = 0 };

/*
 * POST `body` to `path`, failing over between endpoints.  On 0, *out is the
 * parsed response.  An etcd error answer (HTTP != 200) is AMI_EIO with its
 * message (*etcd_msg points into *out for callers that look at it).
 */
static int call(ec_backend *b, const char *path, json_t *body, int safe, json_t **out)
{
    *out = NULL;
    ami_buf_clear(&b->req);
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) return ami__error_oom();
    int rc = ami_buf_puts(&b->req, text);
    free(text);
    if (rc) return rc;

    ami_buf why = AMI_BUF_INIT;
    int unknown = 0;
    rc = 0;
    for (size_t tries = 0; tries < b->n_eps; tries++) {
        size_t i = (b->cur + tries) % b->n_eps;
        char url[600];
        snprintf(url, sizeof url, "%s%s", b->eps[i], path);
        ami_buf_clear(&b->resp);
        curl_easy_setopt(b->curl, CURLOPT_URL, url);
        curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, b->req.ptr);
        curl_easy_setopt(b->curl, CURLOPT_POSTFIELDSIZE, (long)b->req.size);
        curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, &b->resp);
        curl_easy_setopt(b->curl, CURLOPT_TIMEOUT_MS, b->timeout_ms);
        CURLcode cc = curl_easy_perform(b->curl);
        if (cc != CURLE_OK) {
            ami_buf_printf(&why, "%s%s: %s", why.size ? "; " : "", ep_name(b->eps[i]), curl_easy_strerror(cc));
            if (safe == SAFE_ALWAYS || never_sent(cc)) continue;
            unknown = 1;
            break;
        }
        long status = 0;
        curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
        json_t *j = json_loadb(b->resp.ptr ? b->resp.ptr : "", b->resp.size, 0, NULL);
        if (status == 200 && json_is_object(j)) {
            b->cur = i;
            *out = j;
            ami_buf_dispose(&why);
            return 0;
        }
        const char *msg = json_string_value(json_object_get(j, "message"));
        if (!msg) msg = json_string_value(json_object_get(j, "error"));
        ami_buf_printf(&why, "%s%s: HTTP %ld: %s", why.size ? "; " : "", ep_name(b->eps[i]), status,
                       msg ? msg : "malformed answer");
        int again = safe == SAFE_ALWAYS || refused_unapplied(msg);
        /* an answer about the request itself (compaction, bad lease, too large) is not the endpoint's fault */
        if (status == 400 || (msg && (strstr(msg, "compacted") || strstr(msg, "lease not found") ||
                                      strstr(msg, "too large") || strstr(msg, "duplicate key"))))
            again = 0;
        if (!again) {
            rc = ami__error_set(AMI_EIO, "etcd: %s: %s", path, why.ptr);
            json_decref(j);
            ami_buf_dispose(&why);
            return rc;
        }
        json_decref(j);
    }
    if (unknown)
        rc = ami__error_set(AMI_EIO, "etcd: %s: outcome unknown (%s)", path, why.ptr ? why.ptr : "");
    else
        rc = ami__error_set(AMI_EIO, "etcd: %s failed on every endpoint (%s)", path, why.ptr ? why.ptr : "");
    /* next time start with the one after the first failure */
    b->cur = (b->cur + 1) % b->n_eps;
    ami_buf_dispose(&why);
    return rc;
}

static void vs_from_rev(ami_versionstamp vs, int64_t rev)
{
    if (rev <= 0) vs[0] = '\0';
    else ami__vs_format(vs, (uint64_t)rev);
}

/* ---- reads ---- */

/* One key; `serializable`: the member's own state, without the ReadIndex round a linearizable read waits for. */
static int get_key(ec_backend *b, const unsigned char *key, size_t key_len, ami_buf *value, ami_versionstamp vs,
                   int serializable)
{
    int rc = full_key(b, &b->kbuf, key, key_len);
    if (rc) return rc;
    json_t *req = json_object(), *resp = NULL;
    json_object_set_new(req, "key", b64_json(b, b->kbuf.ptr, b->kbuf.size));
    if (serializable) json_object_set_new(req, "serializable", json_true());
    rc = call(b, "/v3/kv/range", req, SAFE_ALWAYS, &resp);
    json_decref(req);
    if (rc) return rc;
    json_t *kv = json_array_get(json_object_get(resp, "kvs"), 0);
    rc = AMI_ENOTFOUND;
    if (kv) {
        const char *j;
        size_t jn;
        int live;
        if ((rc = b64_out(&b->vbuf, json_object_get(kv, "value")))) goto out;
        live = envelope(b->vbuf.ptr ? b->vbuf.ptr : "", b->vbuf.size, ami_time_now_ms(), &j, &jn);
        if (live < 0) { rc = live; goto out; }
        if (live) {
            ami_buf_clear(value);
            if ((rc = ami_buf_put(value, j, jn))) goto out;
            vs_from_rev(vs, json_i64(json_object_get(kv, "mod_revision")));
            rc = 0;
        } else {
            rc = AMI_ENOTFOUND;
        }
    }
out:
    json_decref(resp);
    if (rc == AMI_ENOTFOUND) vs[0] = '\0';
    return rc;
}

static int ec_get(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value,
                  ami_versionstamp vs)
{
    return get_key((ec_backend *)be, key, key_len, value, vs, 0);
}

int ami__etcd_get_serializable(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value,
                               ami_versionstamp vs)
{
    if (!be || strcmp(be->name, "etcd")) return AMI_EUNSUPPORTED;
    return get_key((ec_backend *)be, key, key_len, value, vs, 1);
}

static int ec_list(ami_store_backend *be, const unsigned char *start, size_t start_len, const unsigned char *end,
                   size_t end_len, size_t limit, int reverse, ami_store_list_cb cb, void *payload)
{
    ec_backend *b = (ec_backend *)be;
    static const unsigned char ff = 0xFF;
    ami_buf lo = AMI_BUF_INIT, hi = AMI_BUF_INIT;
    int rc = full_key(b, &lo, start, start ? start_len : 0);
    if (!rc) rc = full_key(b, &hi, end ? end : &ff, end ? end_len : 1);
    int64_t rev = 0, now = ami_time_now_ms();
    size_t delivered = 0;
    int stop = 0;
    while (!rc && !stop) {
        json_t *req = json_object(), *resp = NULL;
        size_t want = b->page;
        if (limit && limit - delivered < want) want = limit - delivered;
        json_object_set_new(req, "key", b64_json(b, lo.ptr, lo.size));
        json_object_set_new(req, "range_end", b64_json(b, hi.ptr, hi.size));
        json_object_set_new(req, "limit", json_integer((json_int_t)want));
        json_object_set_new(req, "sort_target", json_string("KEY"));
        json_object_set_new(req, "sort_order", json_string(reverse ? "DESCEND" : "ASCEND"));
        if (rev) json_object_set_new(req, "revision", json_integer(rev));
        rc = call(b, "/v3/kv/range", req, SAFE_ALWAYS, &resp);
        json_decref(req);
        if (rc) break;
        if (!rev) rev = json_i64(json_object_get(json_object_get(resp, "header"), "revision"));
        json_t *kvs = json_object_get(resp, "kvs"), *kv;
        size_t i, n = json_array_size(kvs);
        json_array_foreach(kvs, i, kv) {
            if ((rc = b64_out(&b->kbuf, json_object_get(kv, "key")))) break;
            if ((rc = b64_out(&b->vbuf, json_object_get(kv, "value")))) break;
            if (b->kbuf.size < b->pfx.size) { rc = ami__error_set(AMI_EIO, "etcd: key outside the prefix"); break; }
            /* the next page starts after (or, reversed, ends before) this key */
            if (i == n - 1) {
                if (reverse) {
                    ami_buf_clear(&hi);
                    rc = ami_buf_put(&hi, b->kbuf.ptr, b->kbuf.size);
                } else {
                    ami_buf_clear(&lo);
                    if (!(rc = ami_buf_put(&lo, b->kbuf.ptr, b->kbuf.size))) rc = ami_buf_put(&lo, "", 1);
                }
                if (rc) break;
            }
            const char *j;
            size_t jn;
            int live = envelope(b->vbuf.ptr ? b->vbuf.ptr : "", b->vbuf.size, now, &j, &jn);
            if (live < 0) { rc = live; break; }
            if (!live) continue;
            ami_versionstamp vs;
            vs_from_rev(vs, json_i64(json_object_get(kv, "mod_revision")));
            /* j is NUL-terminated: vbuf keeps a NUL after its content */
            if (cb((const unsigned char *)b->kbuf.ptr + b->pfx.size, b->kbuf.size - b->pfx.size, j, jn, vs, payload)) {
                stop = 1;
                break;
            }
            if (limit && ++delivered >= limit) { stop = 1; break; }
        }
        if (!json_is_true(json_object_get(resp, "more")) || n == 0) stop = 1;
        json_decref(resp);
    }
    ami_buf_dispose(&lo);
    ami_buf_dispose(&hi);
    return rc;
}

static int ec_current(ami_store_backend *be, ami_versionstamp vs)
{
    ec_backend *b = (ec_backend *)be;
    json_t *req = json_object(), *resp = NULL;
    json_object_set_new(req, "key", b64_json(b, b->marker.ptr, b->marker.size));
    json_object_set_new(req, "keys_only", json_true());
    int rc = call(b, "/v3/kv/range", req, SAFE_ALWAYS, &resp);
    json_decref(req);
    if (rc) return rc;
    json_t *kv = json_array_get(json_object_get(resp, "kvs"), 0);
    vs_from_rev(vs, kv ? json_i64(json_object_get(kv, "mod_revision")) : 0);
    json_decref(resp);
    return 0;
}

/* ---- commit ---- */

static void hub_add(ec_backend *b, int64_t rev, const unsigned char *key, size_t key_len);

/* A lease that ends between expire_at + slack and that + LEASE_REUSE_MS; 0 with *id set. */
static int lease_for(ec_backend *b, int64_t expire_at, int64_t *id)
{
    int64_t now = ami_time_now_ms();
    int64_t want_end = expire_at + LEASE_SLACK_S * 1000;
    if (b->lease_id && b->lease_end_ms >= want_end && b->lease_end_ms <= want_end + LEASE_REUSE_MS) {
        *id = b->lease_id;
        return 0;
    }
    int64_t ttl = (want_end - now + 999) / 1000;
    if (ttl < 1) ttl = 1;
    json_t *req = json_pack("{sI}", "TTL", (json_int_t)ttl), *resp = NULL;
    int rc = call(b, "/v3/lease/grant", req, SAFE_ALWAYS, &resp);
    json_decref(req);
    if (rc) return rc;
    int64_t got = json_i64(json_object_get(resp, "ID"));
    int64_t got_ttl = json_i64(json_object_get(resp, "TTL"));
    json_decref(resp);
    if (!got) return ami__error_set(AMI_EIO, "etcd: lease grant gave no lease");
    b->lease_id = got;
    b->lease_end_ms = now + (got_ttl > ttl ? got_ttl : ttl) * 1000;
    *id = got;
    return 0;
}

/* Index of the last SET/DELETE on the same key as ops[i] (etcd refuses duplicates in one txn). */
static int superseded(const ami_store_op *ops, size_t n, size_t i)
{
    for (size_t j = i + 1; j < n; j++)
        if (ops[j].type != AMI_STORE_OP_CHECK && ops[j].key_len == ops[i].key_len &&
            !memcmp(ops[j].key, ops[i].key, ops[i].key_len))
            return 1;
    return 0;
}

/* Append `item` (stolen) to arr; a NULL item (out of memory) sets *rc, so no compare is silently dropped. */
static void push(int *rc, json_t *arr, json_t *item)
{
    if (!item || json_array_append_new(arr, item)) {
        if (!*rc) *rc = ami__error_oom();
    }
}

/* One txn.  expired_rev[i]: for an absence CHECK, the mod_revision of the expired key met last time (0 none). */
static int txn_once(ec_backend *b, const ami_store_op *ops, size_t n_ops, const int64_t *expired_rev,
                    int64_t lease, json_t **resp)
{
    int64_t now = ami_time_now_ms();
    char live_bound[18];
    fmt16(live_bound, now);
    live_bound[16] = '\x7f';
    live_bound[17] = '\0';
    json_t *req = json_object(), *cmp = json_array(), *succ = json_array(), *fail = json_array();
    json_object_set_new(req, "compare", cmp);
    json_object_set_new(req, "success", succ);
    json_object_set_new(req, "failure", fail);
    int rc = 0;
    for (size_t i = 0; i < n_ops && !rc; i++) {
        const ami_store_op *op = &ops[i];
        if ((rc = full_key(b, &b->kbuf, op->key, op->key_len))) break;
        json_t *k = b64_json(b, b->kbuf.ptr, b->kbuf.size);
        if (!k) { rc = ami__error_oom(); break; }
        if (op->type == AMI_STORE_OP_CHECK) {
            uint64_t want = 0;
            if ((rc = ami__vs_parse(&want, op->versionstamp))) { json_decref(k); break; }
            if (!want && expired_rev[i]) {
                push(&rc, cmp, json_pack("{sOsssssI}", "key", k, "target", "MOD", "result", "EQUAL",
                                                     "mod_revision", (json_int_t)expired_rev[i]));
            } else if (!want) {
                push(&rc, cmp, json_pack("{sOssssss}", "key", k, "target", "CREATE", "result", "EQUAL",
                                                     "create_revision", "0"));
            } else {
                push(&rc, cmp, json_pack("{sOsssssI}", "key", k, "target", "MOD", "result", "EQUAL",
                                                     "mod_revision", (json_int_t)want));
                push(&rc, cmp, json_pack("{sOssssso}", "key", k, "target", "VALUE", "result", "GREATER",
                                                     "value", b64_json(b, live_bound, 17)));
            }
            push(&rc, fail, json_pack("{s{sO}}", "request_range", "key", k));
        } else if (!superseded(ops, n_ops, i)) {
            if (op->type == AMI_STORE_OP_SET) {
                ami_buf_clear(&b->vbuf);
                if (op->expire_at_ms > 0) {
                    char e[17];
                    fmt16(e, op->expire_at_ms);
                    rc = ami_buf_put(&b->vbuf, e, 16);
                } else {
                    rc = ami_buf_put(&b->vbuf, "~", 1);
                }
                if (!rc) rc = ami_buf_put(&b->vbuf, op->value, op->value_len);
                json_t *put = rc ? NULL : json_pack("{sOso}", "key", k, "value", b64_json(b, b->vbuf.ptr, b->vbuf.size));
                if (put && op->expire_at_ms > 0) json_object_set_new(put, "lease", json_integer(lease));
                if (put) push(&rc, succ, json_pack("{so}", "request_put", put));
                else if (!rc) rc = ami__error_oom();
            } else {
                push(&rc, succ, json_pack("{s{sO}}", "request_delete_range", "key", k));
            }
        }
        json_decref(k);
    }
    if (!rc) {
        json_t *mk = b64_json(b, b->marker.ptr, b->marker.size), *mv = b64_json(b, "", 0);
        push(&rc, succ, json_pack("{s{soso}}", "request_put", "key", mk, "value", mv));
        if (!rc) rc = call(b, "/v3/kv/txn", req, SAFE_IF_UNSENT, resp);
    }
    json_decref(req);
    return rc;
}

static int ec_commit(ami_store_backend *be, const ami_store_op *ops, size_t n_ops, int *committed,
                     ami_versionstamp vs)
{
    ec_backend *b = (ec_backend *)be;
    *committed = 0;
    vs[0] = '\0';
    int64_t *expired_rev = ami_malloc((n_ops ? n_ops : 1) * sizeof *expired_rev);
    if (!expired_rev) return ami__error_oom();
    memset(expired_rev, 0, (n_ops ? n_ops : 1) * sizeof *expired_rev);
    int64_t lease = 0, max_exp = 0;
    for (size_t i = 0; i < n_ops; i++)
        if (ops[i].type == AMI_STORE_OP_SET && ops[i].expire_at_ms > max_exp) max_exp = ops[i].expire_at_ms;
    int rc = 0, lease_retry = 0;
    if (max_exp && (rc = lease_for(b, max_exp, &lease))) goto done;
    for (int attempt = 0;; attempt++) {
        json_t *resp = NULL;
        rc = txn_once(b, ops, n_ops, expired_rev, lease, &resp);
        if (rc) {
            /* the cached lease ran out under us: take a fresh one, once */
            if (lease && !lease_retry && strstr(ami_error_last(), "lease not found")) {
                lease_retry = 1;
                b->lease_id = 0;
                if ((rc = lease_for(b, max_exp, &lease))) break;
                attempt--;
                continue;
            }
            break;
        }
        if (json_is_true(json_object_get(resp, "succeeded"))) {
            *committed = 1;
            int64_t rev = json_i64(json_object_get(json_object_get(resp, "header"), "revision"));
            vs_from_rev(vs, rev);
            json_decref(resp);
            /* this handle's watchers see its own commits at once (the hub's stream brings them again later) */
            pthread_mutex_lock(&b->wmu);
            if (b->hub_state == 1) {
                for (size_t i = 0; i < n_ops; i++)
                    if (ops[i].type != AMI_STORE_OP_CHECK) hub_add(b, rev, ops[i].key, ops[i].key_len);
                pthread_cond_broadcast(&b->wcv);
            }
            pthread_mutex_unlock(&b->wmu);
            break;
        }
        /* judge the checks as SQLite would: an expired key is absent */
        json_t *rs = json_object_get(resp, "responses");
        int64_t now = ami_time_now_ms();
        int holds = 1, changed = 0;
        size_t r = 0;
        for (size_t i = 0; i < n_ops && holds; i++) {
            if (ops[i].type != AMI_STORE_OP_CHECK) continue;
            json_t *kv = json_array_get(json_object_get(json_object_get(json_array_get(rs, r++), "response_range"), "kvs"), 0);
            int64_t have = 0, mod = 0;
            if (kv) {
                const char *j;
                size_t jn;
                mod = json_i64(json_object_get(kv, "mod_revision"));
                if ((rc = b64_out(&b->vbuf, json_object_get(kv, "value")))) break;
                int live = envelope(b->vbuf.ptr ? b->vbuf.ptr : "", b->vbuf.size, now, &j, &jn);
                if (live < 0) { rc = live; break; }
                if (live) have = mod;
            }
            uint64_t want = 0;
            ami__vs_parse(&want, ops[i].versionstamp);
            if ((uint64_t)have != want) holds = 0;
            else if (!want && kv && expired_rev[i] != mod) {
                expired_rev[i] = mod;
                changed = 1;
            }
        }
        json_decref(resp);
        if (rc || !holds || !changed || attempt >= EXPIRED_RETRIES) break;
    }
done:
    ami_free(expired_rev);
    if (rc || !*committed) vs[0] = '\0';
    return rc;
}

/* ---- change feed ---- */

typedef struct {
    ami_buf in;
    int64_t rev;        /* > 0: an event (or compaction) seen at this revision */
    int failed;         /* the stream said something we cannot use */
    int stop;           /* rev or failed is set: stop reading */
    char err[256];
} wstream;

/* Parse complete lines of the watch stream. */
static size_t watch_write(char *data, size_t size, size_t nmemb, void *ud)
{
    wstream *w = ud;
    size_t n = size * nmemb;
    if (ami_buf_put(&w->in, data, n)) return 0;
    for (;;) {
        char *nl = memchr(w->in.ptr, '\n', w->in.size);
        if (!nl) break;
        size_t len = (size_t)(nl - w->in.ptr);
        json_t *j = json_loadb(w->in.ptr, len, 0, NULL);
        memmove(w->in.ptr, nl + 1, w->in.size - len - 1);
        w->in.size -= len + 1;
        w->in.ptr[w->in.size] = '\0';
        if (!j) continue;
        json_t *res = json_object_get(j, "result");
        json_t *err = json_object_get(j, "error");
        if (err && !res) {
            const char *m = json_string_value(json_object_get(err, "message"));
            snprintf(w->err, sizeof w->err, "%s", m ? m : "watch error");
            w->failed = 1;
        }
        int64_t compact = json_i64(json_object_get(res, "compact_revision"));
        json_t *events = json_object_get(res, "events");
        if (compact > 0) {
            /* history is gone: "changed" at the newest revision */
            int64_t hrev = json_i64(json_object_get(json_object_get(res, "header"), "revision"));
            w->rev = hrev > compact ? hrev : compact;
        } else if (json_array_size(events) > 0) {
            json_t *kv = json_object_get(json_array_get(events, 0), "kv");
            int64_t r = json_i64(json_object_get(kv, "mod_revision"));
            if (r <= 0) r = json_i64(json_object_get(json_object_get(res, "header"), "revision"));
            w->rev = r;
        } else if (json_is_true(json_object_get(res, "canceled"))) {
            const char *m = json_string_value(json_object_get(res, "cancel_reason"));
            snprintf(w->err, sizeof w->err, "watch canceled: %s", m ? m : "?");
            w->failed = 1;
        }
        json_decref(j);
        if (w->rev > 0 || w->failed) {
            w->stop = 1;
            return n;
        }
    }
    return n;
}

/* Has wake() been called since generation `gen`? */
static int woken(ec_backend *b, uint64_t gen)
{
    pthread_mutex_lock(&b->wmu);
    int w = b->wake_gen != gen;
    pthread_mutex_unlock(&b->wmu);
    return w;
}

/*
 * Run the transfer of `c` on `multi` until it ends (0, *cc set), the write
 * callback has what it wants (*early becomes 1), wake() (AMI_ESTOPPED) or the
 * deadline (AMI_ETIMEOUT; -1 = none).
 */
static int multi_run(ec_backend *b, CURLM *multi, CURL *c, const int *early, uint64_t gen, int64_t deadline,
                     CURLcode *cc)
{
    *cc = CURLE_OK;
    curl_multi_add_handle(multi, c);
    int rc = 0, running = 1;
    for (;;) {
        curl_multi_perform(multi, &running);
        if (early && *early) break;
        if (!running) {
            int q;
            CURLMsg *m;
            while ((m = curl_multi_info_read(multi, &q)))
                if (m->msg == CURLMSG_DONE) *cc = m->data.result;
            break;
        }
        if (woken(b, gen)) { rc = AMI_ESTOPPED; break; }
        int64_t now = ami_time_mono_ms();
        if (deadline >= 0 && now >= deadline) { rc = AMI_ETIMEOUT; break; }
        int slice = 1000;
        if (deadline >= 0 && deadline - now < slice) slice = (int)(deadline - now);
        curl_multi_poll(multi, NULL, 0, slice > 0 ? slice : 1, NULL);
    }
    curl_multi_remove_handle(multi, c);
    return rc;
}

/* POST `req` to `path` on endpoint `ep` through the watcher's multi handle: the parsed answer or NULL (*rc set). */
static json_t *watch_post(ec_backend *b, CURLM *multi, CURL *c, const char *ep, const char *path, json_t *req,
                          uint64_t gen, int64_t deadline, int *rc)
{
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    if (!body) { *rc = ami__error_oom(); return NULL; }
    ami_buf out = AMI_BUF_INIT;
    char url[600];
    snprintf(url, sizeof url, "%s%s", ep, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    CURLcode cc;
    int64_t d = ami_time_mono_ms() + b->timeout_ms;
    if (deadline >= 0 && deadline < d) d = deadline;
    if (d < ami_time_mono_ms() + 200) d = ami_time_mono_ms() + 200;   /* even a 0 ms watch gets its answer */
    *rc = multi_run(b, multi, c, NULL, gen, d, &cc);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    json_t *j = !*rc && cc == CURLE_OK && status == 200 && out.ptr ? json_loads(out.ptr, 0, NULL) : NULL;
    if (!j && !*rc) *rc = AMI_EIO;
    ami_buf_dispose(&out);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    free(body);
    return j;
}

/*
 * The quick answer before streaming: the newest key under the range modified
 * after *after (*rev > 0), else the cluster's revision (*head).  A store that
 * never committed has no history to replay: *after is raised to its first
 * commit (the marker's create_revision) or to *head.  0, or an error (the
 * stream then tries on its own).
 */
static int watch_peek(ec_backend *b, CURLM *multi, CURL *c, const char *ep, const json_t *k, const json_t *end,
                      uint64_t *after, uint64_t gen, int64_t deadline, int64_t *rev, int64_t *head)
{
    *rev = *head = 0;
    int rc = 0;
    if (*after == 0) {
        json_t *mk = b64_json_local(b->marker.ptr, b->marker.size);
        json_t *req = mk ? json_pack("{sosb}", "key", mk, "keys_only", 1) : NULL;
        json_t *j = watch_post(b, multi, c, ep, "/v3/kv/range", req, gen, deadline, &rc);
        json_decref(req);
        if (!j) return rc;
        json_t *kv = json_array_get(json_object_get(j, "kvs"), 0);
        int64_t first = kv ? json_i64(json_object_get(kv, "create_revision")) : 0;
        int64_t h = json_i64(json_object_get(json_object_get(j, "header"), "revision"));
        *after = (uint64_t)(first > 0 ? first - 1 : h);
        json_decref(j);
    }
    json_t *req = json_pack("{sOsOsIsssssisb}", "key", k, "range_end", end, "min_mod_revision", (json_int_t)(*after + 1),
                            "sort_target", "MOD", "sort_order", "DESCEND", "limit", 1, "keys_only", 1);
    json_t *j = watch_post(b, multi, c, ep, "/v3/kv/range", req, gen, deadline, &rc);
    json_decref(req);
    if (!j) return rc;
    json_t *kv = json_array_get(json_object_get(j, "kvs"), 0);
    if (kv) *rev = json_i64(json_object_get(kv, "mod_revision"));
    *head = json_i64(json_object_get(json_object_get(j, "header"), "revision"));
    json_decref(j);
    return 0;
}

#define HISTORY_WAIT_MS 250   /* etcd replays history to a watch from a past revision within ~100 ms */

/* A watch of its own (a stream from `a`+1), for an `after` older than the hub's log. */
static int watch_direct(ec_backend *b, const unsigned char *prefix, size_t prefix_len, uint64_t a, int timeout_ms,
                        const uint64_t *wakes, ami_versionstamp vs)
{
    int rc = 0;
    ami_buf k = AMI_BUF_INIT, end = AMI_BUF_INIT;
    rc = full_key(b, &k, prefix, prefix_len);
    if (!rc) rc = full_key(b, &end, prefix, prefix_len);
    if (!rc) rc = ami_buf_put(&end, "\xff", 1);
    json_t *jk = rc ? NULL : b64_json_local(k.ptr, k.size), *jend = rc ? NULL : b64_json_local(end.ptr, end.size);
    ami_buf_dispose(&k);
    ami_buf_dispose(&end);
    char *body = NULL;
    if (!rc && (!jk || !jend)) rc = ami__error_oom();
    watcher me = { NULL, NULL };
    CURL *c = NULL;
    if (!rc) {
        me.multi = curl_multi_init();
        c = curl_easy_init();
        if (!me.multi || !c) rc = ami__error_oom();
    }
    if (rc) {
        if (me.multi) curl_multi_cleanup(me.multi);
        if (c) curl_easy_cleanup(c);
        json_decref(jk);
        json_decref(jend);
        free(body);
        return rc;
    }
    setup_easy(b, c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, b->whdrs);
    pthread_mutex_lock(&b->wmu);
    uint64_t gen = wakes ? *wakes : b->wake_gen;
    size_t ep = b->ep_hint;
    me.next = b->watchers;
    b->watchers = &me;
    pthread_mutex_unlock(&b->wmu);

    int64_t t0 = ami_time_mono_ms();
    int64_t deadline = timeout_ms >= 0 ? t0 + timeout_ms : -1;
    wstream w;
    memset(&w, 0, sizeof w);
    ami_buf why = AMI_BUF_INIT;

    /* a key set after `after` answers at once; otherwise a watch from the past needs etcd's replay */
    int64_t peek_rev = 0, head = 0;
    int prc = watch_peek(b, me.multi, c, b->eps[ep % b->n_eps], jk, jend, &a, gen, deadline, &peek_rev, &head);
    if (prc == AMI_ESTOPPED) rc = AMI_ESTOPPED;
    else if (!prc && peek_rev > 0) w.rev = peek_rev;
    else if ((prc || (uint64_t)head > a) && deadline >= 0 && deadline < t0 + HISTORY_WAIT_MS)
        deadline = t0 + HISTORY_WAIT_MS;   /* deletes and compaction only show on the stream */
    if (!rc && !w.rev) {
        json_t *req = json_pack("{s{sOsOsI}}", "create_request", "key", jk, "range_end", jend, "start_revision",
                                (json_int_t)(a + 1));
        body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        if (!body) rc = ami__error_oom();
    }

    while (!rc && !w.rev) {
        /* (re)open the stream on endpoint `ep`, from the same revision (nothing was consumed) */
        char url[600];
        snprintf(url, sizeof url, "%s/v3/watch", b->eps[ep % b->n_eps]);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, watch_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &w);
        ami_buf_clear(&w.in);
        w.failed = 0;
        w.stop = 0;
        CURLcode cc;
        rc = multi_run(b, me.multi, c, &w.stop, gen, deadline, &cc);
        if (rc || w.rev > 0) break;
        if (w.failed) ami_buf_printf(&why, "%s%s: %s", why.size ? "; " : "", ep_name(b->eps[ep % b->n_eps]), w.err);
        else ami_buf_printf(&why, "%s%s: %s", why.size ? "; " : "", ep_name(b->eps[ep % b->n_eps]),
                            cc == CURLE_OK ? "stream closed" : curl_easy_strerror(cc));
        if (w.failed && strstr(w.err, "canceled")) {
            rc = ami__error_set(AMI_EIO, "etcd: watch: %s", why.ptr);
            break;
        }
        ep++;
        if (why.size > 2000) ami_buf_clear(&why);   /* keep only the recent failures */
        int64_t now = ami_time_mono_ms();
        if (deadline >= 0 && now >= deadline) { rc = AMI_ETIMEOUT; break; }
        int pause = WATCH_RETRY_MS;
        if (deadline >= 0 && deadline - now < pause) pause = (int)(deadline - now);
        curl_multi_poll(me.multi, NULL, 0, pause > 0 ? pause : 1, NULL);
        if (woken(b, gen)) rc = AMI_ESTOPPED;
    }

    pthread_mutex_lock(&b->wmu);
    for (watcher **pp = &b->watchers; *pp; pp = &(*pp)->next)
        if (*pp == &me) { *pp = me.next; break; }
    if (w.rev > 0) b->ep_hint = ep % b->n_eps;
    pthread_mutex_unlock(&b->wmu);
    curl_easy_cleanup(c);
    curl_multi_cleanup(me.multi);
    json_decref(jk);
    json_decref(jend);
    free(body);
    ami_buf_dispose(&w.in);

    if (!rc && w.rev > 0) vs_from_rev(vs, w.rev);
    else if (rc == AMI_ESTOPPED) ami__error_set(AMI_ESTOPPED, "watch stopped by ami_store_wake()");
    else if (rc == AMI_ETIMEOUT) {
        if (why.size) ami__error_set(AMI_ETIMEOUT, "no change within %d ms (etcd watch: %s)", timeout_ms, why.ptr);
        else ami__error_set(AMI_ETIMEOUT, "no change within %d ms", timeout_ms);
    }
    ami_buf_dispose(&why);
    if (rc) vs[0] = '\0';
    return rc;
}


/* ---- the hub ---- */

/* Record a change (under wmu). */
static void hub_add(ec_backend *b, int64_t rev, const unsigned char *key, size_t key_len)
{
    unsigned char *k = ami_malloc(key_len ? key_len : 1);
    if (!k) {
        if (rev - 1 > b->hub_floor) b->hub_floor = rev - 1;   /* cannot remember it: say "changed" instead */
        return;
    }
    if (key_len) memcpy(k, key, key_len);
    if (b->ev_n == HUB_KEEP) {
        hub_event *old = &b->ev[b->ev_head];
        if (old->rev > b->hub_floor) b->hub_floor = old->rev;
        ami_free(old->key);
        b->ev_head = (b->ev_head + 1) % HUB_KEEP;
        b->ev_n--;
    }
    hub_event *e = &b->ev[(b->ev_head + b->ev_n) % HUB_KEEP];
    e->rev = rev;
    e->key = k;
    e->key_len = key_len;
    b->ev_n++;
    b->hub_seq++;
}

/* The hub thread's view of its stream. */
typedef struct {
    ec_backend *b;
    ami_buf in;
    int stop;
    int bad;     /* canceled or an error answer: reopen */
} hub_stream;

static size_t hub_write(char *data, size_t size, size_t nmemb, void *ud)
{
    hub_stream *h = ud;
    ec_backend *b = h->b;
    size_t n = size * nmemb;
    pthread_mutex_lock(&b->wmu);
    b->hub_heard = ami_time_mono_ms();
    pthread_mutex_unlock(&b->wmu);
    if (ami_buf_put(&h->in, data, n)) return 0;
    ami_buf key = AMI_BUF_INIT;
    for (;;) {
        char *nl = memchr(h->in.ptr, '\n', h->in.size);
        if (!nl) break;
        size_t len = (size_t)(nl - h->in.ptr);
        json_t *j = json_loadb(h->in.ptr, len, 0, NULL);
        memmove(h->in.ptr, nl + 1, h->in.size - len - 1);
        h->in.size -= len + 1;
        h->in.ptr[h->in.size] = '\0';
        if (!j) continue;
        json_t *res = json_object_get(j, "result");
        int64_t compact = json_i64(json_object_get(res, "compact_revision"));
        json_t *events = json_object_get(res, "events"), *ev;
        size_t i;
        pthread_mutex_lock(&b->wmu);
        if (!res) {
            h->bad = 1;
        } else if (compact > 0) {
            /* the revisions we asked for are gone: whatever was asked about them has "changed" */
            if (compact - 1 > b->hub_floor) b->hub_floor = compact - 1;
            if (compact > b->hub_next) b->hub_next = compact;
            b->hub_seq++;
            h->bad = 1;
        } else if (json_is_true(json_object_get(res, "canceled"))) {
            h->bad = 1;
        }
        json_array_foreach(events, i, ev) {
            json_t *kv = json_object_get(ev, "kv");
            int64_t rev = json_i64(json_object_get(kv, "mod_revision"));
            if (b64_out(&key, json_object_get(kv, "key")) || key.size < b->pfx.size) continue;
            hub_add(b, rev, (const unsigned char *)key.ptr + b->pfx.size, key.size - b->pfx.size);
            if (rev + 1 > b->hub_next) b->hub_next = rev + 1;
        }
        pthread_cond_broadcast(&b->wcv);
        if (b->hub_state == 2) h->stop = 1;
        pthread_mutex_unlock(&b->wmu);
        json_decref(j);
        if (h->bad) break;
    }
    ami_buf_dispose(&key);
    return n;
}

static void *hub_main(void *arg)
{
    ec_backend *b = arg;
    CURL *c = curl_easy_init();
    json_t *jk = b64_json_local(b->pfx.ptr, b->pfx.size);
    ami_buf end = AMI_BUF_INIT;
    ami_buf_put(&end, b->pfx.ptr, b->pfx.size);
    ami_buf_put(&end, "\xff", 1);
    json_t *jend = b64_json_local(end.ptr, end.size);
    ami_buf_dispose(&end);
    hub_stream h;
    memset(&h, 0, sizeof h);
    h.b = b;
    if (c) {
        setup_easy(b, c);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, b->whdrs);
        /* each stream on a connection of its own: a silent one is never handed to the next */
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    }
    pthread_mutex_lock(&b->wmu);
    size_t ep = b->ep_hint;
    while (c && jk && jend && b->hub_state == 1) {
        json_t *req = json_pack("{s{sOsOsI}}", "create_request", "key", jk, "range_end", jend, "start_revision",
                                (json_int_t)b->hub_next);
        b->hub_heard = ami_time_mono_ms();
        pthread_mutex_unlock(&b->wmu);
        char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        char url[600];
        snprintf(url, sizeof url, "%s/v3/watch", b->eps[ep % b->n_eps]);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hub_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
        ami_buf_clear(&h.in);
        h.bad = 0;
        curl_multi_add_handle(b->hub_multi, c);
        int running = 1;
        while (running && !h.stop && !h.bad) {
            curl_multi_perform(b->hub_multi, &running);
            if (!running || h.stop || h.bad) break;
            pthread_mutex_lock(&b->wmu);
            int stopping = b->hub_state == 2;
            int silent = ami_time_mono_ms() - b->hub_heard >= HUB_SILENT_MS;
            pthread_mutex_unlock(&b->wmu);
            if (stopping || silent) break;
            curl_multi_poll(b->hub_multi, NULL, 0, 500, NULL);
        }
        curl_multi_remove_handle(b->hub_multi, c);
        free(body);
        pthread_mutex_lock(&b->wmu);
        if (b->hub_state != 1) break;
        /* the stream ended: reopen from where it stopped, on the next member after a pause */
        ep++;
        pthread_mutex_unlock(&b->wmu);
        curl_multi_poll(b->hub_multi, NULL, 0, WATCH_RETRY_MS, NULL);
        pthread_mutex_lock(&b->wmu);
    }
    pthread_mutex_unlock(&b->wmu);
    if (c) curl_easy_cleanup(c);
    json_decref(jk);
    json_decref(jend);
    ami_buf_dispose(&h.in);
    return NULL;
}

/* Start the hub from revision `from` (under wmu).  0, or an error (then watches go direct). */
static int hub_start(ec_backend *b, int64_t from)
{
    if (!b->ev && !(b->ev = ami_malloc(HUB_KEEP * sizeof *b->ev))) return ami__error_oom();
    if (!(b->hub_multi = curl_multi_init())) return ami__error_oom();
    b->hub_start = b->hub_next = from;
    b->hub_floor = from - 1;
    b->hub_born = b->hub_heard = ami_time_mono_ms();
    b->hub_state = 1;
    if (pthread_create(&b->hub_thread, NULL, hub_main, b)) {
        b->hub_state = 0;
        curl_multi_cleanup(b->hub_multi);
        b->hub_multi = NULL;
        return ami__error_set(AMI_ERROR, "etcd: cannot start the watch thread");
    }
    return 0;
}

static void hub_stop(ec_backend *b)
{
    pthread_mutex_lock(&b->wmu);
    int running = b->hub_state == 1;
    if (running) {
        b->hub_state = 2;
        curl_multi_wakeup(b->hub_multi);
    }
    pthread_mutex_unlock(&b->wmu);
    if (running) pthread_join(b->hub_thread, NULL);
    if (b->hub_multi) curl_multi_cleanup(b->hub_multi);
    b->hub_multi = NULL;
    for (size_t i = 0; i < b->ev_n; i++) ami_free(b->ev[(b->ev_head + i) % HUB_KEEP].key);
    ami_free(b->ev);
    b->ev = NULL;
    b->ev_n = 0;
}

/* The newest logged change after `a` under [lo, hi), or the newest change at all when `a` is below the floor; 0 none.  Under wmu. */
static int64_t hub_query(ec_backend *b, const unsigned char *prefix, size_t prefix_len, int64_t a)
{
    int64_t best = 0, newest = b->hub_floor;
    for (size_t i = 0; i < b->ev_n; i++) {
        const hub_event *e = &b->ev[(b->ev_head + i) % HUB_KEEP];
        if (e->rev > newest) newest = e->rev;
        if (e->rev <= a || e->rev <= best) continue;
        /* under the prefix: the key starts with it (the prefix key itself included) */
        /* in [P, P+0xFF): starts with P, and is P itself or goes on with a byte below 0xFF (an escaped NUL is 00 FF) */
        if (e->key_len >= prefix_len && (!prefix_len || !memcmp(e->key, prefix, prefix_len)) && (prefix_len || e->key_len) &&
            (e->key_len == prefix_len || e->key[prefix_len] != 0xFF))
            best = e->rev;
    }
    if (!best && a < b->hub_floor) best = newest > a ? newest : b->hub_floor;   /* cannot know: "changed" */
    return best;
}

static int timed_wait(ec_backend *b, int ms)
{
    return ami__cond_wait_mono_ms(&b->wcv, &b->wmu, ms);
}

/*
 * watch: served from the hub's log when `after` is within it (the first watch
 * starts the hub from its `after`); an older `after` gets a stream of its own.
 * `wakes` (NULL = the count at the start) is the wake() count the watch began at.
 */
static int watch_counted(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len, const char *after,
                         int timeout_ms, const uint64_t *wakes, ami_versionstamp vs)
{
    ec_backend *b = (ec_backend *)be;
    vs[0] = '\0';
    uint64_t a = 0;
    int rc = ami__vs_parse(&a, after);
    if (rc) return rc;
    pthread_mutex_lock(&b->wmu);
    if (!b->hub_state && a > 0) (void)hub_start(b, (int64_t)a + 1);   /* on failure: direct watches */
    if (b->hub_state != 1 || (int64_t)a + 1 < b->hub_start) {
        pthread_mutex_unlock(&b->wmu);
        return watch_direct(b, prefix, prefix_len, a, timeout_ms, wakes, vs);
    }
    uint64_t gen = wakes ? *wakes : b->wake_gen;
    int64_t deadline = timeout_ms >= 0 ? ami_time_mono_ms() + timeout_ms : -1;
    /* a hub started moments ago may still be replaying the history it started from */
    if (deadline >= 0 && deadline < b->hub_born + HISTORY_WAIT_MS) deadline = b->hub_born + HISTORY_WAIT_MS;
    int64_t got = 0;
    for (;;) {
        if (b->wake_gen != gen) { rc = AMI_ESTOPPED; break; }
        if ((got = hub_query(b, prefix, prefix_len, (int64_t)a)) > 0) break;
        int64_t now = ami_time_mono_ms();
        if (deadline >= 0 && now >= deadline) {
            /* quiet through what the stream delivered, and not one revision further */
            got = b->hub_next - 1 > (int64_t)a ? b->hub_next - 1 : (int64_t)a;
            rc = AMI_ETIMEOUT;
            break;
        }
        int slice = 1000;
        if (deadline >= 0 && deadline - now < slice) slice = (int)(deadline - now);
        timed_wait(b, slice > 0 ? slice : 1);
    }
    pthread_mutex_unlock(&b->wmu);
    if (!rc) vs_from_rev(vs, got);
    else if (rc == AMI_ESTOPPED) ami__error_set(AMI_ESTOPPED, "watch stopped by ami_store_wake()");
    else {
        if (got > 0) vs_from_rev(vs, got);
        ami__error_set(AMI_ETIMEOUT, "no change within %d ms", timeout_ms);
    }
    return rc;
}

#define CHANGES_CATCHUP_MS 200   /* how long ami__etcd_changes waits for the stream to bring what precedes our own commits */

int ami__etcd_changes(ami_store_backend *be, const char *after, size_t max, ami__change_fn fn, void *payload)
{
    if (!be || strcmp(be->name, "etcd")) return AMI_EUNSUPPORTED;
    ec_backend *b = (ec_backend *)be;
    uint64_t a = 0;
    int rc = ami__vs_parse(&a, after);
    if (rc) return rc;
    pthread_mutex_lock(&b->wmu);
    int64_t deadline = ami_time_mono_ms() + CHANGES_CATCHUP_MS;
    int missed = 0;
    for (;;) {
        /* the log is whole after `a` only from the hub's start and above its floor */
        if (b->hub_state != 1 || (int64_t)a + 1 < b->hub_start || (int64_t)a < b->hub_floor) { missed = 1; break; }
        /* this handle's commits go in at once, others' when the stream brings them: a commit of
         * ours past the stream's point may have others' before it still on the way */
        int64_t newest = 0;
        for (size_t i = 0; i < b->ev_n; i++)
            if (b->ev[(b->ev_head + i) % HUB_KEEP].rev > newest) newest = b->ev[(b->ev_head + i) % HUB_KEEP].rev;
        if (newest < b->hub_next) break;
        int64_t now = ami_time_mono_ms();
        if (now >= deadline) { missed = 1; break; }
        timed_wait(b, (int)(deadline - now));
    }
    size_t n = 0;
    for (size_t i = 0; i < b->ev_n && !missed; i++) {
        const hub_event *e = &b->ev[(b->ev_head + i) % HUB_KEEP];
        if (e->rev <= (int64_t)a) continue;
        if (++n > max) { missed = 1; break; }
        fn(e->key, e->key_len, payload);
    }
    pthread_mutex_unlock(&b->wmu);
    return missed;
}

static int ec_watch(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len, const char *after,
                    int timeout_ms, ami_versionstamp vs)
{
    return watch_counted(be, prefix, prefix_len, after, timeout_ms, NULL, vs);
}

static int ec_watch_from(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len, const char *after,
                         int timeout_ms, uint64_t wakes, ami_versionstamp vs)
{
    return watch_counted(be, prefix, prefix_len, after, timeout_ms, &wakes, vs);
}

static void ec_wake(ami_store_backend *be)
{
    ec_backend *b = (ec_backend *)be;
    pthread_mutex_lock(&b->wmu);
    b->wake_gen++;
    for (watcher *w = b->watchers; w; w = w->next) curl_multi_wakeup(w->multi);
    pthread_cond_broadcast(&b->wcv);
    pthread_mutex_unlock(&b->wmu);
}

/* ---- open / free ---- */

static void ec_free(ami_store_backend *be)
{
    ec_backend *b = (ec_backend *)be;
    if (!b) return;
    hub_stop(b);
    if (b->curl) curl_easy_cleanup(b->curl);
    curl_slist_free_all(b->hdrs);
    curl_slist_free_all(b->whdrs);
    for (size_t i = 0; i < b->n_eps; i++) ami_free(b->eps[i]);
    ami_free(b->eps);
    ami_free(b->cacert);
    ami_free(b->cert);
    ami_free(b->key);
    ami_buf_dispose(&b->pfx);
    ami_buf_dispose(&b->marker);
    ami_buf_dispose(&b->req);
    ami_buf_dispose(&b->resp);
    ami_buf_dispose(&b->kbuf);
    ami_buf_dispose(&b->vbuf);
    ami_buf_dispose(&b->tmp);
    pthread_mutex_destroy(&b->wmu);
    pthread_cond_destroy(&b->wcv);
    ami_free(b);
}

/* Percent-decode src[0..n) into a new string. */
static char *pct_decode(const char *src, size_t n)
{
    char *o = ami_malloc(n + 1), *p = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '%' && i + 2 < n) {
            char h[3] = { src[i + 1], src[i + 2], 0 };
            char *e;
            long v = strtol(h, &e, 16);
            if (!*e) { *p++ = (char)v; i += 2; continue; }
        }
        *p++ = src[i];
    }
    *p = '\0';
    return o;
}

static int parse_uri(ec_backend *b, const char *uri)
{
    const char *rest;
    if (!strncmp(uri, "etcd://", 7)) rest = uri + 7;
    else if (!strncmp(uri, "etcds://", 8)) { rest = uri + 8; b->tls = 1; }
    else return ami__error_set(AMI_EINVAL, "store URI \"%s\": expected etcd://host:port[,host:port…][/prefix]", uri);
    size_t hosts_len = strcspn(rest, "/?");
    if (!hosts_len) return ami__error_set(AMI_EINVAL, "store URI \"%s\": no etcd endpoint", uri);
    /* endpoints */
    const char *h = rest, *hend = rest + hosts_len;
    while (h < hend) {
        const char *comma = memchr(h, ',', (size_t)(hend - h));
        size_t len = comma ? (size_t)(comma - h) : (size_t)(hend - h);
        if (!len || len > 255) return ami__error_set(AMI_EINVAL, "store URI \"%s\": empty or overlong endpoint", uri);
        if (!memchr(h, ':', len))
            return ami__error_set(AMI_EINVAL, "store URI \"%s\": endpoint \"%.*s\" has no port", uri, (int)len, h);
        if (memchr(h, '@', len))
            return ami__error_set(AMI_EINVAL, "store URI \"%s\": user:password@ is not supported (use TLS client certificates)", "etcd://…");
        char **eps = ami_realloc(b->eps, (b->n_eps + 1) * sizeof *eps);
        if (!eps) return ami__error_oom();
        b->eps = eps;
        ami_buf e = AMI_BUF_INIT;
        if (ami_buf_printf(&e, "%s://%.*s", b->tls ? "https" : "http", (int)len, h)) return ami__error_oom();
        b->eps[b->n_eps++] = ami_buf_detach(&e);
        h += len + (comma ? 1 : 0);
        if (comma && h == hend) return ami__error_set(AMI_EINVAL, "store URI \"%s\": empty endpoint", uri);
    }
    /* prefix */
    const char *p = rest + hosts_len;
    size_t plen = 0;
    if (*p == '/') plen = strcspn(p, "?");
    while (plen > 1 && p[plen - 1] == '/') plen--;
    const char *prefix = plen > 1 ? p : DEFAULT_PREFIX;
    size_t prefix_len = plen > 1 ? plen : strlen(DEFAULT_PREFIX);
    if (memchr(prefix, '\xff', prefix_len)) return ami__error_set(AMI_EINVAL, "store URI \"%s\": bad prefix", uri);
    if (ami_buf_put(&b->pfx, prefix, prefix_len) || ami_buf_put(&b->pfx, "", 1) ||
        ami_buf_put(&b->marker, b->pfx.ptr, b->pfx.size) || ami_buf_put(&b->marker, "\xff", 1))
        return ami__error_oom();
    /* options */
    const char *q = strchr(rest, '?');
    while (q && *q) {
        q++;
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        if (!eq) return ami__error_set(AMI_EINVAL, "store URI \"%s\": option \"%.*s\" has no value", uri, (int)len, q);
        size_t nlen = (size_t)(eq - q), vlen = len - nlen - 1;
        char *val = pct_decode(eq + 1, vlen);
        if (!val) return ami__error_oom();
        char **slot = NULL;
        if (nlen == 6 && !strncmp(q, "cacert", 6)) slot = &b->cacert;
        else if (nlen == 4 && !strncmp(q, "cert", 4)) slot = &b->cert;
        else if (nlen == 3 && !strncmp(q, "key", 3)) slot = &b->key;
        if (slot) {
            ami_free(*slot);
            *slot = val;
        } else {
            char *e = NULL;
            long v = strtol(val, &e, 10);
            int bad = !*val || *e || v <= 0;
            ami_free(val);
            if (nlen == 7 && !strncmp(q, "timeout", 7) && !bad) b->timeout_ms = v;
            else if (nlen == 4 && !strncmp(q, "page", 4) && !bad) b->page = (size_t)v;
            else
                return ami__error_set(AMI_EINVAL, "store URI: bad etcd option \"%.*s\" (expected cacert, cert, key, "
                                      "timeout=MS or page=N)", (int)nlen, q);
        }
        q += len;
        if (*q != '&') break;
    }
    if (!b->tls && (b->cacert || b->cert || b->key))
        return ami__error_set(AMI_EINVAL, "store URI: cacert/cert/key need etcds://");
    return 0;
}

int ami__etcd_backend_open(ami_store_backend **out, const char *uri)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc) return ami__error_set(AMI_EIO, "etcd: libcurl failed to initialise");
    ec_backend *b = ami_malloc(sizeof *b);
    if (!b) return ami__error_oom();
    memset(b, 0, sizeof *b);
    b->base.version = AMI_STORE_BACKEND_VERSION;
    b->base.capabilities = AMI_STORE_CAP_CAS | AMI_STORE_CAP_WATCH | AMI_STORE_CAP_TTL;
    b->base.name = "etcd";
    b->base.get = ec_get;
    b->base.list = ec_list;
    b->base.commit = ec_commit;
    b->base.current = ec_current;
    b->base.watch = ec_watch;
    b->base.wake = ec_wake;
    b->base.free = ec_free;
    b->base.watch_from = ec_watch_from;
    b->timeout_ms = DEFAULT_TIMEOUT_MS;
    b->page = DEFAULT_PAGE;
    pthread_mutex_init(&b->wmu, NULL);
    ami__cond_init_mono(&b->wcv);
    int rc = parse_uri(b, uri);
    if (!rc) {
        b->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        if (b->hdrs) b->hdrs = curl_slist_append(b->hdrs, "Expect:");
        b->whdrs = curl_slist_append(NULL, "Content-Type: application/json");
        /* grpc-gateway passes Grpc-Metadata-* on as gRPC metadata; etcd's "hasleader" is clientv3's WithRequireLeader */
        if (b->whdrs) b->whdrs = curl_slist_append(b->whdrs, "Grpc-Metadata-hasleader: true");
        b->curl = curl_easy_init();
        if (!b->hdrs || !b->whdrs || !b->curl) rc = ami__error_oom();
        else setup_easy(b, b->curl);
    }
    /* reach the cluster once, so a wrong address fails at open */
    if (!rc) {
        ami_versionstamp vs;
        rc = ec_current(&b->base, vs);
    }
    if (rc) {
        ec_free(&b->base);
        return rc;
    }
    *out = &b->base;
    return 0;
}
