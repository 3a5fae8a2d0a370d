/*
 * The instance loop's I/O sources (loop.h): descriptors served on the
 * instance's own thread.  A request's bytes go out and come back on the
 * thread that runs the script, so a fetch costs two thread crossings (to the
 * server and back), as a plain C client does, instead of four through a
 * service thread.
 *
 * Who polls the descriptors:
 * - a blocking wrapper (ami_runtime_run, ami_runtime_pump) that waits polls
 *   them itself, with the instance's eventfd: a post or a stop writes it;
 * - an instance a scheduler drives (ami_runtime_step with a `ready` callback)
 *   is parked between its turns: the process-wide watcher thread polls a
 *   snapshot of its descriptors and, when one is ready or the deadline
 *   passed, takes it back and posts an empty task (the `ready` callback then
 *   schedules the instance, whose next turn serves the sources).
 */
#define _GNU_SOURCE   /* pthread_setname_np */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "runtime/internal.h"
#include "core/core.h"
#include "util/util.h"

/* ---- sources ---- */

void ami__loop_add_io(ami_runtime *r, ami__io_source *s)
{
    s->next = r->loop.io;
    r->loop.io = s;
    r->loop.io_gen++;
}

void ami__loop_remove_io(ami_runtime *r, ami__io_source *s)
{
    ami__loop_io_unpark(r);
    for (ami__io_source **pp = &r->loop.io; *pp; pp = &(*pp)->next)
        if (*pp == s) { *pp = s->next; break; }
    s->next = NULL;
    r->loop.io_gen++;
}

/* Gather the sources' descriptors into r->loop.pfd from index `first`; the
 * count (from first) or -1 when out of memory; *due lowered to their deadline. */
static int gather(ami_runtime *r, int first, int64_t *due)
{
    ami__loop *l = &r->loop;
    int n = first;
    l->rev_valid = 0;
    for (ami__io_source *s = l->io; s; s = s->next) {
        for (;;) {
            int room = l->pfd_cap - n;
            int k = s->fds(s, room > 0 ? l->pfd + n : NULL, room > 0 ? room : 0, due);
            if (k <= room) { s->rev_at = n; s->nrev = k; n += k; break; }
            int cap = l->pfd_cap ? l->pfd_cap : 8;
            while (cap < n + k) cap *= 2;
            struct pollfd *p = realloc(l->pfd, (size_t)cap * sizeof *p);
            if (!p) return -1;
            l->pfd = p;
            l->pfd_cap = cap;
        }
    }
    return n - first;
}

int64_t ami__loop_io_due(ami_runtime *r)
{
    int64_t due = -1;
    for (ami__io_source *s = r->loop.io; s; s = s->next) s->fds(s, NULL, 0, &due);
    return due;
}

const struct pollfd *ami__loop_io_polled(ami_runtime *r, const ami__io_source *s, int *n)
{
    if (!r->loop.rev_valid || r->loop.rev_gen != r->loop.io_gen) return NULL;
    *n = s->nrev;
    return r->loop.pfd + s->rev_at;
}

void ami__loop_io_run(ami_runtime *r)
{
    if (!r->loop.io) return;
    ami__loop_io_unpark(r);
    unsigned gen = r->loop.io_gen;
    for (ami__io_source *s = r->loop.io, *next; s; s = next) {
        next = s->next;
        s->run(s);
        /* a task run from the source (ami__loop_run_now) added or removed sources:
         * `next` may be gone; the rest are served in the next turn */
        if (r->loop.io_gen != gen) break;
    }
    r->loop.rev_valid = 0;   /* what the wait saw is used once */
}

void ami__loop_io_end(ami_runtime *r)
{
    for (ami__io_source *s = r->loop.io, *next; s; s = next) {
        next = s->next;
        if (s->end) s->end(s);
    }
}

/* ---- a blocking wrapper's wait ---- */

void ami__loop_io_kick(ami_runtime *r)
{
    if (r->loop.io_wait && r->loop.wake_open) {
        uint64_t one = 1;
        ssize_t n = write(r->loop.wake_fd, &one, sizeof one);
        (void)n;   /* EAGAIN: the counter is full, the poll wakes anyway */
    }
}

