const src = { n: 1, s: 'x', b: true, nul: null, arr: [1, [2, 3]], d: new Date(86400000), re: /ab+c/gi, nested: { deep: { x: 1 } } };
src.self = src;
const c = structuredClone(src);
console.log(c !== src, c.self === c, c.arr !== src.arr, JSON.stringify(c.arr), c.d instanceof Date, c.d.getTime(), c.re.source, c.re.flags);
console.log(c.nested.deep.x, c.nested !== src.nested);
const m = structuredClone(new Map([[1, { a: 1 }], ['k', [2]]]));
console.log(m instanceof Map, m.size, JSON.stringify(m.get(1)), JSON.stringify(m.get('k')));
const s = structuredClone(new Set([1, 'two']));
console.log(s instanceof Set, s.has('two'));
const u8 = structuredClone(new Uint8Array([1, 2, 3]));
console.log(u8 instanceof Uint8Array, Array.from(u8).join(','));
const e = structuredClone(new RangeError('boom'));
console.log(e instanceof RangeError, e.message);
for (const bad of [() => 1, { f() {} }, Symbol('s')]) { try { structuredClone(bad); console.log('cloned'); } catch (x) { console.log(x.name); } }
console.log(structuredClone(undefined), structuredClone(42), structuredClone('s'));
