/* Claim: the built-in templates are compiled into the library from lib/templates/NAME.js with
 * their metadata, are listed and fetched by name, and each makes a valid setWorker body. */
#include "check.h"

static const char *const expected[] = {
    "api-endpoint", "arbitrage-monitor", "balance-monitor", "dca-strategy", "empty", "grid-trading",
    "health-check", "log-cleanup", "market-monitor", "position-manager", "price-aggregator", "ticker-simulator",
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void list_has_every_template_sorted_with_metadata(void)
{
    json_t *all = NULL;
    CHECK_RC(ami_template_list(&all));
    REQUIRE(json_is_array(all));
    CHECK_INT(json_array_size(all), N_EXPECTED);
    for (size_t i = 0; i < json_array_size(all) && i < N_EXPECTED; i++) {
        json_t *t = json_array_get(all, i);
        CHECK_STR(json_string_value(json_object_get(t, "name")), expected[i]);
        ami_exec_mode em;
        ami_priority pr;
        ami_run_mode rm;
        CHECK_RC(ami_exec_mode_parse(&em, json_string_value(json_object_get(t, "executionMode"))));
        CHECK_RC(ami_priority_parse(&pr, json_string_value(json_object_get(t, "priority"))));
        CHECK_RC(ami_run_mode_parse(&rm, json_string_value(json_object_get(t, "mode"))));
        CHECK(json_string_length(json_object_get(t, "title")) > 0);
        CHECK(json_string_length(json_object_get(t, "category")) > 0);
        CHECK(json_string_length(json_object_get(t, "description")) > 10);
        /* the script is the file, byte for byte, and says what it produces */
        char path[256];
        snprintf(path, sizeof path, "lib/templates/%s.js", expected[i]);
        const char *file = slurp(path);
        CHECK(file != NULL);
        const char *script = json_string_value(json_object_get(t, "script"));
        CHECK(file && script && !strcmp(file, script));
        CHECK(script && strstr(script, "Produces"));
    }
    json_decref(all);
}

static void modes_follow_the_spec(void)
{
    static const struct { const char *name, *exec, *prio, *mode; } want[] = {
        { "grid-trading", "leader", "critical", "loop" }, { "dca-strategy", "leader", "high", "single" },
        { "market-monitor", "parallel", "normal", "loop" }, { "balance-monitor", "parallel", "critical", "loop" },
        { "price-aggregator", "leader", "high", "loop" }, { "health-check", "parallel", "low", "loop" },
        { "log-cleanup", "exclusive", "low", "loop" }, { "arbitrage-monitor", "parallel", "high", "loop" },
        { "api-endpoint", "exclusive", "high", "loop" }, { "position-manager", "leader", "critical", "loop" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *t = NULL;
        CHECK_RC(ami_template_get(&t, want[i].name));
        CHECK_STR(json_string_value(json_object_get(t, "executionMode")), want[i].exec);
        CHECK_STR(json_string_value(json_object_get(t, "priority")), want[i].prio);
        CHECK_STR(json_string_value(json_object_get(t, "mode")), want[i].mode);
        json_decref(t);
    }
    json_t *t = NULL;
    CHECK_RC(ami_template_get(&t, "api-endpoint"));
    CHECK(strstr(json_string_value(json_object_get(t, "script")), "Deno.serve({ port: PORT") != NULL);
    json_decref(t);
}

static void unknown_name_lists_the_known_ones(void)
{
    json_t *t = (json_t *)1;
    CHECK_INT(ami_template_get(&t, "no-such"), AMI_ENOTFOUND);
    CHECK(t == NULL);
    CHECK(strstr(ami_error_last(), "no-such") && strstr(ami_error_last(), "grid-trading"));
    CHECK_INT(ami_template_worker_body(&t, "no-such"), AMI_ENOTFOUND);
    CHECK_INT(ami_template_get(&t, NULL), AMI_EINVAL);
}

static void worker_bodies_create_workers(void)
{
    ami_store *s = NULL;
    char uri[512];
    snprintf(uri, sizeof uri, "sqlite:%s", check_path("t.db"));
    REQUIRE(ami_store_open(&s, uri) == 0);
    for (size_t i = 0; i < N_EXPECTED; i++) {
        json_t *body = NULL, *entry = NULL;
        CHECK_RC(ami_template_worker_body(&body, expected[i]));
        json_t *exec = json_object_get(body, "executionMode");
        if (!strcmp(json_string_value(exec), "exclusive")) json_object_set_new(body, "assignedNode", json_string("s-0001"));
        CHECK_RC(ami_registry_create(&entry, s, "s-0001", body));
        json_t *raw = json_object_get(json_object_get(entry, "value"), "raw");
        CHECK_STR(json_string_value(json_object_get(raw, "script")),
                  json_string_value(json_object_get(body, "scriptContent")));
        CHECK(json_equal(json_object_get(raw, "executionMode"), exec));
        json_decref(entry);
        json_decref(body);
    }
    ami_store_free(s);
}

int main(void)
{
    ami_init();
    RUN(list_has_every_template_sorted_with_metadata);
    RUN(modes_follow_the_spec);
    RUN(unknown_name_lists_the_known_ones);
    RUN(worker_bodies_create_workers);
    ami_shutdown();
    return check_done();
}
