// Always check before creating orders
const existingOrders = await exchange.fetchOpenOrders(symbol);
if (existingOrders.length === 0) {
  // Safe to create
}
