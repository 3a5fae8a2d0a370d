/* Claim: atomic commits are all-or-nothing on their checks, and versionstamps strictly increase. */
#include <pthread.h>
#include "check.h"

static ami_store *S;

static json_t *value_of(const json_t *key)
{
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, S, key));
    json_t *v = json_incref(json_object_get(e, "value"));
    json_decref(e);
    return v;
}

static void absent_check(void)
{
    json_t *k = ami_key_new("lock", "one", NULL), *v = json_string("me");
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k, NULL));
    CHECK_RC(ami_atomic_set(a, k, v, 0));
    int ok = -1;
    ami_versionstamp vs;
    CHECK_RC(ami_store_commit(S, a, &ok, vs));
    CHECK_INT(ok, 1);
    CHECK_INT(strlen(vs), 20);
    /* the same batch again: the key now exists, so the check fails */
    CHECK_RC(ami_store_commit(S, a, &ok, vs));
    CHECK_INT(ok, 0);
    CHECK_STR(vs, "");
    ami_atomic_free(a);
    /* "" means absent too */
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k, ""));
    CHECK_RC(ami_store_commit(S, a, &ok, vs));
    CHECK_INT(ok, 0);
    ami_atomic_free(a);
    json_decref(k); json_decref(v);
}

static void versionstamp_check(void)
{
    json_t *k = ami_key_new("cas", NULL), *v1 = json_integer(1), *v2 = json_integer(2), *v3 = json_integer(3);
    ami_versionstamp vs1, vs2, vs;
    CHECK_RC(ami_store_set(S, k, v1, 0, vs1));
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k, vs1));
    CHECK_RC(ami_atomic_set(a, k, v2, 0));
    int ok = -1;
    CHECK_RC(ami_store_commit(S, a, &ok, vs2));
    CHECK_INT(ok, 1);
    CHECK(strcmp(vs2, vs1) > 0);
    json_t *got = value_of(k);
    CHECK_JSON_EQ(got, v2);
    json_decref(got);
    /* a stale versionstamp loses */
    ami_atomic *b = NULL;
    CHECK_RC(ami_atomic_new(&b));
    CHECK_RC(ami_atomic_check(b, k, vs1));
    CHECK_RC(ami_atomic_set(b, k, v3, 0));
    CHECK_RC(ami_store_commit(S, b, &ok, vs));
    CHECK_INT(ok, 0);
    got = value_of(k);
    CHECK_JSON_EQ(got, v2);
    json_decref(got);
    /* well-formed but never issued: a conflict, not an error */
    ami_atomic_free(b);
    CHECK_RC(ami_atomic_new(&b));
    CHECK_RC(ami_atomic_check(b, k, "00000000000000000001"));
    CHECK_RC(ami_store_commit(S, b, &ok, vs));
    CHECK_INT(ok, 0);
    /* malformed versionstamps are refused at check time */
    CHECK_INT(ami_atomic_check(b, k, "xyz"), AMI_EINVAL);
    CHECK_INT(ami_atomic_check(b, k, "0000000000000001000"), AMI_EINVAL);
    CHECK_INT(ami_atomic_check(b, k, "0000000000000001000A"), AMI_EINVAL);
    ami_atomic_free(a);
    ami_atomic_free(b);
    json_decref(k); json_decref(v1); json_decref(v2); json_decref(v3);
}

static void conflict_writes_nothing(void)
{
    json_t *k1 = ami_key_new("multi", "1", NULL), *k2 = ami_key_new("multi", "2", NULL);
    json_t *k3 = ami_key_new("multi", "3", NULL), *v = json_string("new"), *old = json_string("old");
    ami_versionstamp vs1, vs3, before, after;
    CHECK_RC(ami_store_set(S, k1, old, 0, vs1));
    CHECK_RC(ami_store_set(S, k3, old, 0, vs3));
    CHECK_RC(ami_store_current(S, before));
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k1, vs1));      /* holds */
    CHECK_RC(ami_atomic_set(a, k1, v, 0));
    CHECK_RC(ami_atomic_set(a, k2, v, 0));
    CHECK_RC(ami_atomic_delete(a, k3));
    CHECK_RC(ami_atomic_check(a, k2, vs1));      /* fails: k2 is absent */
    int ok = -1;
    ami_versionstamp vs;
    CHECK_RC(ami_store_commit(S, a, &ok, vs));
    CHECK_INT(ok, 0);
    json_t *g1 = value_of(k1), *g2 = value_of(k2), *g3 = value_of(k3);
    CHECK_JSON_EQ(g1, old);
    CHECK(json_is_null(g2));
    CHECK_JSON_EQ(g3, old);
    json_decref(g1); json_decref(g2); json_decref(g3);
    CHECK_RC(ami_store_current(S, after));
    CHECK_STR(after, before);
    ami_atomic_free(a);

    /* when every check holds, every mutation lands with one versionstamp */
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k1, vs1));
    CHECK_RC(ami_atomic_check(a, k2, NULL));
    CHECK_RC(ami_atomic_set(a, k1, v, 0));
    CHECK_RC(ami_atomic_set(a, k2, v, 0));
    CHECK_RC(ami_atomic_delete(a, k3));
    CHECK_RC(ami_store_commit(S, a, &ok, vs));
    CHECK_INT(ok, 1);
    json_t *e1 = NULL, *e2 = NULL, *e3 = NULL;
    CHECK_RC(ami_store_get(&e1, S, k1));
    CHECK_RC(ami_store_get(&e2, S, k2));
    CHECK_RC(ami_store_get(&e3, S, k3));
    CHECK_STR(json_string_value(json_object_get(e1, "versionstamp")), vs);
    CHECK_STR(json_string_value(json_object_get(e2, "versionstamp")), vs);
    CHECK(json_is_null(json_object_get(e3, "value")));
    json_decref(e1); json_decref(e2); json_decref(e3);
    ami_atomic_free(a);
    json_decref(k1); json_decref(k2); json_decref(k3); json_decref(v); json_decref(old);
}

