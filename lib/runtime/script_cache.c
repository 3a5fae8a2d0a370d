/*
 * Compiled worker scripts shared by the instances of one script: the body's
 * Duktape bytecode, kept in process memory and loaded into each new heap
 * instead of lowering and compiling the script again.
 *
 * Safety: Duktape's bytecode loader trusts its input, so only dumps this
 * process made itself are ever loaded: the cache lives in memory, is filled
 * only by ami_runtime_new from a function it has just compiled, and is never
 * read from or written to anything a user controls.  An entry is found by the
 * SHA-256 of the script's text, its length and the language asked for; the
 * lowering, the prelude and Duktape are those of this process, so a new build
 * (another lowering) always starts with an empty cache.
 *
 * Bounded: past AMI__SCRIPT_CACHE_BYTES of bytecode the least recently used
 * entries go (an instance loading one holds a reference until it is done).
 * Thread-safe: one mutex, held only to find, add or drop entries.
 */
#include <stdlib.h>
#include <string.h>
#include "runtime/internal.h"
#include "util/util.h"

#define AMI__SCRIPT_CACHE_BYTES ((size_t)32 << 20)
#define BUCKETS 1024

struct ami__script_code {
    struct ami__script_code *next;   /* in its bucket */
    char hash[65];
    size_t len;
    int lang;
    int refs;                        /* the table's own (while listed) + loaders' */
    unsigned long long used;         /* last use, for eviction */
    int body_async;
    size_t size;
    unsigned char code[];            /* the dump */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static ami__script_code *table[BUCKETS];
static size_t total_bytes;
static unsigned long long clock_;
static unsigned long compiles;       /* scripts compiled for an instance (tests) */

void ami__script_key_make(ami__script_key *key, const char *script, size_t len, int lang)
{
    ami__sha256_hex(script, len, key->hash);
    key->len = len;
    key->lang = lang;
}

static unsigned bucket_of(const char *hash)
{
    return (unsigned)strtoul((char[]){ hash[0], hash[1], hash[2], 0 }, NULL, 16) % BUCKETS;
}

static int same(const ami__script_code *c, const ami__script_key *key)
{
    return c->len == key->len && c->lang == key->lang && !memcmp(c->hash, key->hash, 64);
}

static void unref(ami__script_code *c)
{
    if (--c->refs == 0) free(c);
}

const ami__script_code *ami__script_cache_get(const ami__script_key *key, const void **code, size_t *size, int *body_async)
{
    pthread_mutex_lock(&mu);
    ami__script_code *c = table[bucket_of(key->hash)];
    while (c && !same(c, key)) c = c->next;
    if (c) {
        c->refs++;
        c->used = ++clock_;
        *code = c->code;
        *size = c->size;
        *body_async = c->body_async;
    }
    pthread_mutex_unlock(&mu);
    return c;
}

void ami__script_cache_release(const ami__script_code *held)
{
    if (!held) return;
    pthread_mutex_lock(&mu);
    unref((ami__script_code *)held);
    pthread_mutex_unlock(&mu);
}

/* Drop least recently used entries until `want` more bytes fit (mu held). */
static void make_room(size_t want)
{
    while (total_bytes && total_bytes + want > AMI__SCRIPT_CACHE_BYTES) {
        ami__script_code **oldest = NULL;
        for (int b = 0; b < BUCKETS; b++)
            for (ami__script_code **p = &table[b]; *p; p = &(*p)->next)
                if (!oldest || (*p)->used < (*oldest)->used) oldest = p;
        if (!oldest) break;
        ami__script_code *c = *oldest;
        *oldest = c->next;
        total_bytes -= c->size;
        unref(c);
    }
}

void ami__script_cache_put(const ami__script_key *key, const void *code, size_t size, int body_async)
{
    if (size > AMI__SCRIPT_CACHE_BYTES / 8) return;   /* a giant script would flush the others */
    ami__script_code *c = malloc(sizeof *c + size);
    if (!c) return;   /* not cached: the next instance compiles again */
    memset(c, 0, sizeof *c);
    memcpy(c->hash, key->hash, sizeof c->hash);
    c->len = key->len;
    c->lang = key->lang;
    c->refs = 1;
    c->body_async = body_async;
    c->size = size;
    memcpy(c->code, code, size);
    pthread_mutex_lock(&mu);
    unsigned b = bucket_of(key->hash);
    ami__script_code *old = table[b];
    while (old && !same(old, key)) old = old->next;
    if (old) {
        /* another thread compiled the same script meanwhile: keep the first */
        pthread_mutex_unlock(&mu);
        free(c);
        return;
    }
    make_room(size);
    c->used = ++clock_;
    c->next = table[b];
    table[b] = c;
    total_bytes += size;
    pthread_mutex_unlock(&mu);
}

void ami__script_cache_count_compile(void)
{
    __atomic_add_fetch(&compiles, 1, __ATOMIC_RELAXED);
}

unsigned long ami__script_cache_compiles(void)
{
    return __atomic_load_n(&compiles, __ATOMIC_RELAXED);
}
