for (const x of [1, 2]) print("arr", x);
for (const ch of "a😀b") print("str", ch);
const m = new Map([["a", 1], ["b", 2]]);
for (const [k, v] of m) print("map", k, v);
for (const s of new Set(["x", "y", "x"])) print("set", s);
const iterable = { from: 1, to: 3 };
iterable[Symbol.iterator] = function () {
  let cur = this.from, to = this.to;
  return { next: () => (cur <= to ? { value: cur++, done: false } : { value: undefined, done: true }) };
};
for (const n of iterable) print("iter", n);
outer: for (const i of [1, 2, 3]) {
  for (const j of [1, 2, 3]) {
    if (j === 2) continue outer;
    if (i === 3) break outer;
    print("pair", i, j);
  }
}
let last;
for (last of [7, 8]) {}
print("last", last);
const o = {};
for (o.p of ["q"]) {}
print(o.p);
