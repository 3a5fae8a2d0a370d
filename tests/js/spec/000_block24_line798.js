// Use structured logging
logger.info("Order placed", {
  symbol: "BTC/USDT",
  side: "buy",
  price: 50000,
  amount: 0.1,
});

// Avoid sensitive data
logger.info("User action"); // ❌ Don't log API keys, private keys
