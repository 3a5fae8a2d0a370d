/* Claim: an etcd store whose URI lists a dead member first works through the live one
 * (reads, commits, list, watch), and when every member is dead the error names each one
 * tried.  Runs on etcd (tests/integration/test_store_etcd.sh sets AMI_TEST_ETCD). */
#include <unistd.h>
#include "check.h"

static char live[512];

static void dead_member_first(void)
{
    char uri[1200];
    snprintf(uri, sizeof uri, "etcd://127.0.0.1:1,%s/ami-test/endpoints-%d", live, (int)getpid());
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, uri) == 0);
    json_t *k = ami_key_new("ep", "a", NULL), *v = json_string("x"), *e = NULL, *arr = NULL;
    ami_versionstamp vs, cur, got;
    CHECK_RC(ami_store_set(s, k, v, 0, vs));
    CHECK_RC(ami_store_get(&e, s, k));
    CHECK_JSON_EQ(json_object_get(e, "value"), v);
    json_decref(e);
    ami_atomic *a = NULL;
    int ok = 0;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k, vs));
    CHECK_RC(ami_atomic_delete(a, k));
    CHECK_RC(ami_store_commit(s, a, &ok, cur));
    CHECK_INT(ok, 1);
    ami_atomic_free(a);
    CHECK_RC(ami_store_list(&arr, s, NULL));
    CHECK_INT(json_array_size(arr), 0);
    json_decref(arr);
    /* a watch from before the delete sees it, through the live member */
    json_t *p = ami_key_new("ep", NULL);
    CHECK_RC(ami_store_watch(s, p, vs, 3000, got));
    CHECK_STR(got, cur);
    json_decref(p);
    json_decref(k); json_decref(v);
    ami_store_free(s);
}

static void all_dead_names_each(void)
{
    ami_store *s = NULL;
    CHECK_INT(ami_store_open(&s, "etcd://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3"), AMI_EIO);
    const char *m = ami_error_last();
    CHECK(strstr(m, "127.0.0.1:1") && strstr(m, "127.0.0.1:2") && strstr(m, "127.0.0.1:3"));
}

int main(void)
{
    if (!check_store_is_etcd()) {
        printf("SKIP: needs etcd (tests/integration/test_store_etcd.sh runs it with AMI_TEST_ETCD)\n");
        return 0;
    }
    snprintf(live, sizeof live, "%s", getenv("AMI_TEST_ETCD"));
    RUN(dead_member_first);
    RUN(all_dead_names_each);
    return check_done();
}
