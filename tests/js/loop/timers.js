// Timers against promise jobs, as Node orders them.
const log = [];
setTimeout(() => log.push('timeout 0'), 0);
setTimeout(() => log.push('timeout 1'), 1);
Promise.resolve().then(() => log.push('micro 1'));
queueMicrotask(() => log.push('micro 2'));
(async () => { log.push('async sync part'); await null; log.push('async after await'); })();
log.push('sync');
await new Promise((r) => setTimeout(r, 20));
print(log.join(', '));
const order = [];
setTimeout(() => order.push('30'), 30);
setTimeout(() => order.push('10'), 10);
setTimeout(() => order.push('20a'), 20);
setTimeout(() => order.push('20b'), 20);
const cancelled = setTimeout(() => order.push('never'), 15);
clearTimeout(cancelled);
await new Promise((r) => setTimeout(r, 60));
print(order.join(' '));
const nested = [];
setTimeout(() => {
  nested.push('outer');
  Promise.resolve().then(() => nested.push('outer micro'));
  setTimeout(() => nested.push('inner timeout'), 0);
}, 0);
setTimeout(() => nested.push('second'), 0);
await new Promise((r) => setTimeout(r, 30));
print(nested.join(', '));
let ticks = 0;
await new Promise((done) => {
  const id = setInterval((tag) => { ticks++; if (ticks === 4) { clearInterval(id); done(); } }, 5, 'x');
});
print('interval ticks', ticks);
const args = await new Promise((r) => setTimeout((a, b) => r(a + b), 1, 'x', 'y'));
print(args);
