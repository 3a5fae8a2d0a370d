/* The prelude's loaders of its other parts, the logger, the array and string
 * iterators and the polyfills' helpers, compiled as `function (kit)` and
 * loaded on first use of any name loaded on first use (the prelude's loadMore(),
 * host.lazy(9)): an instance that touches none of them never makes these
 * functions (each one made costs every instance ~1 KB and its share of a
 * create).  kit: the prelude's own functions and state these need.
 * Returns { lazyLoad, format, arrayIterator, stringChars, loadWeb, loadStels }.
 * Loading it also turns the global `logger` and `__ami_values` accessors into
 * the logger and values(), and
 * those of Promise.prototype.catch, finally and toJSON into the methods. */
function (kit) {
'use strict';
var force = kit.force, G = kit.G, host = kit.host, ITER = kit.ITER, isArray = kit.isArray, objToString = kit.objToString;
var isObject = kit.isObject, isCallable = kit.isCallable, PromiseImpl = kit.PromiseImpl;

/* Everything an iterable or array-like yields, as an array (the global
 * __ami_values and the parts' `values`).  Iterables go through the one
 * iteration protocol of lowered code (__ami_spread in
 * lib/runtime/js/lower_helpers.js: spread, destructuring, for-of, Array.from). */
function values(x) {
    if (x === null || x === undefined) throw new TypeError(String(x) + ' is not iterable');
    if (isArray(x)) return Array.prototype.slice.call(x);
    if (typeof x === 'string' || isCallable(x[ITER]) || isCallable(x['@@iterator'])) return G.__ami_spread(x);
    if (isObject(x) && typeof x.length === 'number') return Array.prototype.slice.call(x);
    throw new TypeError(typeof x + ' is not iterable');
}
var lazyGet = kit.lazyGet, lazyPut = kit.lazyPut, Stels = kit.Stels;
var genNames = kit.genNames, polyHolders = kit.polyHolders, polyNames = kit.polyNames, timerNames = kit.timerNames;
var stelsNames = kit.stelsNames, webNames = kit.webNames;

function def(obj, name, value) {
    if (obj[name] !== undefined) return;
    Object.defineProperty(obj, name, { value: value, writable: true, configurable: true, enumerable: false });
}
function toLength(v) {
    v = Number(v);
    if (v !== v || v <= 0) return 0;
    v = Math.floor(v);
    return v > 9007199254740991 ? 9007199254740991 : v;
}
function toInt(v) {
    v = Number(v);
    if (v !== v) return 0;
    if (v === Infinity || v === -Infinity) return v;
    return v < 0 ? Math.ceil(v) : Math.floor(v);
}
function sameValueZero(a, b) { return a === b || (a !== a && b !== b); }

/* ---- iteration (Array.prototype[ITER] and String.prototype[ITER] call these) ---- */

function arrayIterator(a, kind) {
    var i = 0, done = false;
    var it = {
        next: function () {
            if (!done && i < toLength(a.length)) {
                var k = i++;
                return { value: kind === 0 ? a[k] : kind === 1 ? k : [k, a[k]], done: false };
            }
            done = true;
            return { value: undefined, done: true };
        }
    };
    it[ITER] = function () { return this; };
    return it;
}
function stringChars(s) {
    var out = [];
    for (var i = 0; i < s.length; i++) {
        var c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
            var d = s.charCodeAt(i + 1);
            if (d >= 0xdc00 && d <= 0xdfff) { out.push(s.charAt(i) + s.charAt(i + 1)); i++; continue; }
        }
        out.push(s.charAt(i));
    }
    return out;
}

/* ---- the loaders ---- */

