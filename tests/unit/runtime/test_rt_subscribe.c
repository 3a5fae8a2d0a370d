/* Claim: subscribe(key).on("update", cb) calls cb(value) for each change of the
 * key made by anyone (this handle or another connection to the file) while the
 * script sleeps or awaits, and from ami_runtime_pump after the body ended;
 * close() stops delivery; a stop ends a pump at once. */
#include <unistd.h>
#include "rt.h"

static ami_store *net, *local;

typedef struct {
    ami_store *store;
    const char *key;
    int count;
    int delay_ms;
    int start_ms;
} writer_arg;

/* Write raw values 1..count to key, delay_ms apart, once the script has
 * subscribed (it sets Stels.local ["ready", key] then). */
static void *writer(void *p)
{
    writer_arg *a = p;
    json_t *ready = json_pack("[s, s]", "ready", a->key);
    int64_t until = ami_time_mono_ms() + 20000;
    for (;;) {
        json_t *e = NULL;
        int set = ami_store_get(&e, local, ready) == 0 && !json_is_null(json_object_get(e, "value"));
        json_decref(e);
        if (set || ami_time_mono_ms() > until) break;
        usleep(5000);
    }
    json_decref(ready);
    usleep((useconds_t)a->start_ms * 1000);
    json_t *key = check_json(a->key);
    for (int i = 1; i <= a->count; i++) {
        json_t *v = json_pack("{s:s, s:i, s:I}", "channel", "x", "raw", i, "timestamp", (json_int_t)ami_time_now_ms());
        ami_versionstamp vs;
        if (ami_store_set(a->store, key, v, 0, vs)) fprintf(stderr, "writer: %s\n", ami_error_last());
        json_decref(v);
        usleep((useconds_t)a->delay_ms * 1000);
    }
    json_decref(key);
    return NULL;
}

static int run_with_writer(ami_store *wstore, const char *script, writer_arg *wa, rt_logs *logs)
{
    pthread_t t;
    wa->store = wstore;
    pthread_create(&t, NULL, writer, wa);
    ami_runtime_result res;
    int rc = rt_run(net, local, script, logs, &res);
    pthread_join(t, NULL);
    ami_runtime_result_dispose(&res);
    return rc;
}

static void updates_arrive_during_sleep(void)
{
    writer_arg wa = { NULL, "[\"sub\",\"a\"]", 3, 250, 100 };
    CHECK_INT(run_with_writer(net, RT_EQ_JS
        "var got = [], sub = __ami_await(Stels.net.subscribe(['sub', 'a']));\n"
        "eq(sub.on('update', function (v) { got.push(v); }) === sub, true, 'on chains');\n"
        "Stels.local.set(['ready', '[\"sub\",\"a\"]'], 1);\n"
        "var t0 = Date.now();\n"
        "while (got.length < 3 && Date.now() - t0 < 10000) __ami_await(Stels.sleep(20));\n"
        "eq(got.map(function (v) { return v.raw; }), [1, 2, 3], 'values');\n"
        "eq(got[0].channel, 'x', 'the value is the stored object');\n"
        "sub.close();\n", &wa, NULL), 0);
}

static void another_connection_is_seen(void)
{
    ami_store *other = NULL;
    char p[600];
    snprintf(p, sizeof p, "%s", check_path("net.db"));
    REQUIRE(ami_store_open(&other, p) == 0);
    writer_arg wa = { NULL, "[\"sub\",\"b\"]", 2, 200, 100 };
    CHECK_INT(run_with_writer(other, RT_EQ_JS
        "var got = [];\n"
        "Stels.net.subscribe(['sub', 'b']).on('update', function (v) { got.push(v.raw); });\n"
        "Stels.local.set(['ready', '[\"sub\",\"b\"]'], 1);\n"
        "var t0 = Date.now();\n"
        "while (got.length < 2 && Date.now() - t0 < 10000) await Stels.sleep(50);\n"
        "eq(got, [1, 2], 'values from another connection');\n", &wa, NULL), 0);
    ami_store_free(other);
}

