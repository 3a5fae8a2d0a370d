/* Claim: each polyfill of the prelude gives the ES2015+ results (checked
 * against known values), and promises settle through the job queue in
 * specification order; __ami_await suspends until its promise settles. */
#include "rt.h"

static ami_store *net, *local;

static void js(const char *body)
{
    char *script = malloc(strlen(body) + 512);
    sprintf(script, "%s%s", RT_EQ_JS, body);
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, script, NULL, &res), 0);
    ami_runtime_result_dispose(&res);
    free(script);
}

static void promise_order_and_combinators(void)
{
    js("var log = [];\n"
       "Promise.resolve(1).then(function (v) { log.push('a' + v); return v + 1; }).then(function (v) { log.push('b' + v); });\n"
       "new Promise(function (res) { log.push('sync'); res(5); }).then(function (v) { log.push('c' + v); });\n"
       "Promise.reject(new Error('x'))['catch'](function (e) { log.push('caught ' + e.message); })\n"
       "  ['finally'](function () { log.push('finally'); });\n"
       "log.push('end');\n"
       "__ami_await(Promise.resolve());\n"
       "eq(log, ['sync', 'end', 'a1', 'c5', 'caught x'], 'one job turn');\n"
       "__ami_await(Stels.sleep(1));\n"
       "eq(log, ['sync', 'end', 'a1', 'c5', 'caught x', 'b2', 'finally'], 'job order');\n"
       "eq(__ami_await(Promise.all([1, Promise.resolve(2), {then: function (r) { r(3); }}])), [1, 2, 3], 'all');\n"
       "eq(__ami_await(Promise.allSettled([Promise.resolve(1), Promise.reject('no')])),\n"
       "   [{status: 'fulfilled', value: 1}, {status: 'rejected', reason: 'no'}], 'allSettled');\n"
       "eq(__ami_await(Promise.race([new Promise(function () {}), Promise.resolve('fast')])), 'fast', 'race');\n"
       "eq(__ami_await(Promise.any([Promise.reject(1), Promise.resolve(2)])), 2, 'any');\n"
       "try { __ami_await(Promise.any([Promise.reject(1), Promise.reject(2)])); throw 0; }\n"
       "catch (e) { eq([e.name, e.errors, e instanceof AggregateError], ['AggregateError', [1, 2], true], 'any rejects'); }\n"
       "eq(__ami_await(Promise.all([])), [], 'all empty');\n"
       "var p = Promise.resolve(1); eq(Promise.resolve(p) === p, true, 'resolve keeps a promise');\n"
       "var chained = Promise.resolve(Promise.resolve(Promise.resolve(9)));\n"
       "eq(__ami_await(chained), 9, 'nested resolve');\n"
       "var self; self = new Promise(function (r) { Promise.resolve().then(function () { r(self); }); });\n"
       "try { __ami_await(self); throw 0; } catch (e) { eq(e instanceof TypeError, true, 'cycle'); }\n");
}

static void await_helper(void)
{
    js("eq(__ami_await(5), 5, 'plain value');\n"
       "var o = {a: 1}; eq(__ami_await(o) === o, true, 'non-thenable object');\n"
       "try { __ami_await(Promise.reject(new RangeError('r'))); throw 0; } catch (e) { eq(e.name, 'RangeError', 'rethrows'); }\n"
       "var f = __ami_async(function (a, b) { return a + b; }, null, [2, 3]);\n"
       "eq(f instanceof Promise, true, 'async returns a promise');\n"
       "eq(__ami_await(f), 5, 'async value');\n"
       "var g = __ami_async(function () { throw new Error('bad'); });\n"
       "try { __ami_await(g); throw 0; } catch (e) { eq(e.message, 'bad', 'async throw rejects'); }\n"
       "eq(__ami_await(Stels.sleep(1)), undefined, 'sleep resolves to undefined');\n"
       "eq(__ami_values(new Set([1, 2])), [1, 2], 'values of a Set');\n"
       "eq(__ami_values('ab'), ['a', 'b'], 'values of a string');\n");
}

static void map_and_set(void)
{
    js("var k = {}, m = new Map([['a', 1], [k, 2], [NaN, 3], [0, 4]]);\n"
       "eq([m.size, m.get('a'), m.get(k), m.get(NaN), m.get(-0), m.has({}), m.get('missing')], [4, 1, 2, 3, 4, false, undefined], 'map get');\n"
       "m.set('a', 10).set('b', 20); m['delete'](k);\n"
       "eq(Array.from(m.keys()).map(String), ['a', 'NaN', '0', 'b'], 'map keys in insertion order');\n"
       "eq(Array.from(m.entries())[0], ['a', 10], 'map entries');\n"
       "var seen = []; m.forEach(function (v, key) { seen.push(v); }); eq(seen, [10, 3, 4, 20], 'map forEach');\n"
       "var live = [], it = m.entries(); m.set('c', 30); var r;\n"
       "while (!(r = it.next()).done) { live.push(r.value[0]); if (r.value[0] === 'NaN') {} }\n"
       "eq(live.length, 5, 'iterator sees later additions');\n"
       "var big = new Map(); for (var i = 0; i < 200; i++) big.set('k' + i, i);\n"
       "var bit = big.keys(); bit.next();\n"
       "for (i = 0; i < 150; i++) big['delete']('k' + i);\n"
       "eq([big.size, bit.next().value, big.get('k199')], [50, 'k150', 199], 'compaction keeps iterators');\n"
       "m.clear(); eq(m.size, 0, 'clear');\n"
       "var s = new Set([1, 2, 2, '2', NaN, NaN]);\n"
       "eq([s.size, s.has(2), s.has('2'), s.has(NaN), s.has(3)], [4, true, true, true, false], 'set');\n"
       "s.add(3)['delete'](1); eq(Array.from(s).map(String), ['2', '2', 'NaN', '3'], 'set order');\n"
       "var sum = 0; s.forEach(function (v) { if (typeof v === 'number' && v === v) sum += v; }); eq(sum, 5, 'set forEach');\n"
       "eq(Array.from(new Set('hello')).join(''), 'helo', 'set from string');\n"
       "eq(Array.from(new Set([1]).entries()), [[1, 1]], 'set entries');\n"
       "eq(Object.prototype.toString.call(new Map()), '[object Map]', 'toStringTag');\n");
}

