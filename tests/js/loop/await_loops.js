// await inside loops: two loops started together take turns.
const out = [];
async function loop(tag, n) {
  for (let i = 0; i < n; i++) { out.push(tag + i); await null; }
  let j = 0;
  while (j < 2) { await Promise.resolve(j); out.push(tag + 'w' + j); j++; }
  for (const x of ['p', 'q']) { out.push(tag + x + (await x.length)); }
  return tag;
}
const both = Promise.all([loop('a', 3), loop('b', 2)]);
out.push('started');
print((await both).join('+'));
print(out.join(' '));
const results = [];
for (const ms of [20, 5, 10]) {
  const t = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  results.push(ms);
}
print(results.join(','));
let acc = 0;
for (let i = 0; i < 1000; i++) acc += await i;
print('sum', acc);
