/*
 * Claim: the front end drives any backend through the vtable correctly — it
 * refuses malformed backends, hands over encoded keys and the right ranges,
 * enforces capabilities, and frees the backend with the store.
 */
#include "check.h"
#include "ami/sys/store_backend.h"

/* A recording backend: one stored value, remembers the last calls. */
typedef struct {
    ami_store_backend base;
    int freed;
    unsigned char list_start[64], list_end[64];
    size_t list_start_len, list_end_len;
    int list_start_null, list_end_null;
    size_t list_limit;
    int list_reverse;
    size_t commit_n;
    ami_store_op last_ops[4];
    int64_t expire_at;
    int *freed_flag;
    int watch_calls, watch_from_calls, wake_calls;
    uint64_t watch_from_wakes;
} fake;

static int f_get(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value, ami_versionstamp vs)
{
    (void)be;
    if (key_len == 3 && !memcmp(key, "\x02" "k\x00", 3)) {
        ami_buf_clear(value);
        ami_buf_puts(value, "{\"a\":1}");
        strcpy(vs, "00000000000000070000");
        return 0;
    }
    vs[0] = 0;
    return AMI_ENOTFOUND;
}

static int f_list(ami_store_backend *be, const unsigned char *start, size_t start_len, const unsigned char *end,
                  size_t end_len, size_t limit, int reverse, ami_store_list_cb cb, void *payload)
{
    fake *f = (fake *)be;
    f->list_start_null = start == NULL;
    f->list_end_null = end == NULL;
    f->list_start_len = start ? start_len : 0;
    f->list_end_len = end ? end_len : 0;
    if (start) memcpy(f->list_start, start, start_len < 64 ? start_len : 64);
    if (end) memcpy(f->list_end, end, end_len < 64 ? end_len : 64);
    f->list_limit = limit;
    f->list_reverse = reverse;
    cb((const unsigned char *)"\x02" "k\x00", 3, "[1]", 3, "00000000000000070000", payload);
    return 0;
}

static int f_commit(ami_store_backend *be, const ami_store_op *ops, size_t n, int *committed, ami_versionstamp vs)
{
    fake *f = (fake *)be;
    f->commit_n = n;
    for (size_t i = 0; i < n && i < 4; i++) f->last_ops[i] = ops[i];
    if (n && ops[0].type == AMI_STORE_OP_SET) f->expire_at = ops[0].expire_at_ms;
    *committed = 1;
    strcpy(vs, "00000000000000080000");
    return 0;
}

static int f_current(ami_store_backend *be, ami_versionstamp vs) { (void)be; strcpy(vs, "00000000000000080000"); return 0; }
static void f_free(ami_store_backend *be) { fake *f = (fake *)be; *f->freed_flag = 1; free(f); }

static int f_watch(ami_store_backend *be, const unsigned char *p, size_t pl, const char *after, int ms,
                   ami_versionstamp vs)
{
    (void)p; (void)pl; (void)after; (void)ms; (void)vs;
    ((fake *)be)->watch_calls++;
    return AMI_ETIMEOUT;
}
static int f_watch_from(ami_store_backend *be, const unsigned char *p, size_t pl, const char *after, int ms,
                        uint64_t wakes, ami_versionstamp vs)
{
    (void)p; (void)pl; (void)after; (void)ms; (void)vs;
    fake *f = (fake *)be;
    f->watch_from_calls++;
    f->watch_from_wakes = wakes;
    return AMI_ETIMEOUT;
}
static void f_wake(ami_store_backend *be) { ((fake *)be)->wake_calls++; }

static fake *new_fake(unsigned caps, int *freed)
{
    fake *f = calloc(1, sizeof *f);
    f->base.version = AMI_STORE_BACKEND_VERSION;
    f->base.capabilities = caps;
    f->base.name = "fake";
    f->base.get = f_get;
    f->base.list = f_list;
    f->base.commit = f_commit;
    f->base.current = f_current;
    f->base.free = f_free;
    f->freed_flag = freed;
    return f;
}

static void refuses_bad_backends(void)
{
    int freed = 0;
    ami_store *s = NULL;
    CHECK_INT(ami_store_open_backend(&s, NULL), AMI_EINVAL);
    fake *f = new_fake(0, &freed);
    f->base.version = 99;
    CHECK_INT(ami_store_open_backend(&s, &f->base), AMI_EINVAL);
    f->base.version = AMI_STORE_BACKEND_VERSION;
    f->base.commit = NULL;
    CHECK_INT(ami_store_open_backend(&s, &f->base), AMI_EINVAL);
    f->base.commit = f_commit;
    f->base.capabilities = AMI_STORE_CAP_WATCH;      /* claims watch without watch() */
    CHECK_INT(ami_store_open_backend(&s, &f->base), AMI_EINVAL);
    CHECK(s == NULL);
    CHECK_INT(freed, 0);                              /* still the caller's */
    f_free(&f->base);
}

