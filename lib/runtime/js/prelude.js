/*
 * The runtime prelude: ES5 source compiled into every instance before the
 * worker script (kept as a .js file, turned into C data by scripts/js2c.sh at build time).
 * It is compiled as `function (host, G)` and called once with the native host
 * functions (lib/runtime/api.c) and the global object; `host` is never
 * reachable from worker code.  It returns the hooks the C side keeps in the
 * heap stash: runJobs, dispatch, endOfRun, setTerm, and the jobs and
 * unhandled arrays (kept on the value stack for a cheap emptiness check).
 */
function (host, G) {
/*
 * libami runtime prelude (ES5).
 *
 * Global helpers for lowered code (non-enumerable; the lowering may add its
 * own in its own file):
 *   __ami_await(x)        suspend the running coroutine until x settles (a
 *                         promise job resumes it), then return its value or
 *                         throw its reason.
 *   __ami_async(fn, self, args)
 *                         run fn on a new coroutine until its first await and
 *                         return the promise of its result (async functions).
 *   __ami_values(x)       an array of the values an iterable/array-like yields
 *                         (arrays, strings, Map, Set, Symbol.iterator objects).
 *
 * Polyfills are defined only where Duktape lacks them: Promise (+ job queue),
 * AggregateError, Map, Set, Object.values/entries/fromEntries/assign,
 * Array.from/of/fromAsync, Array.prototype.find/findIndex/includes/flat/flatMap
 * and [Symbol.iterator], String.prototype.includes/startsWith/endsWith/
 * padStart/padEnd/repeat/trimStart/trimEnd and [Symbol.iterator],
 * Number.isFinite/isInteger/parseFloat.
 */
'use strict';

var hasSymbol = typeof Symbol === 'function' && typeof Symbol.iterator === 'symbol';
var ITER = hasSymbol ? Symbol.iterator : '@@iterator';
var isArray = Array.isArray;
var objToString = Object.prototype.toString;

/* force(obj, name, value): Object.defineProperty(obj, name, { value, writable:
 * true, configurable: true, enumerable: false }), in C (lib/runtime/prelude.c):
 * no descriptor object per call, and one function fewer in every heap */
var force = host.force;
function isCallable(f) { return typeof f === 'function'; }
function isObject(x) { return x !== null && (typeof x === 'object' || typeof x === 'function'); }

/* ---- iteration ---- */

/* values(x), __ami_values: everything an iterable or array-like yields, as
 * an array; in the part loaded on first use (loadMore(), prelude_more.js) */
/* (the iterators themselves are in the part loaded on first use, loadMore()) */
if (Array.prototype[ITER] === undefined) force(Array.prototype, ITER, function () { return loadMore().arrayIterator(this, 0); });
if (String.prototype[ITER] === undefined)
    force(String.prototype, ITER, function () { return loadMore().arrayIterator(loadMore().stringChars(String(this)), 0); });

/* ---- Promise with a job queue ---- */

/* ring (below) first: the collector marks it before the job queue */
var ring = [];   /* its counters are in C (lib/runtime/promise.c) */
var jobs = [], jobHead = 0;
var unhandled = [];

function noop() {}
function enqueue(fn, a, b) { var n = jobs.length; jobs[n] = fn; jobs[n + 1] = a; jobs[n + 2] = b; }
function runJobs() {
    /* the queue, the head and the names the common reaction uses in locals
     * (an outer name costs Duktape a lookup by name, about 360 instructions,
     * and so does `undefined`: the hot paths write `void 0`); the head is
     * written back before each job in case one drains */
    var q = jobs, h = jobHead, rj = reactionJob, tk = take, fl = fulfil, aw = AWAIT, ks = KS, kv = KV;
    var f, a, b, x, n, thrown;
    while (h < q.length) {
        if (h >= 3072 && h * 2 >= q.length) {
            /* a chain queues its next job as each runs: move what is left to
             * the front (a queue grown to 100,000s of entries cost big copies) */
            n = q.length - h;
            for (var k = 0; k < n; k++) q[k] = q[h + k];
            q.length = n;
            h = 0;
        }
        f = q[h]; a = q[h + 1]; b = q[h + 2];
        q[h] = q[h + 1] = q[h + 2] = void 0;
        jobHead = h + 3;
        if (f !== rj) f(a, b);
        else {
            /* reactionJob(a, b) written out here, where its names are locals */
            f = tk(a, b);
            if (f === void 0) reactionOther(a, b);
            else if (f === aw) b.cont(b, a[kv], a[ks] === 2);
            else {
                thrown = false;
                try { x = f(a[kv]); }
                catch (e) {
                    if (host.aborting()) throw e;   /* a stop or slice error ends the run, not just this chain */
                    thrown = true;
                    x = e;
                }
                if (thrown) settle(b, 2, x);
                else if (x !== null && (typeof x === 'object' || typeof x === 'function')) resolveWith(b, x);
                else if (fl(b, x)) settleReactions(b);   /* settle(b, 1, x) for a plain value, in C */
                x = void 0;
            }
        }
        h = jobHead;
    }
    q.length = 0;
    jobHead = 0;
}

/* states are written as literals (0 pending, 1 fulfilled, 2 rejected): a name costs a lookup */

/* A promise's state lives in properties under hidden keys (Duktape hidden
 * symbols made by the host: no script can name, list or serialise them, so
 * Object.keys(p) is [] and JSON.stringify(p) is {} as in Node):
 *   KS state (0 pending, 1 fulfilled, 2 rejected), KV value or reason,
 *   KH handled (a reaction was added), KF/KJ/KC the first reaction inline
 *   (onFulfilled, onRejected, child), KR more reactions (f, j, c, …),
 *   KI the child's slot in the ring.
 * A reaction is (f, j, c), or (AWAIT, null, co) for a coroutine waiting in
 * await.  A child is reached from its parent in one step, with no closures
 * in between, so a chain of 100,000 pending .then()s is a shallow enough
 * graph for Duktape's mark-and-sweep (each level of nesting is a level of its
 * C recursion).  The hot paths (then, the reaction job) are written out
 * inline: each call and each outer name costs Duktape a lookup.
 *
 * Children of pending promises are also listed in a flat ring: the collector
 * then reaches each of them one step from a root instead of through the whole
 * chain, which it would walk only 8192 levels deep per rescan of the heap.
 * Listing is only a hint for the collector (the chain holds them anyway): a
 * child leaves the ring when its reaction runs or when a newer one takes its
 * slot, and the ring is emptied whenever nothing is listed. */
var PK = host.promiseKeys;
var KS = PK[0], KV = PK[1], KH = PK[2], KF = PK[3], KJ = PK[4], KC = PK[5], KR = PK[6], KI = PK[7];
var AWAIT = {};
var track = host.track, untrack = host.untrack, take = host.take, fulfil = host.fulfil;
/* Add a reaction to p: run now (as a job) when p is settled. */
function addReaction(p, f, j, c) {
    if (p[KS] !== 0) { enqueue(reactionJob3, p, [f, j, c]); return; }
    if (p[KC] === void 0) { p[KF] = f; p[KJ] = j; p[KC] = c; }
    else (p[KR] || (p[KR] = [])).push(f, j, c);
    if (f !== AWAIT) track(c);
}
function markHandled(p) {
    p[KH] = true;
    if (p[KS] === 2) { var i = unhandled.indexOf(p); if (i >= 0) unhandled.splice(i, 1); }
}

function settle(p, state, value) {
    if (p[KS] !== 0) return;
    p[KS] = state;
    p[KV] = value;
    var c = p[KC];
    if (c !== void 0) {
        enqueue(reactionJob, p, c);
        var rs = p[KR];
        if (rs) {
            p[KR] = null;
            for (var i = 0; i < rs.length; i += 3) enqueue(reactionJob3, p, [rs[i], rs[i + 1], rs[i + 2]]);
        }
    }
    if (state === 2 && !p[KH]) {
        unhandled.push(p);
        enqueue(noop, undefined, undefined);   /* a pending job makes the C side look at unhandled */
    }
}
function resolveWith(p, v) {
    if (v === p) return settle(p, 2, new TypeError('Chaining cycle detected for promise'));
    if (isObject(v)) {
        var then;
        try { then = v.then; } catch (e) { return settle(p, 2, e); }
        if (isCallable(then)) { enqueue(thenableJob, p, [v, then]); return; }
    }
    settle(p, 1, v);
}
function resolvers(p) {
    var done = false;
    return {
        resolve: function (v) { if (!done) { done = true; resolveWith(p, v); } },
        reject: function (r) { if (!done) { done = true; settle(p, 2, r); } }
    };
}
function thenableJob(p, vt) {
    var r = resolvers(p);
    try { vt[1].call(vt[0], r.resolve, r.reject); } catch (e) { r.reject(e); }
}
/* A promise made by then() is settled by its one reaction only (it has no resolvers). */
function react(p, f, j, c) {
    var s = p[KS], v = p[KV];
    if (f === AWAIT) { c.cont(c, v, s === 2); return; }
    if (c[KI] !== void 0) untrack(c);
    var h = s === 1 ? f : j;
    if (typeof h !== 'function') {
        if (s === 1) resolveWith(c, v); else settle(c, 2, v);
        return;
    }
    var x;
    try { x = h(v); }
    catch (e) {
        if (host.aborting()) throw e;   /* a stop or slice error ends the run, not just this chain */
        settle(c, 2, e);
        return;
    }
    resolveWith(c, x);
}
/* The inline reaction.  The common case, a .then() handler for p's state,
 * is taken by host.take (which drops the reaction from p: a settled promise
 * keeps no children, and takes c out of the ring); a handler returning a
 * plain value to a child nobody else waits on yet is settle() written out.
 * runJobs runs it itself (the same steps, with its names in locals); this
 * function is its marker in the queue. */
function reactionJob(p, c) {
    var h = take(p, c), x;
    if (h === void 0) { reactionOther(p, c); return; }
    if (h === AWAIT) { c.cont(c, p[KV], p[KS] === 2); return; }
    try { x = h(p[KV]); }
    catch (e) {
        if (host.aborting()) throw e;
        settle(c, 2, e);
        return;
    }
    resolveWith(c, x);
}
/* an await, or no handler for p's state (the child takes p's outcome) */
function reactionOther(p, c) {
    var s = p[KS], v = p[KV], f = p[KF], j = p[KJ];
    p[KF] = p[KJ] = p[KC] = void 0;
    if (f === AWAIT) { c.cont(c, v, s === 2); return; }
    react(p, f, j, c);
}
function settleReactions(p) {
    enqueue(reactionJob, p, p[KC]);
    var rs = p[KR];
    p[KR] = null;
    for (var i = 0; i < rs.length; i += 3) enqueue(reactionJob3, p, [rs[i], rs[i + 1], rs[i + 2]]);
}
function reactionJob3(p, fjc) { react(p, fjc[0], fjc[1], fjc[2]); }
var newPending = host.newPromise;   /* every field at once (lib/runtime/promise.c) */

function PromiseImpl(executor) {
    if (!(this instanceof PromiseImpl)) throw new TypeError("Promise constructor cannot be invoked without 'new'");
    if (!isCallable(executor)) throw new TypeError('Promise resolver ' + String(executor) + ' is not a function');
    this[KS] = 0; this[KV] = void 0; this[KH] = false;
    var r = resolvers(this);
    try { executor(r.resolve, r.reject); } catch (e) { r.reject(e); }
}
var Pp = PromiseImpl.prototype;
/* then() is C (lib/runtime/promise.c): the hot call of every chain; catch,
 * finally and toJSON are made by the part loaded on first use (loadMore(), below) */
host.promiseInit(PK, Pp, ring, jobs, reactionJob3, unhandled, AWAIT, reactionJob);
force(Pp, 'then', host.then);
if (hasSymbol && Symbol.toStringTag) force(Pp, Symbol.toStringTag, 'Promise');

force(PromiseImpl, 'resolve', function (v) {
    if (v instanceof PromiseImpl) return v;
    var p = newPending();
    resolveWith(p, v);
    return p;
});
force(PromiseImpl, 'reject', function (r) {
    var p = newPending();
    settle(p, 2, r);
    return p;
});
if (typeof G.Promise !== 'function') force(G, 'Promise', PromiseImpl);

/* ---- coroutines: async functions run on Duktape threads ----
 * Every async call runs its body on a coroutine (a Duktape.Thread, parked in
 * a small pool when done); `await x` yields the coroutine back to whoever
 * resumed it, and a promise job resumes it with x's outcome.  So an async
 * function stops at await and the caller goes on, as in Node. */

var Thread = G.Duktape.Thread, resumeCo = Thread.resume, yieldCo = Thread.yield;
/* co.k, what a resume ended with: 1 await, 2 return, 3 throw, 4 yield (literals in the hot
 * paths: Duktape looks names of outer functions up by name) */
var current = null;   /* the coroutine record running now; null on the loop */
var pool = [];        /* parked threads, ready for the next call */

function coMain(co) {
    for (;;) {
        var v;
        try { v = co.fn.apply(co.self, co.args); co.k = 2; }
        catch (e) { v = e; co.k = 3; }
        co = yieldCo(v);
    }
}
function newCo(fn, self, args, cont) {
    return { t: pool.length ? pool.pop() : new Thread(coMain), fn: fn, self: self, args: args, k: 0,
             cont: cont, p: null, first: true, gen: 0, g: null };
}
/* Resume co with v (thrown when isErr); returns what it yielded or returned, co.k says which. */
function resumeRaw(co, v, isErr) {
    var prev = current;
    current = co;
    if (co.first) { co.first = false; v = co; isErr = false; }
    /* no try/finally: coMain catches what the body throws, so only a stop or
     * slice error gets through, and it ends the run (reset clears current) */
    var r = resumeCo(co.t, v, isErr);
    current = prev;
    return r;
}
function park(co) {
    if (pool.length < 4) pool.push(co.t);
    co.t = null;
    co.fn = co.self = co.args = null;
}
function asyncStep(co, v, isErr) {
    /* resumeRaw(co, v, isErr) written out (an outer name is a lookup) */
    var prev = current;
    current = co;
    if (co.first) { co.first = false; v = co; isErr = false; }
    var r = resumeCo(co.t, v, isErr), k = co.k;
    current = prev;
    co.k = 0;
    if (k === 1) { awaitOn(co, r); return; }
    park(co);
    if (k === 2) resolveWith(co.p, r);
    else {
        if (host.aborting()) throw r;   /* a stop or slice error: not a rejection */
        settle(co.p, 2, r);
    }
}
function valueJob(co, v) { co.cont(co, v, false); }
/* Resume co once x settles (one job after, as Node's await). */
function awaitOn(co, x) {
    var p = x, P = PromiseImpl;
    if (!(x instanceof P)) {
        if (x === null || (typeof x !== 'object' && typeof x !== 'function')) {
            var q = jobs, n = q.length;   /* enqueue(valueJob, co, x) */
            q[n] = valueJob; q[n + 1] = co; q[n + 2] = x;
            return;
        }
        p = P.resolve(x);
    }
    if (!p[KH]) markHandled(p);
    addReaction(p, AWAIT, null, co);
}
function asyncCall(fn, self, args) {
    var co = newCo(fn, self, args, asyncStep);
    co.p = newPending();
    asyncStep(co, void 0, false);
    return co.p;
}
function awaitValue(x) {
    var co = current;
    if (co === null || co.gen === 1)
        throw new SyntaxError('await is only valid in async functions and the top level bodies of modules');
    host.mark();
    co.k = 1;
    return yieldCo(x);
}
force(G, '__ami_await', awaitValue);
force(G, '__ami_async', asyncCall);

/* ---- names loaded on first use ----
 * Until its part is loaded, each such name (the generator helpers, Map/Set,
 * the polyfills, timers, logger, Stels.net/local/webfix, the web globals) is
 * one shared accessor (Duktape passes getters the key, setters the value and
 * the key) that loads the part owning the name (lazyLoad) and then reads or
 * assigns the real property.  A part that fails to load (out of heap,
 * stopped) puts back the accessors of its names still missing: a later use
 * retries.  The loaders themselves, with the logger, the iterators and the
 * polyfills' helpers, are one more part loaded on first use of any such
 * name (ami__prelude_more_js, host.lazy(9), loadMore()): every function made here
 * costs each instance ~1 KB and its share of a create, used or not. */

function lazyGet(key) { loadMore().lazyLoad(key); return this === undefined || this === null ? undefined : this[key]; }
function lazySet(v, key) { loadMore().lazyLoad(key); this[key] = v; }
/* The names of a part are one string, separated by spaces: an array of them
 * in every idle instance cost an object and a slot per name (~4 KB in all),
 * and they are only read when a part loads (or fails to). */
/* the accessor on holder[names…] (only where the name is missing, with
 * onlyMissing); holder an array: one '|'-separated group of names per holder
 * (host.lazyPut, lib/runtime/prelude.c: in C, one call per part) */
function lazyPut(holder, names, onlyMissing) { host.lazyPut(holder, names, onlyMissing ? 1 : 0, lazyGet, lazySet); }
/* At setup, for the names not already present, host.lazyPut is called with
 * mode 3: which those are is the same in every heap (the built-ins), so it
 * finds them in the process's first heap only; a retry after a failed load
 * (loadMore(), with some of the part's names already there) uses lazyPut. */

/* generators (ami__prelude_gen_js, host.lazy(5)): on the same coroutines */
if (hasSymbol && typeof Symbol.asyncIterator !== 'symbol')
    try { Object.defineProperty(Symbol, 'asyncIterator', { value: Symbol('Symbol.asyncIterator') }); } catch (e) {}
var genNames = '__ami_gen __ami_agen __ami_yield __ami_yield_star __ami_ayield __ami_ayield_star __ami_genret';
lazyPut(G, genNames, false);
lazyPut(G, '__ami_values', false);   /* made by the part of the loaders (loadMore()) */

/* Map and Set (ami__prelude_mapset_js, host.lazy(0)) */
host.lazyPut(G, 'Map Set', 3, lazyGet, lazySet);

/* Object, Array, String and Number polyfills, Promise combinators, Deno
 * (ami__prelude_poly_js, ami__prelude_promise_js and ami__prelude_deno_js,
 * host.lazy(1) to (3)): each missing name loads them all.
 * The holders, and the names of each (holder i: the i-th group between '|'). */
var polyHolders = [Object, Array, Array.prototype, String.prototype, Number, PromiseImpl, G];
var polyNames = 'assign values entries fromEntries hasOwn|from of fromAsync|' +
    'find findIndex fill includes flat flatMap at values keys entries findLast findLastIndex|' +
    'includes startsWith endsWith repeat padStart padEnd trimStart trimEnd at replaceAll matchAll|' +
    'isFinite isInteger parseFloat|all allSettled race any withResolvers|AggregateError Deno WeakMap WeakSet __ami_re';
/* RegExp is replaced too: RegExp(pattern, flags) built at run time goes
 * through the lowering's rewriting (host.regex), as a literal does */
var NativeRegExp = G.RegExp;
host.lazyPut(polyHolders, polyNames, 3, lazyGet, lazySet);
lazyPut(G, 'RegExp', false);   /* present natively: replaced on first use */

/* logger, and Promise.prototype.catch/finally/toJSON: made by the part of
 * the loaders (loadMore()) when it loads */
var moreNames = 'catch finally toJSON';
lazyPut(G, 'logger', false);
lazyPut(Pp, moreNames, false);

/* ---- timers: callbacks by id (the deadlines live in the C loop) ---- */

var timers = {};
function resolveSleep(p) { resolveWith(p, undefined); }
function fire(id) {
    var t = timers[id];
    if (!t) return;
    if (!t.repeat) delete timers[id];
    if (t.fn === resolveSleep) resolveSleep(t.args);
    else t.fn.apply(undefined, t.args);
}

/* setTimeout/setInterval/clearTimeout/clearInterval/queueMicrotask: loaded
 * on first use (ami__prelude_timers_js, host.lazy(4)), like the polyfills. */
var timerNames = 'setTimeout setInterval clearTimeout clearInterval queueMicrotask';
host.lazyPut(G, timerNames, 3, lazyGet, lazySet);

/* ---- Stels ----
 * Stels.net, Stels.local and Stels.webfix load on first use of any of them
 * (ami__prelude_stels_js, host.lazy(8)), like the polyfills: until then each
 * is an accessor on Stels.  subs (subscription callbacks by id) stays here:
 * the C side dispatches through it. */

var subs = {};
var stelsNames = 'net local webfix';
/* an object (lib/runtime/runtime.c, setup_instance), dropped after setup
 * (prelude.c): only the cex mode is kept */
var cfg = host.config;
var cexMode = cfg.cex || '';
var config = { nid: cfg.nid, sid: cfg.sid, network: cfg.network, workers: cfg.workers, term: cfg.term };
var Stels = {};
force(Stels, 'config', config);
force(Stels, 'startTime', cfg.startTime);
lazyPut(Stels, stelsNames, false);
force(Stels, 'sleep', function (ms) {
    ms = Number(ms);
    host.sleepOp();
    var p = newPending();
    /* not a keep-alive handle: an un-awaited sleep does not hold the instance */
    timers[host.timer(ms !== ms || ms < 0 ? 0 : ms, 0, false)] = { fn: resolveSleep, args: p };
    return p;
});
/* Stels.runtime.cex: the exchange connectors (ami__cex_js, host.lazy(7)), loaded on first use */
var runtimeNs = {}, cexNs = null;
Object.defineProperty(runtimeNs, 'cex', {
    get: function () {
        if (!cexNs) {
            var m = loadMore();
            m.loadWeb();
            cexNs = host.lazy(7)({ force: force, G: G, PromiseImpl: PromiseImpl, awaitValue: awaitValue, Stels: Stels, commit: m.loadStels().commit,
                                   mode: cexMode, hosted: host.cexHosted ? host.cexHosted() : [] });
        }
        return cexNs;
    },
    configurable: false, enumerable: true
});
force(Stels, 'runtime', runtimeNs);
force(G, 'Stels', Stels);

/* ---- web globals (docs/design.md §11): loaded on first use of any of them ----
 * ami__prelude_web_js (host.lazy(6)) with the natives of host.web(); until
 * then each name is an accessor that loads them all, like the polyfills. */

var webNames = 'URL URLSearchParams TextEncoder TextDecoder atob btoa structuredClone performance crypto CryptoKey ' +
               'console DOMException Event EventTarget AbortController AbortSignal Headers Request Response fetch ' +
               'WebSocket MessageEvent CloseEvent ErrorEvent';
/* Duktape's own TextEncoder and TextDecoder give way: host.lazyPut (mode 2)
 * cuts their prototype.constructor cycles so reference counting frees them
 * now (an instance then needs no collection after setup) */
host.lazyPut(G, webNames, 2, lazyGet, lazySet);

/* ---- the part of the loaders, the logger and the iterators (host.lazy(9)) ---- */

var more = null;
function loadMore() {
    if (more) return more;
    more = host.lazy(9)({ force: force, G: G, host: host, hasSymbol: hasSymbol, ITER: ITER, isArray: isArray,
                          objToString: objToString, isObject: isObject, isCallable: isCallable,
                          PromiseImpl: PromiseImpl, newCo: newCo, park: park, resumeRaw: resumeRaw, resumeCo: resumeCo,
                          cur: function () { return current; }, yieldCo: yieldCo, awaitOn: awaitOn,
                          awaitValue: awaitValue, asyncCall: asyncCall, newPending: newPending, settle: settle,
                          resolveWith: resolveWith, enqueue: enqueue, timers: timers, subs: subs, Stels: Stels,
                          lazyGet: lazyGet, lazyPut: lazyPut, NativeRegExp: NativeRegExp, genNames: genNames,
                          polyHolders: polyHolders, polyNames: polyNames, timerNames: timerNames,
                          stelsNames: stelsNames, webNames: webNames, moreNames: moreNames });
    return more;
}

/* setup-only objects the scope would keep for the instance's life (the
 * host's config and promise keys: prelude.c drops them from host too) */
cfg = null;
PK = null;

/* ---- hooks for the C side ---- */

var bodyError, bodyValue;
/* the parked coroutines go with the run: an idle instance keeps none */
function bodyFulfilled(v) { pool.length = 0; bodyValue = v; host.settled(1); }
function bodyRejected(e) { pool.length = 0; bodyError = e; host.settled(2); }
function drain() {
    runJobs();
    if (!unhandled.length) return;
    var u = unhandled.slice();
    unhandled.length = 0;
    for (var i = 0; i < u.length; i++)
        if (!u[i][KH]) host.log(3, 'Unhandled promise rejection: ' + loadMore().format(u[i][KV]));
}
return {
    dispatch: function (id, text) {
        var f = subs[id];
        if (f) f(text === null ? null : JSON.parse(text));
    },
    /* a body that awaits at its top level: an async function on a coroutine
     * (a synchronous body is called by the C side: loop.c run_sync) */
    start: function (body) { asyncCall(body, undefined, []).then(bodyFulfilled, bodyRejected); },
    /* the value a synchronous body returned (called by the C side when it is
     * an object, or when jobs or parked coroutines are left: else the C side
     * settles the run itself, see loop.c run_sync) */
    settle: function (v) {
        if (!isObject(v) || !isCallable(v.then)) { bodyFulfilled(v); return; }
        PromiseImpl.resolve(v).then(bodyFulfilled, bodyRejected);
    },
    /* the job queue and the coroutine pool, for the C side's emptiness check */
    jobs: jobs,
    pool: pool,
    bodyError: function () { var e = bodyError; bodyError = undefined; return e; },
    bodyValue: function () { var v = bodyValue; bodyValue = undefined; return v; },
    drain: drain,
    fire: fire,
    /* after a failed or stopped run: nothing it left behind may run later */
    reset: function () {
        host.ringReset();
        jobs.length = 0;
        jobHead = 0;
        unhandled.length = 0;
        for (var id in timers) delete timers[id];
        current = null;
        pool.length = 0;
        bodyError = bodyValue = undefined;
    },
    setTerm: function (t) { config.term = t; }
};
}
