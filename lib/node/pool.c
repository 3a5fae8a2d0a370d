/*
 * The runner pool: a few runner threads (ami_node_options.runner_threads,
 * default the number of cores) run the instances that are ready.  A worker
 * that waits — Stels.sleep, a timer, I/O, a subscription, the loop pacing
 * between iterations, a backoff — holds no thread: it is parked, with its
 * next deadline in a min-heap, until the deadline passes or its instance's
 * `ready` callback (a post from a service thread, a stop) queues it.
 *
 * A worker is in one place at a time (w->sched, under pool.mu): parked
 * (maybe in the heap), queued, or on a runner thread.  Only the thread that
 * took it off the queue calls ami__runner_turn for it, so its heap is used by
 * one thread at a time (the pool's mutex orders the hand-over).
 * Lock order: node->mu, then pool.mu (never node->mu while holding pool.mu).
 */
#define _GNU_SOURCE   /* pthread_setname_np */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>   /* malloc_trim */
#endif
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"

/* ---- the deadline heap (under pool.mu) ---- */

static void heap_set(ami__pool *p, int pos, ami__worker *w)
{
    p->heap[pos] = w;
    w->heap_pos = pos;
}

static void heap_up(ami__pool *p, int pos)
{
    ami__worker *w = p->heap[pos];
    while (pos > 0) {
        int parent = (pos - 1) / 2;
        if (p->heap[parent]->due <= w->due) break;
        heap_set(p, pos, p->heap[parent]);
        pos = parent;
    }
    heap_set(p, pos, w);
}

static void heap_down(ami__pool *p, int pos)
{
    ami__worker *w = p->heap[pos];
    for (;;) {
        int c = 2 * pos + 1;
        if (c >= p->nheap) break;
        if (c + 1 < p->nheap && p->heap[c + 1]->due < p->heap[c]->due) c++;
        if (p->heap[c]->due >= w->due) break;
        heap_set(p, pos, p->heap[c]);
        pos = c;
    }
    heap_set(p, pos, w);
}

static void heap_remove(ami__pool *p, ami__worker *w)
{
    int pos = w->heap_pos;
    if (pos < 0) return;
    w->heap_pos = -1;
    ami__worker *last = p->heap[--p->nheap];
    if (pos < p->nheap) {
        heap_set(p, pos, last);
        heap_up(p, pos);
        heap_down(p, last->heap_pos);
    }
}

/* 0, or -1 when out of memory (the worker is then queued instead: it polls). */
static int heap_add(ami__pool *p, ami__worker *w)
{
    if (p->nheap == p->capheap) {
        int ncap = p->capheap ? p->capheap * 2 : 256;
        ami__worker **h = realloc(p->heap, (size_t)ncap * sizeof *h);
        if (!h) return -1;
        p->heap = h;
        p->capheap = ncap;
    }
    heap_set(p, p->nheap++, w);
    heap_up(p, w->heap_pos);
    return 0;
}

/* ---- the ready queue (under pool.mu) ---- */

static void enqueue(ami__pool *p, ami__worker *w)
{
    w->sched = AMI__SCHED_QUEUED;
    w->qnext = NULL;
    if (p->qtail) p->qtail->qnext = w; else p->qhead = w;
    p->qtail = w;
    pthread_cond_signal(&p->cv);
}

static ami__worker *dequeue(ami__pool *p)
{
    ami__worker *w = p->qhead;
    if (w) {
        p->qhead = w->qnext;
        if (!p->qhead) p->qtail = NULL;
        w->qnext = NULL;
    }
    return w;
}

void ami__pool_add(ami_node *node, ami__worker *w)
{
    ami__pool *p = &node->pool;
    pthread_mutex_lock(&p->mu);
    w->again = 0;
    w->heap_pos = -1;
    enqueue(p, w);
    pthread_mutex_unlock(&p->mu);
}

void ami__pool_wake(ami_node *node, ami__worker *w)
{
    ami__pool *p = &node->pool;
    pthread_mutex_lock(&p->mu);
    switch (w->sched) {
    case AMI__SCHED_PARKED:
        heap_remove(p, w);
        enqueue(p, w);
        break;
    case AMI__SCHED_RUNNING:
        w->again = 1;   /* queued again when its turn ends */
        break;
    default:          /* queued already, or not in the pool */
        break;
    }
    pthread_mutex_unlock(&p->mu);
}

