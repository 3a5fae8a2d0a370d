/*
 * The size-class allocator of Duktape heaps' small blocks (slab.h).
 *
 * Why: a sleeping instance's heap is ~1,150 live blocks, 1,124 of them 256
 * bytes or less (most 33-104 bytes: strings, objects, property tables; ~65 KB
 * in all) and ~50 bigger ones (~40 KB: value stacks, the string table,
 * property tables of the big objects).  glibc puts an 8-byte header on each
 * and rounds the chunk to 16 bytes: ~119 KB of chunks for ~104 KB asked for.
 * Here a block costs its class and nothing else (the page's header holds the
 * class), and the classes of the bigger blocks fill a page whole: measured at
 * 10,000 sleepers, 105.3 KiB of pages for 104.8 KiB of blocks per worker.
 *
 * Pages are shared by all instances rather than owned by one: an idle
 * instance's small blocks fall in 22 classes of 8-byte steps, and pages of
 * its own would leave the last page of each class part empty: 66 KB of
 * unused page per instance with 4 KiB pages, 17 KB even with 1 KiB ones
 * (computed from the live blocks of an idle heap), more than glibc's
 * overhead.  Shared, a class has at most one part-used page it is filling
 * for the whole process.  The price of sharing is a lock (one per class, so
 * two runners rarely meet; a trivial run allocates nothing) and that a
 * destroyed instance's blocks leave holes in pages other instances still
 * use; the next instances fill them (a class allocates from the page most
 * recently freed into first).
 *
 * The range is reserved once (PROT_NONE, MAP_NORESERVE: address space only,
 * not charged to the commit limit) and made usable 1 MiB at a time as pages
 * are first needed, so "is this block ours" is `p - base < size` with no
 * lookup.  An empty page goes to a list any class takes from; once
 * AMI__SLAB_RELEASE_AT pages are empty, all but AMI__SLAB_KEEP_EMPTY are
 * given back to the system (madvise DONTNEED: no longer resident, reused
 * before new pages).
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "runtime/slab.h"

#define COMMIT_STEP ((size_t)1 << 20)

/* The classes: 8-byte steps up to 256 bytes (where most blocks are: a step
 * wastes ~3.5 bytes a block, what glibc's 16-byte rounding wasted less its
 * 8-byte header), then steps of ~1/32 up to ~4 KiB, each the biggest multiple
 * of 8 that fits a whole number of times in a page (the rule: for the size s
 * before, k = floor(USABLE / (s + max(s / 32, 8))) slots, class
 * floor(USABLE / k) rounded down to 8), so a page of any class wastes under
 * 1.5 % at its end.  The bigger blocks in the slab rather than malloc: 1.2 KB
 * less RSS per sleeping worker than a slab of blocks up to 256 bytes only
 * (glibc's headers and holes around them). */
static const uint16_t class_size[] = {
    8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128,
    136, 144, 152, 160, 168, 176, 184, 192, 200, 208, 216, 224, 232, 240, 248, 256,
    264, 272, 280, 288, 296, 304, 312, 320, 328, 344, 352, 360, 376, 392, 408, 424,
    440, 456, 472, 488, 504, 528, 544, 568, 592, 616, 640, 664, 696, 720, 744, 776,
    816, 856, 904, 960, 992, 1056, 1128, 1168, 1208, 1256, 1304, 1360, 1416, 1488, 1552, 1632,
    1720, 1816, 1920, 2040, 2176, 2336, 2512, 2728, 2976, 3272, 3632, AMI__SLAB_MAX,
};
#define NCLASS (sizeof class_size / sizeof class_size[0])
_Static_assert(NCLASS == AMI__SLAB_CLASSES, "slab.h's class count");
_Static_assert(AMI__SLAB_MAX <= (AMI__SLAB_PAGE - 32) / 8, "the biggest class fits 8 times in a page");
/* the class of a size, by (size - 1) / 8 (filled once, in reserve) */
static uint8_t class_of[AMI__SLAB_MAX / 8];

/* The header at the start of each page; the blocks follow it. */
typedef struct slab_page {
    struct slab_page *prev, *next;   /* the class's pages with free slots, or the empty list (next) */
    void *free;                      /* freed slots, linked through their first word */
    uint16_t cls;                    /* class index: blocks of class_size[cls] bytes */
    uint16_t used;                   /* live blocks */
    uint16_t bump;                   /* slots never used start here */
    uint16_t cap;                    /* slots in the page */
} slab_page;

#define HDR sizeof(slab_page)   /* 32: keeps the slots 8- (and for 16-multiple classes 16-) aligned */
#define USABLE (AMI__SLAB_PAGE - HDR)

