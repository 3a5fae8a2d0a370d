// Run by tests/integration/test_cex_paper.sh: the paper exchange against ["ticker", SYMBOL] entries.
const cex = Stels.runtime.cex;
const eq = (name, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  logger.info("ok", name);
};
const throwsName = async (name, want, f) => {
  try { await f(); } catch (e) {
    if (e.name !== want) throw new Error(`${name}: threw ${e.name}: ${e.message}, want ${want}`);
    logger.info("ok", name, "->", e.name, e.message);
    return e;
  }
  throw new Error(`${name}: did not throw`);
};
let ts = 1700000000000;
const tick = async (symbol, last, extra = {}) => {
  ts += 1000;
  await Stels.net.set(["ticker", symbol], Object.assign({ symbol, last, bid: last - 1, ask: last + 1, volume: 10, timestamp: ts }, extra));
};

await tick("BTC/USDT", 50000);
const ex = new cex.paper({ account: "acct1", balances: { USDT: 10000 }, fee: 0.001 });
eq("callable without new", cex.paper({ account: "x" }) instanceof cex.paper, true);
eq("paper markets", (await ex.loadMarkets())["BTC/USDT"].precision, { amount: 0.000001, price: 0.01 });
eq("ticker from the store", [(await ex.fetchTicker("BTC/USDT")).last, (await ex.fetchTicker("BTC/USDT")).ask], [50000, 50001]);

// market buy at the ask, fee in quote
const m = await ex.createMarketBuyOrder("BTC/USDT", 0.1);
eq("market buy fills at the ask", [m.status, m.filled, m.average, m.cost], ["closed", 0.1, 50001, 5000.1]);
eq("fee charged", m.fee, { currency: "USDT", cost: 5.0001, rate: 0.001 });
let b = await ex.fetchBalance();
eq("balances after the buy", [b.USDT.free, b.BTC.free], [4994.8999, 0.1]);

// precision: amount truncated to the step, price rounded to the tick
const l = await ex.createLimitBuyOrder("BTC/USDT", 0.01234567891, 49000.006);
eq("limit order rounded", [l.amount, l.price, l.status], [0.012345, 49000.01, "open"]);
b = await ex.fetchBalance();
eq("limit reserves cost + fee", [b.USDT.used, b.USDT.free], [605.5100285734, 4389.3898714266]);
eq("open orders", (await ex.fetchOpenOrders("BTC/USDT")).map(o => o.id), [l.id]);
await tick("BTC/USDT", 49500);
eq("no fill while the ask is above the price", (await ex.fetchOpenOrders("BTC/USDT")).length, 1);
await tick("BTC/USDT", 48990);
eq("filled when the price crosses", (await ex.fetchOpenOrders("BTC/USDT")).length, 0);
const lf = await ex.fetchOrder(l.id, "BTC/USDT");
eq("filled at the limit price", [lf.status, lf.filled, lf.average], ["closed", 0.012345, 49000.01]);
b = await ex.fetchBalance();
eq("reservation released", [b.USDT.used, b.BTC.free], [0, 0.112345]);

// partial fills: the quote's size limits each fill (once per quote)
const s = await ex.createLimitSellOrder("BTC/USDT", 0.1, 52000);
await tick("BTC/USDT", 52100, { bid: 52050, bidVolume: 0.03 });
let so = await ex.fetchOrder(s.id, "BTC/USDT");
eq("partial fill", [so.status, so.filled, so.remaining], ["open", 0.03, 0.07]);
so = await ex.fetchOrder(s.id, "BTC/USDT");
eq("the same quote does not fill twice", so.filled, 0.03);
await tick("BTC/USDT", 52100, { bid: 52050, bidVolume: 0.05 });
so = await ex.fetchOrder(s.id, "BTC/USDT");
eq("second partial fill", [so.filled, so.remaining], [0.08, 0.02]);
eq("trades recorded", (await ex.fetchMyTrades("BTC/USDT")).map(t => [t.side, t.amount]), [["buy", 0.1], ["buy", 0.012345], ["sell", 0.03], ["sell", 0.05]]);

// cancel returns the reservation
const c = await ex.cancelOrder(s.id, "BTC/USDT");
eq("cancel", [c.status, c.filled], ["canceled", 0.08]);
b = await ex.fetchBalance();
eq("cancel releases the base", [b.BTC.used, b.BTC.free], [0, 0.032345]);
await throwsName("cancel twice", "OrderNotFound", () => ex.cancelOrder(s.id, "BTC/USDT"));
await throwsName("unknown order", "OrderNotFound", () => ex.fetchOrder("nope", "BTC/USDT"));
eq("closed orders", (await ex.fetchClosedOrders("BTC/USDT")).map(o => o.status), ["closed", "closed", "canceled"]);

