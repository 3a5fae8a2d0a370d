// Run by tests/integration/test_cex_exchanges.sh against tests/lib/cex_mock.py.
// BASE is prepended by the test (the mock's http://127.0.0.1:PORT); each check logs "ok NAME" or throws.
const cex = Stels.runtime.cex;
const KEY = "test-key-1234", SECRET = "test-secret-5678";
const eq = (name, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  logger.info("ok", name);
};
const throwsName = async (name, want, f) => {
  try { await f(); } catch (e) {
    if (e.name !== want) throw new Error(`${name}: threw ${e.name}: ${e.message}, want ${want} ${e.stack}`);
    if (String(e.message).includes(SECRET) || String(e.message).includes(KEY)) throw new Error(`${name}: the message shows a secret`);
    logger.info("ok", name, "->", e.name, e.message);
    return e;
  }
  throw new Error(`${name}: did not throw`);
};
const inject = async (kind, count = 1) => { await (await fetch(`${BASE}/_inject?kind=${kind}&count=${count}`)).text(); };

eq("exchanges", cex.exchanges.includes("binance") && cex.exchanges.includes("bybit") && cex.exchanges.includes("paper"), true);

// ---------------- binance ----------------
const bn = new cex.binance({ apiKey: KEY, secret: SECRET, urls: { api: `${BASE}/binance` } });
const bn2 = cex.binance({ apiKey: KEY, secret: SECRET, urls: { api: `${BASE}/binance` } }); // without new
eq("binance callable without new", bn2 instanceof cex.binance, true);
const markets = await bn.loadMarkets();
eq("binance markets", Object.keys(markets).sort(), ["BTC/USDT", "ETH/USDT"]);
eq("binance precision and limits", [markets["BTC/USDT"].precision.amount, markets["BTC/USDT"].precision.price, markets["BTC/USDT"].limits.cost.min], [0.00001, 0.01, 5]);
const t = await bn.fetchTicker("BTC/USDT");
eq("binance ticker", [t.symbol, t.last, t.bid, t.ask, t.baseVolume, t.info.symbol], ["BTC/USDT", 65000, 64999.99, 65000.01, 12345.678, "BTCUSDT"]);
const ob = await bn.fetchOrderBook("BTC/USDT", 5);
eq("binance order book", [ob.bids[0], ob.asks[0]], [[64999.99, 1.5], [65000.01, 2]]);
const k = await bn.fetchOHLCV("BTC/USDT", "1m", undefined, 2);
eq("binance ohlcv", k, [[1700000000000, 65000, 65100, 64900, 65050, 10.5], [1700000060000, 65000, 65100, 64900, 65050, 10.5]]);
eq("binance trades", (await bn.fetchTrades("BTC/USDT"))[0].side, "sell");
const bal = await bn.fetchBalance();
eq("binance balance (signed, server clock 7 s ahead)", [bal.USDT.free, bal.BTC.total, bal.info.accountType], [10000, 1, "SPOT"]);
const lo = await bn.createLimitBuyOrder("BTC/USDT", 0.0123456, 60000.004);
eq("binance limit order rounded to precision", [lo.amount, lo.price, lo.status, lo.info.origQty, lo.info.price], [0.01234, 60000, "open", "0.01234", "60000"]);
const mo = await bn.createMarketSellOrder("BTC/USDT", 0.01);
eq("binance market order", [mo.status, mo.filled, mo.average, mo.fee.currency, mo.trades.length], ["closed", 0.01, 65000, "USDT", 1]);
eq("binance open orders", (await bn.fetchOpenOrders("BTC/USDT")).map(o => o.id), [lo.id]);
eq("binance fetchOrder", (await bn.fetchOrder(lo.id, "BTC/USDT")).status, "open");
eq("binance cancel", (await bn.cancelOrder(lo.id, "BTC/USDT")).status, "canceled");
eq("binance closed orders", (await bn.fetchClosedOrders("BTC/USDT")).length, 2);
eq("binance my trades", (await bn.fetchMyTrades("BTC/USDT")).map(x => [x.side, x.amount]), [["sell", 0.01]]);
await throwsName("binance -2010", "InsufficientFunds", () => bn.createMarketBuyOrder("BTC/USDT", 5));
await throwsName("binance -2013", "OrderNotFound", () => bn.fetchOrder("999999", "BTC/USDT"));
await throwsName("binance -2011 on cancel", "OrderNotFound", () => bn.cancelOrder("999999", "BTC/USDT"));
await throwsName("binance unknown symbol", "BadSymbol", () => bn.fetchTicker("DOGE/EUR"));
await throwsName("binance below min notional", "InvalidOrder", () => bn.createLimitBuyOrder("BTC/USDT", 0.00001, 100));
await throwsName("binance amount below the step", "InvalidOrder", () => bn.createLimitBuyOrder("BTC/USDT", 0.000001, 60000));
await inject("429");
await throwsName("binance HTTP 429", "RateLimitExceeded", () => bn.fetchTicker("BTC/USDT"));
await inject("-1003");
await throwsName("binance -1003", "RateLimitExceeded", () => bn.fetchTicker("BTC/USDT"));
await inject("418");
await throwsName("binance HTTP 418", "DDoSProtection", () => bn.fetchTicker("BTC/USDT"));
await inject("500");
await throwsName("binance HTTP 500", "ExchangeNotAvailable", () => bn.fetchTicker("BTC/USDT"));
await inject("slow");
await throwsName("binance timeout", "RequestTimeout", () => bn.fetchTicker("BTC/USDT"));
const bad = new cex.binance({ apiKey: KEY, secret: "wrong-secret-0000", urls: { api: `${BASE}/binance` } });
await throwsName("binance bad signature -1022", "AuthenticationError", () => bad.fetchBalance());
await throwsName("binance no keys", "AuthenticationError", () => cex.binance({ urls: { api: `${BASE}/binance` } }).fetchBalance());
const unsynced = new cex.binance({ apiKey: KEY, secret: SECRET, urls: { api: `${BASE}/binance` }, options: { recvWindow: 1000 } });
const ub = await unsynced.fetchBalance();
eq("binance resyncs the clock", [ub.USDT && ub.USDT.free, JSON.stringify(ub.info).slice(0, 200)], [10000, JSON.stringify(ub.info).slice(0, 200)]);

