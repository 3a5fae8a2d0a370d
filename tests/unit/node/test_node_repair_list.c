/* Claim: the scheduler's once-a-minute repair list parses only the worker
 * records that differ from what the node applied (parsing every record each
 * time was most of an idle node's CPU at 20,000 workers): over repair lists of
 * a quiet registry of 30 workers it parses none; and it still finds what the
 * change feed never reports, because it compares each stored text as well as
 * its versionstamp: a record damaged with sqlite3 under the same versionstamp
 * is reported in corruptRecords (and its worker goes), on every repair list
 * after, and a record whose text was edited under the same versionstamp is
 * applied (its instance stops). */
#include <sqlite3.h>
#include "check.h"
#include "node_helpers.h"
#include "node_counters.h"

enum { N = 30 };

/* a repair list every 12 × 100 ms */
static void tweak(ami_node_options *o) { o->resync_ms = 100; }

/* Rewrite SID's stored record behind the store's back (no new versionstamp, no change log entry). */
static int edit_record(const char *db, const char *sid, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    char like[128];
    snprintf(like, sizeof like, "%%\"sid\":\"%s\"%%", sid);
    int changed = -1;
    if (sqlite3_open(db, &h) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 5000);
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_bind_text(st, 1, like, -1, SQLITE_TRANSIENT) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE)
            changed = sqlite3_changes(h);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return changed;
}

/* Whether ami_node_stats' corruptRecords names SID. */
static int reported(ami_node *n, const char *sid)
{
    json_t *s = NULL;
    if (ami_node_stats(&s, n)) return 0;
    int found = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(s, "corruptRecords"), i, c)
        if (!strcmp(json_string_value(json_object_get(c, "sid")) ? json_string_value(json_object_get(c, "sid")) : "", sid)) found = 1;
    json_decref(s);
    return found;
}

/* Wait for two more repair lists. */
static int two_lists(ami_node *n)
{
    int64_t l0 = node_counter(n, &n->registry_lists);
    return WAIT_FOR(node_counter(n, &n->registry_lists) >= l0 + 2, 20000) >= 0;
}

static void repair_parses_what_differs(void)
{
    char db[400];
    snprintf(db, sizeof db, "%s", check_path("r.db"));
    ami_store *st = open_store(db);
    char *sid[N];
    for (int i = 0; i < N; i++)
        sid[i] = make_worker(st, "r-1", "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}");
    ami_node *n = open_node(db, "r-1", tweak);
    CHECK_RC(ami_node_start(n));
    CHECK(all_running(n, sid, N, 30000));

    /* quiet: repair lists happen and parse nothing */
    int64_t p0 = node_counter(n, &n->registry_parsed);
    CHECK(two_lists(n));
    int64_t parsed = node_counter(n, &n->registry_parsed) - p0;
    fprintf(stderr, "quiet: %lld records parsed over 2 repair lists of %d\n", (long long)parsed, N);
    CHECK(parsed == 0);

    /* damaged under the same versionstamp: the feed says nothing, the repair list reports it */
    CHECK(edit_record(db, sid[0], "UPDATE kv SET v = '{\"sid\": broken' WHERE v LIKE ?1 AND v LIKE '%\"raw\"%'") == 1);
    CHECK(WAIT_FOR(reported(n, sid[0]), 20000) >= 0);
    json_t *s = NULL;
    CHECK(WAIT_FOR((json_decref(s), s = worker_stats(n, sid[0])) == NULL, 20000) >= 0);
    json_decref(s);
    CHECK(two_lists(n));
    CHECK(reported(n, sid[0]));   /* still reported */

    /* edited under the same versionstamp: applied by the repair list */
    CHECK(edit_record(db, sid[1], "UPDATE kv SET v = replace(v, '\"active\":true', '\"active\":false') WHERE v LIKE ?1 AND v LIKE '%\"raw\"%'") == 1);
    CHECK(WAIT_FOR(!stat_running(n, sid[1]), 20000) >= 0);
    CHECK(stat_running(n, sid[2]));   /* the others run on */

    ami_node_stop(n);
    ami_node_free(n);
    ami_store_free(st);
    for (int i = 0; i < N; i++) free(sid[i]);
}

int main(void)
{
    ami_init();
    RUN(repair_parses_what_differs);
    ami_shutdown();
    return check_done();
}
