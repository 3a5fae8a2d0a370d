/*
 * The limits of an instance: the counting allocator (heap cap, allocations
 * refused while a run is torn down) and Duktape's exec-timeout hook (stop,
 * lost lease, slice limit).
 */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <malloc.h>   /* malloc_usable_size */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runtime/internal.h"
#include "runtime/slab.h"
#include "util/util.h"

/* ---- counting allocator ----
 * Blocks of up to AMI__SLAB_MAX bytes (4 KiB) come from the size-class slab
 * (slab.c: no per-block header, pages shared by instances and filled by the
 * same classes again; all of an idle heap's blocks), bigger ones from malloc.  The count is what each block holds: its class for the
 * slab's, what malloc reports usable for malloc's; a size header of our own
 * would add 16 bytes to each of a heap's ~1,150 blocks. */

/* A block of `size` bytes and in *got what it holds, without the limit's
 * checks. */
static void *block_alloc(size_t size, size_t *got)
{
    void *p = ami__slab_alloc(size, got);
    if (p) return p;
    p = malloc(size);
    if (p) *got = malloc_usable_size(p);
    return p;
}

/* What a block of `size` bytes will count, as near as is known before it
 * exists: its class in the slab (up to 1/8 more than asked for a block of
 * 3-4 KiB), so that the limit is never passed; malloc's rounding (up to 24
 * bytes) is not known in advance. */
static size_t charge(size_t size)
{
    size_t c = ami__slab_enabled() ? ami__slab_round(size) : 0;
    return c ? c : size;
}

/* What a block holds: its class when it is the slab's, else malloc's usable size. */
static size_t block_size(void *p)
{
    size_t n = ami__slab_size(p);
    return n ? n : malloc_usable_size(p);
}

static void block_free(void *p)
{
    if (ami__slab_size(p)) ami__slab_free(p);
    else free(p);
}

static void count_add(ami_runtime *r, size_t add, size_t sub)
{
    size_t used = r->heap_used + add - sub;
    __atomic_store_n(&r->heap_used, used, __ATOMIC_RELAXED);
    if (used > r->heap_peak) __atomic_store_n(&r->heap_peak, used, __ATOMIC_RELAXED);
}

/* While a run is being torn down (stop, lost lease, slice), refuse
 * allocations: Duktape counts only bytecode instructions between interrupt
 * checks, so a loop spending its time in allocating built-ins (join, concat,
 * …) would otherwise take minutes to reach the next check.  A refused
 * allocation makes the built-in throw at once.
 *
 * Allocations of at least AMI__ALLOC_BLOCK_MIN bytes
 * are refused, and smaller ones too while the heap is small.  On a heap of
 * AMI__ALLOC_BIG_HEAP or more, a small one is refused at most every
 * AMI__ALLOC_REFUSE_GAP_MS (the first that long after the teardown began):
 * Duktape answers a refused allocation with up to ten full collections and
 * retries, which on a big heap takes a while, and
 * refusing every small block (each error object, each property table) made a
 * stop take seconds; but one refusal is needed to end a built-in that runs
 * without interrupts (catastrophic RegExp backtracking allocates small blocks).
 */
#define AMI__ALLOC_BLOCK_MIN 1024
#define AMI__ALLOC_REFUSE_GAP_MS 100
#define AMI__ALLOC_BIG_HEAP ((size_t)4 << 20)
#define AMI__ALLOC_RETRIES 11     /* first try + DUK_HEAP_ALLOC_FAIL_MARKANDSWEEP_LIMIT */

static int refuse_small(ami_runtime *r, size_t size)
{
    if (r->heap_used < AMI__ALLOC_BIG_HEAP) return 1;   /* collections are cheap: refuse them all */
    int64_t now = ami_time_mono_ms();
    if (r->refuse_left > 0) {
        /* refusing one request and its retries; the collections between them
         * allocate other sizes (compaction), which go through */
        if (size == r->refuse_size && now - r->refuse_end < 1000) {
            if (--r->refuse_left == 0) r->refuse_end = now;
            return 1;
        }
        if (now - r->refuse_end < 1000) return 0;
        r->refuse_left = 0;   /* the request was not retried to the end */
        r->refuse_end = now;
    }
    if (now - r->refuse_end > 2000) {
        /* a new teardown: give the interrupt a first chance (a bytecode loop
         * ends at the next check without any collection) */
        r->refuse_end = now;
        return 0;
    }
    if (now - r->refuse_end < AMI__ALLOC_REFUSE_GAP_MS) return 0;
    r->refuse_size = size;
    r->refuse_left = AMI__ALLOC_RETRIES - 1;
    r->refuse_end = now;   /* while refusing: when it started */
    return 1;
}

