// Async generators and for await.
async function* agen() { yield 1; await null; yield 2; const x = await Promise.resolve(3); yield x; }
const seen = []; for await (const v of agen()) seen.push(v); print('agen', seen.join(','));
async function* ticker(n) { for (let i = 0; i < n; i++) { await new Promise((r) => setTimeout(r, 5)); yield i; } }
const it = ticker(3); print(JSON.stringify(await it.next()), JSON.stringify(await it.next()));
print(JSON.stringify(await it.return('stop')), JSON.stringify(await it.next()));
async function* pages() { for (let p = 1; p <= 3; p++) { await new Promise((r) => setTimeout(r, 2)); yield [p, p * 10]; } }
const rows = []; for await (const [p, v] of pages()) { rows.push(p + ':' + v); if (p === 2) break; } print(rows.join(' '));
const events = []; async function* slow(tag) { for (let i = 0; i < 3; i++) { await null; events.push(tag + i); yield i; } }
await Promise.all([(async () => { for await (const x of slow('a')) {} })(), (async () => { for await (const x of slow('b')) {} })()]);
print(events.join(','));
for await (const v of [Promise.resolve('p1'), 'plain', new Promise((r) => setTimeout(() => r('late'), 3))]) print('fa', v);
