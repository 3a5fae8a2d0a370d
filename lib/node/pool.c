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

/* ---- runner threads ---- */

static void wait_until(ami__pool *p, int64_t due)
{
    if (due < 0) {
        pthread_cond_wait(&p->cv, &p->mu);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t left = due - ami_time_mono_ms();
    if (left <= 0) return;
    ts.tv_sec += (time_t)(left / 1000);
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

static void *runner_thread(void *arg)
{
    ami_node *node = arg;
    ami__pool *p = &node->pool;
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
            wait_until(p, p->nheap ? p->heap[0]->due : -1);
            continue;
        }
        w->sched = AMI__SCHED_RUNNING;
        w->again = 0;
        pthread_mutex_unlock(&p->mu);
        int64_t due = ami__runner_turn(node, w);
        pthread_mutex_lock(&p->mu);
        if (due == AMI__TURN_EXIT) continue;   /* left the pool (w may be gone) */
        if (w->again || (due >= 0 && due <= ami_time_mono_ms())) {
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
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int ami__pool_start(ami_node *node)
{
    ami__pool *p = &node->pool;
    int n = node->o.runner_threads;
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)(cores > 256 ? 256 : cores) : 2;
    }
    p->thr = calloc((size_t)n, sizeof *p->thr);
    if (!p->thr) return ami__error_oom();
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, AMI__NODE_STACK_BYTES);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        rc = pthread_create(&p->thr[i], &attr, runner_thread, node);
        if (rc) break;
        char name[16];
        snprintf(name, sizeof name, "ami-run%d", i % 1000);
        pthread_setname_np(p->thr[i], name);
        p->nthr++;
    }
    pthread_attr_destroy(&attr);
    if (rc && !p->nthr) return ami__error_set(AMI_ENOMEM, "cannot create runner threads: %s", strerror(rc));
    return 0;
}

void ami__pool_stop(ami_node *node)
{
    ami__pool *p = &node->pool;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthr; i++) pthread_join(p->thr[i], NULL);
    p->nthr = 0;
    free(p->thr);
    p->thr = NULL;
}

void ami__pool_init(ami__pool *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
}

void ami__pool_destroy(ami__pool *p)
{
    free(p->heap);
    p->heap = NULL;
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}