/* remove the accessors of holder[names…] (the part defines the real ones) */
function lazyDrop(holder, names) {
    names = names.split(' ');
    for (var i = 0; i < names.length; i++) {
        var d = Object.getOwnPropertyDescriptor(holder, names[i]);
        if (d && d.get === lazyGet) delete holder[names[i]];
    }
}
function named(names, key) { return (' ' + names + ' ').indexOf(' ' + key + ' ') >= 0; }
function lazyLoad(key) {
    if (key === 'logger' || key === '__ami_values' || named(kit.moreNames, key)) return;   /* made when this part loaded (below) */
    if (key === 'Map' || key === 'Set') loadMapSet();
    else if (named(genNames, key)) loadGen();
    else if (named(timerNames, key)) loadTimers();
    else if (named(webNames, key)) loadWeb();
    else if (named(stelsNames, key)) loadStels();
    else loadPoly();
}

/* generators (ami__prelude_gen_js, host.lazy(5)) */
function loadGen() {
    lazyDrop(G, genNames);
    try {
        host.lazy(5)({ force: force, G: G, host: host, hasSymbol: kit.hasSymbol, ITER: ITER, isObject: isObject,
                       isCallable: isCallable, PromiseImpl: PromiseImpl, newCo: kit.newCo, park: kit.park,
                       resumeRaw: kit.resumeRaw, resumeCo: kit.resumeCo, cur: kit.cur, yieldCo: kit.yieldCo,
                       awaitOn: kit.awaitOn, awaitValue: kit.awaitValue, newPending: kit.newPending, settle: kit.settle,
                       resolveWith: kit.resolveWith });
    } catch (e) {
        lazyPut(G, genNames, true);
        throw e;
    }
}

/* Map and Set (ami__prelude_mapset_js, host.lazy(0)) */
var MapImpl = null, SetImpl = null;
function loadMapSet() {
    if (MapImpl) return;
    var r = host.lazy(0)({ force: force, ITER: ITER, hasSymbol: kit.hasSymbol, isCallable: isCallable,
                           isObject: isObject, values: values });
    MapImpl = r[0];
    SetImpl = r[1];
    force(G, 'Map', MapImpl);
    force(G, 'Set', SetImpl);
}

/* the polyfills, Promise combinators and Deno (host.lazy(1) to (3)) */
var polyLoaded = false;
function loadPoly() {
    if (polyLoaded) return;
    var i, groups = polyNames.split('|');
    polyLoaded = true;
    for (i = 0; i < groups.length; i++) lazyDrop(polyHolders[i], groups[i]);
    lazyDrop(G, 'RegExp');
    var pkit = { def: def, force: force, values: values, isObject: isObject, isCallable: isCallable, isArray: isArray,
                 toLength: toLength, toInt: toInt, sameValueZero: sameValueZero, ITER: ITER,
                 objToString: objToString, awaitValue: kit.awaitValue, asyncCall: kit.asyncCall, PromiseImpl: PromiseImpl,
                 G: G, arrayIterator: arrayIterator, NativeRegExp: kit.NativeRegExp, regex: host.regex };
    try {
        host.lazy(1)(pkit);
        host.lazy(2)(pkit);
        force(G, 'Deno', host.lazy(3)({ force: force, host: host, loadWeb: loadWeb, PromiseImpl: PromiseImpl }));
    } catch (e) {
        lazyPut(polyHolders, polyNames, true);
        lazyPut(G, 'RegExp', true);
        polyLoaded = false;
        throw e;
    }
}

/* timers (ami__prelude_timers_js, host.lazy(4)) */
function loadTimers() {
    lazyDrop(G, timerNames);
    try {
        host.lazy(4)({ force: force, host: host, timers: kit.timers, G: G, isCallable: isCallable, enqueue: kit.enqueue });
    } catch (e) {
        lazyPut(G, timerNames, true);
        throw e;
    }
}

/* Stels.net, Stels.local, Stels.webfix (ami__prelude_stels_js, host.lazy(8)) */
var stelsKit = null;
function loadStels() {
    if (stelsKit) return stelsKit;
    var skit = host.lazy(8)({ force: force, host: host, isArray: isArray, isObject: isObject, isCallable: isCallable,
                              PromiseImpl: PromiseImpl, subs: kit.subs, errorText: errorText, isError: isError, format: format });
    var names = stelsNames.split(' ');
    for (var i = 0; i < names.length; i++) force(Stels, names[i], skit[names[i]]);
    stelsKit = skit;
    return skit;
}

