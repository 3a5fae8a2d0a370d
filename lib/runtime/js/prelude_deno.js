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
/* Deno.exit(code): ends this run at once (a catch cannot swallow it); 0 is a success */
force(Deno, 'exit', function (code) {
    var n = code === undefined ? 0 : Number(code);
    if (n !== n || Math.floor(n) !== n) throw new TypeError('Deno.exit: the code must be an integer, not ' + String(code));
    kit.loadWeb().W.exit(n);
});

/* Deno.addSignalListener("SIGTERM" | "SIGINT", fn): the worker's stop hook, called
 * once when the node shuts down (with its graceful-shutdown time to finish) */
var signalListeners = { SIGTERM: [], SIGINT: [] }, signalHooked = false;
function checkSignal(sig, fn, what) {
    if (sig !== 'SIGTERM' && sig !== 'SIGINT')
        throw new TypeError(what + ': only "SIGTERM" and "SIGINT" (the stop hook) are supported, not ' + String(sig));
    if (typeof fn !== 'function') throw new TypeError(what + ': the listener must be a function');
}
force(Deno, 'addSignalListener', function (sig, fn) {
    checkSignal(sig, fn, 'Deno.addSignalListener');
    if (!signalHooked) {
        kit.loadWeb().W.onSignal(function (s, graceful) {
            var ls = signalListeners[s] || [];
            signalListeners[s] = [];
            for (var i = 0; i < ls.length; i++) {
                try { ls[i](graceful); } catch (e) { kit.loadWeb().logError('signal listener failed', e); }
            }
        });
        signalHooked = true;
    }
    if (signalListeners[sig].indexOf(fn) < 0) signalListeners[sig].push(fn);
});
force(Deno, 'removeSignalListener', function (sig, fn) {
    checkSignal(sig, fn, 'Deno.removeSignalListener');
    var i = signalListeners[sig].indexOf(fn);
    if (i >= 0) signalListeners[sig].splice(i, 1);
});

/* Deno.serve([options,] handler): an HTTP server in this instance (lib/runtime/web/serve.c) */
force(Deno, 'serve', function (a, b) {
    var web = kit.loadWeb(), W = web.W, PromiseImpl = kit.PromiseImpl;
    var opts, handler;
    if (typeof a === 'function') { handler = a; opts = b || {}; }
    else { opts = a || {}; handler = typeof b === 'function' ? b : opts.handler; }
    if (typeof handler !== 'function') throw new TypeError('Deno.serve: a handler function is required');
    var port = opts.port === undefined ? 8000 : Number(opts.port);
    var hostname = opts.hostname === undefined ? '0.0.0.0' : String(opts.hostname);
    var finishedResolve;
    var finished = new PromiseImpl(function (res) { finishedResolve = res; });
    function fail(id, e) {
        web.logError('Deno.serve: the handler failed', e);
        W.serveFail(id);
    }
    /* The C side makes each request, calls the handler and answers a Response it returns at
     * once (lib/runtime/web/serve.c); here the rest: a handler that threw, or returned a
     * promise (or anything else: it must come to a Response) */
    function settle(id, out, threw) {
        if (threw) { fail(id, out); return; }
        PromiseImpl.resolve(out).then(function (res) {
            try { W.serveRespond(id, res); } catch (e) { fail(id, e); }
        }, function (e) { fail(id, e); });
    }
    var r = W.serve(port, hostname, handler, settle, web.serveKit);
    var addr = { transport: 'tcp', hostname: hostname, port: r[1] };
    var closed = false, server = {};
    function shutdown() {
        if (!closed) { closed = true; W.serveClose(r[0]); finishedResolve(); }
        return finished;
    }
    force(server, 'addr', addr);
    force(server, 'finished', finished);
    force(server, 'shutdown', shutdown);
    force(server, 'ref', function () {});
    force(server, 'unref', function () {});
    if (opts.signal) opts.signal.addEventListener('abort', shutdown);
    if (typeof opts.onListen === 'function') opts.onListen(addr);
    else host.log(1, 'Listening on http://' + (hostname === '0.0.0.0' ? 'localhost' : hostname) + ':' + r[1] + '/');
    return server;
});
return Deno;
}