/* One lock per class: two runners allocating different sizes do not meet. */
typedef struct {
    pthread_mutex_t mu;
    slab_page *partial;   /* pages with a free slot */
    size_t blocks;
} __attribute__((aligned(64))) slab_class;

static slab_class classes[NCLASS];

static char *base;            /* the reserved range; NULL: no slab */
static size_t reserved;
static pthread_once_t once = PTHREAD_ONCE_INIT;
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_DEFAULT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_DEFAULT 0
#endif
#endif
#ifndef SLAB_DEFAULT
#define SLAB_DEFAULT 1
#endif
static int enabled = SLAB_DEFAULT;

/* the page pool (under pool_mu) */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t frontier;       /* bytes of the range ever handed out as pages */
static size_t committed;      /* bytes of the range made readable and writable */
static slab_page *empty;      /* empty resident pages */
static size_t n_empty;
static uint32_t *released;    /* page numbers given back to the system */
static size_t n_released, cap_released;
static size_t n_releasing;    /* pages on their way from empty to released (release_batch) */

static void reserve(void)
{
    for (size_t i = 0, c = 0; i < AMI__SLAB_MAX / 8; i++) {
        while (class_size[c] < (i + 1) * 8) c++;
        class_of[i] = (uint8_t)c;
    }
    for (size_t i = 0; i < NCLASS; i++) pthread_mutex_init(&classes[i].mu, NULL);
    /* 64 GiB is ~600,000 idle instances; a smaller range where the address
     * space is limited (ulimit -v), else no slab at all */
    for (size_t want = (size_t)1 << 36; want >= ((size_t)1 << 28); want >>= 2) {
        /* one page more: mmap aligns to the system's page only, and a
         * block's page is found by aligning down to AMI__SLAB_PAGE */
        void *p = mmap(NULL, want + AMI__SLAB_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED) {
            base = (char *)(((uintptr_t)p + AMI__SLAB_PAGE - 1) & ~(uintptr_t)(AMI__SLAB_PAGE - 1));
            reserved = want;
            return;
        }
    }
}

void ami__slab_enable(int on) { __atomic_store_n(&enabled, on ? 1 : 0, __ATOMIC_RELAXED); }
int ami__slab_enabled(void) { return __atomic_load_n(&enabled, __ATOMIC_RELAXED); }

/* An empty page, or NULL (range or memory exhausted). */
static slab_page *page_get(void)
{
    slab_page *p = NULL;
    pthread_mutex_lock(&pool_mu);
    if (empty) {
        p = empty;
        empty = p->next;
        n_empty--;
    } else if (n_released) {
        p = (slab_page *)(base + (size_t)released[--n_released] * AMI__SLAB_PAGE);
    } else if (frontier + AMI__SLAB_PAGE <= reserved) {
        if (frontier + AMI__SLAB_PAGE > committed) {
            size_t step = reserved - committed < COMMIT_STEP ? reserved - committed : COMMIT_STEP;
            if (mprotect(base + committed, step, PROT_READ | PROT_WRITE) == 0) committed += step;
        }
        if (frontier + AMI__SLAB_PAGE <= committed) {
            p = (slab_page *)(base + frontier);
            frontier += AMI__SLAB_PAGE;
        }
    }
    pthread_mutex_unlock(&pool_mu);
    return p;
}

static int cmp_page(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Gives the empty pages beyond AMI__SLAB_KEEP_EMPTY back to the system, in
 * one batch: each madvise of a multi-threaded process flushes the other
 * CPUs' TLBs (an interrupt each), which one call per page made cost ~0.5 s
 * in a teardown of 10,000 coroutines; sorted, the pages of a torn-down heap
 * are mostly runs of neighbours, one call each.  Called with pool_mu held;
 * releases it while the calls run. */
static void release_batch(void)
{
    static uint32_t batch[AMI__SLAB_RELEASE_AT];
    size_t n = 0;
    while (n_empty > AMI__SLAB_KEEP_EMPTY && n < AMI__SLAB_RELEASE_AT) {
        batch[n++] = (uint32_t)(((char *)empty - base) / AMI__SLAB_PAGE);
        empty = empty->next;
        n_empty--;
    }
    n_releasing = n;
    pthread_mutex_unlock(&pool_mu);
    qsort(batch, n, sizeof batch[0], cmp_page);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && batch[j] == batch[j - 1] + 1; j++) {}
        /* a page's header goes with its contents: nothing of it is read
         * again until page_get hands it out and a class sets it up */
        madvise(base + (size_t)batch[i] * AMI__SLAB_PAGE, (j - i) * AMI__SLAB_PAGE, MADV_DONTNEED);
    }
    pthread_mutex_lock(&pool_mu);
    if (n_released + n > cap_released) {
        size_t ncap = cap_released ? cap_released : 1024;
        while (ncap < n_released + n) ncap *= 2;
        uint32_t *grown = realloc(released, ncap * sizeof *grown);
        if (grown) {
            released = grown;
            cap_released = ncap;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (n_released < cap_released) released[n_released++] = batch[i];
        else {
            /* no room to note it: an empty page again (resident once reused) */
            slab_page *p = (slab_page *)(base + (size_t)batch[i] * AMI__SLAB_PAGE);
            p->next = empty;
            empty = p;
            n_empty++;
        }
    }
    n_releasing = 0;
}

