/**
 * @title Grid Trading
 * @category trading
 * @executionMode leader
 * @priority critical
 * @mode loop
 * @description Paper grid strategy on BTC/USDT: buys at each grid level it has no position at, sells one grid higher.
 *
 * Runs in leader mode so exactly one node trades (no duplicate orders); it
 * keeps its state in the store so a new leader continues where the old one
 * stopped.  No exchange is called: orders are recorded, not sent — replace
 * placeOrder() with your exchange connector.
 *
 * Reads:    ["ticker", "BTC/USDT"]
 * Produces: ["trading", "grid", SID]          raw {symbol, positions: [{level, size, at}], realized, updatedAt}
 *           ["trading", "orders", SID, TS]    raw {symbol, side, price, size, level, node, term, timestamp}
 */
const SYMBOL = "BTC/USDT";
const GRID_SIZE = 100; // $100 between levels
const POSITION_SIZE = 0.01; // BTC per level
const MAX_POSITIONS = 10;

const stateKey = ["trading", "grid", Stels.config.sid];

const placeOrder = async (side, price, level) => {
  const order = { symbol: SYMBOL, side, price, size: POSITION_SIZE, level,
                  node: Stels.config.nid, term: Stels.config.term, timestamp: Date.now() };
  await Stels.net.set(["trading", "orders", Stels.config.sid, order.timestamp], order);
  logger.info(`${side} ${POSITION_SIZE} ${SYMBOL} at ${price} (level ${level})`);
  return order;
};

const ticker = await Stels.net.get(["ticker", SYMBOL]);
const price = ticker.value?.raw?.last;
if (typeof price !== "number") {
  logger.warn(`no ticker for ${SYMBOL} yet`);
  await Stels.sleep(5000);
  return;
}

const saved = await Stels.net.get(stateKey);
const state = saved.value?.raw ?? { symbol: SYMBOL, positions: [], realized: 0 };
const level = Math.floor(price / GRID_SIZE) * GRID_SIZE;

// sell every position one grid below the price
const keep = [];
for (const pos of state.positions) {
  if (price >= pos.level + GRID_SIZE) {
    await placeOrder("sell", price, pos.level);
    state.realized += (price - pos.level) * pos.size;
  } else {
    keep.push(pos);
  }
}
state.positions = keep;

// buy at this level when we hold nothing there (idempotent across failover)
if (!state.positions.some((p) => p.level === level) && state.positions.length < MAX_POSITIONS) {
  await placeOrder("buy", price, level);
  state.positions.push({ level, size: POSITION_SIZE, at: Date.now() });
}

state.updatedAt = Date.now();
await Stels.net.set(stateKey, state);

await Stels.sleep(1000);
