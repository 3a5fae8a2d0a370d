const order = [];
const src = { get a() { order.push("get a"); return undefined; }, get b() { order.push("get b"); return 2; } };
const { a = (order.push("default a"), 1), b = (order.push("default b"), 0) } = src;
print(a, b, order.join(";"));
const [x = 1, y = x + 1, z = y * 2] = [];
print(x, y, z);
const { length } = "hello";
print(length);
const { 0: first, [1]: second } = ["f", "s"];
print(first, second);
function f([a, b] = [1, 2], { c } = { c: 3 }) { return a + b + c; }
print(f(), f([10, 20], { c: 30 }));
const { p: { q: { r = "deep default" } = {} } = {} } = {};
print(r);
let u, v, w;
({ u, v: [w] } = { u: 1, v: [2] });
print(u, w);
const arr = [1, 2, 3, 4];
const [h, ...t] = arr;
print(h, t.join(""));
const { ...copy } = { m: 1, n: 2 };
print(JSON.stringify(copy));
const [, , third] = arr;
print(third);
const fnParams = ({ a, ...others }, ...more) => [a, Object.keys(others).join(""), more.length].join("|");
print(fnParams({ a: 1, b: 2, c: 3 }, 4, 5));
for (const [i, ch] of Array.from("ab").map((c, i) => [i, c])) print(i, ch);
try { const [z1] = null; } catch (e) { print("TypeError?", e instanceof TypeError); }
try { const [z2] = {}; } catch (e) { print("not iterable", e instanceof TypeError); }
const swap = [1, 2];
[swap[0], swap[1]] = [swap[1], swap[0]];
print(swap.join(","));
