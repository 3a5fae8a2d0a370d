/* Claim: logger.info|warn|error|debug hand the host records {ts, level, nid,
 * sid, msg} with arguments formatted (objects as JSON, Errors as
 * "Name: message", joined by spaces), ts strictly increasing, and a line over
 * the cap truncated with a marker. */
#include "rt.h"

static ami_store *net, *local;

static void run_logged(const char *script, rt_logs *logs, size_t cap)
{
    json_t *w = rt_worker("sid-log", script);
    ami_runtime_options o = rt_options(net, local, w, logs);
    o.nid = "node-log";
    o.log_line_max = cap;
    ami_runtime *inst = NULL;
    CHECK_RC(ami_runtime_new(&inst, &o));
    json_decref(w);
    if (!inst) return;
    ami_runtime_result res;
    CHECK_RC(ami_runtime_run(inst, &res));
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
}

static void levels_and_record_fields(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    int64_t before = ami_time_now_ms();
    run_logged("logger.debug('d'); logger.info('i'); logger.warn('w'); logger.error('e');", &logs, 0);
    CHECK_INT(json_array_size(logs.lines), 4);
    static const char *const levels[] = { "debug", "info", "warn", "error" };
    static const char *const msgs[] = { "d", "i", "w", "e" };
    int64_t prev = 0;
    for (size_t i = 0; i < 4 && i < json_array_size(logs.lines); i++) {
        json_t *l = json_array_get(logs.lines, i);
        CHECK_STR(json_string_value(json_object_get(l, "level")), levels[i]);
        CHECK_STR(json_string_value(json_object_get(l, "msg")), msgs[i]);
        CHECK_STR(json_string_value(json_object_get(l, "nid")), "node-log");
        CHECK_STR(json_string_value(json_object_get(l, "sid")), "sid-log");
        int64_t ts = json_integer_value(json_object_get(l, "ts"));
        CHECK(ts >= before && ts > prev && ts <= ami_time_now_ms() + 10);
        prev = ts;
    }
    rt_logs_dispose(&logs);
}

static void arguments_are_formatted(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    run_logged("logger.info('Order placed', {symbol: 'BTC/USDT', side: 'buy', price: 50000, n: [1, 2]});\n"
               "logger.error('Failed to fetch ticker:', new TypeError('bad key'));\n"
               "var e = new Error('boom'); e.name = 'NetworkError'; logger.warn(e);\n"
               "logger.info('n', 1, 2.5, true, null, undefined, 'str');\n"
               "var c = {a: 1}; c.self = c; logger.info(c);\n"
               "logger.info({err: new RangeError('deep')});\n"
               "logger.info(function named() {}, [1, 'a']);\n"
               "logger.info();\n"
               "logger.info(new Map([['k', 1]]), new Set([2]));\n",
               &logs, 0);
    CHECK_STR(rt_log_msg(&logs, 0), "Order placed {\"symbol\":\"BTC/USDT\",\"side\":\"buy\",\"price\":50000,\"n\":[1,2]}");
    CHECK_STR(rt_log_msg(&logs, 1), "Failed to fetch ticker: TypeError: bad key");
    CHECK_STR(rt_log_msg(&logs, 2), "NetworkError: boom");
    CHECK_STR(rt_log_msg(&logs, 3), "n 1 2.5 true null undefined str");
    CHECK_STR(rt_log_msg(&logs, 4), "{\"a\":1,\"self\":\"[Circular]\"}");
    CHECK_STR(rt_log_msg(&logs, 5), "{\"err\":\"RangeError: deep\"}");
    CHECK_STR(rt_log_msg(&logs, 6), "[Function: named] [1,\"a\"]");
    CHECK_STR(rt_log_msg(&logs, 7), "");
    CHECK_STR(rt_log_msg(&logs, 8), "Map [[\"k\",1]] Set [2]");
    rt_logs_dispose(&logs);
}

static void long_lines_are_truncated_with_a_marker(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    /* a 1 MB line against the default 64 KiB cap, and a multi-byte line against a small cap */
    run_logged("var s = 'x'.repeat(1024 * 1024); logger.info(s); logger.info('after');\n"
               "logger.warn(new Array(20).join('\\u00e9'));",
               &logs, 0);
    const char *m = rt_log_msg(&logs, 0);
    size_t len = strlen(m);
    CHECK(len > 65536 && len < 65536 + 100);
    CHECK(strspn(m, "x") == 65536);
    CHECK(strstr(m, "[truncated: 65536 of 1048576 bytes shown]") != NULL);
    CHECK_STR(rt_log_msg(&logs, 1), "after");
    rt_logs_dispose(&logs);

    rt_logs_init(&logs);
    run_logged("logger.warn(new Array(20).join('\\u00e9'));", &logs, 7);
    m = rt_log_msg(&logs, 0);
    /* 7 bytes would split the 4th 'é' (2 bytes each): 3 whole characters are kept */
    CHECK(!strncmp(m, "\xc3\xa9\xc3\xa9\xc3\xa9...", 9));
    rt_logs_dispose(&logs);
}

static void unhandled_rejections_are_logged_at_the_end_of_a_run(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    run_logged("Promise.reject(new RangeError('nobody caught me'));\n"
               "Promise.reject(new Error('handled later')).catch(function () {});\n"
               "var p = Promise.reject('late'); p.then(null, function () {});\n"
               "logger.info('body done');", &logs, 0);
    CHECK_INT(json_array_size(logs.lines), 2);
    CHECK_STR(rt_log_msg(&logs, 0), "body done");
    CHECK_STR(rt_log_msg(&logs, 1), "Unhandled promise rejection: RangeError: nobody caught me");
    CHECK_STR(json_string_value(json_object_get(json_array_get(logs.lines, 1), "level")), "error");
    rt_logs_dispose(&logs);
}

static void without_a_sink_lines_are_dropped(void)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, "logger.info('nobody listens'); logger.error({a: 1});", NULL, &res), 0);
    ami_runtime_result_dispose(&res);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(levels_and_record_fields);
    RUN(arguments_are_formatted);
    RUN(long_lines_are_truncated_with_a_marker);
    RUN(unhandled_rejections_are_logged_at_the_end_of_a_run);
    RUN(without_a_sink_lines_are_dropped);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
