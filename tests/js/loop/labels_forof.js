// two labels on one for-of over a generator / for await: break and continue by either label
function* gen(log) { try { yield 1; yield 2; yield 3; } finally { log.push("closed"); } }
const r6 = [];
p: q: for (const x of gen(r6)) { if (x === 2) break p; r6.push(x); }
print(r6.join(","));
const r7 = [];
p: q: for (const x of gen(r7)) { if (x === 2) continue p; r7.push(() => x); }
print(r7.map(f => (typeof f === "function" ? f() : f)).join(","));
async function f() { const o = []; a: b: for await (const x of [1, 2, 3]) { if (x === 2) continue a; o.push(x); } return o.join(","); }
await f().then(print);
