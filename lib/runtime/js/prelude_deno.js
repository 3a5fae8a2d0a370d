/* The Deno shims, compiled as `function (kit)` with kit.force and
 * the host functions; returns the Deno object, loaded with the polyfills. */
function (kit) {
'use strict';
var force = kit.force, host = kit.host;

var Deno = {};
force(Deno, 'memoryUsage', function () {
    var m = host.mem();
    return { rss: m[2], heapTotal: m[1], heapUsed: m[0], external: 0 };
});
force(Deno, 'loadavg', function () { return host.loadavg(); });
force(Deno, 'metrics', function () {
    var c = host.metrics(), names = ['op_kv_get', 'op_kv_set', 'op_kv_delete', 'op_kv_list', 'op_kv_watch',
                                     'op_sleep', 'op_log', 'op_webfix', 'op_now'];
    var ops = {}, total = 0;
    for (var i = 0; i < names.length; i++) {
        ops[names[i]] = { opsDispatched: c[i], opsDispatchedSync: c[i], opsDispatchedAsync: 0,
                          opsCompleted: c[i], opsCompletedSync: c[i], opsCompletedAsync: 0 };
        total += c[i];
    }
    return { opsDispatched: total, opsDispatchedSync: total, opsDispatchedAsync: 0, opsDispatchedAsyncUnref: 0,
             opsCompleted: total, opsCompletedSync: total, opsCompletedAsync: 0, opsCompletedAsyncUnref: 0,
             bytesSentControl: 0, bytesSentData: 0, bytesReceived: 0, ops: ops };
});
var env = {};
force(env, 'get', function (name) {
    if (arguments.length < 1) throw new TypeError('Deno.env.get: 1 argument required');
    return kit.loadWeb().W.env(String(name));
});
force(env, 'has', function (name) { return env.get(name) !== undefined; });
force(Deno, 'env', env);
force(Deno, 'hostname', function () { return kit.loadWeb().W.hostname(); });
return Deno;
}