// errors
await throwsName("insufficient quote", "InsufficientFunds", () => ex.createMarketBuyOrder("BTC/USDT", 1));
await throwsName("insufficient base", "InsufficientFunds", () => ex.createLimitSellOrder("BTC/USDT", 5, 60000));
await throwsName("amount below the step", "InvalidOrder", () => ex.createLimitBuyOrder("BTC/USDT", 0.0000001, 50000));
await throwsName("cost below the minimum", "InvalidOrder", () => ex.createLimitBuyOrder("BTC/USDT", 0.000001, 50000));
await throwsName("bad side", "InvalidOrder", () => ex.createOrder("BTC/USDT", "limit", "hold", 1, 1));
await throwsName("unknown symbol", "BadSymbol", () => ex.fetchTicker("NOPE/USDT"));
await throwsName("no ticker yet", "BadSymbol", () => ex.fetchTicker("SOL/USDT"));

// linear contracts: positions with margin and realized PnL
const lin = new cex.paper({ account: "acct2", balances: { USDT: 1000 }, fee: 0, leverage: 10 });
await tick("BTC/USDT", 50000, { bid: 50000, ask: 50000 });
await lin.createMarketBuyOrder("BTC/USDT:USDT", 0.1);
let p = await lin.fetchPositions();
eq("long position", p.map(x => [x.symbol, x.side, x.contracts, x.entryPrice, x.initialMargin, x.leverage]), [["BTC/USDT:USDT", "long", 0.1, 50000, 500, 10]]);
await tick("BTC/USDT", 51000, { bid: 51000, ask: 51000 });
p = await lin.fetchPositions();
eq("unrealized PnL at the mark", p[0].unrealizedPnl, 100);
await lin.createMarketSellOrder("BTC/USDT:USDT", 0.05);
p = await lin.fetchPositions();
eq("reduced position, realized PnL", [p[0].contracts, p[0].realizedPnl, p[0].initialMargin], [0.05, 50, 250]);
b = await lin.fetchBalance();
eq("margin and PnL in the balance", [b.USDT.used, b.USDT.free], [250, 800]);
await lin.createMarketSellOrder("BTC/USDT:USDT", 0.15);
p = await lin.fetchPositions();
eq("flipped to short", p.map(x => [x.side, x.contracts, x.entryPrice]), [["short", 0.1, 51000]]);
await throwsName("linear insufficient margin", "InsufficientFunds", () => lin.createMarketSellOrder("BTC/USDT:USDT", 5));

// the book is in the shared store
const keys = (await Stels.net.list({ prefix: ["cex", "paper", "acct1"] })).map(e => e.key[3]);
eq("book under [cex, paper, account]", [...new Set(keys)].sort(), ["account", "closed", "trade"]);
eq("bybit shape in info", typeof b.info.result.list[0].totalEquity, "string");
// two connectors on one account: each sees the other's orders (the open-orders cache follows the
// account's versionstamp), and a script changing what it got does not change the book
const one = cex.paper({ account: "shared", balances: { USDT: 100000 } }), two = cex.paper({ account: "shared" });
for (let i = 0; i < 4; i++) {
  await (i % 2 ? one : two).createLimitBuyOrder("BTC/USDT", 0.001, 1000 + i, { clientOrderId: "s" + i });
  eq(`connector ${i % 2 ? "two" : "one"} sees ${i + 1} orders`, (await (i % 2 ? two : one).fetchOpenOrders()).map(o => o.clientOrderId).sort(),
     ["s0", "s1", "s2", "s3"].slice(0, i + 1));
}
const got = await one.fetchOpenOrders();
got[0].amount = 99; got[0].info.status = "closed"; got[0].status = "canceled";
eq("a changed answer leaves the book as it was", (await one.fetchOpenOrders()).map(o => [o.amount, o.status, o.info.status])[0],
   [0.001, "open", "open"]);
await one.cancelOrder(got[1].id);
eq("a cancel by one is seen by the other", (await two.fetchOpenOrders()).length, 3);
const sb = await two.fetchBalance();
const held = (await two.fetchOpenOrders()).reduce((t, o) => t + o.amount * o.price * 1.001, 0);
eq("one balance for both: reserved = what the open orders hold", [sb.USDT.used, sb.USDT.free + sb.USDT.used],
   [Number(held.toFixed(6)), 10000]);   // two placed first: its default seed made the account
logger.info("ALL DONE");
