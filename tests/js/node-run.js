// Runs one corpus case under Node the way libami runs a worker script: as the
// body of an async function (top-level await and return work), with print().
// --stub FILE first evaluates FILE in the global scope (and removes Node's own
// console/timers, which libami's sandbox does not have).
const fs = require('fs');
const vm = require('vm');
const args = process.argv.slice(2);
const log = console.log.bind(console);
globalThis.print = (...a) => log(a.map(String).join(' '));
if (args[0] === '--stub') {
  vm.runInThisContext(fs.readFileSync(args[1], 'utf8'));
  for (const g of ['console', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'fetch', 'process', 'require'])
    try { delete globalThis[g]; } catch (e) {}
  args.splice(0, 2);
}
const src = fs.readFileSync(args[0], 'utf8');
const AsyncFunction = (async () => {}).constructor;
(async () => {
  try { await new AsyncFunction(src)(); }
  catch (e) { log('UNCAUGHT ' + (e && e.name)); }
})();
