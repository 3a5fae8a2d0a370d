/* setTimeout, setInterval, clearTimeout, clearInterval and queueMicrotask,
 * compiled as `function (kit)` and loaded on first use of any of them.
 * Deadlines live in the instance's C loop (host.timer: a min-heap on the
 * monotonic clock, FIFO among equal deadlines); kit.timers maps an id to its
 * callback.  As in Node: a delay below 1 ms is 1 ms, each callback is one
 * macrotask followed by the promise jobs, and an active timer keeps the
 * instance alive (ami_runtime_handles). */
function (kit) {
'use strict';
var force = kit.force, host = kit.host, timers = kit.timers, G = kit.G, isCallable = kit.isCallable;

function add(fn, ms, args, repeat, what) {
    if (!isCallable(fn)) throw new TypeError(what + ': the callback must be a function');
    ms = Number(ms);
    if (!(ms >= 1)) ms = 1;
    if (ms > 2147483647) ms = 1;   /* as Node: out of range means 1 */
    var id = host.timer(ms, repeat ? ms : 0, true);
    timers[id] = { fn: fn, args: args, repeat: repeat };
    return id;
}
function rest(a) { return Array.prototype.slice.call(a, 2); }
function clear(id) {
    if (typeof id !== 'number' || !timers[id]) return;
    delete timers[id];
    host.clearTimer(id);
}
force(G, 'setTimeout', function setTimeout(fn, ms) { return add(fn, ms, rest(arguments), false, 'setTimeout'); });
force(G, 'setInterval', function setInterval(fn, ms) { return add(fn, ms, rest(arguments), true, 'setInterval'); });
force(G, 'clearTimeout', function clearTimeout(id) { clear(id); });
force(G, 'clearInterval', function clearInterval(id) { clear(id); });
force(G, 'queueMicrotask', function queueMicrotask(fn) {
    if (!isCallable(fn)) throw new TypeError('queueMicrotask: the callback must be a function');
    kit.enqueue(function (f) { f(); }, fn, undefined);
});
}
