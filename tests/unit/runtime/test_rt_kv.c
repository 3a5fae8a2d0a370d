/* Claim: Stels.net / Stels.local get, set, delete and list have the documented
 * shapes, write what C reads back from the store, and fail with named errors. */
#include "rt.h"

static ami_store *net, *local;

/* Run a script that must succeed. */
static void ok(const char *script)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, script, NULL, &res), 0);
    ami_runtime_result_dispose(&res);
}

/* Run a script that must throw `name`. */
static void throws(const char *script, const char *name, const char *msg_part)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, script, NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.name, name);
    CHECK(res.message && strstr(res.message, msg_part));
    ami_runtime_result_dispose(&res);
}

static void set_stores_channel_raw_timestamp(void)
{
    int64_t before = ami_time_now_ms();
    ok("var r = __ami_await(Stels.net.set(['ticker', 'BTC/USDT', 7, true], {last: 51000, v: [1, 'a']}));\n"
       "if (r.ok !== true || !/^[0-9a-f]{20}$/.test(r.versionstamp)) throw new Error('bad set result ' + JSON.stringify(r));");
    json_t *e = rt_get(net, "[\"ticker\",\"BTC/USDT\",7,true]");
    json_t *v = json_object_get(e, "value");
    CHECK_STR(json_string_value(json_object_get(v, "channel")), "ticker.BTC/USDT.7.true");
    json_t *raw = check_json("{\"last\":51000,\"v\":[1,\"a\"]}");
    CHECK_JSON_EQ(json_object_get(v, "raw"), raw);
    json_decref(raw);
    json_int_t ts = json_integer_value(json_object_get(v, "timestamp"));
    CHECK(ts >= before && ts <= ami_time_now_ms());
    CHECK_INT(json_object_size(v), 3);
    json_decref(e);
    /* the local store is a different store */
    e = rt_get(local, "[\"ticker\",\"BTC/USDT\",7,true]");
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
}

static void get_returns_entry_or_null_value(void)
{
    json_t *key = check_json("[\"cfg\",\"x\"]"), *val = check_json("{\"channel\":\"cfg.x\",\"raw\":{\"n\":42}}");
    ami_versionstamp vs;
    REQUIRE(ami_store_set(net, key, val, 0, vs) == 0);
    char script[1024];
    snprintf(script, sizeof script,
             "var e = __ami_await(Stels.net.get(['cfg', 'x']));\n"
             "if (JSON.stringify(e.key) !== '[\"cfg\",\"x\"]') throw new Error('key ' + JSON.stringify(e.key));\n"
             "if (e.value.raw.n !== 42 || e.value.channel !== 'cfg.x') throw new Error('value ' + JSON.stringify(e.value));\n"
             "if (e.versionstamp !== '%s') throw new Error('vs ' + e.versionstamp);\n"
             "var m = __ami_await(Stels.net.get(['cfg', 'missing']));\n"
             "if (m.value !== null || m.versionstamp !== null || m.key[1] !== 'missing') throw new Error('missing ' + JSON.stringify(m));\n"
             "var p = Stels.net.get(['cfg', 'x']);\n"
             "if (typeof p.then !== 'function') throw new Error('get does not return a promise');\n", vs);
    ok(script);
    json_decref(key);
    json_decref(val);
}

static void delete_removes(void)
{
    ok("__ami_await(Stels.local.set(['d', 1], 'x'));\n"
       "if (__ami_await(Stels.local.get(['d', 1])).value.raw !== 'x') throw new Error('not set');\n"
       "__ami_await(Stels.local.delete(['d', 1]));\n"
       "if (__ami_await(Stels.local.get(['d', 1])).value !== null) throw new Error('not deleted');\n"
       "__ami_await(Stels.local.delete(['d', 'never-there']));");
    json_t *e = rt_get(local, "[\"d\",1]");
    CHECK(json_is_null(json_object_get(e, "value")));
    json_decref(e);
}

