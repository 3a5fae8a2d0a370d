/**
 * @title Ticker Simulator
 * @category testing
 * @executionMode leader
 * @priority normal
 * @mode loop
 * @description Feeds synthetic prices into the store so the other templates show results without an exchange.
 *
 * Produces (once a second, one writer per cluster because it runs in leader mode):
 *   ["ticker", SYMBOL]            raw {symbol, last, bid, ask, volume, timestamp}
 *   ["ticker", SYMBOL.EXCHANGE]   the same per exchange ("BTC/USDT.binance", ...), prices a little apart
 * Symbols: BTC/USDT, ETH/USDT, SOL/USDT; exchanges: binance, bybit, okx.
 * The price is a random walk starting from the last stored value.
 */
const START = { "BTC/USDT": 65000, "ETH/USDT": 3200, "SOL/USDT": 150 };
const EXCHANGES = ["binance", "bybit", "okx"];
const STEP = 0.002; // at most 0.2% per tick
const SPREAD = 0.0005; // bid/ask half-spread

const round = (x) => Math.round(x * 100) / 100;

const quote = (symbol, last) => ({
  symbol,
  last: round(last),
  bid: round(last * (1 - SPREAD)),
  ask: round(last * (1 + SPREAD)),
  volume: Math.round(Math.random() * 1000 * 1000) / 1000,
  timestamp: Date.now(),
});

for (const [symbol, start] of Object.entries(START)) {
  const prev = await Stels.net.get(["ticker", symbol]);
  const last = prev.value?.raw?.last ?? start;
  const next = last * (1 + (Math.random() * 2 - 1) * STEP);
  await Stels.net.set(["ticker", symbol], quote(symbol, next));
  for (const exchange of EXCHANGES) {
    // each exchange deviates up to 0.3% from the reference price
    const offset = 1 + (Math.random() * 2 - 1) * 0.003;
    await Stels.net.set(["ticker", `${symbol}.${exchange}`], quote(symbol, next * offset));
  }
}

await Stels.sleep(1000);
