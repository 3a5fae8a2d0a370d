// Runs forever, checking every 5 seconds
while (true) {
  const ticker = await Stels.net.get(["ticker", "BTC/USDT"]);
  const price = ticker.value.raw.last;

  if (price > 50000) {
    await Stels.net.set(["alerts", "price"], {
      symbol: "BTC/USDT",
      price: price,
      timestamp: Date.now(),
    });
  }

  await Stels.sleep(5000); // Wait 5 seconds
}
