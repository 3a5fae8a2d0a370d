/* Claim: updating a worker record that the registry did not write (raw is not
 * an object, e.g. stored by a script's Stels.net.set) is refused with a clear
 * validation error and leaves the record as it was; get and list still show it. */
#include "check.h"

static ami_store *s;

static void put_raw(const char *sid, json_t *raw)
{
    json_t *key = ami_key_new("ami", "worker", sid, NULL);
    json_t *value = json_pack("{s:s,s:o,s:i}", "channel", "ami.worker.x", "raw", raw, "timestamp", 1);
    REQUIRE(ami_store_set(s, key, value, 0, NULL) == 0);
    json_decref(value);
    json_decref(key);
}

static void update_refused(void)
{
    const char *sids[] = { "junk-number", "junk-array", "junk-string" };
    put_raw(sids[0], json_integer(5));
    put_raw(sids[1], json_pack("[i]", 1));
    put_raw(sids[2], json_string("active"));
    for (int i = 0; i < 3; i++) {
        json_t *before = NULL, *after = NULL, *out = NULL;
        REQUIRE(ami_registry_get(&before, s, sids[i]) == 0);
        json_t *patch = json_pack("{s:b}", "active", 1);
        CHECK_INT(ami_registry_update(&out, s, sids[i], patch, NULL), AMI_EVALIDATION);
        CHECK(strstr(ami_error_last(), "Invalid worker record") != NULL);
        CHECK(out == NULL);
        REQUIRE(ami_registry_get(&after, s, sids[i]) == 0);
        CHECK_JSON_EQ(after, before);
        json_decref(patch);
        json_decref(before);
        json_decref(after);
    }
    json_t *all = NULL;
    CHECK_RC(ami_registry_list(&all, s));
    CHECK_INT(json_array_size(all), 3);
    json_decref(all);
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&s, check_path("ami.db")) == 0);
    RUN(update_refused);
    ami_store_free(s);
    ami_shutdown();
    return check_done();
}