static void batch_copies_at_call_time(void)
{
    json_t *k = ami_key_new("copy", NULL), *v = json_pack("{s:i}", "n", 1);
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_set(a, k, v, 0));
    json_object_set_new(v, "n", json_integer(2));     /* later changes do not leak in */
    json_array_set_new(k, 0, json_string("other"));
    int ok = 0;
    ami_versionstamp vs;
    CHECK_RC(ami_store_commit(S, a, &ok, vs));
    CHECK_INT(ok, 1);
    json_t *k0 = ami_key_new("copy", NULL), *got = value_of(k0), *want = check_json("{\"n\":1}");
    CHECK_JSON_EQ(got, want);
    json_decref(got); json_decref(want); json_decref(k0);
    /* a check-only batch also gets a new versionstamp */
    ami_atomic_free(a);
    ami_versionstamp vs2;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k, NULL));
    CHECK_RC(ami_store_commit(S, a, &ok, vs2));
    CHECK_INT(ok, 1);
    CHECK(strcmp(vs2, vs) > 0);
    ami_atomic_free(a);
    json_decref(k); json_decref(v);
}

static void versionstamps_increase(void)
{
    json_t *k = ami_key_new("seq", NULL);
    ami_versionstamp prev = "", vs;
    for (int i = 0; i < 200; i++) {
        json_t *v = json_integer(i);
        CHECK_RC(ami_store_set(S, k, v, 0, vs));
        json_decref(v);
        CHECK_INT(strlen(vs), 20);
        for (int j = 0; j < 20; j++) CHECK((vs[j] >= '0' && vs[j] <= '9') || (vs[j] >= 'a' && vs[j] <= 'f'));
        CHECK(strcmp(vs, prev) > 0);
        memcpy(prev, vs, sizeof vs);
    }
    ami_versionstamp cur;
    CHECK_RC(ami_store_current(S, cur));
    CHECK_STR(cur, prev);
    CHECK_STR(prev + 16, "0000");
    json_decref(k);
}

static void first_versionstamp_format(void)
{
    ami_store *s2 = NULL;
    REQUIRE(ami_store_open(&s2, check_path("fresh.db")) == 0);
    ami_versionstamp vs;
    CHECK_RC(ami_store_current(s2, vs));
    CHECK_STR(vs, "");
    json_t *k = ami_key_new("x", NULL), *v = json_true();
    CHECK_RC(ami_store_set(s2, k, v, 0, vs));
    CHECK_STR(vs, "00000000000000010000");      /* spec 003's first versionstamp */
    CHECK_RC(ami_store_set(s2, k, v, 0, vs));
    CHECK_STR(vs, "00000000000000020000");
    json_decref(k); json_decref(v);
    ami_store_free(s2);
}

/* threads sharing one handle: CAS increments are all kept */
static void *incr_thread(void *arg)
{
    int *done = arg;
    json_t *k = ami_key_new("threads", NULL);
    ami_buf text = AMI_BUF_INIT;
    while (*done < 200) {
        ami_versionstamp vs;
        long long cur = 0;
        int rc = ami_store_get_text(&text, vs, S, k);
        if (rc == 0) cur = atoll(text.ptr);
        else if (rc != AMI_ENOTFOUND) break;
        ami_atomic *a = NULL;
        json_t *v = json_integer(cur + 1);
        ami_atomic_new(&a);
        ami_atomic_check(a, k, vs);
        ami_atomic_set(a, k, v, 0);
        int ok = 0;
        rc = ami_store_commit(S, a, &ok, vs);
        ami_atomic_free(a);
        json_decref(v);
        if (rc) break;
        if (ok) (*done)++;
    }
    ami_buf_dispose(&text);
    json_decref(k);
    return NULL;
}

static void threads_share_a_handle(void)
{
    pthread_t th[4];
    int done[4] = { 0 };
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, incr_thread, &done[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    json_t *k = ami_key_new("threads", NULL), *v = value_of(k);
    CHECK_INT(done[0] + done[1] + done[2] + done[3], 800);
    CHECK_INT(json_integer_value(v), 800);
    json_decref(k); json_decref(v);
}

int main(void)
{
    REQUIRE(ami_store_open(&S, check_store_uri("atomic.db")) == 0);
    RUN(absent_check);
    RUN(versionstamp_check);
    RUN(conflict_writes_nothing);
    RUN(batch_copies_at_call_time);
    RUN(versionstamps_increase);
    RUN(first_versionstamp_format);
    RUN(threads_share_a_handle);
    ami_store_free(S);
    return check_done();
}
