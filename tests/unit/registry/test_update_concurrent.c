/* Claim: concurrent partial updates that give no versionstamp all succeed and
 * none is lost (the merge is redone on the fresh record), while an update that
 * names a stale versionstamp still fails with AMI_ECONFLICT. */
#include <pthread.h>
#include "check.h"

#define ROUNDS 40

static char sid[64];

typedef struct { const char *field; int failures; int last_rc; char last_err[256]; } writer;

static void *write_loop(void *arg)
{
    writer *w = arg;
    ami_store *s = NULL;   /* its own handle, as a second process would have */
    if (ami_store_open(&s, check_path("ami.db"))) {
        w->failures = ROUNDS;
        snprintf(w->last_err, sizeof w->last_err, "open: %s", ami_error_last());
        return NULL;
    }
    for (int i = 0; i < ROUNDS; i++) {
        char text[64];
        snprintf(text, sizeof text, "%s-%d", w->field, i);
        json_t *patch = json_pack("{s:s}", w->field, text);
        int rc = ami_registry_update(NULL, s, sid, patch, NULL);
        if (rc) {
            w->failures++;
            w->last_rc = rc;
            snprintf(w->last_err, sizeof w->last_err, "%s", ami_error_last());
        }
        json_decref(patch);
    }
    ami_store_free(s);
    return NULL;
}

static void concurrent_updates_all_land(void)
{
    writer a = { "note", 0, 0, "" }, b = { "accountId", 0, 0, "" };
    pthread_t ta, tb;
    REQUIRE(pthread_create(&ta, NULL, write_loop, &a) == 0);
    REQUIRE(pthread_create(&tb, NULL, write_loop, &b) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (a.failures) fprintf(stderr, "  note writer: %d failed, last %d: %s\n", a.failures, a.last_rc, a.last_err);
    if (b.failures) fprintf(stderr, "  accountId writer: %d failed, last %d: %s\n", b.failures, b.last_rc, b.last_err);
    CHECK_INT(a.failures, 0);
    CHECK_INT(b.failures, 0);

    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, check_path("ami.db")) == 0);
    json_t *e = NULL;
    REQUIRE(ami_registry_get(&e, s, sid) == 0);
    json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
    char want[64];
    snprintf(want, sizeof want, "note-%d", ROUNDS - 1);
    CHECK_STR(json_string_value(json_object_get(raw, "note")), want);
    snprintf(want, sizeof want, "accountId-%d", ROUNDS - 1);
    CHECK_STR(json_string_value(json_object_get(raw, "accountId")), want);
    json_decref(e);
    ami_store_free(s);
}

static void stale_versionstamp_still_conflicts(void)
{
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, check_path("ami.db")) == 0);
    json_t *e = NULL;
    REQUIRE(ami_registry_get(&e, s, sid) == 0);
    char vs[32];
    snprintf(vs, sizeof vs, "%s", json_string_value(json_object_get(e, "versionstamp")));
    json_decref(e);
    json_t *patch = json_pack("{s:s}", "note", "first");
    CHECK_RC(ami_registry_update(NULL, s, sid, patch, vs));
    json_decref(patch);
    patch = json_pack("{s:s}", "note", "second");
    CHECK_INT(ami_registry_update(NULL, s, sid, patch, vs), AMI_ECONFLICT);
    json_decref(patch);
    REQUIRE(ami_registry_get(&e, s, sid) == 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "note")), "first");
    json_decref(e);
    ami_store_free(s);
}

int main(void)
{
    ami_init();
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, check_path("ami.db")) == 0);
    json_t *e = NULL;
    REQUIRE(ami_registry_create(&e, s, "s-0001", NULL) == 0);
    snprintf(sid, sizeof sid, "%s", json_string_value(json_array_get(json_object_get(e, "key"), 2)));
    json_decref(e);
    ami_store_free(s);
    RUN(concurrent_updates_all_land);
    RUN(stale_versionstamp_still_conflicts);
    ami_shutdown();
    return check_done();
}
