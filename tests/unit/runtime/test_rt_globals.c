/* Claim: a worker sees exactly the globals of docs/design.md §8 and §11
 * (standard built-ins, Stels, logger, Deno shims, the web globals, the
 * documented helpers) and nothing else: no require, file system, environment
 * (beyond Deno.env behind allow_env) or process access. */
#include "rt.h"

static ami_store *net, *local;

static void ok(const char *script)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, script, NULL, &res), 0);
    ami_runtime_result_dispose(&res);
}

static void global_names_are_exactly_the_list(void)
{
    ok(RT_EQ_JS
       "var web = ['AbortController', 'AbortSignal', 'CryptoKey', 'DOMException', 'Event', 'EventTarget', 'Headers',\n"
       "  'Request', 'Response', 'TextDecoder', 'TextEncoder', 'URL', 'URLSearchParams', 'atob', 'btoa', 'console',\n"
       "  'crypto', 'fetch', 'performance', 'structuredClone', 'WebSocket', 'MessageEvent', 'CloseEvent', 'ErrorEvent'];\n"
       /* helpers for lowered code are named __ami_*: functions, never enumerable */
       "var names = Object.getOwnPropertyNames(globalThis).filter(function (n) { return n.indexOf('__ami_') !== 0 && web.indexOf(n) < 0; }).sort();\n"
       "eq(web.filter(function (n) { return Object.getOwnPropertyNames(globalThis).indexOf(n) < 0; }), [], 'web globals');\n"
       "var helpers = Object.getOwnPropertyNames(globalThis).filter(function (n) { return n.indexOf('__ami_') === 0; });\n"
       "for (var h = 0; h < helpers.length; h++) if (typeof globalThis[helpers[h]] !== 'function') throw new Error(helpers[h]);\n"
       "['__ami_await', '__ami_async', '__ami_values'].forEach(function (n) { if (helpers.indexOf(n) < 0) throw new Error('missing ' + n); });\n"
       "eq(names, ['AggregateError', 'Array', 'ArrayBuffer', 'Boolean', 'DataView', 'Date', 'Deno', 'Error',\n"
       "  'EvalError', 'Float32Array', 'Float64Array', 'Function', 'Infinity', 'Int16Array', 'Int32Array',\n"
       "  'Int8Array', 'JSON', 'Map', 'Math', 'NaN', 'Number', 'Object', 'Promise', 'Proxy', 'RangeError',\n"
       "  'ReferenceError', 'Reflect', 'RegExp', 'Set', 'Stels', 'String', 'Symbol', 'SyntaxError', 'TypeError',\n"
       "  'URIError', 'Uint16Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray', 'WeakMap', 'WeakSet',\n"
       "  'clearInterval', 'clearTimeout', 'decodeURI', 'decodeURIComponent', 'encodeURI',\n"
       "  'encodeURIComponent', 'escape', 'eval', 'globalThis', 'isFinite', 'isNaN', 'logger', 'parseFloat',\n"
       "  'parseInt', 'queueMicrotask', 'setInterval', 'setTimeout', 'undefined', 'unescape'], 'globals');\n"
       "eq(Object.keys(globalThis), [], 'nothing enumerable');\n");
}

static void each_forbidden_global_is_absent(void)
{
    static const char *const absent[] = {
        "require", "module", "exports", "process", "Duktape", "print", "alert", "CBOR", "Buffer",
        "XMLHttpRequest", "importScripts", "host", "global", "window", "self", "__dirname", "os", "fs", NULL
    };
    for (int i = 0; absent[i]; i++) {
        char script[512];
        snprintf(script, sizeof script,
                 "if (typeof %s !== 'undefined') throw new Error('%s is defined');\n"
                 "if ('%s' in globalThis) throw new Error('%s is a property of the global object');", absent[i],
                 absent[i], absent[i], absent[i]);
        ami_runtime_result res;
        int rc = rt_run(net, local, script, NULL, &res);
        if (rc) fprintf(stderr, "global %s is reachable\n", absent[i]);
        CHECK_INT(rc, 0);
        ami_runtime_result_dispose(&res);
    }
}

