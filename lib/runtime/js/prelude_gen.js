/* Generators and async generators, compiled as `function (kit)` and loaded
 * on first use of a generator function (lib/runtime/js/prelude.js, loadGen).
 * A generator object owns a coroutine record; next/throw/return resume it,
 * `yield` (__ami_yield) yields it back.  return() throws a private signal at
 * the paused yield so that finally blocks run. */
function (kit) {
'use strict';
var force = kit.force, G = kit.G, host = kit.host, hasSymbol = kit.hasSymbol, ITER = kit.ITER, isObject = kit.isObject,
    isCallable = kit.isCallable, PromiseImpl = kit.PromiseImpl, newCo = kit.newCo, park = kit.park,
    resumeRaw = kit.resumeRaw, cur = kit.cur, yieldCo = kit.yieldCo, awaitOn = kit.awaitOn, awaitValue = kit.awaitValue,
    newPending = kit.newPending, settle = kit.settle, resolveWith = kit.resolveWith;


var AITER = hasSymbol && typeof Symbol.asyncIterator === 'symbol' ? Symbol.asyncIterator : '@@asyncIterator';
/* generator states (st): 0 not started, 1 paused at a yield, 2 running, 3 done */

function genState(g, what) {
    var s = isObject(g) ? g._g : undefined;
    if (!s) throw new TypeError(what + ' method called on an incompatible receiver');
    return s;
}
/* the private signal return(v) throws at the paused yield, so that finally blocks run */
function RetSignal(v) { this.r = v; }
function iterResult(value, done) { return { value: value, done: done }; }
function genResume(g, v, mode) {
    var s = g !== null && typeof g === 'object' ? g._g : undefined;
    if (!s) genState(g, mode === 0 ? 'next' : mode === 1 ? 'throw' : 'return');
    var st = s.st;
    if (st === 2) throw new TypeError('Generator is already running');
    if (st === 0 && mode !== 0) { st = s.st = 3; park(s.co); }
    if (st === 3) {
        if (mode === 1) throw v;
        return { value: mode === 2 ? v : undefined, done: true };
    }
    var co = s.co, r;
    if (mode === 2) v = s.ret = new RetSignal(v);
    s.st = 2;
    /* a sync generator's body cannot await, so the runtime's current
     * coroutine need not change after the first resume: the thread is
     * resumed directly (the fastest switch) */
    r = co.first ? resumeRaw(co, v, mode !== 0) : resumeCo(co.t, v, mode !== 0);
    /* k 0: the body yielded (__ami_yield is the bare Thread.yield) */
    if (co.k === 0) { s.st = 1; return { value: r, done: false }; }
    return genEnded(s, co, r);
}
/* the body returned (co.k 2) or threw (3) */
function genEnded(s, co, r) {
    var k = co.k;
    co.k = 0;
    s.st = 3;
    park(co);
    if (k === 2) return { value: r, done: true };
    if (host.aborting()) throw r;
    if (s.ret !== undefined && r === s.ret) return { value: r.r, done: true };
    throw r;
}
function Generator() {}
var Gp = Generator.prototype;
/* next() of a paused generator, the hot path of for-of and spread: genResume inlined */
force(Gp, 'next', function (v) {
    var s = this !== null && typeof this === 'object' ? this._g : undefined;
    if (s === undefined || s.st !== 1) return genResume(this, v, 0);
    var co = s.co, r;
    s.st = 2;
    r = resumeCo(co.t, v, false);
    if (co.k === 0) { s.st = 1; return { value: r, done: false }; }
    return genEnded(s, co, r);
});
var GpNext = Gp.next;
/* for-of, spread and destructuring (__ami_iter) read each result before the
 * next step and never hand it out: for a generator with its own next() they
 * step it through one result object reused for every value (no allocation per
 * value) */
/* the fast iterator's methods read its state from this (Duktape resolves
 * names of outer functions by name, slower than a property of a small object) */
function fastNext(v) {
    var s = this._s, o = this._o, r;
    if (s.st === 1) {
        var co = s.co;
        s.st = 2;
        r = resumeCo(co.t, v, false);
        if (co.k === 0) { s.st = 1; o.value = r; return o; }
        r = genEnded(s, co, r);
    } else r = genResume(this._g, v, 0);
    o.value = r.value;
    o.done = r.done;
    return o;
}
function fastThrow(e) { return this._g['throw'](e); }
function fastReturn(v) { return this._g['return'](v); }
force(Gp, '__ami_fast', function () {
    if (this.next !== GpNext) return this;
    return { next: fastNext, 'throw': fastThrow, 'return': fastReturn, _g: this, _s: this._g, _o: { value: undefined, done: false } };
});
force(Gp, 'throw', function (e) { return genResume(this, e, 1); });
force(Gp, 'return', function (v) { return genResume(this, v, 2); });
force(Gp, ITER, function () { return this; });
if (hasSymbol && Symbol.toStringTag) force(Gp, Symbol.toStringTag, 'Generator');

function newGen(proto, fn, self, args, gen, cont) {
    var g = Object.create(proto), co = newCo(fn, self, args, cont);
    co.gen = gen;
    var st = { co: co, st: 0, ret: undefined, q: null };
    co.g = st;
    Object.defineProperty(g, '_g', { value: st });
    return g;
}
var resumeCo = kit.resumeCo;
force(G, '__ami_gen', function (fn, self, args) { return newGen(Gp, fn, self, args, 1, null); });
/* yield in a generator's body: the lowering emits it only there, so it is
 * Duktape's Thread.yield itself (the fastest switch); genResume reads the
 * unchanged co.k (0) as a yield */
force(G, '__ami_yield', yieldCo);
/* catch clauses of generators rethrow the signal (lowered `catch (e) {
 * __ami_genret(e); … }`): the signal never leaves its generator (it ends
 * the body, or a finally replaces it), so any signal caught is the own one */
function isRet(e) { return e instanceof RetSignal; }
force(G, '__ami_genret', function (e) { if (isRet(e)) throw e; });
/* yield*: next(v), throw(e) and return(v) of the outer generator go to the
 * inner iterator (ES2015 14.4.14); step(it, mode, v) calls one of them */
function delegate(it, step) {
    var v, r, mode = 0, sig;
    for (;;) {
        if (mode === 0) r = step(it, 'next', v);
        else if (mode === 1) {
            if (!isCallable(it['throw'])) {
                if (isCallable(it['return'])) step(it, 'return', undefined);
                throw new TypeError("The iterator does not provide a 'throw' method");
            }
            r = step(it, 'throw', v);
        } else {
            if (!isCallable(it['return'])) throw sig;
            r = step(it, 'return', sig.r);
            if (!isObject(r)) throw new TypeError('Iterator result ' + String(r) + ' is not an object');
            if (r.done) { sig.r = r.value; throw sig; }
        }
        if (!isObject(r)) throw new TypeError('Iterator result ' + String(r) + ' is not an object');
        if (r.done) return r.value;
        try { v = yieldCo(r.value); mode = 0; }
        catch (e) {
            if (isRet(e)) { mode = 2; sig = e; } else { mode = 1; v = e; }
        }
    }
}
function syncStep(it, m, v) { return it[m](v); }
force(G, '__ami_yield_star', function (x) { return delegate(G.__ami_iter(x), syncStep); });

/* async generators: requests queue up; the coroutine awaits (k 1) and yields (k 0) */
function AsyncGenerator() {}
var AGp = AsyncGenerator.prototype;
function agenRequest(g, v, mode) {
    var p = newPending(), s;
    try { s = genState(g, mode === 0 ? 'next' : mode === 1 ? 'throw' : 'return'); }
    catch (e) { settle(p, 2, e); return p; }
    (s.q || (s.q = [])).push({ m: mode, v: v, p: p });
    if (s.st !== 2) agenNext(s);
    return p;
}
function agenNext(s) {
    while (s.q && s.q.length) {
        var req = s.q[0];
        if (s.st === 0 && req.m !== 0) { s.st = 3; park(s.co); }
        if (s.st === 3) {
            s.q.shift();
            if (req.m === 1) settle(req.p, 2, req.v);
            else resolveWith(req.p, iterResult(req.m === 2 ? req.v : undefined, true));
            continue;
        }
        var v = req.v;
        if (req.m === 2) v = s.ret = new RetSignal(v);
        s.st = 2;
        agenStep(s.co, v, req.m !== 0);
        return;
    }
}
function agenStep(co, v, isErr) {
    var s = co.g, r = resumeRaw(co, v, isErr), k = co.k;
    co.k = 0;
    if (k === 1) { awaitOn(co, r); return; }
    var req = s.q.shift();
    if (k === 0) {   /* yielded */
        s.st = 1;
        resolveWith(req.p, iterResult(r, false));
    } else {
        s.st = 3;
        park(co);
        if (k === 2) resolveWith(req.p, iterResult(r, true));
        else if (host.aborting()) throw r;
        else if (s.ret !== undefined && r === s.ret) resolveWith(req.p, iterResult(r.r, true));
        else settle(req.p, 2, r);
    }
    agenNext(s);
}
force(AGp, 'next', function (v) { return agenRequest(this, v, 0); });
force(AGp, 'throw', function (e) { return agenRequest(this, e, 1); });
force(AGp, 'return', function (v) { return agenRequest(this, v, 2); });
force(AGp, AITER, function () { return this; });
if (hasSymbol && Symbol.toStringTag) force(AGp, Symbol.toStringTag, 'AsyncGenerator');
force(G, '__ami_agen', function (fn, self, args) { return newGen(AGp, fn, self, args, 2, agenStep); });
force(G, '__ami_ayield', function (v) { return yieldCo(awaitValue(v)); });
force(G, '__ami_ayield_star', function (x) {
    var m = isObject(x) || typeof x === 'string' ? x[AITER] : undefined, it;
    if (isCallable(m)) it = m.call(x);
    else {
        var sync = G.__ami_iter(x);
        it = { next: function (a) { var q = sync.next(a); return isObject(q) && !q.done ? PromiseImpl.resolve(q.value).then(function (w) { return iterResult(w, false); }) : q; } };
        if (isCallable(sync['return'])) it['return'] = function (a) { return sync['return'](a); };
        if (isCallable(sync['throw'])) it['throw'] = function (a) { return sync['throw'](a); };
    }
    return delegate(it, asyncStep);
});
function asyncStep(it, m, v) { return awaitValue(it[m](v)); }
}