/* On a big heap big blocks are refused as sparingly as small ones: until the
 * next interrupt (up to 256k bytecode instructions) a loop that allocates
 * (a 30,000-link promise chain being built) otherwise met a refusal, ten
 * collections of a deep heap and an error at nearly every step: seconds. */
static int refuse(ami_runtime *r, size_t size)
{
    return (size >= AMI__ALLOC_BLOCK_MIN && r->heap_used < AMI__ALLOC_BIG_HEAP) || refuse_small(r, size);
}

/* A stop or slice limit is due: the next instruction ends the run, and
 * allocations are refused now and then for built-ins that run long without
 * instructions (catastrophic RegExp backtracking). */
static int due(ami_runtime *r, size_t size)
{
    if (r->ctx) ami__duk_interrupt_now(r->ctx);
    return refuse(r, size);
}

static int alloc_blocked(ami_runtime *r, size_t size)
{
    if (!r->running) return 0;
    if (r->abort || __atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
        if (!ami__runtime_exec_timeout_check(r)) return 0;
        return due(r, size);
    }
    if (++r->alloc_tick & 63) return 0;   /* look at the clock now and then */
    return ami__runtime_exec_timeout_check(r) && due(r, size);
}

void *ami__runtime_alloc(void *udata, duk_size_t size)
{
    ami_runtime *r = udata;
    if (size == 0) return NULL;
    if (alloc_blocked(r, size)) return NULL;
    if (r->heap_used + charge(size) > r->heap_max) { r->heap_hit = 1; return NULL; }
    size_t got;
    void *p = block_alloc(size, &got);
    if (!p) return NULL;
    count_add(r, got, 0);
    return p;
}

void ami__runtime_free_block(void *udata, void *ptr)
{
    ami_runtime *r = udata;
    if (!ptr) return;
    count_add(r, 0, block_size(ptr));
    block_free(ptr);
}

void *ami__runtime_realloc(void *udata, void *ptr, duk_size_t size)
{
    ami_runtime *r = udata;
    if (!ptr) return ami__runtime_alloc(udata, size);
    if (size == 0) { ami__runtime_free_block(udata, ptr); return NULL; }
    size_t slab_old = ami__slab_size(ptr);
    size_t old = block_size(ptr);
    if (size > old && alloc_blocked(r, size)) return NULL;
    if (size > old && r->heap_used + (charge(size) - old) > r->heap_max) { r->heap_hit = 1; return NULL; }
    if (slab_old ? ami__slab_round(size) == slab_old : size > AMI__SLAB_MAX || !ami__slab_enabled()) {
        if (slab_old) return ptr;   /* the same class */
        void *q = realloc(ptr, size);
        if (!q) return NULL;
        count_add(r, malloc_usable_size(q), old);
        return q;
    }
    /* into another class, or between the slab and malloc (a block shrunk to
     * a small size moves into the slab, one grown past it out) */
    size_t got;
    void *q = block_alloc(size, &got);
    if (!q) return NULL;
    memcpy(q, ptr, size < old ? size : old);
    block_free(ptr);
    count_add(r, got, old);
    return q;
}

void ami__runtime_fatal(void *udata, const char *msg)
{
    (void)udata;
    /* Duktape cannot continue after a fatal error (it only happens outside a
     * protected call, i.e. a libami bug); there is no safe way back. */
    fprintf(stderr, "libami: fatal Duktape error: %s\n", msg ? msg : "(none)");
    abort();
}

/* The slice clock: the coarse monotonic clock (a few ms resolution) costs a
 * memory read, where the precise one is a third of a trivial run's time on
 * some virtual machines. */
int64_t ami__runtime_slice_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Called by Duktape every ~256k bytecode instructions (duk_config.h). */
int ami__runtime_exec_timeout_check(void *udata)
{
    ami_runtime *r = udata;
    if (!r || r->resetting) return 0;
    if (r->abort) return 1;
    int s = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
    if (s) { r->abort = s; return 1; }
    /* Duktape also calls this once per entry from C (every run): that first
     * call of a slice does not read the clock, and the slice is stamped with
     * its start time at the second (one interrupt interval, a few ms, late),
     * so a trivial run never reads the clock. */
    if (r->slice_deadline && ++r->hook_ticks > 1) {
        int64_t now = ami__runtime_slice_clock();
        if (r->slice_deadline == AMI__SLICE_ARMED) r->slice_deadline = now + r->slice_ms;
        else if (now > r->slice_deadline) {
            r->abort = AMI__ABORT_SLICE;
            return 1;
        }
    }
    return 0;
}
