// Get ticker data
const ticker = await Stels.net.get(["ticker", "BTC/USDT"]);
const price = ticker.value.raw.last;

// Get order book
const book = await Stels.net.get([
  "testnet",
  "runtime",
  "book",
  "SOL/USDT",
  "bybit",
  "spot",
]);
const bestAsk = book.value.raw.asks[0][0];

// Get positions
const positions = await Stels.net.get([
  "trading",
  "positions",
  Stels.config.nid,
]);
