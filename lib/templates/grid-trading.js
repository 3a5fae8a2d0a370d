/**
 * @title Grid Trading
 * @category trading
 * @executionMode leader
 * @priority critical
 * @mode loop
 * @description Grid strategy on BTC/USDT through Stels.runtime.cex (paper by default): buys at each grid level it holds nothing at, sells one grid higher.
 *
 * Runs in leader mode so exactly one node trades (no duplicate orders); it
 * keeps its state in the store so a new leader continues where the old one
 * stopped.  The exchange is the paper one (a book in the shared store, priced
 * by the ticker-simulator template): to trade for real, set EXCHANGE to
 * "bybit" or "binance" with your keys and let the node reach it (amid.conf
 * allow_net = api.bybit.com); a node started with cex = paper keeps any
 * exchange on paper.
 *
 * Reads:    ["ticker", "BTC/USDT"] (through the paper exchange)
 * Produces: ["trading", "grid", SID]          raw {symbol, positions: [{level, size, at, orderId}], realized, updatedAt}
 *           ["trading", "orders", SID, TS]    raw {symbol, side, price, size, level, orderId, node, term, timestamp}
 *           the paper book under ["cex", "paper", "paper", ...]
 */
const EXCHANGE = "paper"; // or "bybit" / "binance" with apiKey and secret
const SYMBOL = "BTC/USDT";
const GRID_SIZE = 100; // $100 between levels
const POSITION_SIZE = 0.01; // BTC per level
const MAX_POSITIONS = 10;

const exchange = new Stels.runtime.cex[EXCHANGE]({ apiKey: "YOUR_API_KEY", secret: "YOUR_SECRET" });
const stateKey = ["trading", "grid", Stels.config.sid];

const placeOrder = async (side, level) => {
  try {
    const o = await exchange.createMarketOrder(SYMBOL, side, POSITION_SIZE);
    const order = { symbol: SYMBOL, side, price: o.average ?? o.price, size: o.amount, level, orderId: o.id,
                    node: Stels.config.nid, term: Stels.config.term, timestamp: Date.now() };
    await Stels.net.set(["trading", "orders", Stels.config.sid, order.timestamp], order);
    logger.info(`${side} ${o.amount} ${SYMBOL} at ${order.price} (level ${level})`);
    return order;
  } catch (e) {
    // InsufficientFunds / InvalidOrder: don't retry, skip this level
    if (e.name === "InsufficientFunds" || e.name === "InvalidOrder") {
      logger.warn(`${side} at level ${level} skipped: ${e.name}: ${e.message}`);
      return null;
    }
    throw e;
  }
};

let ticker;
try {
  ticker = await exchange.fetchTicker(SYMBOL);
} catch (e) {
  if (e.name !== "BadSymbol") throw e;
  logger.warn(`no ticker for ${SYMBOL} yet (start the ticker-simulator template)`);
  await Stels.sleep(5000);
  return;
}
const price = ticker.last;

const saved = await Stels.net.get(stateKey);
const state = saved.value?.raw ?? { symbol: SYMBOL, positions: [], realized: 0 };
const level = Math.floor(price / GRID_SIZE) * GRID_SIZE;

// sell every position one grid below the price
const keep = [];
for (const pos of state.positions) {
  if (price >= pos.level + GRID_SIZE) {
    const sold = await placeOrder("sell", pos.level);
    if (sold) state.realized += (sold.price - pos.level) * pos.size;
    else keep.push(pos);
  } else {
    keep.push(pos);
  }
}
state.positions = keep;

// buy at this level when we hold nothing there (idempotent across failover)
if (!state.positions.some((p) => p.level === level) && state.positions.length < MAX_POSITIONS) {
  const bought = await placeOrder("buy", level);
  if (bought) state.positions.push({ level, size: bought.size, at: Date.now(), orderId: bought.orderId });
}

state.updatedAt = Date.now();
await Stels.net.set(stateKey, state);

await Stels.sleep(1000);