/* the web globals (ami__prelude_web_js, host.lazy(6)) with the natives of host.web() */
var webKit = null;
function loadWeb() {
    if (webKit) return webKit;
    var wkit = { force: force, G: G, PromiseImpl: PromiseImpl, ITER: ITER, isObject: isObject, isCallable: isCallable,
                 values: values, logAt: logAt, W: host.web(), newPending: kit.newPending, settle: kit.settle,
                 logError: function (what, e) { host.log(3, what + ': ' + (isError(e) ? errorText(e) : format(e))); } };
    var globals = host.lazy(6)(wkit), names = webNames.split(' ');
    for (var i = 0; i < names.length; i++) force(G, names[i], globals[names[i]]);
    webKit = wkit;
    return wkit;
}

/* ---- logger ---- */

function isError(v) { return v instanceof Error || objToString.call(v) === '[object Error]'; }
function errorText(e) {
    var n, m;
    try { n = e.name; m = e.message; } catch (x) { return '[Error]'; }
    n = n === undefined ? 'Error' : String(n);
    m = m === undefined ? '' : String(m);
    return m === '' ? n : n + ': ' + m;
}
function format(v) {
    switch (typeof v) {
    case 'string': return v;
    case 'undefined': return 'undefined';
    case 'function': return '[Function' + (v.name ? ': ' + v.name : ' (anonymous)') + ']';
    case 'symbol': return v.toString();
    case 'object':
        if (v === null) return 'null';
        if (isError(v)) return errorText(v);
        if (MapImpl && (v instanceof MapImpl || v instanceof SetImpl))
            return (v instanceof MapImpl ? 'Map' : 'Set') + ' ' + format(values(v));
        var seen = [];
        try {
            var s = JSON.stringify(v, function (k, x) {
                if (isObject(x)) {
                    if (isError(x)) return errorText(x);
                    if (seen.indexOf(x) >= 0) return '[Circular]';
                    seen.push(x);
                }
                return x;
            });
            return s === undefined ? String(v) : s;
        } catch (e) {
            return Object.prototype.toString.call(v);
        }
    default: return String(v);
    }
}
function logAt(level) {
    return function () {
        var parts = [];
        for (var i = 0; i < arguments.length; i++) parts.push(format(arguments[i]));
        host.log(level, parts.join(' '));
    };
}
var logger = {};
force(logger, 'debug', logAt(0));
force(logger, 'info', logAt(1));
force(logger, 'warn', logAt(2));
force(logger, 'error', logAt(3));
/* ---- Promise.prototype.catch, finally and toJSON ---- */

var Pp = PromiseImpl.prototype, later = {
    'catch': function (onRejected) { return this.then(undefined, onRejected); },
    'finally': function (f) {
        if (!isCallable(f)) return this.then(f, f);
        return this.then(
            function (v) { return PromiseImpl.resolve(f()).then(function () { return v; }); },
            function (e) { return PromiseImpl.resolve(f()).then(function () { throw e; }); });
    },
    /* JSON shows a promise as {} as Node does (its state is under hidden keys anyway) */
    toJSON: function () { return {}; }
};

/* each name's accessor gives way to the real property, unless a script
 * deleted it before this part loaded */
function replace(holder, name, value) {
    var d = Object.getOwnPropertyDescriptor(holder, name);
    if (d && d.get === lazyGet) force(holder, name, value);
}
replace(G, 'logger', logger);
replace(G, '__ami_values', values);
var mn = kit.moreNames.split(' ');
for (var mi = 0; mi < mn.length; mi++) replace(Pp, mn[mi], later[mn[mi]]);

return { lazyLoad: lazyLoad, format: format, arrayIterator: arrayIterator, stringChars: stringChars,
         loadWeb: loadWeb, loadStels: loadStels };
}
