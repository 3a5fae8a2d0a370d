/* Claim: a worker whose script fits the 64 KiB script limit but whose whole
 * record does not fit a store value is refused with a message that names the
 * worker record and the limit (not the store's bare "value is N bytes"), on
 * create and on update, and nothing is written. */
#include "check.h"

static ami_store *s;

static size_t worker_count(void)
{
    json_t *all = NULL;
    REQUIRE(ami_registry_list(&all, s) == 0);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

/* A script of `len` bytes: a line comment (compiles, counts as content). */
static char *script_of(size_t len)
{
    char *p = malloc(len + 1);
    REQUIRE(p);
    memset(p, 'x', len);
    p[0] = '/';
    p[1] = '/';
    p[len] = '\0';
    return p;
}

static void check_message(void)
{
    const char *m = ami_error_last();
    CHECK(strstr(m, "Worker record too large") != NULL);
    CHECK(strstr(m, "65536") != NULL);
    if (!strstr(m, "Worker record too large")) fprintf(stderr, "  message: %s\n", m);
}

static void create_refused_clearly(void)
{
    char *script = script_of(65536 - 10);   /* under the script limit; the record around it is not */
    json_t *body = json_pack("{s:s}", "scriptContent", script), *e = NULL;
    CHECK_INT(ami_registry_create(&e, s, "s-0001", body), AMI_EVALUETOOLARGE);
    check_message();
    CHECK(e == NULL);
    CHECK_INT(worker_count(), 0);
    json_decref(body);
    free(script);
}

static void update_refused_clearly(void)
{
    json_t *e = NULL;
    REQUIRE(ami_registry_create(&e, s, "s-0001", NULL) == 0);
    char sid[64];
    snprintf(sid, sizeof sid, "%s", json_string_value(json_array_get(json_object_get(e, "key"), 2)));
    json_t *before_vs = json_incref(json_object_get(e, "versionstamp"));
    json_decref(e);
    char *script = script_of(65536 - 10);
    json_t *patch = json_pack("{s:s}", "script", script), *out = NULL;
    CHECK_INT(ami_registry_update(&out, s, sid, patch, NULL), AMI_EVALUETOOLARGE);
    check_message();
    CHECK(out == NULL);
    REQUIRE(ami_registry_get(&e, s, sid) == 0);
    CHECK_STR(json_string_value(json_object_get(e, "versionstamp")), json_string_value(before_vs));
    json_decref(e);
    json_decref(patch);
    json_decref(before_vs);
    free(script);
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&s, check_path("ami.db")) == 0);
    RUN(create_refused_clearly);
    RUN(update_refused_clearly);
    ami_store_free(s);
    ami_shutdown();
    return check_done();
}
