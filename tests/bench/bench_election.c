/*
 * Election benchmark: the cost of lease operations against the bare store
 * operations they are made of (same file, same process).
 *   renew             vs a store CAS (check + set of a lease-sized value)
 *   refused acquire   vs a store get of the same key
 *   release + acquire vs two store CASes
 * Output rows: see tests/bench/run.  Latencies in µs, lower is better.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ami.h"

enum { N = 3000 };

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_election: %s: %s\n", what, ami_error_last());
    exit(1);
}

/* One CAS on `key` at *vs, updating *vs. */
static void raw_cas(ami_store *st, const json_t *key, const json_t *val, ami_versionstamp vs)
{
    ami_atomic *a = NULL;
    int committed = 0;
    if (ami_atomic_new(&a) || ami_atomic_check(a, key, vs[0] ? vs : NULL) || ami_atomic_set(a, key, val, 0) ||
        ami_store_commit(st, a, &committed, vs) || !committed)
        die("raw cas");
    ami_atomic_free(a);
}

int main(void)
{
    const char *build = getenv("AMI_BUILD") ? getenv("AMI_BUILD") : "build";
    char path[512];
    snprintf(path, sizeof path, "%s/bench_election.%d.db", build, (int)getpid());
    ami_store *st = NULL;
    if (ami_store_open(&st, path)) die("open");
    const char *sid = "be0c0000-0000-4000-8000-000000000001";

    /* baseline data: a lease-sized value on another key */
    json_t *rkey = ami_key_new("ami", "leader", "be0c0000-0000-4000-8000-000000000002", NULL);
    json_t *rval = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "leader", "s-0001", "workerId", sid, "timestamp",
                             (json_int_t)1760245826876, "renewedAt", (json_int_t)1760245826876, "expiresAt",
                             (json_int_t)1760245886876, "term", (json_int_t)1);
    ami_versionstamp rvs = "";

    ami_lease l, other;
    int acq = 0;
    if (ami_election_try_acquire(&l, &acq, st, sid, "s-0001", 600000) || !acq) die("acquire");

    for (int i = 0; i < N / 10; i++) {         /* warm up the file and the caches */
        if (ami_election_renew(&l, st, 600000)) die("renew");
        raw_cas(st, rkey, rval, rvs);
    }
    double t0 = now_us();
    for (int i = 0; i < N; i++)
        if (ami_election_renew(&l, st, 600000)) die("renew");
    double renew = (now_us() - t0) / N;
    t0 = now_us();
    for (int i = 0; i < N; i++) raw_cas(st, rkey, rval, rvs);
    double cas = (now_us() - t0) / N;

    t0 = now_us();
    for (int i = 0; i < N; i++)
        if (ami_election_try_acquire(&other, &acq, st, sid, "s-0002", 600000) || acq) die("refused acquire");
    double refused = (now_us() - t0) / N;
    t0 = now_us();
    for (int i = 0; i < N; i++) {
        json_t *e = NULL;
        if (ami_store_get(&e, st, rkey)) die("get");
        json_decref(e);
    }
    double get = (now_us() - t0) / N;

    t0 = now_us();
    for (int i = 0; i < N; i++) {
        if (ami_election_release(st, &l)) die("release");
        if (ami_election_try_acquire(&l, &acq, st, sid, (i & 1) ? "s-0001" : "s-0002", 600000) || !acq)
            die("acquire after release");
    }
    double handover = (now_us() - t0) / N;
    t0 = now_us();
    for (int i = 0; i < N; i++) {
        raw_cas(st, rkey, rval, rvs);
        raw_cas(st, rkey, rval, rvs);
    }
    double cas2 = (now_us() - t0) / N;

    printf("# SQLite store, synchronous=NORMAL, one process; term after the run: %lld\n", (long long)l.term);
    printf("lease renew\t%.2f\tus\tstore CAS\t%.2f\tlower\n", renew, cas);
    printf("refused acquire\t%.2f\tus\tstore get\t%.2f\tlower\n", refused, get);
    printf("release + acquire\t%.2f\tus\t2 store CAS\t%.2f\tlower\n", handover, cas2);

    json_decref(rkey);
    json_decref(rval);
    ami_store_free(st);
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
