// A promise shows no fields of its own: not to Object.keys, JSON, for-in or property listings.
const p = Promise.resolve(1);
const q = new Promise(() => {});
q.then(() => {});
const r = p.then((v) => v + 1);
for (const x of [p, q, r]) {
  let n = 0;
  for (const k in x) n++;
  print(JSON.stringify(x), JSON.stringify(Object.keys(x)), Object.getOwnPropertyNames(x).length,
        Object.getOwnPropertySymbols(x).length, n, JSON.stringify(Object.entries(x)));
}
print(JSON.stringify({ a: p, b: [q] }));
print(await r, Object.keys(await Promise.all([p, r])).length);
