/* Claim: a stats pass looks at the workers whose rows changed and a bounded
 * share of the others (the round-robin refresh of unchanged rows: 16 a pass at
 * this size), not at every worker: with 300 sleeping workers and stats_ms 50,
 * the passes of 2 quiet seconds look at no more than 16 workers each plus the
 * few that changed (each pass looked at all 300 before).  A changed row is
 * still written at the next pass, and workers deleted while the refresh's
 * cursor goes round (their slots freed under it) leave the others' rows
 * correct. */
#include "check.h"
#include "node_helpers.h"
#include "node_counters.h"

enum { N = 300, GONE = 60 };

#define SLEEPER "{\"active\":true,\"scriptContent\":\"await Stels.sleep(3600000);\"}"

static void tweak(ami_node_options *o)
{
    o->stats_ms = 50;
    o->capacity = N + 10;
}

/* The stats row of sid in the store (owned; NULL when there is none). */
static json_t *stored_row(ami_store *st, const char *nid, const char *sid)
{
    json_t *k = ami_key_new("ami", "stats", nid, sid, NULL), *e = NULL;
    ami_store_get(&e, st, k);
    json_decref(k);
    if (!e) return NULL;
    json_t *v = ami_entry_value(e);
    if (json_object_get(v, "raw")) v = json_object_get(v, "raw");
    v = json_incref(v);
    json_decref(e);
    return v;
}

static int row_says_running(ami_store *st, const char *sid)
{
    json_t *v = stored_row(st, "q-1", sid);
    int r = v && json_is_true(json_object_get(v, "isRunning"));
    json_decref(v);
    return r;
}

static void passes_look_at_changes_only(void)
{
    char db[400];
    snprintf(db, sizeof db, "%s", check_path("q.db"));
    ami_store *st = open_store(db);
    char *sid[N];
    for (int i = 0; i < N; i++) sid[i] = make_worker(st, "q-1", SLEEPER);
    ami_node *n = open_node(db, "q-1", tweak);
    CHECK_RC(ami_node_start(n));
    CHECK(all_running(n, sid, N, 60000));
    int written = 0;
    for (int t = 0; t < 300; t++) {
        written = 0;
        for (int i = 0; i < N; i++) written += row_says_running(st, sid[i]);
        if (written == N) break;
        nap_ms(100);
    }
    CHECK_INT(written, N);
    nap_ms(1000);   /* the first iterations' changes are written */

    int64_t p0 = node_counter(n, &n->stats_passes), v0 = node_counter(n, &n->stats_visits);
    nap_ms(2000);
    int64_t passes = node_counter(n, &n->stats_passes) - p0, visits = node_counter(n, &n->stats_visits) - v0;
    fprintf(stderr, "%lld stats passes looked at %lld workers (%d sleeping workers)\n", (long long)passes,
            (long long)visits, N);
    CHECK(passes >= 10);
    /* 16 a pass for the refresh, and a generous allowance for late changes */
    CHECK(visits <= passes * 16 + N / 2);
    CHECK(visits >= passes * 16);   /* the refresh's round goes on */

    /* a change is written at the next pass: a new script (the row's scriptHash) */
    json_t *before = stored_row(st, "q-1", sid[0]);
    char old_hash[16];
    snprintf(old_hash, sizeof old_hash, "%s", before ? json_string_value(json_object_get(before, "scriptHash")) : "");
    json_decref(before);
    update_worker(st, sid[0], "{\"script\":\"await Stels.sleep(3600001);\"}");
    int changed = 0;
    for (int t = 0; t < 200 && !changed; t++) {
        json_t *v = stored_row(st, "q-1", sid[0]);
        const char *h = v ? json_string_value(json_object_get(v, "scriptHash")) : NULL;
        changed = h && strcmp(h, old_hash) && json_is_true(json_object_get(v, "isRunning"));
        json_decref(v);
        if (!changed) nap_ms(50);
    }
    CHECK(changed);

    /* workers deleted while the cursor goes round: their slots are freed under it */
    for (int i = N - GONE; i < N; i++) CHECK_RC(ami_registry_delete(st, sid[i]));
    for (int t = 0; t < 300; t++) {
        json_t *all = NULL;
        CHECK_RC(ami_node_stats(&all, n));
        size_t listed = json_array_size(json_object_get(all, "workers"));
        json_decref(all);
        if (listed == N - GONE) break;
        nap_ms(100);
    }
    nap_ms(1000);   /* more passes, the cursor round the workers left */
    CHECK(all_running(n, sid, N - GONE, 10000));
    int ok = 0;
    for (int i = 0; i < N - GONE; i++) ok += row_says_running(st, sid[i]);
    CHECK_INT(ok, N - GONE);

    ami_node_free(n);
    for (int i = 0; i < N; i++) free(sid[i]);
    ami_store_free(st);
}

int main(void)
{
    RUN(passes_look_at_changes_only);
    return check_done();
}
