/*
 * Subscriptions driven by the store's change feed (Stels.net.subscribe,
 * Stels.local.subscribe): one hub per store handle, shared by every instance
 * subscribed through that handle, instead of each instance polling the
 * store while it has a live subscription.
 *
 * The hub is a thread in ami_store_watch() over the whole store.  When a
 * commit lands it checks each distinct subscribed key (ami_store_watch on
 * that key with timeout 0: "did a commit after `after` touch it?") and posts
 * one task to each instance subscribed to a key that changed; the task
 * (ami__runtime_poll_subs) re-reads that instance's keys and calls the
 * callbacks of those whose versionstamp moved.  So a subscribed instance that
 * waits is woken only when one of its keys changes, within the feed's latency,
 * and an instance has at most one such task queued at a time.
 *
 * Registration (ami__subhub_add) inserts the key, then posts the same task to
 * the instance: that covers commits between the subscription's own read of
 * the key and the insertion, which the feed reported before the key was
 * watched.  The hub's own `seen` starts at the store's current versionstamp
 * when the hub is made, so nothing after it is missed.
 *
 * Lifetime: an instance attaches to a hub at its first registration and
 * detaches when it is freed (ami__subhub_detach); the last one out stops the
 * thread (ami_store_wake, join), before the store can be freed.  While no key
 * is registered the thread waits on a condition variable, not on the store.
 *
 * Locks: hubs_mu (the list of hubs) before hub->mu.  Posting happens under
 * hub->mu (so a subscriber removed under it is never posted to again), and
 * takes the instance's mutex and its `ready` callback's locks after it.
 * No store call is made under hub->mu.
 *
 * Without a change feed (a backend without AMI_STORE_CAP_WATCH), or when the
 * hub cannot be made, the subscription is polled as before (ami__sub.hk NULL).
 */
#define _GNU_SOURCE   /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/internal.h"
#include "store/store_internal.h"
#include "core/core.h"
#include "util/util.h"

typedef struct hkey {
    unsigned char *enc;         /* the encoded key (hash and equality) */
    size_t len;
    int linked;                 /* in the table (else waiting for the snapshot holding it) */
    json_t *key;
    char after[AMI_VERSIONSTAMP_LEN + 1];   /* commits after this one are not checked yet */
    unsigned gen;               /* bumped when a registration moves `after` back */
    int ref;                    /* the hub thread's snapshot holds it */
    ami__sub *subs;             /* subscribers (via hprev/hnext) */
    struct hkey *next;          /* bucket chain */
} hkey;

typedef struct ami__subhub {
    ami_store *store;
    int users;                  /* instances attached (hubs_mu) */
    struct ami__subhub *next;   /* hubs list (hubs_mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a key was registered, or quit (CLOCK_MONOTONIC) */
    pthread_t thr;
    int quit, done;
    hkey **buckets;
    size_t nbuckets, nkeys;
    char seen[AMI_VERSIONSTAMP_LEN + 1];
    uint64_t rounds;            /* feed changes handled (tests) */
} ami__subhub;

static pthread_mutex_t hubs_mu = PTHREAD_MUTEX_INITIALIZER;
static ami__subhub *hubs;

/* ---- posting to an instance ---- */

static void poll_task(duk_context *ctx, void *data)
{
    ami_runtime *r = data;
    __atomic_store_n(&r->subs_posted, 0, __ATOMIC_RELEASE);   /* before the reads: a later change posts again */
    ami__runtime_poll_subs(ctx, r);
}

static void poll_drop(void *data)
{
    ami_runtime *r = data;
    __atomic_store_n(&r->subs_posted, 0, __ATOMIC_RELEASE);
}

/* Queue one poll of R's subscriptions unless one is queued already (any thread). */
static void post_poll(ami_runtime *r)
{
    if (__atomic_exchange_n(&r->subs_posted, 1, __ATOMIC_ACQ_REL)) return;
    ami__loop_post(r, poll_task, poll_drop, r);   /* refused (stopping): drop clears the flag */
}

