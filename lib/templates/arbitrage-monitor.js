/**
 * @title Arbitrage Monitor
 * @category trading
 * @executionMode parallel
 * @priority high
 * @mode loop
 * @description Compares one symbol's price across exchanges and records opportunities above a minimum difference.
 *
 * Reads:    ["ticker", "BTC/USDT.binance"], ["ticker", "BTC/USDT.bybit"], ["ticker", "BTC/USDT.okx"]
 *           (the ticker-simulator template writes these)
 * Produces: ["arbitrage", "opportunities", TS]  raw {symbol, buyExchange, sellExchange, buyPrice, sellPrice,
 *           difference, profit (percent), node}
 */
const EXCHANGES = ["binance", "bybit", "okx"];
const SYMBOL = "BTC/USDT";
const MIN_DIFF = 50; // dollars

const prices = {};
for (const exchange of EXCHANGES) {
  const ticker = await Stels.net.get(["ticker", `${SYMBOL}.${exchange}`]);
  const last = ticker.value?.raw?.last;
  if (typeof last === "number") prices[exchange] = last;
}

const values = Object.values(prices);
if (values.length < 2) {
  logger.warn(`need prices from two exchanges, have ${values.length}`);
} else {
  const max = Math.max(...values);
  const min = Math.min(...values);
  const diff = max - min;
  if (diff > MIN_DIFF) {
    const buyExchange = Object.keys(prices).find((ex) => prices[ex] === min);
    const sellExchange = Object.keys(prices).find((ex) => prices[ex] === max);
    await Stels.net.set(["arbitrage", "opportunities", Date.now()], {
      symbol: SYMBOL, buyExchange, sellExchange, buyPrice: min, sellPrice: max,
      difference: Math.round(diff * 100) / 100, profit: Math.round((diff / min) * 10000) / 100,
      node: Stels.config.nid,
    });
    logger.info(`arbitrage: buy ${buyExchange} @ ${min}, sell ${sellExchange} @ ${max}`);
  }
}

await Stels.sleep(1000);