void ami__pool_ready(void *payload)
{
    ami__worker *w = payload;
    ami__pool_wake(w->node, w);
}

void ami__pool_leave(ami_node *node, ami__worker *w)
{
    pthread_mutex_lock(&node->pool.mu);
    w->sched = AMI__SCHED_NONE;
    w->again = 0;
    pthread_mutex_unlock(&node->pool.mu);
}

/* ---- runner threads ----
 *
 * A turn that runs long holds its runner: a script in a synchronous loop
 * until its slice ends (seconds), a slow synchronous store call.  With only
 * `runner_threads` runners, a few such workers would hold every runner and
 * the others — ready, or with a deadline passed — would wait for the slices
 * of strangers.  So the pool is elastic: a stall watch notices when work is
 * ready while every runner is in a turn that began AMI__POOL_STALL_MS ago or
 * more and has burnt AMI__POOL_STALL_CPU_MS of CPU in it (counted from the
 * watch's first look at the turn, sample_turns; a runner waiting on
 * a lock or the disk is not held by a script, and another thread would only
 * wait beside it), and adds an extra runner (up to AMI__POOL_EXTRA_MAX more); an extra runner that finds nothing
 * to do for AMI__POOL_RETIRE_MS exits.  A backlog of short turns (10,000
 * workers starting) is not a stall: more threads would not make the cores
 * faster.  The watch sleeps while no runner is
 * busy, so an idle node pays nothing for it.
 */

#define AMI__POOL_STALL_MS 50
#define AMI__POOL_STALL_CPU_MS 10
#define AMI__POOL_RETIRE_MS 2000
#define AMI__POOL_EXTRA_MAX 64

typedef struct {
    ami_node *node;
    int slot;
} runner_arg;

/* Wait for work until `due` (< 0: no deadline), for at most `cap_ms` (< 0: no
 * cap); 1 when the wait ran out, else 0. */
static int64_t cpu_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts)) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int wait_until(ami__pool *p, int64_t due, int64_t cap_ms)
{
    int64_t now = ami_time_mono_ms();
    if (cap_ms >= 0 && (due < 0 || due > now + cap_ms)) due = now + cap_ms;
    p->nidle++;
    int rc = 0;
    if (due < 0) {
        pthread_cond_wait(&p->cv, &p->mu);
    } else if (due > now) {
        rc = ami__cond_wait_mono_ms(&p->cv, &p->mu, due - now) == ETIMEDOUT;
    }
    p->nidle--;
    return rc;
}

static void *runner_thread(void *arg)
{
    runner_arg a = *(runner_arg *)arg;
    free(arg);
    ami_node *node = a.node;
    ami__pool *p = &node->pool;
    int extra = a.slot >= p->nbase;
    int64_t idle_since = ami_time_mono_ms();
    ami__worker *keep = NULL;   /* ready again after its turn */
    pthread_mutex_lock(&p->mu);
    while (!p->quit) {
        /* deadlines that passed make their workers ready, earliest first */
        int64_t now = ami_time_mono_ms();
        while (p->nheap && p->heap[0]->due <= now) {
            ami__worker *w = p->heap[0];
            heap_remove(p, w);
            enqueue(p, w);
        }
        ami__worker *w = keep;
        keep = NULL;
        if (!w || p->qhead) {
            if (w) enqueue(p, w);   /* at the tail: the others that are ready go first */
            w = dequeue(p);
        }
        if (!w) {
            if (extra && now - idle_since >= AMI__POOL_RETIRE_MS) break;   /* not needed any more */
            wait_until(p, p->nheap ? p->heap[0]->due : -1, extra ? AMI__POOL_RETIRE_MS : -1);
            continue;
        }
        w->sched = AMI__SCHED_RUNNING;
        w->again = 0;
        if (p->nbusy++ == 0) pthread_cond_signal(&p->watch_cv);
        p->slot[a.slot].turn_at = now;
        p->slot[a.slot].turn_seq++;   /* the watch samples its CPU clock (no syscall a turn here) */
        pthread_mutex_unlock(&p->mu);
        int64_t due = ami__runner_turn(node, w);
        pthread_mutex_lock(&p->mu);
        p->slot[a.slot].turn_at = 0;
        p->nbusy--;
        idle_since = ami_time_mono_ms();   /* also "now" for the due check: one clock read a turn fewer */
        if (due == AMI__TURN_EXIT) continue;   /* left the pool (w may be gone) */
        if (w->again || (due >= 0 && due <= idle_since)) {
            keep = w;
            continue;
        }
        w->sched = AMI__SCHED_PARKED;
        w->due = due;
        if (due >= 0) {
            if (heap_add(p, w)) enqueue(p, w);   /* no memory for the heap: it polls */
            else if (w->heap_pos == 0) pthread_cond_signal(&p->cv);   /* a new earliest deadline */
        }
    }
    if (keep) enqueue(p, keep);   /* never happens at quit (quit empties the pool first); kept for safety */
    p->slot[a.slot].live = 2;
    p->nlive--;
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Start a runner in `slot` (under mu when the pool runs); 0 or the pthread error. */
static int runner_spawn(ami_node *node, int slot)
{
    ami__pool *p = &node->pool;
    runner_arg *a = malloc(sizeof *a);
    if (!a) return ENOMEM;
    a->node = node;
    a->slot = slot;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, AMI__NODE_STACK_BYTES);
    int rc = pthread_create(&p->slot[slot].thr, &attr, runner_thread, a);
    pthread_attr_destroy(&attr);
    if (rc) { free(a); return rc; }
    if (pthread_getcpuclockid(p->slot[slot].thr, &p->slot[slot].cpu_clock)) p->slot[slot].cpu_clock = CLOCK_MONOTONIC;   /* counts as busy */
    char name[16];
    snprintf(name, sizeof name, slot < p->nbase ? "ami-run%d" : "ami-runx%d", slot % 1000);
    pthread_setname_np(p->slot[slot].thr, name);
    p->slot[slot].live = 1;
    p->nlive++;
    return 0;
}