/* ---- keys (under hub->mu) ---- */

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static hkey *key_find(ami__subhub *h, const unsigned char *enc, size_t len, hkey ***slot)
{
    hkey **pp = &h->buckets[hash_bytes(enc, len) & (h->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->len == len && !memcmp((*pp)->enc, enc, len)) break;
    if (slot) *slot = pp;
    return *pp;
}

static void key_free(hkey *k)
{
    ami_free(k->enc);
    json_decref(k->key);
    free(k);
}

/* Unlink an unused key from its bucket; freed now or by the snapshot holding it. */
static void key_drop(ami__subhub *h, hkey *k)
{
    hkey **pp;
    if (key_find(h, k->enc, k->len, &pp) == k) *pp = k->next;
    k->next = NULL;
    k->linked = 0;
    h->nkeys--;
    if (!k->ref) key_free(k);
}

static int grow(ami__subhub *h)
{
    size_t nb = h->nbuckets ? h->nbuckets * 2 : 64;
    hkey **b = calloc(nb, sizeof *b);
    if (!b) return -1;
    for (size_t i = 0; i < h->nbuckets; i++) {
        for (hkey *k = h->buckets[i], *n; k; k = n) {
            n = k->next;
            size_t j = hash_bytes(k->enc, k->len) & (nb - 1);
            k->next = b[j];
            b[j] = k;
        }
    }
    free(h->buckets);
    h->buckets = b;
    h->nbuckets = nb;
    return 0;
}

/* ---- the hub thread ---- */

typedef struct { hkey *k; char after[AMI_VERSIONSTAMP_LEN + 1]; unsigned gen; int changed; char vs[AMI_VERSIONSTAMP_LEN + 1]; } check;

/* Most changed keys one round takes from the SQLite log; more: every key is checked. */
#define CHANGES_MAX 4096

static void add_change(const unsigned char *key, size_t len, void *payload)
{
    ami_buf *b = payload;
    uint32_t n = (uint32_t)len;
    if (ami_buf_put(b, &n, sizeof n) == 0) ami_buf_put(b, key, len);
}

static void post_key(hkey *k)
{
    for (ami__sub *s = k->subs; s; s = s->hnext) post_poll(s->owner);
}

/* After a change on the feed (the hub's position moving from `from` to `to`):
 * which keys changed, and post to their subscribers.  On SQLite, one read of
 * the change log names the keys written since `from`; a key registered
 * since (checked only from an earlier point), or any key when the log cannot
 * tell, is checked on its own with a watch on it.  Called and returns under
 * h->mu (released for the store calls). */
static void round_of_checks(ami__subhub *h, const char *from, const char *to)
{
    ami_buf changed = AMI_BUF_INIT;
    int listed = 0;
    if (from[0]) {
        pthread_mutex_unlock(&h->mu);
        int rc = ami__store_changes(h->store, from, CHANGES_MAX, add_change, &changed);
        pthread_mutex_lock(&h->mu);
        listed = rc == 0 && changed.size < ((size_t)1 << 30);
    }
    if (listed) {
        for (size_t off = 0; off + sizeof(uint32_t) <= changed.size;) {
            uint32_t n;
            memcpy(&n, changed.ptr + off, sizeof n);
            off += sizeof n;
            hkey *k = key_find(h, (const unsigned char *)changed.ptr + off, n, NULL);
            if (k && strcmp(k->after, from) >= 0) post_key(k);   /* the others are checked below */
            off += n;
        }
    }
    ami_buf_dispose(&changed);
    size_t n = 0;
    check *c = h->nkeys ? malloc(h->nkeys * sizeof *c) : NULL;
    if (!c && h->nkeys) {
        /* no memory for the list: every subscriber looks for itself */
        for (size_t i = 0; i < h->nbuckets; i++)
            for (hkey *k = h->buckets[i]; k; k = k->next) post_key(k);
        return;
    }
    for (size_t i = 0; i < h->nbuckets; i++)
        for (hkey *k = h->buckets[i]; k; k = k->next) {
            if (listed && strcmp(k->after, from) >= 0) {
                /* covered by the log through `to` */
                if (to[0] && strcmp(to, k->after) > 0) memcpy(k->after, to, sizeof k->after);
                continue;
            }
            k->ref++;
            c[n].k = k;
            memcpy(c[n].after, k->after, sizeof c[n].after);
            c[n].gen = k->gen;
            n++;
        }
    if (!n) {
        free(c);
        return;
    }
    pthread_mutex_unlock(&h->mu);
    for (size_t i = 0; i < n; i++) {
        int rc = ami_store_watch(h->store, c[i].k->key, c[i].after, 0, c[i].vs);
        /* an error: the subscribers re-read (as a poll would); a timeout's vs: how far the store vouches */
        c[i].changed = rc != AMI_ETIMEOUT && rc != AMI_ESTOPPED;
        if (rc && rc != AMI_ETIMEOUT) c[i].vs[0] = '\0';
    }
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < n; i++) {
        hkey *k = c[i].k;
        k->ref--;
        if (!k->linked) {   /* unlinked meanwhile */
            if (!k->ref) key_free(k);
            continue;
        }
        if (c[i].changed) post_key(k);
        /* checked up to the change found, or as far as the store vouches; unless a registration moved it back */
        if (k->gen == c[i].gen && c[i].vs[0] && strcmp(c[i].vs, k->after) > 0)
            memcpy(k->after, c[i].vs, sizeof k->after);
    }
    free(c);
}