static void object_array_string_number(void)
{
    js("eq(Object.values({a: 1, b: 'x'}), [1, 'x'], 'values');\n"
       "eq(Object.entries({a: 1, b: 2}), [['a', 1], ['b', 2]], 'entries');\n"
       "eq(Object.fromEntries([['a', 1], ['b', 2]]), {a: 1, b: 2}, 'fromEntries');\n"
       "eq(Object.fromEntries(new Map([['x', 9]])), {x: 9}, 'fromEntries of a Map');\n"
       "eq(Object.assign({a: 1}, {b: 2}, null, {a: 3}), {a: 3, b: 2}, 'assign');\n"
       "eq(Array.from({length: 3}, function (v, i) { return i * 2; }), [0, 2, 4], 'from array-like');\n"
       "eq(Array.from('héllo'), ['h', 'é', 'l', 'l', 'o'], 'from string');\n"
       "eq(Array.from(new Map([[1, 2]])), [[1, 2]], 'from map');\n"
       "eq(Array.of(7, 8), [7, 8], 'of');\n"
       "eq(__ami_await(Array.fromAsync([Promise.resolve(1), 2])), [1, 2], 'fromAsync');\n"
       "eq(__ami_await(Array.fromAsync([1, 2], function (x) { return Promise.resolve(x * 3); })), [3, 6], 'fromAsync map');\n"
       "eq(Array.fromAsync([1]) instanceof Promise, true, 'fromAsync returns a promise');\n"
       "eq([1, 5, 8].find(function (x) { return x > 4; }), 5, 'find');\n"
       "eq([1, 5, 8].find(function (x) { return x > 9; }), undefined, 'find none');\n"
       "eq([1, 5, 8].findIndex(function (x) { return x > 4; }), 1, 'findIndex');\n"
       "eq(new Array(3).fill(0), [0, 0, 0], 'fill');\n"
       "eq([1, 2, 3, 4].fill(9, 1, -1), [1, 9, 9, 4], 'fill range');\n"
       "eq([1, 2, 3].fill(7, -1), [1, 2, 7], 'fill negative start');\n"
       "eq([1, NaN].includes(NaN), true, 'includes NaN');\n"
       "eq([1, 2, 3].includes(1, 1), false, 'includes from');\n"
       "eq([1, [2, [3, [4]]]].flat(), [1, 2, [3, [4]]], 'flat');\n"
       "eq([1, [2, [3, [4]]]].flat(Infinity), [1, 2, 3, 4], 'flat deep');\n"
       "eq([1, 2].flatMap(function (x) { return [x, x * 10]; }), [1, 10, 2, 20], 'flatMap');\n"
       "var ks = []; for (var k in [1, 2]) ks.push(k); eq(ks, ['0', '1'], 'no enumerable additions on arrays');\n"
       "eq('hello'.includes('ell'), true, 'includes');\n"
       "eq(['abc'.startsWith('ab'), 'abc'.startsWith('b', 1), 'abc'.endsWith('bc'), 'abc'.endsWith('a', 1)], [true, true, true, true], 'starts/ends');\n"
       "eq(['5'.padStart(3, '0'), 'ab'.padEnd(5, 'xy'), 'abc'.padStart(2)], ['005', 'abxyx', 'abc'], 'pad');\n"
       "eq(['ab'.repeat(3), 'x'.repeat(0)], ['ababab', ''], 'repeat');\n"
       "eq(['  a  '.trimStart(), '  a  '.trimEnd()], ['a  ', '  a'], 'trimStart/End');\n"
       "eq([Number.isFinite(1), Number.isFinite('1'), Number.isFinite(Infinity)], [true, false, false], 'isFinite');\n"
       "eq([Number.isInteger(5), Number.isInteger(5.5), Number.isInteger('5')], [true, false, false], 'isInteger');\n"
       "eq(Number.parseFloat('3.25abc'), 3.25, 'parseFloat');\n"
       "var it = [7, 8][Symbol.iterator](); eq([it.next().value, it.next().value, it.next().done], [7, 8, true], 'array iterator');\n");
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(promise_order_and_combinators);
    RUN(await_helper);
    RUN(map_and_set);
    RUN(object_array_string_number);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
