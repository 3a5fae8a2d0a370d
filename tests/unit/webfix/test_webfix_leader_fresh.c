/* Claim: getLeaderInfo, asked again and again about one worker (its reads are
 * reused while nobody commits), answers every commit made before the call at
 * once — through the dispatcher's own store handle or through a second handle
 * on the same file (as another process would): a new term, a renewal, a
 * release, a switch to parallel mode (400) and back, and the worker's deletion
 * (404); and a commit elsewhere in the store does not change the answer.
 * (SQLite; etcd when AMI_TEST_ETCD is set: there every call reads.) */
#include <unistd.h>
#include "check.h"

static ami_store *store, *other, *local;
static ami_webfix *wf;

static json_t *leader_info(int *status)
{
    static const char req[] = "{\"webfix\":\"1.0\",\"method\":\"getLeaderInfo\",\"body\":{\"workerId\":\"w1\"}}";
    ami_buf out = AMI_BUF_INIT;
    REQUIRE(ami_webfix_handle(wf, req, sizeof req - 1, NULL, status, &out) == 0);
    json_t *j = check_json(out.ptr);
    ami_buf_dispose(&out);
    return j;
}

/* Ask three times (the later answers come from the kept reads): same status each time; the last answer. */
static json_t *ask(int want_status)
{
    json_t *j = NULL;
    for (int i = 0; i < 3; i++) {
        int st = 0;
        json_decref(j);
        j = leader_info(&st);
        CHECK_INT(st, want_status);
    }
    return j;
}

static void set_mode(ami_store *s, const char *mode)
{
    json_t *k = ami_key_new("ami", "worker", "w1", NULL);
    json_t *v = json_pack("{s:s,s:{s:s,s:s}}", "channel", "ami.worker.w1", "raw", "sid", "w1", "executionMode", mode);
    REQUIRE(ami_store_set(s, k, v, 0, NULL) == 0);
    json_decref(k);
    json_decref(v);
}

static void expect_leader(const char *nid, json_int_t term, int expired)
{
    json_t *j = ask(200);
    CHECK(json_is_true(json_object_get(j, "hasLeader")));
    CHECK_STR(json_string_value(json_object_get(j, "leader")), nid);
    CHECK_INT(json_integer_value(json_object_get(j, "term")), term);
    CHECK_INT(json_is_true(json_object_get(j, "isExpired")), expired);
    json_decref(j);
}

static void follows_every_commit(void)
{
    set_mode(store, "leader");
    json_t *j = ask(200);
    CHECK(json_is_false(json_object_get(j, "hasLeader")));
    json_decref(j);

    /* elected through the other handle, then renewed through it: the new expiry shows */
    ami_lease a, b;
    int won = 0;
    REQUIRE(ami_election_try_acquire(&a, &won, other, "w1", "s-0002", 60000) == 0 && won);
    expect_leader("s-0002", 1, 0);
    json_int_t before = a.expires_at;
    usleep(20000);
    REQUIRE(ami_election_renew(&a, other, 120000) == 0);
    j = ask(200);
    CHECK(json_integer_value(json_object_get(j, "expiresAt")) > before);
    CHECK_INT(json_integer_value(json_object_get(j, "expiresAt")), a.expires_at);
    json_decref(j);

    /* released through the other handle, taken through ours: term 2 by s-0001 */
    REQUIRE(ami_election_release(other, &a) == 0);
    expect_leader("s-0002", 1, 1);
    REQUIRE(ami_election_try_acquire(&b, &won, store, "w1", "s-0001", 60000) == 0 && won);
    expect_leader("s-0001", 2, 0);

    /* a commit elsewhere (not under ["ami"]) changes nothing */
    json_t *k = ami_key_new("app", "counter", NULL), *v = json_integer(1);
    REQUIRE(ami_store_set(other, k, v, 0, NULL) == 0);
    json_decref(k);
    json_decref(v);
    expect_leader("s-0001", 2, 0);

    /* the worker switched to parallel mode through the other handle: 400 at once, and back */
    set_mode(other, "parallel");
    j = ask(400);
    CHECK(strstr(json_string_value(json_object_get(j, "error")), "not a leader-mode worker"));
    json_decref(j);
    set_mode(store, "leader");
    expect_leader("s-0001", 2, 0);

    /* deleted through the other handle: 404 */
    k = ami_key_new("ami", "worker", "w1", NULL);
    REQUIRE(ami_store_delete(other, k) == 0);
    json_decref(k);
    json_decref(ask(404));
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&store, check_store_uri("ami")) == 0);
    REQUIRE(ami_store_open(&other, check_store_uri("ami")) == 0);
    REQUIRE(ami_store_open(&local, check_path("local.db")) == 0);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.local_store = local;
    o.nid = "s-0001";
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    RUN(follows_every_commit);
    ami_webfix_free(wf);
    ami_store_free(local);
    ami_store_free(other);
    ami_store_free(store);
    ami_shutdown();
    return check_done();
}