static void drives_the_vtable(void)
{
    int freed = 0;
    fake *f = new_fake(AMI_STORE_CAP_CAS | AMI_STORE_CAP_TTL, &freed);
    ami_store *s = NULL;
    CHECK_RC(ami_store_open_backend(&s, &f->base));
    REQUIRE(s);
    CHECK_INT(ami_store_capabilities(s), AMI_STORE_CAP_CAS | AMI_STORE_CAP_TTL);

    json_t *k = check_json("[\"k\"]"), *e = NULL;
    CHECK_RC(ami_store_get(&e, s, k));
    json_t *want = check_json("{\"key\":[\"k\"],\"value\":{\"a\":1},\"versionstamp\":\"00000000000000070000\"}");
    CHECK_JSON_EQ(e, want);
    json_decref(e); json_decref(want);

    /* prefix ["k"] → [02 6b 00 00, 02 6b 00 ff) */
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    o.prefix = k;
    o.limit = 5;
    o.reverse = 1;
    json_t *arr = NULL;
    CHECK_RC(ami_store_list(&arr, s, &o));
    CHECK_INT(json_array_size(arr), 1);
    json_decref(arr);
    CHECK_INT(f->list_start_len, 4);
    CHECK(!memcmp(f->list_start, "\x02" "k\x00\x00", 4));
    CHECK_INT(f->list_end_len, 4);
    CHECK(!memcmp(f->list_end, "\x02" "k\x00\xff", 4));
    CHECK_INT(f->list_limit, 5);
    CHECK_INT(f->list_reverse, 1);
    /* no bounds at all */
    ami_list_options all = AMI_LIST_OPTIONS_INIT;
    CHECK_RC(ami_store_list(&arr, s, &all));
    json_decref(arr);
    CHECK(f->list_start_null && f->list_end_null);

    /* a set's expiry becomes a wall-clock time */
    ami_versionstamp vs;
    json_t *v = json_true();
    int64_t before = ami_time_now_ms();
    CHECK_RC(ami_store_set(s, k, v, 5000, vs));
    CHECK_STR(vs, "00000000000000080000");
    CHECK(f->expire_at >= before + 5000 && f->expire_at <= ami_time_now_ms() + 5000);
    CHECK_INT(f->commit_n, 1);
    CHECK_STR(f->last_ops[0].value, "true");

    /* no watch capability: a clear refusal */
    CHECK_INT(ami_store_watch(s, k, "", 10, vs), AMI_EUNSUPPORTED);
    ami_store_wake(s);   /* harmless */
    ami_store_free(s);
    CHECK_INT(freed, 1);
    json_decref(k); json_decref(v);
}

static void enforces_capabilities(void)
{
    int freed = 0;
    fake *f = new_fake(0, &freed);
    ami_store *s = NULL;
    CHECK_RC(ami_store_open_backend(&s, &f->base));
    json_t *k = check_json("[\"k\"]"), *v = json_true();
    ami_versionstamp vs;
    CHECK_INT(ami_store_set(s, k, v, 100, vs), AMI_EUNSUPPORTED);
    CHECK_RC(ami_store_set(s, k, v, 0, vs));
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_RC(ami_atomic_check(a, k, NULL));
    int ok = -1;
    CHECK_INT(ami_store_commit(s, a, &ok, vs), AMI_EUNSUPPORTED);
    CHECK_INT(ok, 0);
    ami_atomic_free(a);
    ami_store_free(s);
    CHECK_INT(freed, 1);
    json_decref(k); json_decref(v);
}

/* A version 1 backend (no watch_from) still opens; ami_store_watch_unless_woken sees a
 * wake made before it began from the front end's count.  A version 2 backend is handed
 * the caller's count, counted like its own wake() calls. */
static void watch_from_by_version(void)
{
    int freed = 0;
    fake *f = new_fake(AMI_STORE_CAP_WATCH, &freed);
    f->base.version = 1;
    f->base.watch = f_watch;
    f->base.wake = f_wake;
    f->base.watch_from = f_watch_from;   /* past a version 1 struct's end: never read */
    ami_store *s = NULL;
    CHECK_RC(ami_store_open_backend(&s, &f->base));
    ami_versionstamp vs;
    uint64_t n = ami_store_wakes(s);
    CHECK(n == 0);
    ami_store_wake(s);
    CHECK_INT(f->wake_calls, 1);
    CHECK(ami_store_wakes(s) == 1);
    CHECK_INT(ami_store_watch_unless_woken(s, NULL, "", 1000, n, vs), AMI_ESTOPPED);
    CHECK_INT(f->watch_calls, 0);
    CHECK_INT(ami_store_watch_unless_woken(s, NULL, "", 10, ami_store_wakes(s), vs), AMI_ETIMEOUT);
    CHECK_INT(f->watch_calls, 1);
    CHECK_INT(f->watch_from_calls, 0);
    ami_store_free(s);
    CHECK_INT(freed, 1);

    freed = 0;
    f = new_fake(AMI_STORE_CAP_WATCH, &freed);
    f->base.watch = f_watch;
    f->base.wake = f_wake;
    f->base.watch_from = f_watch_from;
    CHECK_RC(ami_store_open_backend(&s, &f->base));
    ami_store_wake(s);
    ami_store_wake(s);
    CHECK_INT(ami_store_watch_unless_woken(s, NULL, "", 10, 1, vs), AMI_ETIMEOUT);   /* the backend decides */
    CHECK_INT(f->watch_from_calls, 1);
    CHECK(f->watch_from_wakes == 1);
    CHECK_INT(ami_store_watch(s, NULL, "", 10, vs), AMI_ETIMEOUT);
    CHECK_INT(f->watch_calls, 1);
    ami_store_free(s);
    CHECK_INT(freed, 1);
}

int main(void)
{
    RUN(refuses_bad_backends);
    RUN(drives_the_vtable);
    RUN(enforces_capabilities);
    RUN(watch_from_by_version);
    return check_done();
}
