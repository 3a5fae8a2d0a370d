/* Claim: "sqlite::memory:" gives a private store per open (CAS, watch from another thread, expiry work; gone on free), and ami_store_open_temp gives a file store other handles open by its URI, removed with its directory on free. */
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static json_t *K(const char *a) { return ami_key_new("t", a, NULL); }

typedef struct { ami_store *s; int rc; ami_versionstamp vs; } watch_arg;

static void *watcher(void *p)
{
    watch_arg *a = p;
    json_t *pre = ami_key_new("t", NULL);
    a->rc = ami_store_watch(a->s, pre, "", 5000, a->vs);
    json_decref(pre);
    return NULL;
}

static void memory_store(void)
{
    ami_store *a = NULL, *b = NULL;
    CHECK_RC(ami_store_open(&a, "sqlite::memory:"));
    CHECK_RC(ami_store_open(&b, ":memory:"));
    REQUIRE(a && b);
    CHECK(ami_store_capabilities(a) & AMI_STORE_CAP_WATCH);
    json_t *k = K("x"), *v = json_integer(7), *e = NULL;
    /* a watcher on another thread sees a commit made through the same handle */
    watch_arg w = { a, 99, "" };
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, watcher, &w) == 0);
    usleep(50 * 1000);
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(a, k, v, 0, vs));
    pthread_join(t, NULL);
    CHECK_INT(w.rc, 0);
    CHECK_STR(w.vs, vs);
    CHECK_RC(ami_store_get(&e, a, k));
    CHECK_INT(json_integer_value(json_object_get(e, "value")), 7);
    json_decref(e);
    /* the other memory store is another database */
    CHECK_RC(ami_store_get(&e, b, k));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    /* CAS: a stale check does not commit */
    ami_atomic *at = NULL;
    CHECK_RC(ami_atomic_new(&at));
    CHECK_RC(ami_atomic_check(at, k, "00000000000000000000"));
    CHECK_RC(ami_atomic_set(at, k, v, 0));
    int committed = -1;
    CHECK_RC(ami_store_commit(a, at, &committed, NULL));
    CHECK_INT(committed, 0);
    ami_atomic_free(at);
    /* expiry */
    json_t *k2 = K("ttl");
    CHECK_RC(ami_store_set(a, k2, v, 30, NULL));
    usleep(80 * 1000);
    CHECK_RC(ami_store_get(&e, a, k2));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    json_decref(k2);
    ami_store_free(a);
    /* a new memory store starts empty: nothing outlived the freed one */
    CHECK_RC(ami_store_open(&a, "sqlite::memory:"));
    CHECK_RC(ami_store_get(&e, a, k));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    ami_store_free(a);
    ami_store_free(b);
    json_decref(k);
    json_decref(v);
}

static void temp_store(void)
{
    ami_store *t = NULL, *other = NULL;
    char *uri = NULL;
    CHECK_RC(ami_store_open_temp(&t, &uri));
    REQUIRE(t && uri && !strncmp(uri, "sqlite:", 7));
    json_t *k = K("shared"), *v = json_string("hello"), *e = NULL;
    CHECK_RC(ami_store_set(t, k, v, 0, NULL));
    CHECK_RC(ami_store_open(&other, uri));
    CHECK_RC(ami_store_get(&e, other, k));
    CHECK_STR(json_string_value(json_object_get(e, "value")), "hello");
    json_decref(e);
    ami_store_free(other);
    char path[1024];
    snprintf(path, sizeof path, "%s", uri + 7);
    char *slash = strrchr(path, '/');
    REQUIRE(slash);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    *slash = '\0';
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    ami_store_free(t);
    CHECK(stat(path, &st) != 0);   /* the directory and the store are gone */
    ami_free(uri);
    json_decref(k);
    json_decref(v);
    /* without an out_uri */
    CHECK_RC(ami_store_open_temp(&t, NULL));
    ami_store_free(t);
    CHECK_INT(ami_store_open_temp(NULL, NULL), AMI_EINVAL);
}

int main(void)
{
    ami_init();
    RUN(memory_store);
    RUN(temp_store);
    ami_shutdown();
    return check_done();
}
