/**
 * @title DCA Strategy
 * @category trading
 * @executionMode leader
 * @priority high
 * @mode single
 * @description Dollar-cost averaging through Stels.runtime.cex (paper by default): buys a fixed USD amount of BTC/USDT every interval.
 *
 * Single mode: the script runs once and loops by itself; in leader mode one
 * node buys, and after a failover the new leader reads lastBuyAt from the
 * store before buying, so no interval is bought twice.  The exchange is the
 * paper one (priced by the ticker-simulator template); set EXCHANGE to
 * "bybit" or "binance" with your keys to buy for real.
 *
 * Reads:    ["ticker", "BTC/USDT"] (through the paper exchange)
 * Produces: ["trading", "dca", SID]           raw {symbol, buys, spentUsd, bought, averagePrice, lastBuyAt}
 *           ["trading", "orders", SID, TS]    raw {symbol, side: "buy", price, size, usd, orderId, node, timestamp}
 */
const EXCHANGE = "paper"; // or "bybit" / "binance" with apiKey and secret
const SYMBOL = "BTC/USDT";
const AMOUNT_USD = 100;
const INTERVAL_MS = 60 * 60 * 1000; // hourly
const MAX_BUYS = 1000;

const exchange = new Stels.runtime.cex[EXCHANGE]({ apiKey: "YOUR_API_KEY", secret: "YOUR_SECRET" });
const stateKey = ["trading", "dca", Stels.config.sid];
logger.info(`DCA on ${SYMBOL}: $${AMOUNT_USD} every ${INTERVAL_MS / 1000}s on ${exchange.id}`);

while (true) {
  const saved = await Stels.net.get(stateKey);
  const state = saved.value?.raw ?? { symbol: SYMBOL, buys: 0, spentUsd: 0, bought: 0, averagePrice: null, lastBuyAt: 0 };
  if (state.buys >= MAX_BUYS) {
    logger.info("DCA plan complete");
    break;
  }
  const wait = state.lastBuyAt + INTERVAL_MS - Date.now();
  if (wait > 0) {
    await Stels.sleep(Math.min(wait, 60000));
    continue;
  }
  let ticker;
  try {
    ticker = await exchange.fetchTicker(SYMBOL);
  } catch (e) {
    if (e.name !== "BadSymbol") throw e;
    logger.warn(`no ticker for ${SYMBOL} yet`);
    await Stels.sleep(5000);
    continue;
  }
  const amount = exchange.amountToPrecision(SYMBOL, AMOUNT_USD / (ticker.ask ?? ticker.last));
  let order;
  try {
    order = await exchange.createMarketBuyOrder(SYMBOL, amount);
  } catch (e) {
    if (e.name !== "InsufficientFunds") throw e;
    logger.warn(`DCA buy skipped: ${e.message}`); // don't retry, wait for the next interval
    state.lastBuyAt = Date.now();
    await Stels.net.set(stateKey, state);
    continue;
  }
  const now = Date.now();
  const price = order.average ?? order.price;
  await Stels.net.set(["trading", "orders", Stels.config.sid, now], {
    symbol: SYMBOL, side: "buy", price, size: order.filled, usd: order.cost, orderId: order.id, node: Stels.config.nid, timestamp: now,
  });
  state.buys += 1;
  state.spentUsd += order.cost;
  state.bought += order.filled;
  state.averagePrice = state.spentUsd / state.bought;
  state.lastBuyAt = now;
  await Stels.net.set(stateKey, state);
  logger.info(`bought ${order.filled} at ${price}; average ${state.averagePrice.toFixed(2)} over ${state.buys} buys`);
}