static void await_settles_from_a_callback_and_delete_gives_null(void)
{
    writer_arg wa = { NULL, "[\"sub\",\"c\"]", 1, 10, 200 };
    CHECK_INT(run_with_writer(net, RT_EQ_JS
        "var sub = Stels.local.subscribe(['never']);\n"
        "var n = Stels.net.subscribe(['sub', 'c']);\n"
        "Stels.local.set(['ready', '[\"sub\",\"c\"]'], 1);\n"
        "var v = __ami_await(new Promise(function (resolve) { n.on('update', resolve); }));\n"
        "eq(v.raw, 1, 'awaited value');\n"
        "var gone = [];\n"
        "n.on('update', function (x) { gone.push(x); });\n"
        "Stels.net.delete(['sub', 'c']);\n"
        "await Stels.sleep(200);\n"
        "eq(gone, [null], 'delete delivers null');\n"
        "n.close(); sub.close();\n", &wa, NULL), 0);
}

static void close_stops_delivery_and_errors_are_logged(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    writer_arg wa = { NULL, "[\"sub\",\"d\"]", 4, 100, 50 };
    CHECK_INT(run_with_writer(net, RT_EQ_JS
        "var got = [];\n"
        "var s = Stels.net.subscribe(['sub', 'd']);\n"
        "s.on('update', function (v) { got.push(v.raw); if (got.length === 1) s.close(); });\n"
        "s.on('update', function (v) { throw new Error('callback broke'); });\n"
        "Stels.local.set(['ready', '[\"sub\",\"d\"]'], 1);\n"
        "await Stels.sleep(700);\n"
        "eq(got, [1], 'nothing after close');\n", &wa, &logs), 0);
    CHECK(strstr(rt_log_msg(&logs, 0), "subscription callback failed: Error: callback broke") != NULL);
    CHECK_INT(json_array_size(logs.lines), 1);
    rt_logs_dispose(&logs);
}

static void pump_delivers_after_the_body(void)
{
    json_t *w = rt_worker("sid-pump",
        "var s = Stels.net.subscribe(['sub', 'e']);\n"
        "s.on('update', function (v) {\n"
        "  Promise.resolve(v.raw).then(function (r) { Stels.local.set(['seen'], r); if (r === 2) s.close(); });\n"
        "});\n");
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    CHECK_RC(ami_runtime_run(inst, NULL));
    CHECK_INT(ami_runtime_subscriptions(inst), 1);
    writer_arg wa = { net, "[\"sub\",\"e\"]", 2, 150, 100 };
    json_t *rk = json_pack("[s, s]", "ready", wa.key), *one = json_integer(1);
    ami_versionstamp rvs;
    CHECK_RC(ami_store_set(local, rk, one, 0, rvs));
    json_decref(rk);
    json_decref(one);
    pthread_t t;
    pthread_create(&t, NULL, writer, &wa);
    int64_t t0 = ami_time_mono_ms();
    CHECK_INT(ami_runtime_pump(inst, 10000), 0);
    CHECK(ami_time_mono_ms() - t0 < 5000);   /* returned when the last subscription closed */
    pthread_join(t, NULL);
    CHECK_INT(ami_runtime_subscriptions(inst), 0);
    json_t *e = rt_get(local, "[\"seen\"]");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(e, "value"), "raw")), 2);
    json_decref(e);
    /* nothing live: pump returns at once */
    CHECK_INT(ami_runtime_pump(inst, 10000), 0);
    ami_runtime_free(inst);
}

static void *stopper(void *p)
{
    usleep(200 * 1000);
    ami_runtime_stop(p);
    return NULL;
}

static void stop_ends_a_pump(void)
{
    json_t *w = rt_worker("sid-pump2", "Stels.net.subscribe(['sub', 'f']).on('update', function () {});");
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    CHECK_RC(ami_runtime_run(inst, NULL));
    pthread_t t;
    pthread_create(&t, NULL, stopper, inst);
    int64_t t0 = ami_time_mono_ms();
    CHECK_INT(ami_runtime_pump(inst, -1), AMI_ESTOPPED);
    int64_t took = ami_time_mono_ms() - t0;
    CHECK(took >= 150 && took < 1500);
    pthread_join(t, NULL);
    ami_runtime_free(inst);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(updates_arrive_during_sleep);
    RUN(another_connection_is_seen);
    RUN(await_settles_from_a_callback_and_delete_gives_null);
    RUN(close_stops_delivery_and_errors_are_logged);
    RUN(pump_delivers_after_the_body);
    RUN(stop_ends_a_pump);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
