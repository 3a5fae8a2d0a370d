/* Claim: bad setWorker/updateWorker input is refused with the exact message, and nothing is written. */
#include "check.h"

static ami_store *s;

static void expect_create_error(const char *body_text, const char *message)
{
    json_t *body = check_json(body_text), *e = NULL;
    int rc = ami_registry_create(&e, s, "s-0001", body);
    CHECK_INT(rc, AMI_EVALIDATION);
    if (strncmp(ami_error_last(), message, strlen(message)))
        { check_failures++; fprintf(stderr, "  body %s: message '%s', expected '%s…'\n", body_text, ami_error_last(), message); }
    CHECK(e == NULL);
    json_decref(body);
}

static void create_messages(void)
{
    expect_create_error("{\"scriptContent\":42}", "Invalid script content");
    expect_create_error("{\"scriptContent\":\"\"}", "Invalid script content");
    expect_create_error("{\"scriptContent\":\"  \\n \"}", "Invalid script content");
    expect_create_error("{\"executionMode\":\"exclusive\"}", "Exclusive mode requires assignedNode parameter");
    expect_create_error("{\"executionMode\":\"exclusive\",\"assignedNode\":\"\"}", "Exclusive mode requires assignedNode parameter");
    expect_create_error("{\"executionMode\":\"exclusive\",\"assignedNode\":\"   \"}", "Exclusive mode requires assignedNode parameter");
    expect_create_error("{\"executionMode\":\"everywhere\"}", "Invalid executionMode: 'everywhere'");
    expect_create_error("{\"priority\":\"urgent\"}", "Invalid priority: 'urgent'");
    expect_create_error("{\"priority\":1}", "Invalid priority: expected a string");
    expect_create_error("{\"mode\":\"twice\"}", "Invalid mode: 'twice'");
    expect_create_error("{\"scope\":\"planet\"}", "Invalid scope: 'planet'");
    expect_create_error("{\"dependencies\":\"gliesereum\"}", "Invalid dependencies");
    expect_create_error("{\"dependencies\":[1]}", "Invalid dependencies");
    expect_create_error("{\"active\":\"yes\"}", "Invalid active");
    expect_create_error("{\"priorty\":\"high\"}", "Unknown field in request body: 'priorty'");
    expect_create_error("[1,2]", "Invalid request body");
    /* a script over 64 KiB */
    size_t n = 70000;
    char *big = malloc(n + 64);
    strcpy(big, "{\"scriptContent\":\"");
    memset(big + 18, 'x', n);
    strcpy(big + 18 + n, "\"}");
    expect_create_error(big, "Invalid script content");
    free(big);
    json_t *all = NULL;
    CHECK_RC(ami_registry_list(&all, s));
    CHECK_INT(json_array_size(all), 0);
    json_decref(all);
}

/* No hook to install: create and update compile every script; the error keeps its position. */
static void scripts_are_compiled(void)
{
    expect_create_error("{\"scriptContent\":\"var ok = 1;\\n  if (a {\\n}\"}", "Invalid script content: SyntaxError: ");
    ami_script_error se = AMI_SCRIPT_ERROR_INIT;
    CHECK_RC(ami_error_last_script(&se));
    CHECK_STR(se.name, "SyntaxError");
    CHECK_INT(se.line, 2);
    CHECK(se.column > 0);
    CHECK(strstr(ami_error_last(), "(line 2, column ") != NULL);
    json_t *e = NULL, *body = check_json("{\"scriptContent\":\"return 1;\"}");
    CHECK_RC(ami_registry_create(&e, s, "s-0001", body));
    const char *sid = json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "sid"));
    json_t *patch = check_json("{\"script\":\"const x = ;\"}"), *out = NULL;
    CHECK_INT(ami_registry_update(&out, s, sid, patch, NULL), AMI_EVALIDATION);
    CHECK(!strncmp(ami_error_last(), "Invalid script content: SyntaxError: ", 37));
    CHECK_RC(ami_error_last_script(&se));
    CHECK_INT(se.line, 1);
    json_t *again = NULL;
    CHECK_RC(ami_registry_get(&again, s, sid));
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(again, "value"), "raw"), "script")), "return 1;");
    /* a later, unrelated error does not carry the old position */
    CHECK_INT(ami_registry_get(&out, s, "no-such-worker"), AMI_ENOTFOUND);
    CHECK_INT(ami_error_last_script(&se), AMI_ENOTFOUND);
    json_decref(again);
    json_decref(patch);
    json_decref(body);
    json_decref(e);
}

/* A versionstamp that is not one is bad input (400), not a version conflict (409). */
static void malformed_versionstamp(void)
{
    json_t *e = NULL;
    CHECK_RC(ami_registry_create(&e, s, "s-0001", NULL));
    const char *sid = json_string_value(json_array_get(json_object_get(e, "key"), 2));
    json_t *patch = check_json("{\"active\":true}"), *out = NULL;
    const char *bad[] = { "zz", "0000000000000000000G", "00000000000000010000x", "0000000000000001000" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(ami_registry_update(&out, s, sid, patch, bad[i]), AMI_EVALIDATION);
        CHECK(!strncmp(ami_error_last(), "Invalid versionstamp", 20));
        CHECK(out == NULL);
    }
    json_t *again = NULL;
    CHECK_RC(ami_registry_get(&again, s, sid));
    CHECK_STR(json_string_value(json_object_get(again, "versionstamp")), json_string_value(json_object_get(e, "versionstamp")));
    json_decref(again);
    json_decref(patch);
    json_decref(e);
}

int main(void)
{
    REQUIRE(ami_store_open(&s, check_path("val.db")) == 0);
    RUN(create_messages);
    RUN(scripts_are_compiled);
    RUN(malformed_versionstamp);
    ami_store_free(s);
    return check_done();
}
