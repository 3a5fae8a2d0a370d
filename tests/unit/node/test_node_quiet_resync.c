/* Claim: a node whose registry does not change does not re-list it every
 * resync_ms (the O(workers) pass that cost idle CPU at 10,000 workers): over
 * 16 quiet periods it lists once or twice (the rare repair list, every
 * 12th period), not 16, and reconciles no worker (neither the periodic pass
 * nor the repair list looks at a settled one), even while a worker commits thousands of other keys
 * through the node's store handle (they must not age the scheduler's place
 * in the change feed into a "changed" answer); a change is still applied through the change feed
 * at once (key by key: test_node_change_applied) and the repair list still happens. */
#include "check.h"
#include "node_helpers.h"
#include "node/node_internal.h"

static int64_t lists(ami_node *n)
{
    pthread_mutex_lock(&n->mu);
    int64_t v = n->registry_lists;
    pthread_mutex_unlock(&n->mu);
    return v;
}

static void tweak(ami_node_options *o) { o->resync_ms = 250; }

static void quiet_registry_is_not_relisted(void)
{
    char db[400];
    snprintf(db, sizeof db, "%s", check_path("q.db"));
    ami_store *st = open_store(db);
    char *sid = make_worker(st, "q-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    char *writer = make_worker(st, "q-1", "{\"active\":true,\"priority\":\"critical\",\"scriptContent\":"
                                          "\"for (let i = 0; i < 400; i++) { await Stels.net.set(['busy', i], i); if (i % 50 == 49) await Stels.sleep(10); }\"}");
    ami_node *n = open_node(db, "q-1", tweak);
    CHECK_RC(ami_node_start(n));
    for (int i = 0; i < 100 && stat_int(n, sid, "isRunning") != 1; i++) nap_ms(100);
    nap_ms(300);
    int64_t l0 = lists(n);
    pthread_mutex_lock(&n->mu);
    int64_t r0 = n->reconciles;
    pthread_mutex_unlock(&n->mu);
    int64_t t0 = ami_time_mono_ms();
    nap_ms(4000);
    int64_t periods = (ami_time_mono_ms() - t0) / 250;
    int64_t quiet = lists(n) - l0;
    pthread_mutex_lock(&n->mu);
    int64_t reconciled = n->reconciles - r0;
    pthread_mutex_unlock(&n->mu);
    json_t *busy = NULL;
    json_t *bk = ami_key_new("busy", NULL);
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = bk;
    CHECK_RC(ami_store_list(&busy, st, &lo));
    CHECK(json_array_size(busy) == 400);   /* the writer did write meanwhile */
    json_decref(busy);
    json_decref(bk);
    fprintf(stderr, "%lld lists in %lld quiet periods, writer executions %lld\n", (long long)quiet, (long long)periods,
            stat_int(n, writer, "executions"));
    CHECK(quiet >= 1);             /* the repair list still happens */
    CHECK(quiet <= 3);             /* but not once a period: 16 periods, the 12th lists */
    /* nothing happened to either worker: no pass looks at them (the periodic pass over every
     * worker cost ami-sched 13 % of a core at 100,000 sleeping workers) */
    fprintf(stderr, "%lld workers reconciled in the quiet periods\n", (long long)reconciled);
    CHECK(reconciled == 0);

    /* a change comes through the feed and is applied (stop: the instance goes) */
    pthread_mutex_lock(&n->mu);
    int64_t a1 = n->registry_changes;
    pthread_mutex_unlock(&n->mu);
    update_worker(st, sid, "{\"active\":false}");
    int stopped = 0;
    for (int i = 0; i < 100 && !stopped; i++) {
        json_t *s = worker_stats(n, sid);
        stopped = s && json_is_false(json_object_get(s, "isRunning"));
        json_decref(s);
        if (!stopped) nap_ms(50);
    }
    CHECK(stopped);
    pthread_mutex_lock(&n->mu);
    CHECK(n->registry_changes > a1);   /* through the feed, not by the repair list */
    pthread_mutex_unlock(&n->mu);
    ami_node_stop(n);
    ami_node_free(n);
    ami_store_free(st);
    free(sid);
    free(writer);
}

int main(void)
{
    ami_init();
    RUN(quiet_registry_is_not_relisted);
    ami_shutdown();
    return check_done();
}
