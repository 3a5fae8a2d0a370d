/* Claim: an idle node's log thread does not wake while no line comes: over 3
 * idle seconds it ends at most one sleep (it woke once a second: a first line's
 * wake went through node->cv without the lock the thread checks the queue
 * under, so it could be missed, and the thread napped a second at most to
 * bound that).  A line that comes then is still in the node-local store
 * within two seconds (at once, nearly): the first line wakes the thread (logs_cv under log_mu). */
#include "check.h"
#include "node_helpers.h"

static void idle_log_thread_sleeps(void)
{
    char db[400];
    snprintf(db, sizeof db, "%s", check_path("li.db"));
    ami_store *st = open_store(db);
    char *sids[10];
    for (int i = 0; i < 10; i++)
        sids[i] = make_worker(st, "li-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    ami_node *n = open_node(db, "li-1", NULL);
    CHECK_RC(ami_node_start(n));
    CHECK(all_running(n, sids, 10, 10000));
    nap_ms(1500);   /* start-up settles (its lines are flushed) */
    long s0 = check_thread_switches("ami-logs");
    nap_ms(3000);
    long s1 = check_thread_switches("ami-logs");
    printf("log thread sleeps ended over 3 idle seconds: %ld\n", s1 - s0);
    CHECK(s1 - s0 <= 1);

    /* a line still arrives: written within two seconds of its worker's start (at once, nearly) */
    char *talk = make_worker(st, "li-1", "{\"active\":true,\"scriptContent\":\"logger.info('hello'); await Stels.sleep(3600000);\"}");
    CHECK(WAIT_FOR(stat_running(n, talk), 10000) >= 0);
    CHECK(WAIT_FOR(local_log_lines(n, talk) >= 1, 2000) >= 0);
    ami_node_free(n);
    for (int i = 0; i < 10; i++) free(sids[i]);
    free(talk);
    ami_store_free(st);
}

int main(void)
{
    RUN(idle_log_thread_sleeps);
    return check_done();
}
