// Grid trading strategy (runs on elected leader only)
logger.info(`Leader node ${Stels.config.nid} executing strategy`);

const positions = await Stels.net.get([
  "trading",
  "positions",
  Stels.config.nid,
]);
const ticker = await Stels.net.get(["ticker", "BTC/USDT"]);

const price = ticker.value.raw.last;
const gridLevel = Math.floor(price / gridSize) * gridSize;

if (!hasPositionAt(positions, gridLevel) && shouldBuy(price)) {
  await placeBuyOrder(gridLevel, amount);
  logger.info(`Buy order placed at ${gridLevel}`);
}
