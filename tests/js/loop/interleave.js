// Two async functions interleave at each await; unawaited calls run until their first await.
const out = [];
async function a() { out.push('a1'); await null; out.push('a2'); await null; out.push('a3'); }
async function b() { out.push('b1'); await null; out.push('b2'); }
a(); b(); out.push('sync');
await null; await null; await null;
print(out.join(','));
const log = [];
async function inner(tag) { log.push(tag + ' start'); await Promise.resolve(); log.push(tag + ' end'); return tag; }
async function outer() { log.push('outer start'); const v = await inner('x'); log.push('outer got ' + v); return inner('y'); }
const p = outer();
log.push('after call');
print(await p);
print(log.join(' | '));
const order = [];
const thenable = { then(res) { order.push('then called'); res('T'); } };
(async () => { order.push('t ' + await thenable); })();
Promise.resolve().then(() => order.push('m1')).then(() => order.push('m2')).then(() => order.push('m3'));
(async () => { order.push('n ' + await 1); })();
await new Promise((r) => setTimeout(r, 5));
print(order.join(','));
async function thrower() { await null; throw new Error('late'); }
try { await thrower(); } catch (e) { print('caught', e.message); }
const unawaited = thrower();
unawaited.catch((e) => print('handled later', e.message));
await new Promise((r) => setTimeout(r, 1));
