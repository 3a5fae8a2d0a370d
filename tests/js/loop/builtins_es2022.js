// ES2022 built-ins Duktape lacks, loaded on first use
const arr = [1, 2, 3, 4];
print(arr.at(-1), arr.at(0), arr.at(9), [].at(0));
for (const [i, v] of arr.entries()) print('entry', i, v);
print([...arr.keys()].join(','), [...arr.values()].join(','), Array.from(arr.entries()).length);
print(arr.findLast(x => x % 2 === 1), arr.findLastIndex(x => x > 10), arr.findLastIndex(x => x < 3));
print(new Array(3).fill(7).join(','), [1, [2, [3, [4]]]].flat(2).length, [1, 2].flatMap(x => [x, x * 10]).join(','));
const like = { length: 3, 0: 'a', 1: 'b', 2: 'c' };
print(Array.prototype.includes.call(like, 'b'), Array.prototype.at.call(like, -1), Array.prototype.flat.call(like).join(''));
print('hello'.at(-1), 'hello'.at(1), 'x'.at(5));
print('a-b-c'.replaceAll('-', '+'), 'aaa'.replaceAll('a', '$&$&'), 'a.b.c'.replaceAll('.', () => '!'), 'ab'.replaceAll('', '_'));
print('x1y22z333'.replaceAll(/\d+/g, m => '<' + m.length + '>'));
try { 'abc'.replaceAll(/b/, 'x'); } catch (e) { print(e.name); }
const ms = [...'t1 t22 t333'.matchAll(/t(\d+)/g)];
print(ms.length, ms.map(m => m[1]).join(','), ms[1].index);
for (const m of 'a1b2'.matchAll(/[a-z]/g)) print('match', m[0], m.index);
print(Object.hasOwn({ a: 1 }, 'a'), Object.hasOwn({ a: 1 }, 'toString'), Object.hasOwn([1], 0));
const wm = new WeakMap(), k1 = {}, k2 = Object.freeze({});
wm.set(k1, 'one').set(k2, 'two');
print(wm.get(k1), wm.get(k2), wm.has(k1), wm.has({}), wm.delete(k1), wm.has(k1), wm.get(k1), Object.keys(k1).length);
print(JSON.stringify(k1), wm.delete(k2), wm.has(k2));
try { wm.set(1, 2); } catch (e) { print(e.name); }
const ws = new WeakSet([k1]);
print(ws.has(k1), ws.has(k2), ws.add(k2).has(k2), ws.delete(k1), ws.has(k1));
print(typeof globalThis, globalThis.Math === Math);
const clone = structuredClone({ a: [1, { b: 2 }], d: new Date(0) });
print(JSON.stringify(clone), clone.d instanceof Date);
print(JSON.stringify(Promise.resolve(1)), JSON.stringify({ p: new Promise(() => {}), q: (async () => 1)() }));
