/* Claim: the ami_error_last() contract of common.h holds: a failing call sets message and code, a later successful call leaves them, ami_error_clear() and ami_init() reset them, and other threads do not see them. */
#include <pthread.h>
#include "check.h"

static void *other(void *arg)
{
    int *seen = arg;
    *seen = ami_error_last()[0] != '\0' || ami_error_last_code() != 0;
    return NULL;
}

static void contract(void)
{
    ami_store *s = NULL;
    CHECK_RC(ami_store_open(&s, "sqlite::memory:"));
    ami_error_clear();
    CHECK_STR(ami_error_last(), "");
    CHECK_INT(ami_error_last_code(), 0);
    /* a failing call: its code and a message naming what was wrong */
    json_t *bad = json_pack("[[]]"), *e = NULL;
    CHECK_INT(ami_store_get(&e, s, bad), AMI_EINVAL);
    CHECK_INT(ami_error_last_code(), AMI_EINVAL);
    CHECK(ami_error_last()[0] != '\0');
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", ami_error_last());
    /* a successful call leaves it */
    json_t *k = ami_key_new("ok", NULL);
    CHECK_RC(ami_store_get(&e, s, k));
    json_decref(e);
    CHECK_STR(ami_error_last(), msg);
    CHECK_INT(ami_error_last_code(), AMI_EINVAL);
    /* another thread has its own (empty) error */
    int seen = -1;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, other, &seen) == 0);
    pthread_join(t, NULL);
    CHECK_INT(seen, 0);
    /* ami_error_clear resets */
    ami_error_clear();
    CHECK_STR(ami_error_last(), "");
    CHECK_INT(ami_error_last_code(), 0);
    /* so does ami_init */
    CHECK_INT(ami_registry_get(&e, s, "missing"), AMI_ENOTFOUND);
    CHECK_INT(ami_error_last_code(), AMI_ENOTFOUND);
    CHECK(ami_init() > 0);
    CHECK_STR(ami_error_last(), "");
    CHECK_INT(ami_error_last_code(), 0);
    ami_shutdown();
    json_decref(k);
    json_decref(bad);
    ami_store_free(s);
}

static void entry_accessors(void)
{
    ami_store *s = NULL;
    CHECK_RC(ami_store_open(&s, "sqlite::memory:"));
    json_t *body = json_pack("{s:s}", "scriptContent", "return 1;"), *e = NULL;
    CHECK_RC(ami_registry_create(&e, s, "s-1", body));
    const char *sid = ami_entry_sid(e);
    REQUIRE(sid);
    CHECK_INT(strlen(sid), 36);
    CHECK_INT(strlen(ami_entry_versionstamp(e)), AMI_VERSIONSTAMP_LEN);
    CHECK_STR(json_string_value(json_object_get(json_object_get(ami_entry_value(e), "raw"), "script")), "return 1;");
    json_t *got = NULL;
    CHECK_RC(ami_registry_get(&got, s, sid));
    CHECK_STR(ami_entry_versionstamp(got), ami_entry_versionstamp(e));
    json_decref(got);
    /* an absent key: null value, no versionstamp; not an entry: NULL */
    json_t *k = ami_key_new("none", NULL);
    CHECK_RC(ami_store_get(&got, s, k));
    CHECK(json_is_null(ami_entry_value(got)));
    CHECK(ami_entry_versionstamp(got) == NULL);
    CHECK(ami_entry_sid(got) == NULL);
    CHECK(ami_entry_sid(NULL) == NULL && ami_entry_value(NULL) == NULL && ami_entry_versionstamp(NULL) == NULL);
    json_decref(got);
    json_decref(k);
    json_decref(e);
    json_decref(body);
    ami_store_free(s);
}

int main(void)
{
    ami_init();
    RUN(contract);
    RUN(entry_accessors);
    ami_shutdown();
    return check_done();
}
