/* Claim: deleting a worker succeeds even while another writer keeps updating
 * it (the delete is unconditional for the caller), and the worker is gone. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "check.h"

static char sid[64];
static atomic_int stop_writer;

static void *update_loop(void *arg)
{
    (void)arg;
    ami_store *s = NULL;   /* its own handle, as another process would have */
    if (ami_store_open(&s, check_path("ami.db"))) return NULL;
    for (int i = 0; !atomic_load(&stop_writer) && i < 100000; i++) {
        char note[32];
        snprintf(note, sizeof note, "n%d", i);
        json_t *patch = json_pack("{s:s}", "note", note);
        int rc = ami_registry_update(NULL, s, sid, patch, NULL);
        json_decref(patch);
        if (rc) break;   /* deleted */
    }
    ami_store_free(s);
    return NULL;
}

static void delete_wins_against_updates(void)
{
    for (int round = 0; round < 20; round++) {
        ami_store *s = NULL;
        REQUIRE(ami_store_open(&s, check_path("ami.db")) == 0);
        json_t *e = NULL;
        REQUIRE(ami_registry_create(&e, s, "s-0001", NULL) == 0);
        snprintf(sid, sizeof sid, "%s", json_string_value(json_array_get(json_object_get(e, "key"), 2)));
        json_decref(e);
        atomic_store(&stop_writer, 0);
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, update_loop, NULL) == 0);
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        int rc = ami_registry_delete(s, sid);
        if (rc) fprintf(stderr, "  round %d: delete returned %d: %s\n", round, rc, ami_error_last());
        CHECK_RC(rc);
        atomic_store(&stop_writer, 1);
        pthread_join(t, NULL);
        CHECK_INT(ami_registry_get(&e, s, sid), AMI_ENOTFOUND);
        ami_store_free(s);
    }
}

int main(void)
{
    ami_init();
    RUN(delete_wins_against_updates);
    ami_shutdown();
    return check_done();
}
