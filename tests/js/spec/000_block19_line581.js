// Arbitrage Detection Worker
const EXCHANGES = ["binance", "bybit", "okx"];
const SYMBOL = "BTC/USDT";
const MIN_DIFF = 50; // Minimum $50 difference

logger.info("Arbitrage Monitor started on", Stels.config.nid);

while (true) {
  const prices = {};

  // Fetch prices from all exchanges
  for (const exchange of EXCHANGES) {
    const ticker = await Stels.net.get(["ticker", `${SYMBOL}.${exchange}`]);
    prices[exchange] = ticker.value.raw.last;
  }

  // Find arbitrage opportunities
  const max = Math.max(...Object.values(prices));
  const min = Math.min(...Object.values(prices));
  const diff = max - min;

  if (diff > MIN_DIFF) {
    const buyExchange = Object.keys(prices).find((ex) => prices[ex] === min);
    const sellExchange = Object.keys(prices).find((ex) => prices[ex] === max);

    await Stels.net.set(["arbitrage", "opportunities", Date.now()], {
      symbol: SYMBOL,
      buyExchange: buyExchange,
      sellExchange: sellExchange,
      buyPrice: min,
      sellPrice: max,
      difference: diff,
      profit: (diff / min) * 100,
      node: Stels.config.nid,
    });

    logger.info(
      `Arbitrage: Buy ${buyExchange} @ ${min}, Sell ${sellExchange} @ ${max}`,
    );
  }

  await Stels.sleep(1000);
}
