/* Claim: a worker writing 60 KB values to Stels.local in a zero-delay loop
 * does not give the values' memory back to the kernel and fault it in again
 * every iteration: over a second of iterations the runner threads take
 * fewer than 8 minor page faults per iteration (glibc's trim of the arena
 * top, before the pool primed its thresholds: ~60 a 60 KB iteration, three
 * madvise calls, each a TLB flush on the other cores; lib/node/pool.c,
 * docs/reliability.md "Big values beside a neighbour").  One runner thread,
 * so the worker's blocks come from one malloc arena whatever the pool does
 * (with two, another worker's blocks above them in an arena sometimes
 * hid the trim: 4 faults an iteration in one run, 66 in the next).
 * Counted from /proc/self/task/<tid>/stat (minflt) of the ami-run threads.
 * Not under AddressSanitizer: its allocator keeps freed blocks in a
 * quarantine, so new pages are touched whatever glibc would do. */
#include "node_helpers.h"

enum { FAULTS_PER_ITERATION_MAX = 8, MIN_ITERATIONS = 50 };

/* Adds a runner thread's ("ami-run…") minor page faults to *(long long *)arg. */
static void add_runner_faults(const char *name, const char *fields, const char *dir, void *arg)
{
    (void)dir;
    long long minflt = 0;
    /* state ppid pgrp session tty tpgid flags minflt */
    if (!strncmp(name, "ami-run", 7) && sscanf(fields, "%*c %*d %*d %*d %*d %*d %*u %lld", &minflt) == 1)
        *(long long *)arg += minflt;
}

/* Minor page faults of this process's runner threads. */
static long long runner_faults(void)
{
    long long sum = 0;
    check_each_thread(add_runner_faults, &sum);
    return sum;
}

static void tweak(ami_node_options *o)
{
    o->loop_delay_ms = 0;
    o->runner_threads = 1;
}

static void big_values_stay_in_the_arena(void)
{
#if defined(__SANITIZE_ADDRESS__)
    fprintf(stderr, "  skipped under AddressSanitizer (its quarantine touches new pages)\n");
    return;
#endif
    ami_node *node = open_node(check_path("bigvalues.db"), "s-0001", tweak);
    ami_store *st = ami_node_store(node);
    char *big = make_worker(st, "s-0001", "{\"scriptContent\":\"await Stels.local.set(['big'], 'x'.repeat(60000));\",\"active\":true}");
    CHECK_RC(ami_node_start(node));
    /* past the first iterations (the heap's and SQLite's first growth) */
    CHECK(WAIT_FOR(stat_int(node, big, "executions") >= 20, 20000) >= 0);
    long long f0 = runner_faults(), b0 = stat_int(node, big, "executions");
    nap_ms(1500);
    long long f1 = runner_faults(), b1 = stat_int(node, big, "executions");
    long long its = b1 - b0;
    fprintf(stderr, "  60 KB writer: %lld iterations, %lld minor faults in the runner (%.1f an iteration)\n", its,
            f1 - f0, its > 0 ? (double)(f1 - f0) / (double)its : 0.0);
    CHECK(its >= MIN_ITERATIONS);
    CHECK(f1 - f0 < FAULTS_PER_ITERATION_MAX * its);
    CHECK_RC(ami_node_stop(node));
    ami_node_free(node);
    free(big);
}

int main(void)
{
    RUN(big_values_stay_in_the_arena);
    return check_done();
}
