// Real-time price monitoring
const tickerSub = await Stels.net.subscribe(["ticker", "BTC/USDT"]);

tickerSub.on("update", (data) => {
  const price = data.raw.last;
  logger.info(`Price updated: ${price}`);

  if (price > threshold) {
    triggerAlert(price);
  }
});
