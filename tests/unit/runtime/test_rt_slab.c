/* Claim: the size-class allocator of Duktape heaps' small blocks
 * (lib/runtime/slab.c, behind the counting allocator of lib/runtime/limits.c)
 * gives each block at least the bytes asked, 8-byte aligned and apart from
 * every other; keeps a block's contents through realloc between classes and
 * to and from malloc; counts its blocks against the instance's heap limit;
 * takes an instance's pages back when the instance is destroyed, gives
 * empty pages beyond the kept ones back to the system; and takes frees from a
 * thread other than the allocating one.  The slab is forced on here, so this
 * also runs it under ASan (where instances otherwise use plain malloc). */
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#include "rt.h"
#include "runtime/internal.h"
#include "runtime/slab.h"

/* A runtime with only what the counting allocator reads: not running, a limit. */
static ami_runtime *fake_runtime(size_t limit)
{
    ami_runtime *r = calloc(1, sizeof *r);
    REQUIRE(r);
    r->heap_max = limit;
    return r;
}

static size_t held(void *p)
{
    size_t n = ami__slab_size(p);
    return n ? n : malloc_usable_size(p);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed * 31 + i);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed * 31 + i)) return 0;
    return 1;
}

static void sizes_and_alignment(void)
{
    ami_runtime *r = fake_runtime((size_t)1 << 30);
    enum { N = 600 };
    unsigned char *b[N];
    size_t sum = 0;
    for (unsigned i = 0; i < N; i++) {
        size_t size = i < 300 ? 1 + i : 1 + i * 7 % 5000;   /* each small size, then both sides of AMI__SLAB_MAX */
        b[i] = ami__runtime_alloc(r, size);
        REQUIRE(b[i]);
        CHECK(((uintptr_t)b[i] & 7) == 0);
        /* the page a slab block's class is read from lies in the slab's
         * range (the range is aligned to a page: mmap's own alignment is 4 KiB) */
        if (size <= AMI__SLAB_MAX) CHECK(ami__slab_size((void *)((uintptr_t)b[i] & ~(uintptr_t)(AMI__SLAB_PAGE - 1))) != 0);
        if (size <= 256) CHECK_INT(ami__slab_size(b[i]), (size + 7) & ~(size_t)7);   /* 8-byte steps */
        else if (size <= AMI__SLAB_MAX) CHECK(ami__slab_size(b[i]) >= size && ami__slab_size(b[i]) <= size + size / 8 + 8);   /* steps of 1/32 to 1/8 */
        else CHECK_INT(ami__slab_size(b[i]), 0);
        CHECK(held(b[i]) >= size);
        sum += held(b[i]);
        fill(b[i], size, i);
    }
    /* every block whole after all were written: none overlaps another */
    int bad = 0;
    for (unsigned i = 0; i < N; i++) bad += !intact(b[i], i < 300 ? 1 + i : 1 + i * 7 % 5000, i);
    CHECK_INT(bad, 0);
    CHECK_INT(r->heap_used, sum);
    for (unsigned i = 0; i < N; i++) ami__runtime_free_block(r, b[i]);
    CHECK_INT(r->heap_used, 0);
    CHECK(ami__runtime_alloc(r, 0) == NULL);
    free(r);
}

static void realloc_keeps_contents(void)
{
    ami_runtime *r = fake_runtime((size_t)1 << 30);
    static const size_t steps[] = { 5, 8, 9, 16, 17, 100, 104, 256, 257, 1000, 3000, 4088, 4089, 9000, 5000, 200, 40, 33, 7, 6000, 300, 1 };
    unsigned char *p = ami__runtime_alloc(r, 3);
    REQUIRE(p);
    fill(p, 3, 7);
    size_t have = 3;
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        size_t n = steps[k];
        unsigned char *q = ami__runtime_realloc(r, p, n);
        REQUIRE(q);
        size_t keep = have < n ? have : n;
        if (!intact(q, keep, 7)) {
            CHECK(!"contents kept");
            fprintf(stderr, "  realloc %zu -> %zu lost the contents\n", have, n);
        }
        fill(q, n, 7);
        CHECK(held(q) >= n);
        CHECK_INT(r->heap_used, held(q));
        if (n <= AMI__SLAB_MAX) CHECK(ami__slab_size(q) != 0);
        p = q;
        have = n;
    }
    CHECK(ami__runtime_realloc(r, p, 0) == NULL);
    CHECK_INT(r->heap_used, 0);
    free(r);
}