int ami__loop_io_wait(ami_runtime *r, int64_t deadline)
{
    ami__loop *l = &r->loop;
    if (!l->io) return 0;
    if (!l->wake_open) {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) return 0;
        l->wake_fd = fd;
        l->wake_open = 1;
    }
    if (!l->pfd_cap) {
        if (!(l->pfd = malloc(8 * sizeof *l->pfd))) return 0;
        l->pfd_cap = 8;
    }
    int64_t due = -1;
    int n = gather(r, 1, &due);
    if (n <= 0) return 0;   /* nothing to poll (or no memory): the condition variable then */
    l->pfd[0].fd = l->wake_fd;
    l->pfd[0].events = POLLIN;
    l->pfd[0].revents = 0;
    if (deadline < 0 || (due >= 0 && due < deadline)) deadline = due;
    pthread_mutex_lock(&r->mu);
    if (l->head || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        pthread_mutex_unlock(&r->mu);
        return 1;
    }
    l->io_wait = 1;
    pthread_mutex_unlock(&r->mu);
    int64_t now = ami_time_mono_ms();
    int timeout = deadline < 0 ? 60000 : deadline <= now ? 0 : deadline - now > 60000 ? 60000 : (int)(deadline - now);
    int rc = poll(l->pfd, (nfds_t)n + 1, timeout);
    pthread_mutex_lock(&r->mu);
    l->io_wait = 0;
    pthread_mutex_unlock(&r->mu);
    /* the sources' runs of the next turn read what this poll saw instead of polling again
     * (a source added or removed meanwhile makes the gather stale: see ami__loop_io_run) */
    l->rev_valid = rc >= 0;
    l->rev_gen = l->io_gen;
    if (rc > 0 && l->pfd[0].revents) {
        uint64_t v;
        ssize_t k = read(l->wake_fd, &v, sizeof v);
        (void)k;
    }
    return 1;
}

/* ---- the watcher of parked instances ---- */

static pthread_once_t w_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t w_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t w_cv = PTHREAD_COND_INITIALIZER;   /* a post to a woken instance ended */
static int w_ok, w_fd = -1;
static ami_runtime *w_parked;    /* under w_mu */
static uint64_t w_seq;

static void *watcher_main(void *arg);

static void watcher_init(void)
{
    w_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w_fd < 0) return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, watcher_main, NULL) == 0) {
        w_ok = 1;
        pthread_setname_np(t, "ami-iowatch");
    }
    pthread_attr_destroy(&attr);
}

static void noop_task(duk_context *ctx, void *data)
{
    (void)ctx;
    (void)data;
}

typedef struct { ami_runtime *r; uint64_t seq; } owner_ref;