static void *hub_main(void *arg)
{
    ami__subhub *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->quit) {
        if (!h->nkeys) {   /* nothing subscribed: no watch */
            ami__cond_wait_mono_ms(&h->cv, &h->mu, 1000);
            continue;
        }
        char after[AMI_VERSIONSTAMP_LEN + 1];
        memcpy(after, h->seen, sizeof after);
        pthread_mutex_unlock(&h->mu);
        ami_versionstamp vs;
        int rc = ami_store_watch(h->store, NULL, after, 1000, vs);
        pthread_mutex_lock(&h->mu);
        if (h->quit) break;
        if (rc == AMI_ETIMEOUT) {
            /* nothing changed through vs: watch on from there (an old `after` would read as "changed"),
             * and so do the keys that were in step */
            if (vs[0] && strcmp(vs, h->seen) > 0) {
                for (size_t i = 0; i < h->nbuckets; i++)
                    for (hkey *k = h->buckets[i]; k; k = k->next)
                        if (strcmp(k->after, h->seen) >= 0 && strcmp(vs, k->after) > 0) memcpy(k->after, vs, sizeof k->after);
                memcpy(h->seen, vs, sizeof h->seen);
            }
            continue;
        }
        if (rc == AMI_ESTOPPED) continue;
        if (rc) {
            /* the feed failed: look at every key now and again shortly */
            pthread_mutex_unlock(&h->mu);
            ami__sleep_ms(50);
            ami_store_current(h->store, vs);
            pthread_mutex_lock(&h->mu);
            if (h->quit) break;
        }
        if (vs[0]) memcpy(h->seen, vs, sizeof h->seen);
        h->rounds++;
        round_of_checks(h, after, h->seen);
    }
    h->done = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* ---- attach / detach ---- */

static void hub_destroy(ami__subhub *h)
{
    for (size_t i = 0; i < h->nbuckets; i++)
        for (hkey *k = h->buckets[i], *n; k; k = n) {
            n = k->next;
            key_free(k);
        }
    free(h->buckets);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* The hub of STORE with one more user, made (thread started) when missing; NULL when it cannot be. */
static ami__subhub *hub_attach(ami_store *store)
{
    if (!store || !(ami_store_capabilities(store) & AMI_STORE_CAP_WATCH)) return NULL;
    pthread_mutex_lock(&hubs_mu);
    ami__subhub *h = hubs;
    while (h && h->store != store) h = h->next;
    if (h) {
        h->users++;
        pthread_mutex_unlock(&hubs_mu);
        return h;
    }
    h = calloc(1, sizeof *h);
    if (!h || grow(h)) {
        free(h);
        pthread_mutex_unlock(&hubs_mu);
        return NULL;
    }
    h->store = store;
    pthread_mutex_init(&h->mu, NULL);
    ami__cond_init_mono(&h->cv);
    /* the feed is followed from here on; earlier commits are the registrations' own poll */
    if (ami_store_current(store, h->seen)) h->seen[0] = '\0';
    if (pthread_create(&h->thr, NULL, hub_main, h)) {
        pthread_mutex_unlock(&hubs_mu);
        hub_destroy(h);
        return NULL;
    }
    pthread_setname_np(h->thr, "ami-subhub");
    h->users = 1;
    h->next = hubs;
    hubs = h;
    pthread_mutex_unlock(&hubs_mu);
    return h;
}

static void hub_detach(ami__subhub *h)
{
    pthread_mutex_lock(&hubs_mu);
    if (--h->users > 0) {
        pthread_mutex_unlock(&hubs_mu);
        return;
    }
    for (ami__subhub **pp = &hubs; *pp; pp = &(*pp)->next)
        if (*pp == h) { *pp = h->next; break; }
    pthread_mutex_unlock(&hubs_mu);
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    while (!h->done) {
        /* the thread may be inside a watch: wake it (other watchers on the handle just watch again) */
        pthread_mutex_unlock(&h->mu);
        ami_store_wake(h->store);
        pthread_mutex_lock(&h->mu);
        if (!h->done) ami__cond_wait_mono_ms(&h->cv, &h->mu, 5);
    }
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thr, NULL);
    hub_destroy(h);
}

