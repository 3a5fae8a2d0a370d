/**
 * @title Market Monitor
 * @category monitoring
 * @executionMode parallel
 * @priority normal
 * @mode loop
 * @description Collects price and volume of a few symbols (Stels.runtime.cex, paper by default) into metrics, on every node.
 *
 * Reads:    fetchTicker(SYMBOL); the paper exchange reads ["ticker", SYMBOL] (start the ticker-simulator
 *           template to have some); set EXCHANGE to "binance" or "bybit" for the exchange's own tickers
 * Produces: ["metrics", "price", SYMBOL]  raw {symbol, price, bid, ask, volume, node, timestamp}
 *           (every node writes it; the last writer wins and says which node it was)
 */
const EXCHANGE = "paper"; // or "binance" / "bybit" (public data needs no keys)
const SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"];
const INTERVAL_MS = 5000;

const exchange = new Stels.runtime.cex[EXCHANGE]();
let seen = 0;
for (const symbol of SYMBOLS) {
  let ticker;
  try {
    ticker = await exchange.fetchTicker(symbol);
  } catch (e) {
    logger.warn(`no ticker for ${symbol} yet (${e.name})`);
    continue;
  }
  await Stels.net.set(["metrics", "price", symbol], {
    symbol,
    price: ticker.last,
    bid: ticker.bid,
    ask: ticker.ask,
    volume: ticker.baseVolume,
    node: Stels.config.nid,
    timestamp: Date.now(),
  });
  seen++;
}
logger.info(`market monitor: ${seen}/${SYMBOLS.length} symbols recorded on ${Stels.config.nid}`);

await Stels.sleep(INTERVAL_MS);
