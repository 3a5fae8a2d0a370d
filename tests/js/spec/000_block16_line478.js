// Grid Trading Worker
const GRID_SIZE = 100; // $100 grid spacing
const POSITION_SIZE = 0.01; // 0.01 BTC per grid

logger.info("Grid Trading started");

while (true) {
  const ticker = await Stels.net.get(["ticker", "BTC/USDT"]);
  const price = ticker.value.raw.last;

  const gridLevel = Math.floor(price / GRID_SIZE) * GRID_SIZE;
  const positions = await Stels.net.get([
    "trading",
    "positions",
    Stels.config.nid,
  ]);

  // Check if we have position at this grid level
  if (!hasPositionAt(positions, gridLevel)) {
    // Place buy order
    await placeBuyOrder(gridLevel, POSITION_SIZE);
    logger.info(`Buy order at ${gridLevel}`);
  }

  // Check for sell opportunities
  if (hasPositionBelow(positions, price - GRID_SIZE)) {
    await placeSellOrder(price, POSITION_SIZE);
    logger.info(`Sell order at ${price}`);
  }

  await Stels.sleep(1000);
}
