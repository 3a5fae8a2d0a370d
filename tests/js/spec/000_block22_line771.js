try {
  const data = await Stels.net.get(["ticker", "BTC/USDT"]);
  processData(data);
} catch (error) {
  logger.error("Failed to fetch ticker:", error);
  // Don't crash the worker, handle gracefully
}