static void page_put(slab_page *p)
{
    pthread_mutex_lock(&pool_mu);
    p->next = empty;
    empty = p;
    n_empty++;
    if (n_empty >= AMI__SLAB_RELEASE_AT && !n_releasing) release_batch();
    pthread_mutex_unlock(&pool_mu);
}

static void unlink_partial(slab_class *c, slab_page *p)
{
    if (p->prev) p->prev->next = p->next;
    else c->partial = p->next;
    if (p->next) p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

static void push_partial(slab_class *c, slab_page *p)
{
    p->prev = NULL;
    p->next = c->partial;
    if (c->partial) c->partial->prev = p;
    c->partial = p;
}

void *ami__slab_alloc(size_t size, size_t *got)
{
    if (size == 0 || size > AMI__SLAB_MAX || !__atomic_load_n(&enabled, __ATOMIC_RELAXED)) return NULL;
    pthread_once(&once, reserve);
    if (!base) return NULL;
    unsigned ci = class_of[(size - 1) >> 3];
    size_t csize = class_size[ci];
    slab_class *c = &classes[ci];
    pthread_mutex_lock(&c->mu);
    slab_page *p = c->partial;
    if (!p) {
        p = page_get();
        if (!p) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        p->prev = p->next = NULL;
        p->free = NULL;
        p->cls = (uint16_t)ci;
        p->used = 0;
        p->bump = 0;
        p->cap = (uint16_t)(USABLE / csize);
        c->partial = p;
    }
    void *b = p->free;
    if (b) p->free = *(void **)b;
    else b = (char *)p + HDR + (size_t)p->bump++ * csize;
    if (++p->used == p->cap) unlink_partial(c, p);
    c->blocks++;
    pthread_mutex_unlock(&c->mu);
    *got = csize;
    return b;
}

size_t ami__slab_size(const void *p)
{
    /* base and reserved are set once (pthread_once) before any block exists */
    if ((uintptr_t)p - (uintptr_t)base >= reserved) return 0;   /* no range: reserved is 0 */
    const slab_page *pg = (const slab_page *)((uintptr_t)p & ~(uintptr_t)(AMI__SLAB_PAGE - 1));
    return class_size[pg->cls];
}

size_t ami__slab_round(size_t size)
{
    if (size == 0 || size > AMI__SLAB_MAX) return 0;
    pthread_once(&once, reserve);
    return class_size[class_of[(size - 1) >> 3]];
}

void ami__slab_free(void *b)
{
    slab_page *p = (slab_page *)((uintptr_t)b & ~(uintptr_t)(AMI__SLAB_PAGE - 1));
    slab_class *c = &classes[p->cls];
    pthread_mutex_lock(&c->mu);
    *(void **)b = p->free;
    p->free = b;
    c->blocks--;
    if (p->used-- == p->cap) push_partial(c, p);   /* was full: it has a slot again */
    if (p->used == 0 && (p->prev || p->next)) {
        /* empty and not the class's only page: the class keeps one so that a
         * block allocated and freed over and over does not take a page and
         * give it back each time */
        unlink_partial(c, p);
        pthread_mutex_unlock(&c->mu);
        page_put(p);
        return;
    }
    pthread_mutex_unlock(&c->mu);
}

void ami__slab_stats(ami__slab_stat *out)
{
    pthread_once(&once, reserve);
    size_t blocks = 0, bytes = 0;
    for (size_t i = 0; i < NCLASS; i++) {
        pthread_mutex_lock(&classes[i].mu);
        blocks += classes[i].blocks;
        bytes += classes[i].blocks * class_size[i];
        pthread_mutex_unlock(&classes[i].mu);
    }
    pthread_mutex_lock(&pool_mu);
    out->pages_total = frontier / AMI__SLAB_PAGE;
    out->pages_empty = n_empty;
    out->pages_released = n_released;
    out->pages_used = out->pages_total - n_empty - n_released - n_releasing;
    out->blocks = blocks;
    out->bytes = bytes;
    pthread_mutex_unlock(&pool_mu);
}