static void *watcher_main(void *arg)
{
    (void)arg;
    struct pollfd *pfd = NULL;
    owner_ref *own = NULL;
    ami_runtime **woken = NULL;
    size_t cap = 0, wcap = 0;
    for (;;) {
        /* the snapshot: our eventfd, then the parked instances' descriptors */
        pthread_mutex_lock(&w_mu);
        size_t n = 1, ninst = 0;
        int64_t due = -1;
        for (ami_runtime *r = w_parked; r; r = r->loop.park_next) {
            ninst++;
            if (r->loop.park_due >= 0 && (due < 0 || r->loop.park_due < due)) due = r->loop.park_due;
            if (n + (size_t)r->loop.npfd > cap) {
                size_t ncap = cap ? cap : 64;
                while (ncap < n + (size_t)r->loop.npfd) ncap *= 2;
                struct pollfd *p = realloc(pfd, ncap * sizeof *p);
                if (p) pfd = p;
                owner_ref *o = realloc(own, ncap * sizeof *o);
                if (o) own = o;
                if (!p || !o) continue;   /* no memory: its deadline still counts, the scheduler polls it too */
                cap = ncap;
            }
            for (int i = 0; i < r->loop.npfd; i++, n++) {
                pfd[n] = r->loop.pfd[i];
                pfd[n].revents = 0;
                own[n].r = r;
                own[n].seq = r->loop.park_seq;
            }
        }
        if (ninst > wcap) {
            ami_runtime **wk = realloc(woken, ninst * sizeof *wk);
            if (wk) { woken = wk; wcap = ninst; }
        }
        pthread_mutex_unlock(&w_mu);
        if (!pfd) {
            if (!(pfd = malloc(64 * sizeof *pfd)) || !(own = malloc(64 * sizeof *own))) { sleep(1); continue; }
            cap = 64;
        }
        pfd[0].fd = w_fd;
        pfd[0].events = POLLIN;
        pfd[0].revents = 0;
        int64_t now = ami_time_mono_ms();
        int timeout = due < 0 ? 60000 : due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
        int rc = poll(pfd, (nfds_t)n, timeout);
        if (rc < 0 && errno != EINTR) usleep(1000);
        if (pfd[0].revents) {
            uint64_t v;
            ssize_t k = read(w_fd, &v, sizeof v);
            (void)k;
        }
        /* which parked instances are ready: take them back from the list, then post */
        pthread_mutex_lock(&w_mu);
        now = ami_time_mono_ms();
        size_t nw = 0;
        for (ami_runtime **pp = &w_parked; *pp;) {
            ami_runtime *r = *pp;
            int hit = r->loop.park_due >= 0 && r->loop.park_due <= now;
            for (size_t i = 1; !hit && rc > 0 && i < n; i++)
                if (pfd[i].revents && own[i].r == r && own[i].seq == r->loop.park_seq) hit = 1;
            if (hit && nw < wcap) {
                *pp = r->loop.park_next;
                r->loop.park_next = NULL;
                __atomic_store_n(&r->loop.parked, 0, __ATOMIC_RELEASE);
                r->loop.waking = 1;
                woken[nw++] = r;
            } else {
                pp = &r->loop.park_next;
            }
        }
        pthread_mutex_unlock(&w_mu);
        for (size_t i = 0; i < nw; i++) {
            ami__loop_post(woken[i], noop_task, NULL, NULL);   /* refused when stopping: the stop wakes it */
            pthread_mutex_lock(&w_mu);
            woken[i]->loop.waking = 0;
            pthread_cond_broadcast(&w_cv);
            pthread_mutex_unlock(&w_mu);
        }
    }
    return NULL;
}

void ami__loop_io_park(ami_runtime *r)
{
    ami__loop *l = &r->loop;
    if (!l->io || l->parked) return;
    int64_t due = -1;
    int n = gather(r, 0, &due);
    if (n < 0 || (n == 0 && due < 0)) return;   /* nothing to watch (a deadline alone: the scheduler has it) */
    pthread_once(&w_once, watcher_init);
    if (!w_ok) return;
    pthread_mutex_lock(&w_mu);
    l->npfd = n;
    l->park_due = due;
    l->park_seq = ++w_seq;
    __atomic_store_n(&l->parked, 1, __ATOMIC_RELEASE);
    l->park_next = w_parked;
    w_parked = r;
    pthread_mutex_unlock(&w_mu);
    uint64_t one = 1;
    ssize_t k = write(w_fd, &one, sizeof one);
    (void)k;
}

void ami__loop_io_unpark(ami_runtime *r)
{
    if (!__atomic_load_n(&r->loop.parked, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&w_mu);
    if (r->loop.parked) {
        for (ami_runtime **pp = &w_parked; *pp; pp = &(*pp)->loop.park_next)
            if (*pp == r) { *pp = r->loop.park_next; break; }
        r->loop.park_next = NULL;
        __atomic_store_n(&r->loop.parked, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&w_mu);
}

void ami__loop_io_dispose(ami_runtime *r)
{
    ami__loop_io_unpark(r);
    if (w_ok) {
        /* the watcher may be posting to us: wait for it (it never touches r afterwards) */
        pthread_mutex_lock(&w_mu);
        while (r->loop.waking) pthread_cond_wait(&w_cv, &w_mu);
        pthread_mutex_unlock(&w_mu);
    }
    if (r->loop.wake_open) close(r->loop.wake_fd);
    r->loop.wake_open = 0;
    free(r->loop.pfd);
    r->loop.pfd = NULL;
    r->loop.pfd_cap = r->loop.npfd = 0;
}
