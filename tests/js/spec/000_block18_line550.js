// Balance Monitoring Worker
logger.info("Balance Monitor started");

const THRESHOLD = 1000; // Alert if balance below $1000

while (true) {
  const balance = await Stels.net.get(["account", "balance", Stels.config.nid]);
  const usdBalance = balance.value.raw.USD || 0;

  if (usdBalance < THRESHOLD) {
    await Stels.net.set(["alerts", "balance"], {
      level: "warning",
      balance: usdBalance,
      threshold: THRESHOLD,
      timestamp: Date.now(),
    });

    logger.warn(`Low balance: $${usdBalance}`);
  }

  await Stels.sleep(60000); // Check every minute
}
