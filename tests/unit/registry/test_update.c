/* Claim: updateWorker merges a partial raw under optimistic locking; sid/nid never change. */
#include "check.h"

static ami_store *s;

static json_t *raw_of(json_t *e) { return json_object_get(json_object_get(e, "value"), "raw"); }

static char *create(const char *body_text)
{
    json_t *body = check_json(body_text), *e = NULL;
    REQUIRE(ami_registry_create(&e, s, "s-0001", body) == 0);
    char *sid = strdup(json_string_value(json_object_get(raw_of(e), "sid")));
    json_decref(e);
    json_decref(body);
    return sid;
}

static void partial_update_keeps_other_fields(void)
{
    char *sid = create("{\"scriptContent\":\"one\",\"priority\":\"low\",\"accountId\":\"acc\",\"note\":\"n\"}");
    json_t *before = NULL, *after = NULL;
    REQUIRE(ami_registry_get(&before, s, sid) == 0);
    json_t *patch = check_json("{\"active\":true}");
    CHECK_RC(ami_registry_update(&after, s, sid, patch, NULL));
    json_t *expect = json_deep_copy(raw_of(before));
    json_object_set_new(expect, "active", json_true());
    json_object_set(expect, "timestamp", json_object_get(raw_of(after), "timestamp"));
    CHECK_JSON_EQ(raw_of(after), expect);
    CHECK(strcmp(json_string_value(json_object_get(after, "versionstamp")),
                 json_string_value(json_object_get(before, "versionstamp"))) > 0);
    json_decref(expect);
    json_decref(patch);
    json_decref(before);
    json_decref(after);
    free(sid);
}

static void null_clears_optional_fields(void)
{
    char *sid = create("{\"accountId\":\"acc\",\"assignedNode\":\"s-0009\",\"note\":\"keep?\"}");
    json_t *patch = check_json("{\"accountId\":null,\"assignedNode\":null,\"note\":null}"), *e = NULL;
    CHECK_RC(ami_registry_update(&e, s, sid, patch, NULL));
    CHECK(json_is_null(json_object_get(raw_of(e), "accountId")));
    CHECK(json_is_null(json_object_get(raw_of(e), "assignedNode")));
    CHECK_STR(json_string_value(json_object_get(raw_of(e), "note")), "");
    json_decref(e);
    json_decref(patch);
    /* a required field cannot be cleared */
    patch = check_json("{\"script\":null}");
    e = NULL;
    CHECK_INT(ami_registry_update(&e, s, sid, patch, NULL), AMI_EVALIDATION);
    CHECK_STR(ami_error_last(), "Invalid script: cannot be null");
    json_decref(patch);
    /* clearing assignedNode of an exclusive worker is refused */
    json_decref(check_json("{}"));
    free(sid);
    sid = create("{\"executionMode\":\"exclusive\",\"assignedNode\":\"s-0002\"}");
    patch = check_json("{\"assignedNode\":null}");
    CHECK_INT(ami_registry_update(&e, s, sid, patch, NULL), AMI_EVALIDATION);
    CHECK_STR(ami_error_last(), "Exclusive mode requires assignedNode parameter");
    json_decref(patch);
    free(sid);
}

static void sid_and_nid_are_immutable(void)
{
    char *sid = create("{}");
    json_t *e = NULL, *patch = check_json("{\"sid\":\"other\"}");
    CHECK_INT(ami_registry_update(&e, s, sid, patch, NULL), AMI_EVALIDATION);
    json_decref(patch);
    patch = check_json("{\"nid\":\"s-0099\"}");
    CHECK_INT(ami_registry_update(&e, s, sid, patch, NULL), AMI_EVALIDATION);
    json_decref(patch);
    /* sending them unchanged (a full raw object, as the spec's clients do) is fine */
    json_t *cur = NULL;
    REQUIRE(ami_registry_get(&cur, s, sid) == 0);
    json_t *full = json_deep_copy(raw_of(cur));
    json_object_set_new(full, "priority", json_string("high"));
    CHECK_RC(ami_registry_update(&e, s, sid, full, NULL));
    CHECK_STR(json_string_value(json_object_get(raw_of(e), "priority")), "high");
    CHECK_STR(json_string_value(json_object_get(raw_of(e), "sid")), sid);
    json_decref(e);
    json_decref(full);
    json_decref(cur);
    free(sid);
}

static void stale_versionstamp_conflicts(void)
{
    char *sid = create("{}");
    json_t *first = NULL, *e = NULL;
    REQUIRE(ami_registry_get(&first, s, sid) == 0);
    const char *old_vs = json_string_value(json_object_get(first, "versionstamp"));
    json_t *patch = check_json("{\"note\":\"a\"}");
    CHECK_RC(ami_registry_update(&e, s, sid, patch, old_vs));
    json_decref(e);
    e = NULL;
    CHECK_INT(ami_registry_update(&e, s, sid, patch, old_vs), AMI_ECONFLICT);
    CHECK_STR(ami_error_last(), "Update Worker Error: version mismatch or not found");
    CHECK(e == NULL);
    CHECK_INT(ami_registry_update(&e, s, "no-such-worker", patch, NULL), AMI_ECONFLICT);
    CHECK_STR(ami_error_last(), "Update Worker Error: version mismatch or not found");
    json_decref(patch);
    json_decref(first);
    free(sid);
}

static void delete_and_resolve(void)
{
    char *sid = create("{}");
    char prefix[9];
    memcpy(prefix, sid, 8);
    prefix[8] = 0;
    char *full = NULL;
    CHECK_RC(ami_registry_resolve(&full, s, prefix));
    CHECK_STR(full, sid);
    ami_free(full);
    full = NULL;
    CHECK_INT(ami_registry_resolve(&full, s, ""), AMI_EINVAL);
    /* every sid starts with a hex digit; with several workers some one-letter prefix is ambiguous */
    int ambiguous = 0;
    for (const char *h = "0123456789abcdef"; *h; h++) {
        char p[2] = { *h, 0 };
        if (ami_registry_resolve(&full, s, p) == AMI_EAMBIGUOUS) { ambiguous = 1; CHECK(strstr(ami_error_last(), "matches")); }
        else { ami_free(full); full = NULL; }
    }
    CHECK(ambiguous);
    json_t *lease_key = ami_key_new("ami", "leader", sid, NULL), *lease = json_pack("{s:s}", "leader", "s-0001");
    CHECK_RC(ami_store_set(s, lease_key, lease, 0, NULL));
    CHECK_RC(ami_registry_delete(s, sid));
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, s, lease_key));
    CHECK(json_is_null(json_object_get(e, "value")));   /* the lease went with the worker */
    json_decref(e);
    e = NULL;
    json_decref(lease_key);
    json_decref(lease);
    CHECK_INT(ami_registry_get(&e, s, sid), AMI_ENOTFOUND);
    CHECK_INT(ami_registry_delete(s, sid), AMI_ENOTFOUND);
    CHECK_INT(ami_registry_resolve(&full, s, sid), AMI_ENOTFOUND);
    free(sid);
}

int main(void)
{
    REQUIRE(ami_store_open(&s, check_path("upd.db")) == 0);
    RUN(partial_update_keeps_other_fields);
    RUN(null_clears_optional_fields);
    RUN(sid_and_nid_are_immutable);
    RUN(stale_versionstamp_conflicts);
    for (int i = 0; i < 40; i++) free(create("{}"));
    RUN(delete_and_resolve);
    ami_store_free(s);
    return check_done();
}