/* The CPU clock of each runner in a turn the watch has not seen yet: the CPU
 * a turn burnt counts from there, at most one watch period (STALL_MS / 2)
 * after the turn began, which the STALL_MS a turn must last leaves room for.
 * Read by the runner at each turn's start, it was a syscall a turn (a short
 * turn of a zero-delay loop is ~0.1 ms).  Under mu. */
static void sample_turns(ami__pool *p)
{
    for (int i = 0; i < p->nslots; i++) {
        ami__runner_slot *s = &p->slot[i];
        /* a turn on a live runner: its thread and clock exist until the turn ends (under mu) */
        if (s->live != 1 || !s->turn_at || s->seen_seq == s->turn_seq) continue;
        s->seen_seq = s->turn_seq;
        s->seen_cpu = cpu_ns(s->cpu_clock);
    }
}

/* Whether work is waiting while every runner is held by a long turn (under
 * mu; after sample_turns). */
static int stalled(ami__pool *p, int64_t now)
{
    if (p->nidle > 0 || !(p->qhead || (p->nheap && p->heap[0]->due <= now))) return 0;
    for (int i = 0; i < p->nslots; i++) {
        ami__runner_slot *s = &p->slot[i];
        if (s->live != 1) continue;
        if (!s->turn_at || now - s->turn_at < AMI__POOL_STALL_MS) return 0;
        if (cpu_ns(s->cpu_clock) - s->seen_cpu < (int64_t)AMI__POOL_STALL_CPU_MS * 1000000) return 0;
    }
    return 1;
}

