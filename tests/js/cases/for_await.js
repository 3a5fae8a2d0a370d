const later = (v) => Promise.resolve(v);
const out = [];
for await (const x of [later(1), 2, later(3)]) out.push(x);
print(out.join(","));
async function sum(list) { let s = 0; for await (const v of list) s += v; return s; }
print(await sum([later(10), later(20)]));
const asyncIterable = {
  [Symbol.asyncIterator]() {
    let i = 0;
    return { next: () => Promise.resolve(i < 3 ? { value: i++, done: false } : { value: undefined, done: true }) };
  },
};
for await (const v of asyncIterable) print("async iter", v);