/* ---- the runtime's side ---- */

int ami__subhub_add(ami_runtime *r, ami__sub *s)
{
    if (s->hk) return 0;
    ami__subhub *h = r->hubs[s->which];
    if (!h) {
        h = hub_attach(r->stores[s->which]);
        if (!h) return -1;
        r->hubs[s->which] = h;
    }
    ami_buf enc = AMI_BUF_INIT;
    if (ami_key_encode(&enc, s->key)) {
        ami_buf_dispose(&enc);
        return -1;
    }
    pthread_mutex_lock(&h->mu);
    if (h->nkeys >= h->nbuckets * 2) (void)grow(h);   /* no memory: longer chains */
    hkey **slot;
    hkey *k = key_find(h, (const unsigned char *)enc.ptr, enc.size, &slot);
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k) {
            pthread_mutex_unlock(&h->mu);
            ami_buf_dispose(&enc);
            return -1;
        }
        k->len = enc.size;
        k->enc = (unsigned char *)ami_buf_detach(&enc);
        k->linked = 1;
        k->key = json_incref(s->key);
        memcpy(k->after, s->after, sizeof k->after);
        *slot = k;
        h->nkeys++;
        pthread_cond_broadcast(&h->cv);
    } else if (strcmp(s->after, k->after) < 0) {
        memcpy(k->after, s->after, sizeof k->after);
        k->gen++;
    }
    s->owner = r;
    s->hk = k;
    s->hprev = NULL;
    s->hnext = k->subs;
    if (k->subs) k->subs->hprev = s;
    k->subs = s;
    /* what the feed said before the key was watched: the instance looks once itself */
    post_poll(r);
    pthread_mutex_unlock(&h->mu);
    ami_buf_dispose(&enc);
    return 0;
}

void ami__subhub_remove(ami_runtime *r, ami__sub *s)
{
    hkey *k = s->hk;
    if (!k) return;
    ami__subhub *h = r->hubs[s->which];
    pthread_mutex_lock(&h->mu);
    if (s->hprev) s->hprev->hnext = s->hnext;
    else k->subs = s->hnext;
    if (s->hnext) s->hnext->hprev = s->hprev;
    s->hprev = s->hnext = NULL;
    s->hk = NULL;
    if (!k->subs) key_drop(h, k);
    pthread_mutex_unlock(&h->mu);
}

void ami__subhub_detach(ami_runtime *r)
{
    for (ami__sub *s = r->subs; s; s = s->next) ami__subhub_remove(r, s);
    for (int i = 0; i < 2; i++) {
        if (!r->hubs[i]) continue;
        hub_detach(r->hubs[i]);
        r->hubs[i] = NULL;
    }
}

uint64_t ami__subhub_rounds(ami_store *store)
{
    uint64_t n = 0;
    pthread_mutex_lock(&hubs_mu);
    for (ami__subhub *h = hubs; h; h = h->next)
        if (h->store == store) {
            pthread_mutex_lock(&h->mu);
            n = h->rounds;
            pthread_mutex_unlock(&h->mu);
        }
    pthread_mutex_unlock(&hubs_mu);
    return n;
}
