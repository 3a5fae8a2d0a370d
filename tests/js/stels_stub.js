/* A deterministic stand-in for the worker globals (Stels, logger, Deno), in
 * ES5 so the same file runs under Node and under Duktape: the spec's worker
 * scripts must log the same lines and make the same store writes in both. */
var __now = 1700000000000;
Date.now = function () { return __now; };
var __sleeps = 0;
function __fmt(a) {
  if (typeof a === 'string') return a;
  if (a instanceof Error) return a.name; // messages differ between engines
  try { return JSON.stringify(a); } catch (e) { return String(a); }
}
function __line(parts) { var s = []; for (var i = 0; i < parts.length; i++) s.push(__fmt(parts[i])); return s.join(' '); }
function __store(name) {
  var data = {
    'ticker.BTC/USDT': { raw: { last: 51000, volume: 12 } },
    'ticker.ETH/USDT': { raw: { last: 3000, volume: 40 } },
    'ticker.SOL/USDT': { raw: { last: 150, volume: 99 } },
    'ticker.BTC/USDT.binance': { raw: { last: 51000 } },
    'ticker.BTC/USDT.bybit': { raw: { last: 51100 } },
    'ticker.BTC/USDT.okx': { raw: { last: 50990 } },
    'account.balance.n1': { raw: { USD: 500 } },
    'testnet.runtime.book.SOL/USDT.bybit.spot': { raw: { asks: [[150.5, 2]] } },
    'leader.info.s1': { raw: { nid: 'n1' } },
    'worker.state.s1': { raw: { lastProcessedTime: 1, counters: { trades: 1 } } }
  };
  function entry(key) {
    var k = key.join('.');
    return { key: key, value: data.hasOwnProperty(k) ? data[k] : null, versionstamp: data.hasOwnProperty(k) ? '00000000000000010000' : null };
  }
  return {
    get: function (key) { return Promise.resolve(entry(key)); },
    set: function (key, v) {
      print(name + '.set ' + JSON.stringify(key) + ' ' + JSON.stringify(v));
      data[key.join('.')] = { channel: key.join('.'), raw: v, timestamp: __now };
      return Promise.resolve({ ok: true });
    },
    'delete': function (key) { print(name + '.delete ' + JSON.stringify(key)); delete data[key.join('.')]; return Promise.resolve(); },
    list: function (opts) { return Promise.resolve([]); },
    subscribe: function (key) {
      return Promise.resolve({
        on: function (ev, cb) { print(name + '.subscribe ' + JSON.stringify(key) + ' ' + ev); cb({ raw: { last: 52000, message: 'hi' } }); },
        close: function () {}
      });
    }
  };
}
var Stels = {
  config: { nid: 'n1', sid: 's1', network: 'testnet', workers: 12, term: 1 },
  startTime: __now,
  net: __store('net'),
  local: __store('local'),
  sleep: function (ms) {
    print('sleep ' + ms);
    if (++__sleeps >= 3) { var e = new Error('stop'); e.name = 'Stop'; throw e; }
    return Promise.resolve();
  },
  webfix: function (o) { print('webfix ' + o.method + ' ' + JSON.stringify(o.channel) + ' ' + JSON.stringify(o.raw)); return Promise.resolve({}); },
  runtime: { cex: {} }
};
var logger = {
  info: function () { print('INFO ' + __line(arguments)); },
  warn: function () { print('WARN ' + __line(arguments)); },
  error: function () { print('ERROR ' + __line(arguments)); },
  debug: function () { print('DEBUG ' + __line(arguments)); }
};
var Deno = {
  memoryUsage: function () { return { rss: 1, heapTotal: 2, heapUsed: 3, external: 0 }; },
  metrics: function () { return { ops: { op_now: 7 } }; },
  loadavg: function () { return [0, 0, 0]; },
  serve: function (o, h) { print('serve ' + o.port); },
  addSignalListener: function (sig, f) { print('signal ' + sig); },
  exit: function (c) { print('exit ' + c); }
};
