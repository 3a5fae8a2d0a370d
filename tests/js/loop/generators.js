// Generators: protocol, yield*, Symbol.iterator methods, return/throw, consumers.
function* count(n) { for (let i = 0; i < n; i++) { const got = yield i; if (got) print('got', got); } return 'end'; }
const g = count(3);
print(JSON.stringify(g.next()), JSON.stringify(g.next('x')), JSON.stringify(g.next()), JSON.stringify(g.next()), JSON.stringify(g.next()));
print([...count(4)].join(','));
const [a, b, ...rest] = count(5); print(a, b, rest.join('|'));
print(Array.from(count(3), (x) => x * 10).join(','));
for (const x of count(3)) { print('of', x); }
function* inner() { yield 1; yield 2; return 'r'; }
function* outer() { const r = yield* inner(); print('inner returned', r); yield* [7, 8]; yield* 'hi'; }
print([...outer()].join(','));
class Tree { constructor(v, kids) { this.v = v; this.kids = kids || []; }
  *[Symbol.iterator]() { yield this.v; for (const k of this.kids) yield* k; } }
print([...new Tree(1, [new Tree(2, [new Tree(3)]), new Tree(4)])].join(','));
const obj = { *gen() { yield 'm1'; yield 'm2'; } }; print([...obj.gen()].join(','));
function* fin() { try { yield 1; yield 2; } finally { print('cleanup'); } }
const f = fin(); print(JSON.stringify(f.next())); print(JSON.stringify(f.return(9))); print(JSON.stringify(f.next()));
function* thrower() { try { yield 1; } catch (e) { print('caught in gen', e); yield 2; } }
const t = thrower(); t.next(); print(JSON.stringify(t.throw('E'))); 
const m = new Map(function* () { yield ['k', 1]; yield ['j', 2]; }()); print(JSON.stringify([...m]));
let total = 0; function* big() { for (let i = 0; i < 100000; i++) yield i; } for (const v of big()) total += v; print('total', total);
print(typeof g.next, Object.prototype.toString.call(g), Object.keys(g).length);
function* guarded() { try { yield 'g1'; yield 'g2'; yield 'g3'; } finally { print('generator closed'); } }
for (const v of guarded()) { print('got', v); if (v === 'g2') break; }
outer: for (const a of [1, 2]) { for (const v of guarded()) { if (v === 'g1') continue outer; } }
function firstOf(it) { for (const v of it) return v; }
print('first', firstOf(guarded()));
try { for (const v of guarded()) throw new Error('thrown in loop'); } catch (e) { print(e.message); }
const closable = { [Symbol.iterator]() { let i = 0; return { next: () => ({ value: i++, done: i > 5 }), return() { print('return() called at', i); return {}; } }; } };
for (const v of closable) if (v === 2) break;
for (const v of closable) {}
print('done');