static void list_prefix_limit_reverse(void)
{
    ok("for (var i = 0; i < 5; i++) Stels.net.set(['l', 'a', i], i * 10);\n"
       "Stels.net.set(['l', 'ab'], 'not under a');\n"
       "var all = Stels.net.list({prefix: ['l', 'a']});\n"
       "if (!Array.isArray(all) || all.length !== 5) throw new Error('list ' + JSON.stringify(all));\n"
       "var sum = 0;\n"
       "for (var j = 0; j < all.length; j++) { sum += all[j].value.raw; if (all[j].key[2] !== j) throw new Error('order'); }\n"
       "if (sum !== 100) throw new Error('sum ' + sum);\n"
       "if (!/^[0-9a-f]{20}$/.test(all[0].versionstamp)) throw new Error('vs');\n"
       "var two = Stels.net.list({prefix: ['l', 'a'], limit: 2, reverse: true});\n"
       "if (two.length !== 2 || two[0].key[2] !== 4 || two[1].key[2] !== 3) throw new Error('reverse ' + JSON.stringify(two));\n"
       "var viaFrom = __ami_await(Array.fromAsync(Stels.net.list({prefix: ['l']})));\n"
       "if (viaFrom.length !== 6) throw new Error('fromAsync ' + viaFrom.length);\n"
       "var n = 0, it = Stels.net.list({prefix: ['l', 'a']})[Symbol.iterator](), r;\n"
       "while (!(r = it.next()).done) n++;\n"
       "if (n !== 5) throw new Error('iterator ' + n);\n"
       "if (__ami_await(Stels.net.list({prefix: ['l', 'a']})).length !== 5) throw new Error('await list');\n"
       "if (Stels.net.list().length < 6) throw new Error('no options');");
    /* what C sees */
    json_t *pre = check_json("[\"l\",\"a\"]"), *out = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = pre;
    CHECK_RC(ami_store_list(&out, net, &lo));
    CHECK_INT(json_array_size(out), 5);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(json_array_get(out, 4), "value"), "raw")), 40);
    json_decref(out);
    json_decref(pre);
}

static void wrong_arguments_are_type_errors(void)
{
    throws("Stels.net.get('a.b')", "TypeError", "Stels.net.get: key must be an array");
    throws("Stels.net.set([], 1)", "TypeError", "must not be empty");
    throws("Stels.local.set([{}], 1)", "TypeError", "key part 0");
    throws("Stels.net.get([NaN])", "TypeError", "key part 0");
    throws("Stels.net.list({limit: -1})", "TypeError", "limit");
    throws("Stels.net.list('x')", "TypeError", "options");
    throws("var o = {}; o.self = o; Stels.net.set(['c'], o)", "TypeError", "JSON");
}

static void size_limits_have_names(void)
{
    throws("var k = new Array(3001).join('k'); Stels.net.set([k], 1)", "KeyTooLarge", "Stels.net.set");
    throws("var v = new Array(70001).join('v'); Stels.net.set(['big'], v)", "ValueTooLarge", "Stels.net.set");
    /* caught in the script, the error keeps its name */
    ok("try { Stels.net.get([new Array(3000).join('x')]); throw new Error('no throw'); }\n"
       "catch (e) { if (e.name !== 'KeyTooLarge') throw e; }");
}

static void missing_store_is_store_error(void)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, NULL, "Stels.local.get(['a'])", NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.name, "StoreError");
    CHECK(res.message && strstr(res.message, "Stels.local.get"));
    ami_runtime_result_dispose(&res);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(set_stores_channel_raw_timestamp);
    RUN(get_returns_entry_or_null_value);
    RUN(delete_removes);
    RUN(list_prefix_limit_reverse);
    RUN(wrong_arguments_are_type_errors);
    RUN(size_limits_have_names);
    RUN(missing_store_is_store_error);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
