/* Claim: Stels.webfix stores {channel, module, widget, raw, timestamp} under
 * the channel's parts, reads and deletes through the chosen brain, and
 * rejects malformed requests with TypeError. */
#include "rt.h"

static ami_store *net, *local;

static void ok(const char *script)
{
    ami_runtime_result res;
    char *s = malloc(strlen(script) + 512);
    sprintf(s, "%s%s", RT_EQ_JS, script);
    CHECK_INT(rt_run(net, local, s, NULL, &res), 0);
    ami_runtime_result_dispose(&res);
    free(s);
}

static void set_stores_the_webfix_shape(void)
{
    ok("var r = __ami_await(Stels.webfix({brain: Stels.net, method: 'set', channel: 'trading.orders.BTC',\n"
       "  module: 'trading', raw: {side: 'buy', size: 0.1}, timestamp: 1760245826876}));\n"
       "eq(r.ok, true, 'result');\n"
       "__ami_await(Stels.webfix({brain: Stels.local, method: 'set', channel: ['a', 'b'], module: 'm', raw: 1}));\n");
    json_t *e = rt_get(net, "[\"trading\",\"orders\",\"BTC\"]");
    json_t *want = check_json("{\"channel\":\"trading.orders.BTC\",\"module\":\"trading\",\"widget\":\"widget.trading.orders.BTC\","
                              "\"raw\":{\"side\":\"buy\",\"size\":0.1},\"timestamp\":1760245826876}");
    CHECK_JSON_EQ(json_object_get(e, "value"), want);
    json_decref(want);
    json_decref(e);
    /* array channel, local brain, default timestamp */
    e = rt_get(local, "[\"a\",\"b\"]");
    json_t *v = json_object_get(e, "value");
    CHECK_STR(json_string_value(json_object_get(v, "channel")), "a.b");
    CHECK_STR(json_string_value(json_object_get(v, "widget")), "widget.a.b");
    CHECK_STR(json_string_value(json_object_get(v, "module")), "m");
    CHECK_INT(json_integer_value(json_object_get(v, "raw")), 1);
    CHECK(json_integer_value(json_object_get(v, "timestamp")) > 1700000000000LL);
    json_decref(e);
    e = rt_get(net, "[\"a\",\"b\"]");
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
}

static void get_and_delete(void)
{
    ok("__ami_await(Stels.webfix({brain: Stels.net, method: 'set', channel: 'w.x', module: 'mod', raw: [1, 2], timestamp: 5}));\n"
       "var e = __ami_await(Stels.webfix({brain: Stels.net, method: 'get', channel: 'w.x'}));\n"
       "eq(e, {key: ['w', 'x'], value: {channel: 'w.x', module: 'mod', widget: 'widget.w.x', raw: [1, 2], timestamp: 5},\n"
       "       versionstamp: e.versionstamp}, 'get');\n"
       "__ami_await(Stels.webfix({brain: Stels.net, method: 'delete', channel: ['w', 'x']}));\n"
       "eq(__ami_await(Stels.net.get(['w', 'x'])).value, null, 'deleted');\n");
}

static void bad_requests_are_type_errors(void)
{
    static const char *const bad[] = {
        "Stels.webfix()",
        "Stels.webfix({brain: {}, method: 'set', channel: 'a'})",
        "Stels.webfix({brain: Stels.net, method: 'put', channel: 'a'})",
        "Stels.webfix({brain: Stels.net, method: 'set', channel: ''})",
        "Stels.webfix({brain: Stels.net, method: 'set', channel: 5})",
        NULL
    };
    for (int i = 0; bad[i]; i++) {
        ami_runtime_result res;
        CHECK_INT(rt_run(net, local, bad[i], NULL, &res), AMI_ESCRIPT);
        CHECK_STR(res.name, "TypeError");
        CHECK(res.message && strstr(res.message, "Stels.webfix"));
        ami_runtime_result_dispose(&res);
    }
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(set_stores_the_webfix_shape);
    RUN(get_and_delete);
    RUN(bad_requests_are_type_errors);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
