const log = [];
async function a() { log.push("a-start"); await null; log.push("a-end"); return "A"; }
async function b() { const r = await a(); log.push("b got " + r); return r + "B"; }
print(await b(), log.join(","));
const results = [];
for (const p of [Promise.resolve(1), 2, Promise.resolve(3)]) results.push(await p);
print(results.join(","));
const obj = { async m() { return this === obj; } };
print(await obj.m());
async function thrower() { await null; throw new RangeError("r"); }
try { await thrower(); } catch (e) { print(e.name, e.message); }
const settled = await thrower().then(() => "no", (e) => "rejected " + e.name);
print(settled);
const arrowThis = { v: 1, run() { return (async () => this.v + 1)(); } };
print(await arrowThis.run());
async function withDefaults(x = 0, { y } = { y: 2 }) { return x + y; }
print(await withDefaults(), await withDefaults(5, { y: 5 }));
const sleepish = (ms) => new Promise((res) => res(ms));
print(await sleepish(10));
print(await (async () => { try { return await Promise.reject(new Error("x")); } catch (e) { return "caught " + e.message; } finally { log.push("finally"); } })());
print(log[log.length - 1]);
