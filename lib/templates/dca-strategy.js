/**
 * @title DCA Strategy
 * @category trading
 * @executionMode leader
 * @priority high
 * @mode single
 * @description Dollar-cost averaging: buys a fixed USD amount of BTC/USDT every interval, managing its own loop.
 *
 * Single mode: the script runs once and loops by itself; in leader mode one
 * node buys, and after a failover the new leader reads lastBuyAt from the
 * store before buying, so no interval is bought twice.  Orders are recorded,
 * not sent to an exchange.
 *
 * Reads:    ["ticker", "BTC/USDT"]
 * Produces: ["trading", "dca", SID]           raw {symbol, buys, spentUsd, bought, averagePrice, lastBuyAt}
 *           ["trading", "orders", SID, TS]    raw {symbol, side: "buy", price, size, usd, node, timestamp}
 */
const SYMBOL = "BTC/USDT";
const AMOUNT_USD = 100;
const INTERVAL_MS = 60 * 60 * 1000; // hourly
const MAX_BUYS = 1000;

const stateKey = ["trading", "dca", Stels.config.sid];
logger.info(`DCA on ${SYMBOL}: $${AMOUNT_USD} every ${INTERVAL_MS / 1000}s`);

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
  const ticker = await Stels.net.get(["ticker", SYMBOL]);
  const price = ticker.value?.raw?.ask ?? ticker.value?.raw?.last;
  if (typeof price !== "number") {
    logger.warn(`no ticker for ${SYMBOL} yet`);
    await Stels.sleep(5000);
    continue;
  }
  const size = AMOUNT_USD / price;
  const now = Date.now();
  await Stels.net.set(["trading", "orders", Stels.config.sid, now], {
    symbol: SYMBOL, side: "buy", price, size, usd: AMOUNT_USD, node: Stels.config.nid, timestamp: now,
  });
  state.buys += 1;
  state.spentUsd += AMOUNT_USD;
  state.bought += size;
  state.averagePrice = state.spentUsd / state.bought;
  state.lastBuyAt = now;
  await Stels.net.set(stateKey, state);
  logger.info(`bought ${size.toFixed(6)} at ${price}; average ${state.averagePrice.toFixed(2)} over ${state.buys} buys`);
}
