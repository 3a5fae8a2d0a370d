/**
 * @title Market Monitor
 * @category monitoring
 * @executionMode parallel
 * @priority normal
 * @mode loop
 * @description Collects price and volume of a few symbols into metrics, on every node.
 *
 * Reads:    ["ticker", SYMBOL]  (start the ticker-simulator template to have some)
 * Produces: ["metrics", "price", SYMBOL]  raw {symbol, price, bid, ask, volume, node, timestamp}
 *           (every node writes it; the last writer wins and says which node it was)
 */
const SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"];
const INTERVAL_MS = 5000;

let seen = 0;
for (const symbol of SYMBOLS) {
  const ticker = await Stels.net.get(["ticker", symbol]);
  const raw = ticker.value?.raw;
  if (!raw) {
    logger.warn(`no ticker for ${symbol} yet`);
    continue;
  }
  await Stels.net.set(["metrics", "price", symbol], {
    symbol,
    price: raw.last,
    bid: raw.bid,
    ask: raw.ask,
    volume: raw.volume,
    node: Stels.config.nid,
    timestamp: Date.now(),
  });
  seen++;
}
logger.info(`market monitor: ${seen}/${SYMBOLS.length} symbols recorded on ${Stels.config.nid}`);

await Stels.sleep(INTERVAL_MS);
