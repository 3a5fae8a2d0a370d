/**
 * @title Position Manager
 * @category trading
 * @executionMode leader
 * @priority critical
 * @mode loop
 * @description Keeps one BTC/USDT:USDT linear position (Stels.runtime.cex, paper by default) and closes it at a take-profit or stop-loss.
 *
 * Opens a small long when there is no position; closes it with a market
 * order when its unrealized PnL reaches TAKE_PROFIT or STOP_LOSS percent of
 * the margin.  Leader mode: one node trades, and a new leader reads the
 * position back from the exchange.  Set EXCHANGE to "bybit" with your keys
 * to manage a real position (Bybit v5 linear).
 *
 * Reads:    ["ticker", "BTC/USDT"] (through the paper exchange)
 * Produces: ["trading", "positions", SID]  raw {positions: [{symbol, side, contracts, entryPrice, markPrice, unrealizedPnl}], updatedAt}
 */
const EXCHANGE = "paper"; // or "bybit" with apiKey and secret
const SYMBOL = "BTC/USDT:USDT";
const SIZE = 0.01;
const TAKE_PROFIT = 2; // percent of margin
const STOP_LOSS = -2;

const exchange = new Stels.runtime.cex[EXCHANGE]({ apiKey: "YOUR_API_KEY", secret: "YOUR_SECRET", leverage: 5 });

let positions;
try {
  positions = await exchange.fetchPositions([SYMBOL]);
} catch (e) {
  if (e.name !== "BadSymbol") throw e;
  logger.warn(`no ticker for ${SYMBOL} yet (start the ticker-simulator template)`);
  await Stels.sleep(5000);
  return;
}
const position = positions.find((p) => p.symbol === SYMBOL && p.contracts > 0);

try {
  if (!position) {
    const o = await exchange.createMarketBuyOrder(SYMBOL, SIZE);
    logger.info(`opened long ${o.filled} ${SYMBOL} at ${o.average}`);
  } else {
    const pnlPct = position.initialMargin ? (position.unrealizedPnl / position.initialMargin) * 100 : 0;
    if (pnlPct >= TAKE_PROFIT || pnlPct <= STOP_LOSS) {
      const side = position.side === "long" ? "sell" : "buy";
      const o = await exchange.createMarketOrder(SYMBOL, side, position.contracts, undefined, { reduceOnly: true });
      logger.info(`closed ${position.side} at ${o.average}: ${pnlPct.toFixed(2)}% of margin`);
    }
  }
} catch (e) {
  if (e.name !== "InsufficientFunds" && e.name !== "InvalidOrder") throw e;
  logger.warn(`order skipped: ${e.name}: ${e.message}`); // don't retry in a loop
}

const now = await exchange.fetchPositions([SYMBOL]);
await Stels.net.set(["trading", "positions", Stels.config.sid], {
  positions: now.map((p) => ({ symbol: p.symbol, side: p.side, contracts: p.contracts, entryPrice: p.entryPrice,
                               markPrice: p.markPrice, unrealizedPnl: p.unrealizedPnl })),
  updatedAt: Date.now(),
});

await Stels.sleep(2000);
