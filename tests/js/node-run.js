// Runs one corpus case under Node the way libami runs a worker script: as the
// body of an async function (top-level await and return work), with print().
const fs = require('fs');
const src = fs.readFileSync(process.argv[2], 'utf8');
globalThis.print = (...a) => console.log(a.map(String).join(' '));
const AsyncFunction = (async () => {}).constructor;
(async () => {
  try { await new AsyncFunction(src)(); }
  catch (e) { console.log('UNCAUGHT ' + (e && e.name)); }
})();
