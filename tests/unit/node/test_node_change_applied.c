/* Claim: a registry change reaches a node through the change feed key by key:
 * stopping one of 40 workers, creating one, changing one's script,
 * deleting one and stopping one through the node's own store handle are each applied (the instance stops / starts / reloads / goes)
 * without the node listing the registry (the O(workers) pass that cost 20
 * listings of 10,000 records when 20 workers were created beside 10,000).
 * On a SQLite file (its change log names the keys) and, when etcd is
 * installed, on a real one-member etcd (the watch stream's log of recent
 * changes names them; before, every change there was a listing). */
#include "check.h"
#include "node_helpers.h"
#include "node_counters.h"

static char local_uri[600];

/* no repair list during the test; on etcd the local store goes in the test's directory */
static void tweak(ami_node_options *o)
{
    o->resync_ms = 60000;
    if (local_uri[0]) o->local_store_uri = local_uri;
}

enum { N = 40 };

/* The claim on the store at `uri` (what open_node takes: a SQLite path or an etcd:// URI). */
static void changes_do_not_list(const char *db)
{
    ami_store *st = open_store(db);
    char *sid[N];
    for (int i = 0; i < N; i++)
        sid[i] = make_worker(st, "c-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    ami_node *n = open_node(db, "c-1", tweak);
    CHECK_RC(ami_node_start(n));
    CHECK(all_running(n, sid, N, 30000));
    int64_t l0 = node_counter(n, &n->registry_lists), c0 = node_counter(n, &n->registry_changes);

    update_worker(st, sid[0], "{\"active\":false}");
    CHECK(WAIT_FOR(!stat_running(n, sid[0]), 10000) >= 0);

    char *fresh = make_worker(st, "c-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    CHECK(WAIT_FOR(stat_running(n, fresh), 10000) >= 0);

    char hash0[256];
    snprintf(hash0, sizeof hash0, "%s", stat_str(n, sid[1], "scriptHash"));
    update_worker(st, sid[1], "{\"script\":\"await Stels.sleep(3600001);\"}");
    CHECK(WAIT_FOR(strcmp(stat_str(n, sid[1], "scriptHash"), hash0) && stat_running(n, sid[1]), 10000) >= 0);

    CHECK_RC(ami_registry_delete(st, sid[2]));
    json_t *s = NULL;
    CHECK(WAIT_FOR((json_decref(s), s = worker_stats(n, sid[2])) == NULL, 10000) >= 0);
    json_decref(s);

    /* one through the node's own handle (on etcd its own commit is in the feed's log before the stream brings it) */
    update_worker(ami_node_store(n), sid[4], "{\"active\":false}");
    CHECK(WAIT_FOR(!stat_running(n, sid[4]), 10000) >= 0);

    int64_t lists = node_counter(n, &n->registry_lists) - l0, applied = node_counter(n, &n->registry_changes) - c0;
    fprintf(stderr, "5 changes: %lld registry lists, %lld feed reports applied key by key\n", (long long)lists,
            (long long)applied);
    CHECK(applied >= 5);
    CHECK(lists == 0);
    CHECK(stat_running(n, sid[3]));   /* the others run on */

    ami_node_stop(n);
    ami_node_free(n);
    ami_store_free(st);
    for (int i = 0; i < N; i++) free(sid[i]);
    free(fresh);
}

static void on_sqlite(void)
{
    local_uri[0] = '\0';
    changes_do_not_list(check_path("c.db"));
}

static void on_etcd(void)
{
    char eps[256], uri[400];
    if (!check_etcd_start(eps, sizeof eps, 1)) return;
    snprintf(local_uri, sizeof local_uri, "sqlite:%s", check_path("c-1.local"));
    snprintf(uri, sizeof uri, "etcd://%s/changes", eps);
    changes_do_not_list(uri);
}

int main(void)
{
    ami_init();
    RUN(on_sqlite);
    RUN(on_etcd);
    ami_shutdown();
    return check_done();
}
