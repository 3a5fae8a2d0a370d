// Market Monitoring Worker
logger.info("Market Monitor started on", Stels.config.nid);

const symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"];

while (true) {
  for (const symbol of symbols) {
    const ticker = await Stels.net.get(["ticker", symbol]);
    const price = ticker.value.raw.last;
    const volume = ticker.value.raw.volume;

    // Store metrics
    await Stels.net.set(["metrics", "price", symbol], {
      price: price,
      volume: volume,
      node: Stels.config.nid,
      timestamp: Date.now(),
    });
  }

  await Stels.sleep(5000);
}
