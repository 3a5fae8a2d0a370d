// Before creating orders
const orders = await exchange.fetchOpenOrders(symbol);
if (orders.length === 0) {
  // Safe to create new orders
} else {
  logger.warn("Orders already exist, skipping");
  return;
}
