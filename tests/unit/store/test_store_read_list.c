/*
 * Claim: get and list return entries in key order with prefix, start, end,
 * limit and reverse applied; a list is one snapshot even while another handle
 * rewrites the range; on etcd, small pages give the same answers.
 */
#include <pthread.h>
#include "check.h"

static ami_store *S;

static void put(const char *key_json, const char *value_json)
{
    json_t *k = check_json(key_json), *v = check_json(value_json);
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(S, k, v, 0, vs));
    CHECK_INT(strlen(vs), 20);
    json_decref(k); json_decref(v);
}

/* keys of a list result as compact JSON text */
static char *keys_of(const ami_list_options *o)
{
    json_t *arr = NULL;
    int rc = ami_store_list(&arr, S, o);
    CHECK_RC(rc);
    if (rc) return strdup("error");
    json_t *keys = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        CHECK(json_object_get(e, "value") != NULL);
        CHECK_INT(json_string_length(json_object_get(e, "versionstamp")), 20);
        json_array_append(keys, json_object_get(e, "key"));
    }
    char *t = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    json_decref(arr);
    return t;
}

#define CHECK_LIST(opts, expected) do { char *t_ = keys_of(opts); CHECK_STR(t_, expected); free(t_); } while (0)

static void setup(void)
{
    REQUIRE(ami_store_open(&S, check_store_uri("rl.db")) == 0);
    put("[\"a\"]", "\"root\"");
    put("[\"a\",1]", "{\"n\":1}");
    put("[\"a\",2]", "{\"n\":2}");
    put("[\"a\",10]", "{\"n\":10}");
    put("[\"a\",\"x\"]", "[1,2,3]");
    put("[\"ab\",1]", "null");
    put("[\"b\",-1.5]", "true");
    put("[\"b\",true]", "\"t\"");
}

static void get_hit_and_miss(void)
{
    json_t *k = check_json("[\"a\",\"x\"]"), *e = NULL;
    CHECK_RC(ami_store_get(&e, S, k));
    json_t *want = check_json("[1,2,3]");
    CHECK_JSON_EQ(json_object_get(e, "key"), k);
    CHECK_JSON_EQ(json_object_get(e, "value"), want);
    const char *vs = json_string_value(json_object_get(e, "versionstamp"));
    CHECK(vs && strlen(vs) == 20);
    json_decref(e); json_decref(want);

    /* the same through the text fast path */
    ami_buf b = AMI_BUF_INIT;
    ami_versionstamp vs2;
    CHECK_RC(ami_store_get_text(&b, vs2, S, k));
    CHECK_STR(b.ptr, "[1,2,3]");
    json_decref(k);

    /* a stored JSON null is a hit with a versionstamp */
    k = check_json("[\"ab\",1]");
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK(json_is_null(json_object_get(e, "value")));
    CHECK(json_is_string(json_object_get(e, "versionstamp")));
    json_decref(e); json_decref(k);

    /* miss: value null, versionstamp null; get_text leaves the buffer alone */
    k = check_json("[\"nope\"]");
    CHECK_RC(ami_store_get(&e, S, k));
    json_t *miss = check_json("{\"key\":[\"nope\"],\"value\":null,\"versionstamp\":null}");
    CHECK_JSON_EQ(e, miss);
    CHECK_INT(ami_store_get_text(&b, vs2, S, k), AMI_ENOTFOUND);
    CHECK_STR(vs2, "");
    CHECK_STR(b.ptr, "[1,2,3]");
    json_decref(e); json_decref(miss); json_decref(k);
    ami_buf_dispose(&b);

    /* a bad key is an error, not a miss */
    k = check_json("[]");
    CHECK_INT(ami_store_get(&e, S, k), AMI_EINVAL);
    CHECK(e == NULL);
    json_decref(k);
}

static void list_all_in_order(void)
{
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    CHECK_LIST(&o, "[[\"a\"],[\"a\",\"x\"],[\"a\",1],[\"a\",2],[\"a\",10],[\"ab\",1],[\"b\",-1.5],[\"b\",true]]");
    CHECK_LIST(NULL, "[[\"a\"],[\"a\",\"x\"],[\"a\",1],[\"a\",2],[\"a\",10],[\"ab\",1],[\"b\",-1.5],[\"b\",true]]");
    json_t *empty = json_array();
    o.prefix = empty;
    o.reverse = 1;
    CHECK_LIST(&o, "[[\"b\",true],[\"b\",-1.5],[\"ab\",1],[\"a\",10],[\"a\",2],[\"a\",1],[\"a\",\"x\"],[\"a\"]]");
    json_decref(empty);
}

