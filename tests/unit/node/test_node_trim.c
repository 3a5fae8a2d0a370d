/* Claim: once a burst of starts has settled, the node gives the free memory inside
 * malloc's arenas back to the kernel (glibc never trims free chunks that lie between
 * live blocks by itself).  The test leaves ~38 MB free that way in the main arena, starts
 * 80 sleeping workers and watches the process's RSS fall after the settle time, not
 * during the burst.  glibc only; skipped under ASan (its allocator is its own). */
#include <malloc.h>
#include "node_helpers.h"
#include "node/node_internal.h"

#define BLOCKS 40000
#define WORKERS 80

static int64_t trims(ami_node *n)
{
    pthread_mutex_lock(&n->mu);
    int64_t t = n->trims;
    pthread_mutex_unlock(&n->mu);
    return t;
}

static void free_space_goes_back_after_the_burst(void)
{
    /* 40 MB of 1 KB blocks, every 32nd kept: the rest is free, but not at the top */
    static char *blocks[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(1024);
        REQUIRE(blocks[i]);
        memset(blocks[i], 1, 1024);
    }
    for (int i = 0; i < BLOCKS; i++)
        if (i % 32) { free(blocks[i]); blocks[i] = NULL; }

    ami_node *n = open_node(check_path("trim.db"), "s-1", NULL);
    ami_store *st = ami_node_store(n);
    char *sids[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        sids[i] = strdup(make_worker(st, "s-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600);\"}"));
    CHECK_RC(ami_node_start(n));
    CHECK(all_running(n, sids, WORKERS, 20000));
    CHECK_INT(trims(n), 0);   /* not in the burst */
    long before = check_rss_kb();
    int64_t took = WAIT_FOR(trims(n) > 0, 15000);
    long after = check_rss_kb();
    fprintf(stderr, "trimmed %lld ms after all ran; RSS %ld -> %ld KiB\n", (long long)took, before, after);
    CHECK(took >= 0);
    CHECK(before - after > 20 * 1024);   /* most of the ~38 MB */
    ami_node_stop(n);
    ami_node_free(n);
    for (int i = 0; i < WORKERS; i++) free(sids[i]);
    for (int i = 0; i < BLOCKS; i++) free(blocks[i]);
}

int main(void)
{
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__)
    printf("skip: glibc's malloc only\n");
    return 0;
#endif
    REQUIRE(ami_init() >= 0);
    RUN(free_space_goes_back_after_the_burst);
    ami_shutdown();
    return check_done();
}
