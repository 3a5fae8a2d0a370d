/**
 * @title Price Aggregator
 * @category analytics
 * @executionMode leader
 * @priority high
 * @mode loop
 * @description Aggregates every ticker source of a symbol (average, min, max, spread) on one elected node.
 *
 * Reads:    every entry under ["ticker"]: ["ticker", SYMBOL] and ["ticker", SYMBOL.EXCHANGE]
 * Produces: ["analytics", "price", SYMBOL]  raw {symbol, average, min, max, spread, spreadPct, sources, node, term, timestamp}
 */
const INTERVAL_MS = 2000;

const groups = new Map();
for (const entry of await Stels.net.list({ prefix: ["ticker"] })) {
  const last = entry.value?.raw?.last;
  if (typeof last !== "number") continue;
  // "BTC/USDT.binance" belongs to "BTC/USDT"
  const [symbol, source = "reference"] = String(entry.key[1]).split(".");
  if (!groups.has(symbol)) groups.set(symbol, []);
  groups.get(symbol).push({ source, last });
}

for (const [symbol, quotes] of groups) {
  const prices = quotes.map((q) => q.last);
  const min = Math.min(...prices);
  const max = Math.max(...prices);
  const average = prices.reduce((a, b) => a + b, 0) / prices.length;
  await Stels.net.set(["analytics", "price", symbol], {
    symbol,
    average: Math.round(average * 100) / 100,
    min,
    max,
    spread: Math.round((max - min) * 100) / 100,
    spreadPct: Math.round(((max - min) / min) * 10000) / 100,
    sources: quotes.map((q) => q.source),
    node: Stels.config.nid,
    term: Stels.config.term,
    timestamp: Date.now(),
  });
}
if (groups.size === 0) logger.warn("no tickers under [\"ticker\"] yet (start ticker-simulator)");
else logger.info(`aggregated ${groups.size} symbols`);

await Stels.sleep(INTERVAL_MS);
