/* Claim: setWorker creates the record spec 003 shows, with every default and the exact key order. */
#include <ctype.h>
#include "check.h"

static ami_store *open_store(void)
{
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, check_path("reg.db")) == 0);
    return s;
}

static int is_uuid4(const char *s)
{
    if (!s || strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) { if (s[i] != '-') return 0; }
        else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) return 0;
    }
    return s[14] == '4' && strchr("89ab", s[19]);
}

static void defaults_match_spec(void)
{
    ami_store *s = open_store();
    json_t *e = NULL;
    int64_t before = ami_time_now_ms();
    CHECK_RC(ami_registry_create(&e, s, "s-0001", NULL));
    REQUIRE(e);
    json_t *value = json_object_get(e, "value"), *raw = json_object_get(value, "raw");
    const char *sid = json_string_value(json_object_get(raw, "sid"));
    CHECK(is_uuid4(sid));
    char chan[64], widget[80];
    snprintf(chan, sizeof chan, "ami.worker.%s", sid);
    snprintf(widget, sizeof widget, "widget.ami.worker.%s", sid);
    json_t *key = json_pack("[sss]", "ami", "worker", sid);
    CHECK_JSON_EQ(json_object_get(e, "key"), key);
    json_decref(key);
    CHECK_STR(json_string_value(json_object_get(value, "channel")), chan);
    CHECK_STR(json_string_value(json_object_get(value, "module")), "worker");
    CHECK_STR(json_string_value(json_object_get(value, "widget")), widget);
    CHECK_STR(json_string_value(json_object_get(raw, "nid")), "s-0001");
    CHECK(json_is_false(json_object_get(raw, "active")));
    CHECK_STR(json_string_value(json_object_get(raw, "mode")), "loop");
    CHECK_STR(json_string_value(json_object_get(raw, "scope")), "network");
    CHECK_STR(json_string_value(json_object_get(raw, "executionMode")), "parallel");
    CHECK_STR(json_string_value(json_object_get(raw, "priority")), "normal");
    CHECK(json_is_null(json_object_get(raw, "accountId")));
    CHECK(json_is_null(json_object_get(raw, "assignedNode")));
    CHECK_STR(json_string_value(json_object_get(raw, "script")), "\nlogger.info(\"Worker script initialized!\");\n");
    json_t *deps = json_pack("[s]", "gliesereum");
    CHECK_JSON_EQ(json_object_get(raw, "dependencies"), deps);
    json_decref(deps);
    CHECK_STR(json_string_value(json_object_get(raw, "version")), "1.19.2");
    char note_prefix[128];
    snprintf(note_prefix, sizeof note_prefix, "Worker script Stels SDK %s - 20", sid);
    const char *note = json_string_value(json_object_get(raw, "note"));
    CHECK(note && !strncmp(note, note_prefix, strlen(note_prefix)) && note[strlen(note) - 1] == 'Z');
    json_int_t ts = json_integer_value(json_object_get(raw, "timestamp"));
    CHECK(ts >= before && ts <= ami_time_now_ms());
    CHECK_INT(json_integer_value(json_object_get(value, "timestamp")), ts);
    const char *vs = json_string_value(json_object_get(e, "versionstamp"));
    CHECK(vs && strlen(vs) == 20);

    CHECK_STR(json_string_value(json_object_get(raw, "language")), "js");   /* detected from the script */

    /* Key order of the raw object as spec 003 prints it (scope and language are ours). */
    static const char *order[] = { "sid", "nid", "active", "mode", "scope", "executionMode", "priority", "accountId",
                                   "assignedNode", "note", "script", "language", "dependencies", "version", "timestamp" };
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach(raw, k, v) {
        CHECK(i < 15 && !strcmp(k, order[i]));
        i++;
    }
    CHECK_INT(i, 15);

    /* It is really in the store, identical. */
    json_t *got = NULL;
    CHECK_RC(ami_registry_get(&got, s, sid));
    CHECK_JSON_EQ(got, e);
    json_decref(got);
    json_decref(e);
    ami_store_free(s);
}

static void fields_from_request_are_kept(void)
{
    ami_store *s = open_store();
    json_t *body = check_json("{\"scriptContent\":\"logger.info('Hello from worker!'); await Stels.sleep(1000);\","
                              "\"dependencies\":[\"gliesereum\",\"x\"],\"version\":\"2.0.0\",\"executionMode\":\"exclusive\","
                              "\"priority\":\"critical\",\"accountId\":\"account-uuid\",\"assignedNode\":\"s-0002\","
                              "\"mode\":\"single\",\"scope\":\"local\",\"note\":\"mine\",\"active\":true}");
    json_t *e = NULL;
    CHECK_RC(ami_registry_create(&e, s, "s-0001", body));
    json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        const char *field = !strcmp(k, "scriptContent") ? "script" : k;
        CHECK_JSON_EQ(json_object_get(raw, field), v);
    }
    json_decref(body);
    json_decref(e);
    ami_store_free(s);
}

int main(void)
{
    RUN(defaults_match_spec);
    RUN(fields_from_request_are_kept);
    return check_done();
}
