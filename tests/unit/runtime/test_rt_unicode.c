/* Claim: text crosses between scripts (Duktape's CESU-8 strings) and the
 * host as UTF-8 in both directions: characters outside the BMP survive the
 * store, keys, logs, errors and subscriptions; a lone surrogate becomes U+FFFD. */
#include "rt.h"

#define GRIN "\xF0\x9F\x98\x80"   /* U+1F600 in UTF-8 */

static ami_store *net, *local;

static void values_and_keys_are_utf8_in_the_store(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, RT_EQ_JS
        "Stels.net.set(['u', 'k\\ud83d\\ude00'], {s: 'a\\ud83d\\ude00\\u00e9', lone: 'x\\ud800y'});\n"
        "var e = __ami_await(Stels.net.get(['u', 'k\\ud83d\\ude00']));\n"
        "eq([e.value.raw.s, e.value.raw.s.length, e.key[1].length], ['a\\ud83d\\ude00\\u00e9', 4, 3], 'round trip');\n"
        "eq(e.value.raw.lone, 'x\\ufffdy', 'lone surrogate');\n"
        "eq(Stels.net.list({prefix: ['u']})[0].value.raw.s.charCodeAt(1), 0xd83d, 'list keeps surrogate pairs');\n"
        "logger.info('log ' + e.value.raw.s);\n", &logs, &res), 0);
    ami_runtime_result_dispose(&res);
    json_t *e = rt_get(net, "[\"u\",\"k" GRIN "\"]");
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "s")), "a" GRIN "\xC3\xA9");
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "lone")), "x\xEF\xBF\xBDy");
    json_decref(e);
    CHECK_STR(rt_log_msg(&logs, 0), "log a" GRIN "\xC3\xA9");
    rt_logs_dispose(&logs);
}

static void values_written_from_c_read_as_surrogate_pairs(void)
{
    json_t *key = check_json("[\"u\",\"c\"]"), *val = json_pack("{s:s}", "raw", "z" GRIN);
    ami_versionstamp vs;
    REQUIRE(ami_store_set(net, key, val, 0, vs) == 0);
    json_decref(key);
    json_decref(val);
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, RT_EQ_JS
        "var v = __ami_await(Stels.net.get(['u', 'c'])).value.raw;\n"
        "eq([v.length, v.charCodeAt(1), v.charCodeAt(2), v === 'z\\ud83d\\ude00'], [3, 0xd83d, 0xde00, true], 'decoded');\n",
        NULL, &res), 0);
    ami_runtime_result_dispose(&res);
}

static void errors_are_utf8(void)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, "throw new Error('bad \\ud83d\\ude00');", NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.message, "bad " GRIN);
    CHECK_STR(ami_error_last(), "Error: bad " GRIN);
    ami_runtime_result_dispose(&res);
    CHECK_INT(rt_run(net, local, "throw '\\ud83d\\ude00';", NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.message, GRIN);
    ami_runtime_result_dispose(&res);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(values_and_keys_are_utf8_in_the_store);
    RUN(values_written_from_c_read_as_surrogate_pairs);
    RUN(errors_are_utf8);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