// rate limiter: 5 public calls at rateLimit 200 ms take >= 800 ms
const slow = new cex.binance({ urls: { api: `${BASE}/binance` }, rateLimit: 200 });
await slow.loadMarkets();
let t0 = Date.now();
for (let i = 0; i < 5; i++) await slow.fetchTicker("BTC/USDT");
eq("binance rate limiter spaces requests", Date.now() - t0 >= 790, true);
const fast = new cex.binance({ urls: { api: `${BASE}/binance` }, rateLimit: 200, enableRateLimit: false });
await fast.loadMarkets();
t0 = Date.now();
for (let i = 0; i < 5; i++) await fast.fetchTicker("BTC/USDT");
eq("enableRateLimit: false does not wait", Date.now() - t0 < 790, true);

// ---------------- bybit ----------------
const by = new cex.bybit({ apiKey: KEY, secret: SECRET, urls: { api: `${BASE}/bybit` } });
const bm = await by.loadMarkets();
eq("bybit markets spot and linear", Object.keys(bm).sort(), ["BTC/USDT", "BTC/USDT:USDT"]);
eq("bybit linear market", [bm["BTC/USDT:USDT"].swap, bm["BTC/USDT:USDT"].settle, bm["BTC/USDT:USDT"].precision.amount, bm["BTC/USDT"].precision.amount], [true, "USDT", 0.001, 0.000001]);
const bt = await by.fetchTicker("BTC/USDT:USDT");
eq("bybit ticker", [bt.last, bt.bid, bt.ask, bt.percentage, bt.info.symbol], [65000, 64999.9, 65000.1, 1.5625, "BTCUSDT"]);
eq("bybit order book", (await by.fetchOrderBook("BTC/USDT")).asks, [[65000.1, 1.2]]);
eq("bybit ohlcv oldest first", (await by.fetchOHLCV("BTC/USDT", "1m", undefined, 2)).map(c => c[0]), [1700000000000, 1700000060000]);
eq("bybit trades", (await by.fetchTrades("BTC/USDT"))[0].side, "buy");
const wb = await by.fetchBalance();
eq("bybit balance (v5 wallet in info)", [wb.USDT.total, wb.info.result.list[0].accountType, Number(wb.info.result.list[0].totalEquity)], [20000, "UNIFIED", 52500]);
const bl = await by.createLimitOrder("BTC/USDT", "buy", 0.0012345678, 60000.004);
eq("bybit limit (POST body signed)", [bl.amount, bl.price, typeof bl.id], [0.001234, 60000, "string"]);
eq("bybit open orders", (await by.fetchOpenOrders("BTC/USDT")).map(o => [o.id, o.status, o.amount]), [[bl.id, "open", 0.001234]]);
eq("bybit cancel", (await by.cancelOrder(bl.id, "BTC/USDT")).status, "canceled");
eq("bybit fetchOrder after cancel", (await by.fetchOrder(bl.id, "BTC/USDT")).status, "canceled");
await by.createMarketBuyOrder("BTC/USDT:USDT", 0.01);
const pos = await by.fetchPositions();
eq("bybit linear position", pos.map(p => [p.symbol, p.side, p.contracts, p.entryPrice, p.leverage]), [["BTC/USDT:USDT", "long", 0.01, 65000, 10]]);
eq("bybit executions", (await by.fetchMyTrades("BTC/USDT:USDT")).map(x => [x.side, x.amount]), [["buy", 0.01]]);
await throwsName("bybit 110007", "InsufficientFunds", () => by.createMarketBuyOrder("BTC/USDT:USDT", 50));
await throwsName("bybit 110001", "OrderNotFound", () => by.cancelOrder("nope", "BTC/USDT"));
await inject("10006");
await throwsName("bybit 10006", "RateLimitExceeded", () => by.fetchBalance());
await inject("429");
await throwsName("bybit HTTP 429", "RateLimitExceeded", () => by.fetchTicker("BTC/USDT"));
await inject("slow");
await throwsName("bybit timeout", "RequestTimeout", () => by.fetchTicker("BTC/USDT"));
await throwsName("bybit bad key 10003", "AuthenticationError", () => cex.bybit({ apiKey: "other-key-0000", secret: SECRET, urls: { api: `${BASE}/bybit` } }).fetchBalance());
const e = await throwsName("bybit bad sign 10004", "AuthenticationError", () => cex.bybit({ apiKey: KEY, secret: "wrong-secret-0000", urls: { api: `${BASE}/bybit` } }).fetchBalance());
eq("the echoed key is blanked", e.message.includes("***"), true);

