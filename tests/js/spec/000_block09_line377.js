// Publish alert
await Stels.net.set(["alerts", "price", Date.now()], {
  symbol: "BTC/USDT",
  price: 51000,
  type: "above_threshold",
});

// Store position
await Stels.net.set(["trading", "positions", Stels.config.nid], {
  symbol: "BTC/USDT",
  side: "long",
  size: 0.1,
  entry: 50000,
});

// Update analytics
await Stels.net.set(["analytics", "volume", "24h"], {
  total: 1234567890,
  exchanges: ["binance", "bybit"],
  timestamp: Date.now(),
});
