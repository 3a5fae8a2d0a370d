/**
 * @title Arbitrage Monitor
 * @category trading
 * @executionMode parallel
 * @priority high
 * @mode loop
 * @description Compares one symbol's price across exchanges (Stels.runtime.cex) and records opportunities above a minimum difference.
 *
 * The connectors run with paper: true, so their prices come from the
 * ticker-simulator's ["ticker", "BTC/USDT.binance"] and [..."BTC/USDT.bybit"]
 * entries; drop `paper: true` (and allow the node to reach the exchanges) to
 * compare the exchanges' real tickers.
 *
 * Produces: ["arbitrage", "opportunities", TS]  raw {symbol, buyExchange, sellExchange, buyPrice, sellPrice,
 *           difference, profit (percent), node}
 */
const EXCHANGES = ["binance", "bybit"];
const SYMBOL = "BTC/USDT";
const MIN_DIFF = 50; // dollars

const prices = {};
for (const id of EXCHANGES) {
  const exchange = new Stels.runtime.cex[id]({ paper: true });
  try {
    prices[id] = (await exchange.fetchTicker(SYMBOL)).last;
  } catch (e) {
    logger.warn(`${id}: ${e.name}: ${e.message}`);
  }
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