// ---------------- paper: true on a real connector: real markets, simulated private calls ----------------
const pb = new cex.bybit({ apiKey: KEY, secret: SECRET, paper: true, account: "rehearsal", urls: { api: `${BASE}/bybit` }, balances: { USDT: 1000 } });
await Stels.net.set(["ticker", "BTC/USDT"], { symbol: "BTC/USDT", last: 64000, bid: 63990, ask: 64010, volume: 1, timestamp: Date.now() });
const before = (await (await fetch(`${BASE}/_log`)).json()).filter(r => r.path.startsWith("/bybit/v5/order")).length;
const po = await pb.createMarketBuyOrder("BTC/USDT", 0.001);
eq("paper bybit market order priced from the store", [po.status, po.average], ["closed", 64010]);
const after = (await (await fetch(`${BASE}/_log`)).json()).filter(r => r.path.startsWith("/bybit/v5/order")).length;
eq("paper bybit sends no order", after, before);
eq("paper bybit uses bybit's markets", pb.market("BTC/USDT").precision.amount, 0.000001);

// every signed request the mock saw carried a valid signature; the secret never went over the wire
const log = await (await fetch(`${BASE}/_log`)).json();
const wire = JSON.stringify(log);
eq("the secret never goes over the wire", wire.includes(SECRET), false);
eq("signed requests verified by the mock", log.filter(r => r.signed_ok).length >= 15, true);
logger.info(`bn ${JSON.stringify(bn)} by ${JSON.stringify(by)}`);
logger.info("ALL DONE");