static void *watch_thread(void *arg)
{
    ami_node *node = arg;
    ami__pool *p = &node->pool;
    pthread_mutex_lock(&p->mu);
    while (!p->quit) {
        if (p->nbusy == 0) {   /* nothing can hold a runner: sleep until a turn begins */
            pthread_cond_wait(&p->watch_cv, &p->mu);
            continue;
        }
        sample_turns(p);
        if (stalled(p, ami_time_mono_ms())) {
            for (int i = p->nbase; i < p->nslots; i++) {
                if (p->slot[i].live == 1) continue;
                if (p->slot[i].live == 2) {   /* an extra runner that retired: reap it, then reuse the slot */
                    pthread_mutex_unlock(&p->mu);
                    pthread_join(p->slot[i].thr, NULL);
                    pthread_mutex_lock(&p->mu);
                    p->slot[i].live = 0;
                }
                if (!p->quit && runner_spawn(node, i) == 0)
                    ami__log(AMI__LOG_INFO, "node %s: every runner held for %d ms: extra runner %d (%d running)",
                             node->nid, AMI__POOL_STALL_MS, i, p->nlive);
                break;
            }
        }
        ami__cond_wait_ms(&p->watch_cv, &p->mu, AMI__POOL_STALL_MS / 2);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the allocator's trim of transient big values ----
 *
 * A script writing 60 KB values in a loop allocates and frees, each
 * iteration, a few blocks of 60–150 KB (its string, the JSON text, the parsed
 * copy that checks it, SQLite's record inside the write transaction).  They
 * are under glibc's mmap threshold (128 KiB at first), so they come from the
 * runner thread's malloc arena, and freeing them leaves more than the trim
 * threshold (also 128 KiB at first) free at the arena's top: glibc gives the
 * pages back (madvise, which flushes the TLB of the other cores running this
 * process: an interrupt to the neighbour's runner) and the next iteration
 * faults them in again, ~64 pages.  The writer ran 2–5 times slower, and the
 * free inside SQLite's commit held the store's one writer ~0.5 ms instead of
 * ~0.05 ms, which the neighbours' commits waited for (docs/reliability.md,
 * "Big values beside a neighbour").  Nothing at these sizes is ever mmapped,
 * so glibc's dynamic thresholds — raised to a freed mapped block's size, the
 * trim threshold to twice that (mallopt(3)) — never move, unless something
 * else in the process happened to free a big block first (which is why the
 * bench row was fast in a full run and slow alone).  So the first pool of the
 * process frees one mapped block of PRIME_BYTES: the thresholds become what
 * such a free would make them anyway (1 MiB and 2 MiB), no setting is pinned
 * (an embedder's own mallopt still wins: with thresholds set, the free moves
 * nothing), and an arena keeps at most 2 MiB free at its top for reuse. */
#define PRIME_BYTES (1u << 20)

static void prime_malloc_once(void)
{
#ifdef __GLIBC__
    void *volatile block = malloc(PRIME_BYTES);   /* volatile: the pair is not elided */
    free(block);
#endif
}

static pthread_once_t prime_once = PTHREAD_ONCE_INIT;

void ami__pool_trim(ami_node *node)
{
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    malloc_trim(0);
#endif
    pthread_mutex_lock(&node->mu);
    node->trims++;
    pthread_mutex_unlock(&node->mu);
}

int ami__pool_start(ami_node *node)
{
    ami__pool *p = &node->pool;
    pthread_once(&prime_once, prime_malloc_once);
    int n = node->o.runner_threads;
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)(cores > 256 ? 256 : cores) : 2;
    }
    p->nbase = n;
    p->nslots = n + AMI__POOL_EXTRA_MAX;
    p->slot = calloc((size_t)p->nslots, sizeof *p->slot);
    if (!p->slot) return ami__error_oom();
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < n && !rc; i++) rc = runner_spawn(node, i);
    int started = p->nlive;
    pthread_mutex_unlock(&p->mu);
    if (rc && !started) {
        free(p->slot);
        p->slot = NULL;
        return ami__error_set(AMI_ENOMEM, "cannot create runner threads: %s", strerror(rc));
    }
    /* without the watch the pool still runs, only not elastically */
    if (pthread_create(&p->watch, NULL, watch_thread, node) == 0) {
        pthread_setname_np(p->watch, "ami-poolwatch");
        p->watch_live = 1;
    }
    return 0;
}

void ami__pool_stop(ami_node *node)
{
    ami__pool *p = &node->pool;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_cond_broadcast(&p->watch_cv);
    pthread_mutex_unlock(&p->mu);
    if (p->watch_live) pthread_join(p->watch, NULL);
    p->watch_live = 0;
    for (int i = 0; i < p->nslots; i++)
        if (p->slot[i].live) pthread_join(p->slot[i].thr, NULL);
    p->nslots = p->nbase = p->nlive = 0;
    free(p->slot);
    p->slot = NULL;
}

void ami__pool_init(ami__pool *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    ami__cond_init_mono(&p->cv);
    pthread_cond_init(&p->watch_cv, NULL);   /* wall clock, as ami__cond_wait_ms expects */
}

void ami__pool_destroy(ami__pool *p)
{
    free(p->heap);
    p->heap = NULL;
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->watch_cv);
    pthread_mutex_destroy(&p->mu);
}
