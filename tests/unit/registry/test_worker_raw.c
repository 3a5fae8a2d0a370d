/* Claim: ami_worker_raw_parse reads a stored record's raw exactly (strict: the registry's
 * messages; lenient: what a node can schedule), and ami_worker_raw_to_json gives the same
 * JSON text back, field for field and in the registry's order. */
#include "check.h"

static ami_store *s;

static void round_trip_of_a_created_record(void)
{
    json_t *body = check_json("{\"scriptContent\":\"return 1;\",\"executionMode\":\"exclusive\",\"assignedNode\":\"s-0002\","
                              "\"priority\":\"high\",\"mode\":\"single\",\"scope\":\"local\",\"accountId\":null,\"active\":true}");
    json_t *e = NULL;
    CHECK_RC(ami_registry_create(&e, s, "s-0001", body));
    const json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
    ami_worker_raw r;
    CHECK_RC(ami_worker_raw_parse(&r, raw, AMI_WORKER_RAW_STRICT));
    CHECK_INT(r.exec, AMI_EXEC_EXCLUSIVE);
    CHECK_INT(r.priority, AMI_PRIORITY_HIGH);
    CHECK_INT(r.mode, AMI_RUN_SINGLE);
    CHECK_INT(r.scope, AMI_SCOPE_LOCAL);
    CHECK_INT(r.active, 1);
    CHECK_STR(r.assigned_node, "s-0002");
    CHECK(r.account_id == NULL && (r.present & AMI_WORKER_F_ACCOUNT));
    CHECK_STR(r.script, "return 1;");
    CHECK_INT(r.script_len, 9);
    CHECK_STR(r.nid, "s-0001");
    CHECK_INT(r.present, (AMI_WORKER_F_LANGUAGE << 1) - 1);   /* a new record has every field */
    CHECK_INT(r.language, AMI_LANGUAGE_JS);
    json_t *back = NULL;
    CHECK_RC(ami_worker_raw_to_json(&back, &r));
    char *a = json_dumps(raw, JSON_COMPACT), *b = json_dumps(back, JSON_COMPACT);
    CHECK_STR(b, a);   /* the same text: same fields, same order */
    free(a);
    free(b);
    json_decref(back);
    json_decref(e);
    json_decref(body);
}

static void strict_messages(void)
{
    static const char *const cases[][2] = {
        { "{\"priority\":\"urgent\"}", "Invalid priority: 'urgent' (expected critical, high, normal or low)" },
        { "{\"priorty\":\"high\"}", "Unknown field in raw: 'priorty'" },
        { "{\"active\":1}", "Invalid active: expected true or false" },
        { "{\"note\":5}", "Invalid note: expected a string or null" },
        { "{\"dependencies\":[1]}", "Invalid dependencies: expected an array of strings" },
        { "{\"script\":7}", "Invalid script content: script must be a string" },
        { "{\"mode\":[]}", "Invalid mode: expected a string" },
        { "{\"stoppedByPolicy\":\"yes\"}", "Invalid stoppedByPolicy: expected an object" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *raw = check_json(cases[i][0]);
        ami_worker_raw r;
        CHECK_INT(ami_worker_raw_parse(&r, raw, AMI_WORKER_RAW_STRICT), AMI_EVALIDATION);
        CHECK_STR(ami_error_last(), cases[i][1]);
        json_decref(raw);
    }
}

/* A node's error policy writes stoppedByPolicy into the record: it is one of the
 * record's fields, so a strict reader accepts it and writes it back unchanged. */
static void policy_stop_is_a_record_field(void)
{
    json_t *raw = check_json("{\"sid\":\"w1\",\"script\":\"x\",\"timestamp\":5,"
                             "\"stoppedByPolicy\":{\"reason\":\"too many errors\",\"at\":7,\"nid\":\"s-0001\"}}");
    ami_worker_raw r;
    CHECK_RC(ami_worker_raw_parse(&r, raw, AMI_WORKER_RAW_STRICT));
    CHECK(r.present & AMI_WORKER_F_STOPPED_BY_POLICY);
    CHECK_STR(json_string_value(json_object_get(r.stopped_by_policy, "reason")), "too many errors");
    json_t *back = NULL;
    CHECK_RC(ami_worker_raw_to_json(&back, &r));
    CHECK(json_equal(back, raw));
    json_decref(back);
    json_decref(raw);
}

static void lenient_reads_what_a_node_can_schedule(void)
{
    json_t *raw = check_json("{\"script\":\"x\",\"extra\":1,\"active\":\"yes\",\"priority\":5,\"nid\":7}");
    ami_worker_raw r;
    CHECK_RC(ami_worker_raw_parse(&r, raw, AMI_WORKER_RAW_LENIENT));
    CHECK_INT(r.active, 0);                      /* wrong type reads as absent */
    CHECK_INT(r.priority, AMI_PRIORITY_NORMAL);  /* the default */
    CHECK(r.nid == NULL);
    CHECK_STR(r.script, "x");
    json_decref(raw);
    raw = check_json("{\"script\":\"x\",\"executionMode\":\"everywhere\"}");
    CHECK_INT(ami_worker_raw_parse(&r, raw, AMI_WORKER_RAW_LENIENT), AMI_EVALIDATION);   /* cannot be scheduled */
    json_decref(raw);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", check_path("raw.db"));
    REQUIRE(ami_store_open(&s, uri) == 0);
    RUN(round_trip_of_a_created_record);
    RUN(strict_messages);
    RUN(policy_stop_is_a_record_field);
    RUN(lenient_reads_what_a_node_can_schedule);
    ami_store_free(s);
    return check_done();
}
