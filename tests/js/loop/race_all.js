// Promise.race and Promise.all over async functions that really wait.
const sleep = (ms, v) => new Promise((r) => setTimeout(() => r(v), ms));
print(await Promise.race([sleep(60).then(() => 'slow'), sleep(5).then(() => 'fast')]));
const events = [];
async function job(name, ms) { events.push(name + ' start'); await sleep(ms); events.push(name + ' end'); return name; }
const t0 = Date.now();
const names = await Promise.all([job('A', 40), job('B', 10), job('C', 25)]);
print(names.join(','), Date.now() - t0 < 200 ? 'concurrent' : 'serial');
print(events.join(' | '));
const timeout = (ms) => new Promise((_, rej) => setTimeout(() => rej(new Error('timeout after ' + ms)), ms));
try { await Promise.race([sleep(200, 'too late'), timeout(10)]); } catch (e) { print(e.message); }
const settled = await Promise.allSettled([job('D', 5), Promise.reject(new Error('no')), sleep(1, 7)]);
print(JSON.stringify(settled.map((s) => s.status + ':' + (s.value || s.reason.message))));
print(await Promise.any([sleep(30, 'thirty'), sleep(3, 'three'), Promise.reject(1)]));
