async function add(a, b) { return a + b; }
print(await add(1, 2));
const p = add(3, 4);
print(p instanceof Promise);
print(await p);
async function fails() { throw new Error("boom"); }
try { await fails(); } catch (e) { print("caught", e.message); }
const arrow = async (x) => x * 2;
print(await arrow(21));
const v = await 5;
print(v);
const chained = await Promise.resolve(1).then(x => x + 1);
print(chained);
class Svc { constructor() { this.k = 3; } async get() { return this.k; } }
print(await new Svc().get());
const all = await Promise.all([add(1, 1), 2, Promise.resolve(3)]);
print(all.join(","));
async function loop() { let s = 0; for (const x of [1, 2, 3]) s += await x; return s; }
print(await loop());
const rejected = await fails().catch(e => "handled " + e.message);
print(rejected);
