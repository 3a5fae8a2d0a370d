/* Claim: an entry set with expire_in_ms reads as absent to get, list and checks once it has expired. */
#include <sqlite3.h>
#include "check.h"

#include <time.h>

static ami_store *S;

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

enum { TTL = 200, PAST_TTL = 500 };

/* Was the last step still well inside the TTL?  On a very slow machine the "still alive" checks are skipped, not failed. */
static int within_ttl(int64_t t0)
{
    if (ami_time_mono_ms() - t0 < TTL - 20) return 1;
    fprintf(stderr, "  (slow machine: a still-alive check skipped)\n");
    return 0;
}

static void expires_for_get_and_list(void)
{
    json_t *k = ami_key_new("ttl", "a", NULL), *keep = ami_key_new("ttl", "b", NULL), *v = json_string("x");
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(S, keep, v, 0, vs));
    int64_t t0 = ami_time_mono_ms();
    CHECK_RC(ami_store_set(S, k, v, TTL, vs));
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, S, k));
    if (within_ttl(t0)) CHECK_JSON_EQ(json_object_get(e, "value"), v);          /* alive at first */
    json_decref(e);
    json_t *p = ami_key_new("ttl", NULL), *arr = NULL;
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    o.prefix = p;
    CHECK_RC(ami_store_list(&arr, S, &o));
    if (within_ttl(t0)) CHECK_INT(json_array_size(arr), 2);
    json_decref(arr);

    sleep_ms(PAST_TTL);
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK(json_is_null(json_object_get(e, "value")));
    CHECK(json_is_null(json_object_get(e, "versionstamp")));
    json_decref(e);
    ami_buf b = AMI_BUF_INIT;
    CHECK_INT(ami_store_get_text(&b, vs, S, k), AMI_ENOTFOUND);
    ami_buf_dispose(&b);
    CHECK_RC(ami_store_list(&arr, S, &o));
    CHECK_INT(json_array_size(arr), 1);
    CHECK_JSON_EQ(json_object_get(json_array_get(arr, 0), "key"), keep);
    json_decref(arr);
    json_decref(k); json_decref(keep); json_decref(v); json_decref(p);
}

static void expired_counts_as_absent_for_checks(void)
{
    /* a lease: take it with an expiry; nobody else can take it until it expires */
    json_t *k = ami_key_new("lease", NULL), *me = json_string("me"), *you = json_string("you");
    ami_atomic *mine = NULL, *theirs = NULL, *renew = NULL;
    CHECK_RC(ami_atomic_new(&mine));
    CHECK_RC(ami_atomic_check(mine, k, NULL));
    CHECK_RC(ami_atomic_set(mine, k, me, TTL));
    CHECK_RC(ami_atomic_new(&theirs));
    CHECK_RC(ami_atomic_check(theirs, k, NULL));
    CHECK_RC(ami_atomic_set(theirs, k, you, 0));
    int ok = -1;
    ami_versionstamp vs_mine, vs;
    int64_t t0 = ami_time_mono_ms();
    CHECK_RC(ami_store_commit(S, mine, &ok, vs_mine));
    CHECK_INT(ok, 1);
    CHECK_RC(ami_store_commit(S, theirs, &ok, vs));
    if (!within_ttl(t0)) goto out;
    CHECK_INT(ok, 0);
    sleep_ms(PAST_TTL);
    /* my versionstamp no longer matches an expired entry */
    CHECK_RC(ami_atomic_new(&renew));
    CHECK_RC(ami_atomic_check(renew, k, vs_mine));
    CHECK_RC(ami_atomic_set(renew, k, me, TTL));
    CHECK_RC(ami_store_commit(S, renew, &ok, vs));
    CHECK_INT(ok, 0);
    CHECK_RC(ami_store_commit(S, theirs, &ok, vs));
    CHECK_INT(ok, 1);
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK_JSON_EQ(json_object_get(e, "value"), you);
    json_decref(e);
out:
    ami_atomic_free(mine); ami_atomic_free(theirs); ami_atomic_free(renew);
    json_decref(k); json_decref(me); json_decref(you);
}

static void renewal_extends_life(void)
{
    json_t *k = ami_key_new("renewed", NULL), *v = json_true();
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(S, k, v, 300, vs));
    sleep_ms(150);
    CHECK_RC(ami_store_set(S, k, v, 0, vs));    /* overwritten without expiry: lives on */
    sleep_ms(300);
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK(json_is_true(json_object_get(e, "value")));
    json_decref(e);
    CHECK_INT(ami_store_set(S, k, v, -1, vs), AMI_EINVAL);
    json_decref(k); json_decref(v);
}

static int raw_count(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open(check_path("ttl.db"), &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* expired rows are removed from the file by a later commit (not only hidden) */
static void expired_rows_are_purged(void)
{
    if (check_store_is_etcd()) {
        /* on etcd, the key's lease makes etcd itself delete it (lease TTLs are whole seconds, checked twice a second) */
        json_t *k = ami_key_new("purge", "me", NULL), *v = json_true();
        ami_versionstamp vs;
        ami_store *s2 = NULL;
        REQUIRE(ami_store_open(&s2, check_store_uri("purge.db")) == 0);
        CHECK_RC(ami_store_set(s2, k, v, 100, vs));
        CHECK_INT(check_etcd_raw_count("purge.db"), 1);
        long n = -1;
        for (int i = 0; i < 100; i++) {
            if ((n = check_etcd_raw_count("purge.db")) == 0) break;
            sleep_ms(100);
        }
        CHECK_INT(n, 0);
        ami_store_free(s2);
        json_decref(k); json_decref(v);
        return;
    }
    json_t *k = ami_key_new("purge", "me", NULL), *other = ami_key_new("purge", "other", NULL), *v = json_true();
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(S, k, v, 100, vs));
    CHECK_INT(raw_count("SELECT count(*) FROM kv WHERE exp IS NOT NULL"), 1);
    sleep_ms(1200);
    CHECK_RC(ami_store_set(S, other, v, 0, vs));
    CHECK_INT(raw_count("SELECT count(*) FROM kv WHERE exp IS NOT NULL"), 0);
    json_decref(k); json_decref(other); json_decref(v);
}

int main(void)
{
    REQUIRE(ami_store_open(&S, check_store_uri("ttl.db")) == 0);
    RUN(expires_for_get_and_list);
    RUN(expired_counts_as_absent_for_checks);
    RUN(renewal_extends_life);
    RUN(expired_rows_are_purged);
    ami_store_free(S);
    return check_done();
}
