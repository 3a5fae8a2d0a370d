/* Claim: getLeaderInfo bodies have spec 003 §6's shapes, field by field. */
#include "check.h"
#include "util/util.h"

#define SID "550e8400-e29b-41d4-a716-446655440000"

/* The keys of an object in order, joined with commas. */
static void key_order(char *out, size_t n, const json_t *obj)
{
    const char *k;
    json_t *v;
    out[0] = '\0';
    json_object_foreach((json_t *)obj, k, v) {
        if (out[0]) strncat(out, ",", n - strlen(out) - 1);
        strncat(out, k, n - strlen(out) - 1);
    }
}

static void spec_example_with_leader(void)
{
    /* spec 003 §6, "Лидер найден", with now = renewedAt so expiresIn is 30000 */
    ami_lease l;
    memset(&l, 0, sizeof l);
    snprintf(l.sid, sizeof l.sid, SID);
    snprintf(l.leader, sizeof l.leader, "s-0001");
    l.term = 7;
    l.timestamp = 1760245826876;
    l.renewed_at = 1760245856876;
    l.expires_at = 1760245886876;
    json_t *got = ami_lease_info_json(SID, &l, 1760245856876);
    REQUIRE(got != NULL);
    json_t *want = check_json("{\n"
        "  \"workerId\": \"550e8400-e29b-41d4-a716-446655440000\",\n"
        "  \"hasLeader\": true,\n"
        "  \"leader\": \"s-0001\",\n"
        "  \"timestamp\": 1760245826876,\n"
        "  \"expiresAt\": 1760245886876,\n"
        "  \"renewedAt\": 1760245856876,\n"
        "  \"expiresIn\": 30000,\n"
        "  \"isExpired\": false,\n"
        "  \"term\": 7\n"
        "}");
    CHECK_JSON_EQ(got, want);
    /* field by field: types as the spec's table says */
    CHECK(json_is_string(json_object_get(got, "workerId")));
    CHECK(json_is_true(json_object_get(got, "hasLeader")));
    CHECK(json_is_string(json_object_get(got, "leader")));
    CHECK(json_is_integer(json_object_get(got, "timestamp")));
    CHECK(json_is_integer(json_object_get(got, "expiresAt")));
    CHECK(json_is_integer(json_object_get(got, "renewedAt")));
    CHECK(json_is_integer(json_object_get(got, "expiresIn")));
    CHECK(json_is_false(json_object_get(got, "isExpired")));
    CHECK(json_is_integer(json_object_get(got, "term")));   /* protocol.md and amictl.1 show it */
    CHECK_INT(json_object_size(got), 9);
    char order[256];
    key_order(order, sizeof order, got);
    CHECK_STR(order, "workerId,hasLeader,leader,timestamp,expiresAt,renewedAt,expiresIn,isExpired,term");
    json_decref(got);
    json_decref(want);
}

static void spec_example_without_leader(void)
{
    json_t *got = ami_lease_info_json(SID, NULL, 1760245856876);
    json_t *want = check_json("{\"workerId\": \"550e8400-e29b-41d4-a716-446655440000\","
                              " \"hasLeader\": false, \"message\": \"No leader elected yet\"}");
    CHECK_JSON_EQ(got, want);
    char order[256];
    key_order(order, sizeof order, got);
    CHECK_STR(order, "workerId,hasLeader,message");
    json_decref(got);
    json_decref(want);
}

static void expired_lease_shows_expired(void)
{
    ami_lease l;
    memset(&l, 0, sizeof l);
    snprintf(l.sid, sizeof l.sid, SID);
    snprintf(l.leader, sizeof l.leader, "s-0002");
    l.timestamp = 1000;
    l.renewed_at = 2000;
    l.expires_at = 3000;
    json_t *got = ami_lease_info_json(SID, &l, 3500);
    CHECK(json_is_true(json_object_get(got, "hasLeader")));
    CHECK(json_is_true(json_object_get(got, "isExpired")));
    CHECK_INT(json_integer_value(json_object_get(got, "expiresIn")), 0);
    CHECK_STR(json_string_value(json_object_get(got, "leader")), "s-0002");
    json_decref(got);
    /* exactly at expiresAt it is expired */
    got = ami_lease_info_json(SID, &l, 3000);
    CHECK(json_is_true(json_object_get(got, "isExpired")));
    json_decref(got);
    got = ami_lease_info_json(SID, &l, 2999);
    CHECK(json_is_false(json_object_get(got, "isExpired")));
    CHECK_INT(json_integer_value(json_object_get(got, "expiresIn")), 1);
    json_decref(got);
}

static void from_the_store(void)
{
    ami_store *st = NULL;
    REQUIRE(ami_store_open(&st, check_path("info.db")) == 0);
    json_t *got = NULL;
    CHECK_RC(ami_election_leader_info(&got, st, SID));
    CHECK(json_is_false(json_object_get(got, "hasLeader")));
    CHECK_STR(json_string_value(json_object_get(got, "message")), "No leader elected yet");
    CHECK_STR(json_string_value(json_object_get(got, "workerId")), SID);
    json_decref(got);

    ami_lease l;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&l, &acq, st, SID, "s-0001", 60000));
    int64_t t0 = ami_time_now_ms();
    CHECK_RC(ami_election_leader_info(&got, st, SID));
    CHECK(json_is_true(json_object_get(got, "hasLeader")));
    CHECK_STR(json_string_value(json_object_get(got, "leader")), "s-0001");
    CHECK_INT(json_integer_value(json_object_get(got, "timestamp")), l.timestamp);
    CHECK_INT(json_integer_value(json_object_get(got, "renewedAt")), l.renewed_at);
    CHECK_INT(json_integer_value(json_object_get(got, "expiresAt")), l.timestamp + 60000);
    json_int_t in = json_integer_value(json_object_get(got, "expiresIn"));
    CHECK(in > 60000 - 5000 && in <= l.expires_at - t0 + 5);
    CHECK(json_is_false(json_object_get(got, "isExpired")));
    CHECK_INT(json_integer_value(json_object_get(got, "term")), l.term);
    CHECK_INT(json_object_size(got), 9);
    json_decref(got);

    /* after release: still shown, expired */
    CHECK_RC(ami_election_release(st, &l));
    CHECK_RC(ami_election_leader_info(&got, st, SID));
    CHECK(json_is_true(json_object_get(got, "isExpired")));
    CHECK_INT(json_integer_value(json_object_get(got, "expiresIn")), 0);
    json_decref(got);
    ami_store_free(st);
}

int main(void)
{
    RUN(spec_example_with_leader);
    RUN(spec_example_without_leader);
    RUN(expired_lease_shows_expired);
    RUN(from_the_store);
    return check_done();
}