static void limit_enforced(void)
{
    ami_runtime *r = fake_runtime(4096);
    void *b[200];
    int n = 0;
    while (n < 200 && (b[n] = ami__runtime_alloc(r, 64)) != NULL) n++;
    CHECK_INT(n, 4096 / 64);   /* slab blocks of 64 count 64 each: no header */
    CHECK(r->heap_hit);
    CHECK(r->heap_used <= r->heap_max);
    /* a realloc past the limit fails and leaves the block as it was */
    fill(b[0], 64, 3);
    CHECK(ami__runtime_realloc(r, b[0], 128) == NULL);
    CHECK(intact(b[0], 64, 3));
    for (int i = 0; i < n; i++) ami__runtime_free_block(r, b[i]);
    CHECK_INT(r->heap_used, 0);
    free(r);

    /* an instance with a small limit: a script filling it with small objects
     * stops with the heap-limit error and the heap stays under it */
    json_t *w = rt_worker("slab-limit", "var a = []; for (;;) a.push({ x: a.length });");
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    o.heap_max_bytes = 2u << 20;
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    ami_runtime_result res;
    memset(&res, 0, sizeof res);
    CHECK(ami_runtime_run(inst, &res) != 0);
    CHECK(res.message && strstr(res.message, "heap limit"));
    CHECK(ami_runtime_heap_peak(inst) <= o.heap_max_bytes);
    CHECK(ami_runtime_heap_peak(inst) > o.heap_max_bytes / 2);
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
}

static void pages_back_after_destroy(void)
{
    enum { N = 60 };
    ami_runtime *inst[N];
    json_t *w = rt_worker("slab-pages", "var o = { a: [1, 2, 3], s: 'x'.repeat(40) };");
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    /* a first instance: the process-wide caches (prelude, script cache) are made once */
    REQUIRE(ami_runtime_new(&inst[0], &o) == 0);
    ami_runtime_free(inst[0]);
    ami__slab_stat s0, s1, s2;
    ami__slab_stats(&s0);
    for (int i = 0; i < N; i++) REQUIRE(ami_runtime_new(&inst[i], &o) == 0);
    ami__slab_stats(&s1);
    for (int i = 0; i < N; i++) ami_runtime_free(inst[i]);
    ami__slab_stats(&s2);
    fprintf(stderr, "  %d instances: pages used %zu -> %zu -> %zu, empty %zu, released %zu; blocks %zu -> %zu -> %zu\n", N,
            s0.pages_used, s1.pages_used, s2.pages_used, s2.pages_empty, s2.pages_released, s0.blocks, s1.blocks, s2.blocks);
    CHECK(s1.pages_used >= s0.pages_used + (size_t)N);   /* ~1.5 pages an instance (~60 KB) */
    CHECK_INT(s2.blocks, s0.blocks);
    /* every page back but the one each class keeps */
    CHECK(s2.pages_used <= s0.pages_used + AMI__SLAB_CLASSES);
    CHECK_INT(s2.pages_used + s2.pages_empty + s2.pages_released, s2.pages_total);
    /* and the next instances take the kept and released pages before new ones */
    for (int i = 0; i < N; i++) REQUIRE(ami_runtime_new(&inst[i], &o) == 0);
    ami__slab_stat s3;
    ami__slab_stats(&s3);
    CHECK(s3.pages_total <= s2.pages_total + AMI__SLAB_CLASSES);
    for (int i = 0; i < N; i++) ami_runtime_free(inst[i]);
    json_decref(w);
}

/* Beyond AMI__SLAB_RELEASE_AT empty pages, all but AMI__SLAB_KEEP_EMPTY go
 * back to the system: no longer resident. */
static void empty_pages_given_back(void)
{
    enum { N = (24 << 20) / AMI__SLAB_MAX };
    static void *b[N];
    ami__slab_stat s0, s1, s2;
    ami__slab_stats(&s0);
    long rss0 = check_rss_kb();
    for (int i = 0; i < N; i++) {
        REQUIRE((b[i] = ami__slab_alloc(AMI__SLAB_MAX, &(size_t){ 0 })) != NULL);
        memset(b[i], 1, AMI__SLAB_MAX);
    }
    ami__slab_stats(&s1);
    long rss1 = check_rss_kb();
    for (int i = 0; i < N; i++) ami__slab_free(b[i]);
    ami__slab_stats(&s2);
    long rss2 = check_rss_kb();
    fprintf(stderr, "  24 MiB of blocks: pages used %zu -> %zu -> %zu, empty %zu, released %zu; RSS %ld -> %ld -> %ld KiB\n",
            s0.pages_used, s1.pages_used, s2.pages_used, s2.pages_empty, s2.pages_released, rss0, rss1, rss2);
    CHECK(rss1 - rss0 >= 12 << 10);   /* the empty pages already resident are taken first */
    CHECK(s2.pages_used <= s0.pages_used + 1);
    CHECK(s2.pages_empty < AMI__SLAB_RELEASE_AT);
    CHECK(s2.pages_released >= s0.pages_released + (size_t)N / 8 - AMI__SLAB_RELEASE_AT);
    CHECK_INT(s2.pages_used + s2.pages_empty + s2.pages_released, s2.pages_total);
    /* resident no more: RSS falls by at least half of what was given back */
    CHECK(rss1 - rss2 >= (long)((s2.pages_released - s0.pages_released) * AMI__SLAB_PAGE / 1024 / 2));
    /* and taken again before new pages */
    for (int i = 0; i < N; i++) REQUIRE((b[i] = ami__slab_alloc(AMI__SLAB_MAX, &(size_t){ 0 })) != NULL);
    ami__slab_stat s3;
    ami__slab_stats(&s3);
    CHECK_INT(s3.pages_total, s2.pages_total);
    for (int i = 0; i < N; i++) ami__slab_free(b[i]);
}