static void no_file_env_or_process_access(void)
{
    ok(RT_EQ_JS
       "eq(Object.getOwnPropertyNames(Deno).filter(function (n) { return ['env', 'exit', 'hostname', 'serve', 'addSignalListener', 'removeSignalListener'].indexOf(n) < 0; }).sort(),\n"
       "   ['loadavg', 'memoryUsage', 'metrics'], 'Deno');\n"
       "eq(Object.getOwnPropertyNames(Stels).sort(), ['config', 'local', 'net', 'runtime', 'sleep', 'startTime', 'webfix'], 'Stels');\n"
       "eq(Object.getOwnPropertyNames(logger).sort(), ['debug', 'error', 'info', 'warn'], 'logger');\n"
       "eq(Object.getOwnPropertyNames(Stels.net).filter(function (n) { return n[0] !== '_'; }).sort(),\n"
       "   ['delete', 'get', 'list', 'set', 'subscribe'], 'Stels.net');\n"
       "eq([typeof Deno.readFile, typeof Deno.readTextFile, typeof Deno.run,\n"
       "    typeof Deno.open, typeof Deno.Command], ['undefined', 'undefined', 'undefined',\n"
       "    'undefined', 'undefined'], 'Deno has no file or process I/O');\n"
       "var denied = ''; try { Deno.env.get('HOME'); } catch (e) { denied = e.name; }\n"
       "eq(denied, 'PermissionDenied', 'Deno.env without allow_env');\n"
       /* the host functions behind the API are not reachable through the API objects */
       "var reach = [Stels, Stels.net, Stels.local, logger, Deno, Stels.config];\n"
       "for (var i = 0; i < reach.length; i++) {\n"
       "  var ns = Object.getOwnPropertyNames(reach[i]);\n"
       "  for (var j = 0; j < ns.length; j++) if (ns[j] === 'host') throw new Error('host reachable');\n"
       "}\n"
       "var threw = false; try { eval('Duktape'); } catch (e) { threw = e instanceof ReferenceError; }\n"
       "eq(threw, true, 'Duktape via eval');\n"
       "eq(typeof new Function('return this')().Duktape, 'undefined', 'Duktape via Function');\n");
}

static void config_and_shims_have_their_shapes(void)
{
    json_t *w = rt_worker("sid-cfg", RT_EQ_JS
        "eq(Stels.config, {nid: 'node-1', sid: 'sid-cfg', network: 'testnet', workers: [{sid: 'a'}], term: 7}, 'config');\n"
        "if (!(Stels.startTime > 1.7e12 && Stels.startTime <= Date.now())) throw new Error('startTime ' + Stels.startTime);\n"
        "var m = Deno.memoryUsage();\n"
        "eq(Object.keys(m).sort(), ['external', 'heapTotal', 'heapUsed', 'rss'], 'memoryUsage keys');\n"
        "if (!(m.heapUsed > 10000 && m.heapUsed < m.heapTotal && m.heapTotal === 32 * 1024 * 1024 && m.rss > m.heapUsed))\n"
        "  throw new Error('memoryUsage ' + JSON.stringify(m));\n"
        "var l = Deno.loadavg();\n"
        "if (l.length !== 3 || typeof l[0] !== 'number' || l[0] < 0) throw new Error('loadavg ' + JSON.stringify(l));\n"
        "Stels.net.get(['x']); Stels.net.get(['y']);\n"
        "var mt = Deno.metrics();\n"
        "eq(mt.ops.op_kv_get.opsCompleted, 2, 'metrics get count');\n"
        "if (!(mt.opsDispatched >= 2) || typeof mt.ops !== 'object') throw new Error('metrics ' + JSON.stringify(mt));\n");
    json_t *workers = check_json("[{\"sid\":\"a\"}]");
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.term = 7;
    o.workers = workers;
    o.heap_max_bytes = 32u * 1024 * 1024;
    ami_runtime *inst = NULL;
    CHECK_RC(ami_runtime_new(&inst, &o));
    json_decref(w);
    json_decref(workers);
    ami_runtime_result res;
    CHECK_RC(ami_runtime_run(inst, &res));
    if (!res.ok) fprintf(stderr, "  %s: %s\n", res.name, res.message);
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
}

static void term_defaults_to_null_and_can_change(void)
{
    json_t *w = rt_worker("sid-term", "logger.info(JSON.stringify(Stels.config.term));");
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_options o = rt_options(net, local, w, &logs);
    ami_runtime *inst = NULL;
    CHECK_RC(ami_runtime_new(&inst, &o));
    json_decref(w);
    CHECK_RC(ami_runtime_run(inst, NULL));
    ami_runtime_set_term(inst, 12);
    CHECK_RC(ami_runtime_run(inst, NULL));
    CHECK_STR(rt_log_msg(&logs, 0), "null");
    CHECK_STR(rt_log_msg(&logs, 1), "12");
    ami_runtime_free(inst);
    rt_logs_dispose(&logs);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(global_names_are_exactly_the_list);
    RUN(each_forbidden_global_is_absent);
    RUN(no_file_env_or_process_access);
    RUN(config_and_shims_have_their_shapes);
    RUN(term_defaults_to_null_and_can_change);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
