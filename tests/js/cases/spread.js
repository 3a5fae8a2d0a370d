function f(a, b, c) { return [a, b, c].join("-"); }
const arr = [1, 2, 3];
print(f(...arr), f(0, ...[5, 6]), f(..."xy", "z"));
print([..."héllo"].length, [...[1, 2], 3, ...new Set([4, 4, 5])].join(","));
const o1 = { a: 1, b: 2 };
const o2 = { ...o1, b: 3, ...{ c: 4 }, ...null, ...undefined };
print(JSON.stringify(o2));
print(Math.max(...[3, 9, 2]));
const obj = { base: 10, add(...xs) { return xs.reduce((s, x) => s + x, this.base); } };
print(obj.add(...[1, 2, 3]));
class P { constructor(x, y) { this.s = x + y; } }
print(new P(...[2, 3]).s);
const d = new Date(...[2020, 0, 2]);
print(d.getFullYear(), d.getDate());
const m = new Map([["k", 1], ["j", 2]]);
print([...m].map(([k, v]) => k + v).join(","), [...m.keys()].join(""));
function g() { return [...arguments].length; }
print(g(1, 2, 3));