/* Two threads each allocate blocks, write them and pass them through a ring
 * to the other, which checks and frees them. */
enum { RING = 512, PER_THREAD = 100000 };
typedef struct {
    pthread_mutex_t mu;
    void *slot[RING];
    unsigned seed[RING];
    size_t size[RING];
    unsigned head, tail;
} ring;

typedef struct { ring *out, *in; ami_runtime *r; int bad; unsigned id; } xarg;

static void *cross(void *p)
{
    xarg *a = p;
    unsigned x = a->id * 7919 + 1;
    int sent = 0, got = 0;
    while (sent < PER_THREAD || got < PER_THREAD) {
        if (sent < PER_THREAD) {
            x = x * 1103515245 + 12345;
            size_t size = 1 + (x >> 8) % ((x >> 4) % 16 ? 512 : AMI__SLAB_MAX);
            unsigned char *b = ami__slab_alloc(size, &(size_t){ 0 });
            REQUIRE(b);
            fill(b, size, x);
            pthread_mutex_lock(&a->out->mu);
            if (a->out->head - a->out->tail < RING) {
                unsigned k = a->out->head++ % RING;
                a->out->slot[k] = b;
                a->out->seed[k] = x;
                a->out->size[k] = size;
                sent++;
                b = NULL;
            }
            pthread_mutex_unlock(&a->out->mu);
            if (b) ami__slab_free(b);   /* ring full: free it here */
        }
        pthread_mutex_lock(&a->in->mu);
        while (a->in->tail != a->in->head) {
            unsigned k = a->in->tail++ % RING;
            if (!intact(a->in->slot[k], a->in->size[k], a->in->seed[k])) a->bad++;
            ami__slab_free(a->in->slot[k]);
            got++;
        }
        pthread_mutex_unlock(&a->in->mu);
    }
    return NULL;
}

/* An instance built on one thread, run and freed on another. */
static void *free_instance(void *p)
{
    ami_runtime *inst = p;
    ami_runtime_result res;
    memset(&res, 0, sizeof res);
    CHECK_RC(ami_runtime_run(inst, &res));
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
    return NULL;
}

static void cross_thread_free(void)
{
    ami__slab_stat s0, s1;
    ami__slab_stats(&s0);
    static ring r1, r2;
    pthread_mutex_init(&r1.mu, NULL);
    pthread_mutex_init(&r2.mu, NULL);
    xarg a = { &r1, &r2, NULL, 0, 1 }, b = { &r2, &r1, NULL, 0, 2 };
    pthread_t ta, tb;
    pthread_create(&ta, NULL, cross, &a);
    pthread_create(&tb, NULL, cross, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_INT(a.bad + b.bad, 0);
    /* the rings may still hold blocks sent after the other side's last look */
    for (ring *q = &r1; q; q = q == &r1 ? &r2 : NULL)
        while (q->tail != q->head) ami__slab_free(q->slot[q->tail++ % RING]);

    json_t *w = rt_worker("slab-cross", "var m = {}; for (var i = 0; i < 2000; i++) m['k' + i] = [i, 'v' + i];");
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    for (int i = 0; i < 4; i++) {
        ami_runtime *inst = NULL;
        REQUIRE(ami_runtime_new(&inst, &o) == 0);
        pthread_t t;
        pthread_create(&t, NULL, free_instance, inst);
        pthread_join(t, NULL);
    }
    json_decref(w);
    ami__slab_stats(&s1);
    CHECK_INT(s1.blocks, s0.blocks);
}

int main(void)
{
    ami_init();
#if defined(__SANITIZE_ADDRESS__)
    CHECK(!ami__slab_enabled());   /* ASan builds check Duktape's blocks with plain malloc */
#else
    CHECK(ami__slab_enabled());
#endif
    ami__slab_enable(1);
    RUN(sizes_and_alignment);
    RUN(realloc_keeps_contents);
    RUN(limit_enforced);
    RUN(pages_back_after_destroy);
    RUN(empty_pages_given_back);
    RUN(cross_thread_free);
    return check_done();
}