static void list_prefix(void)
{
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    json_t *p = check_json("[\"a\"]");
    o.prefix = p;
    /* strictly under ["a"]: not ["a"] itself, not ["ab",…] */
    CHECK_LIST(&o, "[[\"a\",\"x\"],[\"a\",1],[\"a\",2],[\"a\",10]]");
    o.reverse = 1;
    CHECK_LIST(&o, "[[\"a\",10],[\"a\",2],[\"a\",1],[\"a\",\"x\"]]");
    o.limit = 2;
    CHECK_LIST(&o, "[[\"a\",10],[\"a\",2]]");
    o.reverse = 0;
    CHECK_LIST(&o, "[[\"a\",\"x\"],[\"a\",1]]");
    json_decref(p);
    p = check_json("[\"a\",1]");
    o.prefix = p;
    o.limit = 0;
    CHECK_LIST(&o, "[]");
    json_decref(p);
    p = check_json("[\"zzz\"]");
    o.prefix = p;
    CHECK_LIST(&o, "[]");
    json_decref(p);
    p = check_json("{\"a\":1}");
    o.prefix = p;
    json_t *out = NULL;
    CHECK_INT(ami_store_list(&out, S, &o), AMI_EINVAL);
    json_decref(p);
}

static void list_start_end(void)
{
    /* order: ["a"] < ["a","x"] < ["a",1] < ["a",2] < ["a",10] < ["ab",1] < ["b",-1.5] < ["b",true] */
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    json_t *start = check_json("[\"a\",\"x\"]"), *end = check_json("[\"a\",10]"), *p = check_json("[\"a\"]");
    o.start = start;
    o.end = end;
    CHECK_LIST(&o, "[[\"a\",\"x\"],[\"a\",1],[\"a\",2]]");          /* start inclusive, end exclusive */
    o.reverse = 1;
    o.limit = 1;
    CHECK_LIST(&o, "[[\"a\",2]]");
    o.reverse = 0;
    o.limit = 0;
    o.end = NULL;
    CHECK_LIST(&o, "[[\"a\",\"x\"],[\"a\",1],[\"a\",2],[\"a\",10],[\"ab\",1],[\"b\",-1.5],[\"b\",true]]");
    /* prefix and start/end narrow each other */
    o.prefix = p;
    CHECK_LIST(&o, "[[\"a\",\"x\"],[\"a\",1],[\"a\",2],[\"a\",10]]");
    json_t *start2 = check_json("[\"a\",1.5]");
    o.start = start2;
    o.end = end;
    CHECK_LIST(&o, "[[\"a\",2]]");
    /* an empty or inverted range */
    o.start = end;
    o.end = start2;
    CHECK_LIST(&o, "[]");
    json_decref(start); json_decref(end); json_decref(start2); json_decref(p);
}

static void overwrite_and_delete(void)
{
    json_t *k = check_json("[\"a\",2]"), *e = NULL;
    ami_versionstamp v1, v2;
    json_t *val = check_json("{\"n\":22}");
    CHECK_RC(ami_store_set(S, k, val, 0, v1));
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK_JSON_EQ(json_object_get(e, "value"), val);
    CHECK_STR(json_string_value(json_object_get(e, "versionstamp")), v1);
    json_decref(e);
    CHECK_RC(ami_store_delete(S, k));
    CHECK_RC(ami_store_delete(S, k));     /* absent: still fine */
    CHECK_RC(ami_store_get(&e, S, k));
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    json_t *p = check_json("[\"a\"]");
    o.prefix = p;
    CHECK_LIST(&o, "[[\"a\",\"x\"],[\"a\",1],[\"a\",10]]");
    CHECK_RC(ami_store_current(S, v2));
    CHECK(strcmp(v2, v1) > 0);
    json_decref(p); json_decref(k); json_decref(val);
}

/* list results as compact JSON text (keys, values, versionstamps) */
static char *list_text(ami_store *s, const ami_list_options *o)
{
    json_t *arr = NULL;
    CHECK_RC(ami_store_list(&arr, s, o));
    char *t = arr ? json_dumps(arr, JSON_COMPACT) : strdup("error");
    json_decref(arr);
    return t;
}

