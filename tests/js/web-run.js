// Records the web corpus (tests/js/web/*.js) under Node: the file is the
// body of an async function, console.log prints; what libami prints for the
// same file (its console.log lines) must match.  tests/js/record-web.sh.
const fs = require('fs');
const src = fs.readFileSync(process.argv[2], 'utf8');
const AsyncFunction = (async () => {}).constructor;
(async () => {
  try { await new AsyncFunction(src)(); }
  catch (e) { console.log('UNCAUGHT ' + (e && e.name)); }
})();
