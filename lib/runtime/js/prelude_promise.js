/* Promise.all/allSettled/race/any and AggregateError, compiled as
 * `function (kit)` and loaded with the polyfills above on first use. */
function (kit) {
'use strict';
var force = kit.force, values = kit.values, PromiseImpl = kit.PromiseImpl, G = kit.G;

function combinator(list, onEach, onEmpty) {
    return new PromiseImpl(function (resolve, reject) {
        var items = values(list), n = items.length;
        if (n === 0) { onEmpty(resolve, reject); return; }
        for (var i = 0; i < n; i++) onEach(PromiseImpl.resolve(items[i]), i, n, resolve, reject);
    });
}
force(PromiseImpl, 'all', function (list) {
    var out = [], left;
    return combinator(list, function (p, i, n, resolve, reject) {
        if (left === undefined) left = n;
        p.then(function (v) { out[i] = v; if (--left === 0) resolve(out); }, reject);
    }, function (resolve) { resolve(out); });
});
force(PromiseImpl, 'allSettled', function (list) {
    var out = [], left;
    return combinator(list, function (p, i, n, resolve) {
        if (left === undefined) left = n;
        p.then(function (v) { out[i] = { status: 'fulfilled', value: v }; if (--left === 0) resolve(out); },
               function (e) { out[i] = { status: 'rejected', reason: e }; if (--left === 0) resolve(out); });
    }, function (resolve) { resolve(out); });
});
force(PromiseImpl, 'race', function (list) {
    return combinator(list, function (p, i, n, resolve, reject) { p.then(resolve, reject); }, function () {});
});

function AggregateErrorImpl(errors, message) {
    if (!(this instanceof AggregateErrorImpl)) return new AggregateErrorImpl(errors, message);
    var e = new Error(message === undefined ? '' : String(message));
    force(this, 'message', e.message);
    force(this, 'errors', values(errors));
    if (e.stack !== undefined) force(this, 'stack', e.stack);
}
AggregateErrorImpl.prototype = Object.create(Error.prototype);
force(AggregateErrorImpl.prototype, 'constructor', AggregateErrorImpl);
force(AggregateErrorImpl.prototype, 'name', 'AggregateError');
force(AggregateErrorImpl.prototype, 'message', '');
if (typeof G.AggregateError !== 'function') force(G, 'AggregateError', AggregateErrorImpl);

force(PromiseImpl, 'any', function (list) {
    var errs = [], left;
    return combinator(list, function (p, i, n, resolve, reject) {
        if (left === undefined) left = n;
        p.then(resolve, function (e) {
            errs[i] = e;
            if (--left === 0) reject(new G.AggregateError(errs, 'All promises were rejected'));
        });
    }, function (resolve, reject) { reject(new G.AggregateError([], 'All promises were rejected')); });
});

}