/* etcd: a handle reading in pages of 2 keys lists exactly what one big page lists */
static void pages_give_the_same_answers(void)
{
    char uri[1100];
    snprintf(uri, sizeof uri, "%s?page=2", check_store_uri("rl.db"));
    ami_store *p2 = NULL;
    REQUIRE(ami_store_open(&p2, uri) == 0);
    json_t *pa = check_json("[\"a\"]"), *st = check_json("[\"a\",2]");
    ami_list_options opts[6];
    for (int i = 0; i < 6; i++) {
        ami_list_options d = AMI_LIST_OPTIONS_INIT;
        opts[i] = d;
    }
    opts[1].reverse = 1;
    opts[2].limit = 3;
    opts[3].limit = 5; opts[3].reverse = 1;
    opts[4].prefix = pa;
    opts[5].prefix = pa; opts[5].start = st; opts[5].reverse = 1; opts[5].limit = 2;
    for (int i = 0; i < 6; i++) {
        char *a = list_text(S, &opts[i]), *b = list_text(p2, &opts[i]);
        CHECK_STR(b, a);
        free(a); free(b);
    }
    json_decref(pa); json_decref(st);
    ami_store_free(p2);
}

enum { SNAP_KEYS = 40 };
static volatile int snap_stop;

/* rewrites every ["snap",i] to the same generation number in one commit, over and over */
static void *snap_writer(void *arg)
{
    ami_store *w = arg;
    for (int g = 1; !snap_stop && g < 100000; g++) {
        ami_atomic *a = NULL;
        ami_atomic_new(&a);
        for (int i = 0; i < SNAP_KEYS; i++) {
            json_t *k = json_pack("[si]", "snap", i), *v = json_integer(g);
            ami_atomic_set(a, k, v, 0);
            json_decref(k); json_decref(v);
        }
        int ok = 0;
        ami_versionstamp vs;
        int rc = ami_store_commit(w, a, &ok, vs);
        ami_atomic_free(a);
        if (rc) break;
    }
    return NULL;
}

static void list_is_one_snapshot(void)
{
    char uri[1100];
    /* small pages on etcd, so one list spans many requests while the writer commits */
    snprintf(uri, sizeof uri, "%s%s", check_store_uri("rl.db"), check_store_is_etcd() ? "?page=3" : "");
    ami_store *r = NULL, *w = NULL;
    REQUIRE(ami_store_open(&r, uri) == 0);
    REQUIRE(ami_store_open(&w, check_store_uri("rl.db")) == 0);
    snap_stop = 0;
    pthread_t th;
    pthread_create(&th, NULL, snap_writer, w);
    json_t *p = check_json("[\"snap\"]");
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    o.prefix = p;
    int full = 0, mixed = 0;
    /* 1.5 s of lists, longer (up to 15 s) until four were full: on etcd with pages of 3 a
     * list is 14 requests, and a loaded machine made only three in 1.5 s */
    int64_t until = ami_time_mono_ms() + 1500, hard = until + 13500;
    while (ami_time_mono_ms() < until || (full <= 3 && ami_time_mono_ms() < hard)) {
        json_t *arr = NULL;
        CHECK_RC(ami_store_list(&arr, r, &o));
        if (json_array_size(arr) == SNAP_KEYS) {
            full++;
            json_int_t g0 = json_integer_value(json_object_get(json_array_get(arr, 0), "value"));
            for (size_t i = 1; i < SNAP_KEYS; i++)
                if (json_integer_value(json_object_get(json_array_get(arr, i), "value")) != g0) { mixed++; break; }
        }
        json_decref(arr);
    }
    snap_stop = 1;
    pthread_join(th, NULL);
    CHECK(full > 3);
    CHECK_INT(mixed, 0);
    printf("snapshot lists: %d full, %d mixed\n", full, mixed);
    json_decref(p);
    ami_store_free(r);
    ami_store_free(w);
}

int main(void)
{
    setup();
    RUN(get_hit_and_miss);
    RUN(list_all_in_order);
    RUN(list_prefix);
    RUN(list_start_end);
    RUN(overwrite_and_delete);
    if (check_store_is_etcd()) RUN(pages_give_the_same_answers);
    RUN(list_is_one_snapshot);
    ami_store_free(S);
    return check_done();
}
